import type { Command } from 'commander';
import { verifyJournal } from '../../store/journal.js';
import { colors } from '../../../reports/terminal.js';
import type { CliContext } from '../context.js';
import type { RunAction } from '../run-action.js';

export function registerAuditLogCommand(program: Command, ctx: () => CliContext, run: RunAction): void {
  const auditLog = program.command('audit-log').description('the remediation journal (append-only, hash-chained)');
  auditLog
    .command('verify')
    .description('check the hash chain: exit 0 when intact, 1 naming the first altered or missing row')
    .addHelpText('after', '\nExamples:\n  $ zombiescan audit-log verify\n  $ zombiescan audit-log verify --json')
    .action(run(() => auditLogVerifyCommand(ctx())));
}

export function auditLogVerifyCommand(ctx: CliContext): number {
  const result = verifyJournal(ctx.db());
  const c = colors(ctx.color);
  if (ctx.json) ctx.outJson(result);
  else if (result.ok) ctx.out(`${c.green('audit log intact')}: ${result.rows} rows, hash chain verified.\n`);
  else ctx.out(`${c.red(`audit log BROKEN at row ${result.firstBadId}`)}: ${result.problem}\n`);
  return result.ok ? 0 : 1;
}
