import { ConfigError } from '../../contract/errors.js';
import { closeDatabase, describeDatabase, isPostgresUrl, openDatabase } from '../../store/database.js';
import { copyStore, storeCounts } from '../../store/copy.js';
import { verifyJournal } from '../../store/journal.js';
import type { CliContext } from '../context.js';

/**
 * `migrate --to postgres://…`: copies the current database (the config's, or --db) into an empty PostgreSQL database,
 * then proves the copy: every table's row count equal, and the journal's chain verified on the target.
 */
export function migrateCommand(ctx: CliContext, options: { to: string }): number {
  if (!isPostgresUrl(options.to)) {
    throw new ConfigError(`--to ${options.to}: give the target as postgres://USER@HOST:PORT/DATABASE`);
  }
  const source = ctx.db();
  const target = openDatabase(options.to);
  try {
    const expected = storeCounts(source);
    const copied = copyStore(source, target, (table, rows) => ctx.log.info(`copied ${table}`, { rows }));
    const mismatched = Object.keys(expected).filter((table) => expected[table] !== copied[table]);
    if (mismatched.length > 0) {
      throw new Error(`row counts differ after the copy in ${mismatched.join(', ')}`);
    }
    const journal = verifyJournal(target);
    if (!journal.ok) throw new Error(`audit-log verify failed on the target: ${journal.problem ?? 'unknown problem'}`);
    const summary = {
      from: source.name,
      to: describeDatabase(options.to),
      tables: copied,
      journal: { ok: true, rows: journal.rows, authenticated: journal.authenticated },
    };
    if (ctx.json) ctx.outJson(summary);
    else {
      const lines = Object.entries(copied).map(([table, rows]) => `  ${table.padEnd(28)} ${rows}`);
      ctx.out(
        `Copied ${summary.from} to ${summary.to}\n${lines.join('\n')}\n` +
          `Row counts match; audit-log verify on the target: ok (${journal.rows} rows${journal.authenticated ? ', authenticated' : ''})\n`,
      );
    }
    return 0;
  } finally {
    closeDatabase(target);
  }
}
