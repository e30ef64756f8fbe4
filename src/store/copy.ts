import { ConfigError } from '../contract/errors.js';
import type { Db } from './engine.js';
import { arrivalOrder } from './dialect.js';
import type { PostgresDb } from './postgres.js';

/**
 * Copies a whole store into an empty one of the same schema version (SQLite to PostgreSQL for `migrate --to`):
 * snapshots, findings with their history, exceptions, the journal (ids, hashes and MACs as they are, so its chain
 * holds), runs and the rest, in one transaction on the target. Rows keep their ids; identity counters move past them.
 */

/** In an order that satisfies the foreign keys and the journal's guards (rows before the head that names them). */
const TABLES = [
  'runs',
  'run_sources',
  'sources',
  'accounts',
  'credentials',
  'people',
  'findings',
  'finding_events',
  'exceptions',
  'audit_log',
  'meta',
  'termination_reports',
  'request_replay',
  'lifecycle_steps',
  'hr_events_seen',
  'hr_leaver_events',
  'sign_in_events',
  'sign_in_events_staged',
  'sign_in_last_success',
  'sign_in_last_success_staged',
  'sign_in_cursors',
] as const;

/** Tables whose ids the target numbers itself afterwards: its counters must start past the copied ids. */
const IDENTITIES: Record<string, string> = {
  runs: 'id',
  findings: 'id',
  finding_events: 'id',
  exceptions: 'id',
  audit_log: 'id',
  termination_reports: 'id',
  accounts: 'seq',
  credentials: 'seq',
};

const BATCH = 10_000;

export type TableCounts = Record<string, number>;

export function storeCounts(db: Db): TableCounts {
  return Object.fromEntries(
    TABLES.map((table) => [table, Number(db.prepare(`SELECT count(*) FROM ${table}`).pluck().get())]),
  );
}

export function copyStore(from: Db, to: Db, onTable: (table: string, rows: number) => void = () => {}): TableCounts {
  const occupied = TABLES.filter((table) => Number(to.prepare(`SELECT count(*) FROM ${table}`).pluck().get()) > 0);
  if (occupied.length > 0) {
    throw new ConfigError(
      `${to.name}: not empty (${occupied.join(', ')} hold rows): migrate copies into an empty database only`,
    );
  }
  to.transaction(() => {
    for (const table of TABLES) {
      const order = table === 'accounts' || table === 'credentials' ? arrivalOrder(from) : '1';
      const sample = from.prepare(`SELECT * FROM ${table} LIMIT 1`).get() as Record<string, unknown> | undefined;
      if (!sample) {
        onTable(table, 0);
        continue;
      }
      const columns = Object.keys(sample).filter((column) => column !== 'seq');
      const insert = to.prepare(
        `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
      );
      const write = (rows: unknown[][]) => {
        if (to.engine === 'postgres') (to as unknown as PostgresDb).copyRows(table, columns, rows);
        else for (const row of rows) insert.run(row);
      };
      let batch: unknown[][] = [];
      let copied = 0;
      for (const row of from
        .prepare(`SELECT ${columns.join(', ')} FROM ${table} ORDER BY ${order}`)
        .raw(true)
        .iterate() as Iterable<unknown[]>) {
        batch.push(row);
        if (batch.length === BATCH) {
          write(batch);
          copied += batch.length;
          batch = [];
        }
      }
      write(batch);
      copied += batch.length;
      onTable(table, copied);
    }
    if (to.engine === 'postgres') {
      for (const [table, column] of Object.entries(IDENTITIES)) {
        to.prepare(
          `SELECT setval(pg_get_serial_sequence('${table}', '${column}'), coalesce((SELECT max(${column}) FROM ${table}), 0) + 1, false)`,
        ).get();
      }
    }
  })();
  return storeCounts(to);
}
