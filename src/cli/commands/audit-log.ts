import type { Command } from 'commander';
import {
  appendEntry,
  journalHead,
  journalNeedsSeal,
  parseJournalAnchor,
  verifyJournal,
  type JournalAnchor,
} from '../../store/journal.js';
import { UsageError } from '../../contract/errors.js';
import { colors } from '../../../reports/terminal.js';
import type { CliContext } from '../context.js';
import type { RunAction } from '../run-action.js';

export function registerAuditLogCommand(program: Command, ctx: () => CliContext, run: RunAction): void {
  const auditLog = program
    .command('audit-log')
    .description('the remediation journal (append-only, hash-chained, MACed under audit.key)');
  auditLog
    .command('verify')
    .description('check the chain (and MACs, with audit.key): exit 0 when intact, 1 naming the first bad row')
    .option('--anchor <ID:HASH>', 'a head printed earlier by `audit-log anchor`: the journal must still contain it')
    .addHelpText(
      'after',
      '\nExamples:\n  $ zombiescan audit-log verify\n  $ zombiescan audit-log verify --anchor 1042:9f86d0…\n' +
        '  $ zombiescan audit-log verify --json',
    )
    .action(run((options: { anchor?: string }) => auditLogVerifyCommand(ctx(), options)));
  auditLog
    .command('anchor')
    .description('print the journal head (id, hash, MAC) to publish outside the database: a ticket, the SIEM')
    .addHelpText('after', '\nExamples:\n  $ zombiescan audit-log anchor\n  $ zombiescan audit-log anchor --json')
    .action(run(() => auditLogAnchorCommand(ctx())));
}

export function auditLogVerifyCommand(ctx: CliContext, options: { anchor?: string } = {}): number {
  let anchor: JournalAnchor | undefined;
  if (options.anchor !== undefined) {
    anchor = parseJournalAnchor(options.anchor) ?? undefined;
    if (!anchor)
      throw new UsageError(`--anchor: expected ID:HASH as printed by \`audit-log anchor\`, got "${options.anchor}"`);
  }
  const result = verifyJournal(ctx.db(), { anchor });
  const c = colors(ctx.color);
  if (ctx.json) {
    ctx.outJson(result);
  } else if (!result.ok) {
    ctx.out(`${c.red(`audit log BROKEN at row ${result.firstBadId}`)}: ${result.problem}\n`);
  } else {
    const checked = anchor ? `, contains anchor ${anchor.id}` : '';
    if (result.authenticated) {
      const prefix = result.unauthenticatedPrefix
        ? ` (rows 1-${result.unauthenticatedPrefix} predate the key: covered from the first MAC after them)`
        : '';
      ctx.out(
        `${c.green('audit log intact')}: ${result.rows} rows, hash chain and MACs verified${checked}${prefix}.\n`,
      );
    } else {
      ctx.out(
        `${c.green('audit log intact')}: ${result.rows} rows, hash chain verified${checked}.\n` +
          (result.rows > 0
            ? `${c.yellow('unauthenticated')}: no audit.key, so this detects accidental or naive edits only; ` +
              'someone who can write the database could rewrite the whole chain (set audit.key, publish anchors).\n'
            : ''),
      );
    }
  }
  return result.ok ? 0 : 1;
}

export function auditLogAnchorCommand(ctx: CliContext): number {
  const db = ctx.db();
  // Rows written before the key was set carry no MAC: one keyed row seals them (its MAC covers every hash before it).
  if (journalNeedsSeal(db)) {
    appendEntry(db, {
      at: ctx.io.now(),
      kind: 'decision',
      actor: 'audit-log anchor',
      action: 'seal-journal',
      reason: 'rows written before audit.key was set are covered from here on',
    });
  }
  const head = journalHead(db);
  if (!head) throw new UsageError('the journal is empty: nothing to anchor yet');
  if (ctx.json) ctx.outJson({ ...head, anchor: `${head.id}:${head.hash}` });
  else {
    ctx.out(`${head.id}:${head.hash}\n`);
    ctx.out(head.mac ? `mac ${head.mac}\n` : 'mac none: no audit.key, the head is not authenticated\n');
  }
  return 0;
}
