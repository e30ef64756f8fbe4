import type { Command } from 'commander';
import { UsageError } from '../../contract/errors.js';
import type { LeaverView } from '../../lifecycle/leavers.js';
import { colors, table, type Colors } from '../../../reports/terminal.js';
import type { CliContext } from '../context.js';
import type { RunAction } from '../run-action.js';

export function registerLeaversCommand(program: Command, ctx: () => CliContext, run: RunAction): void {
  program
    .command('leavers')
    .description('due and upcoming leavers: their accounts, the moment access ends and the planned steps')
    .option('--days <n>', 'show leavers whose next step falls within N days', parseDays, 14)
    .addHelpText(
      'after',
      `
From the roster of the last scan and signed HR events. The moment is the end of the termination day in \`timezone\`
(or the given date-time). Steps come from lifecycle.decay (the first policy whose match fits) or, for everyone
else, the scheduled offboarding at the moment; \`serve\` carries them out when lifecycle.leavers.mode is apply.

Examples:
  $ zombiescan leavers
  $ zombiescan leavers --days 30 --json`,
    )
    .action(run((options: { days: number }) => leaversCommand(ctx(), options)));
}

function parseDays(value: string): number {
  if (!/^\d{1,4}$/.test(value)) throw new UsageError(`--days ${value}: expected a whole number of days`);
  return Number(value);
}

export async function leaversCommand(ctx: CliContext, options: { days: number }): Promise<number> {
  const { listLeavers } = await import('../../lifecycle/leavers.js');
  const leavers = listLeavers(ctx.db(), ctx.config(), { now: ctx.io.now(), days: options.days });
  if (ctx.json) ctx.outJson(leavers);
  else ctx.out(renderLeavers(leavers, ctx.config().lifecycle.leavers.mode, options.days, colors(ctx.color)));
  return 0;
}

export function renderLeavers(leavers: readonly LeaverView[], mode: string, days: number, c: Colors): string {
  if (leavers.length === 0) return `No leaver due or within ${days} days.\n`;
  const view = table(['PERSON', 'ACCESS ENDS', 'POLICY', 'ACCOUNTS', 'STEPS (UTC)'], [30, 30, 14, 40, 52]);
  for (const leaver of leavers) {
    view.push([
      `${leaver.name ?? leaver.email}\n${leaver.employeeId} · ${leaver.hrStatus}` +
        (leaver.announcedBy === 'hr-event' ? ' · HR event' : ''),
      leaver.momentAsTyped,
      leaver.policy,
      [
        ...leaver.accounts.map(
          (account) =>
            `${account.source} ${account.login ?? account.accountId}: ${account.enabled ? 'enabled' : 'disabled'}` +
            (account.privileged ? ' (privileged)' : ''),
        ),
        ...(leaver.credentials === null
          ? ['credentials: unknown (a source could not list them: see `zombiescan runs`)']
          : leaver.credentials.length === 0
            ? ['no credential in the snapshots']
            : leaver.credentials.map(
                (credential) =>
                  `${credential.source} ${credential.kind} ${credential.description ?? credential.credentialId}` +
                  (credential.enabled ? '' : ' (unusable)'),
              )),
      ].join('\n') || 'none',
      leaver.steps
        .map((step) => {
          const state = step.state === 'due' ? c.red(step.state) : step.state;
          return `${step.at} ${step.dueAt.slice(0, 16).replace('T', ' ')} ${step.actions.join(', ')} [${state}]`;
        })
        .join('\n'),
    ]);
  }
  const due = leavers.filter((leaver) => leaver.state === 'due').length;
  return (
    view.toString() +
    `\n${leavers.length} leaver(s), ${due} due now. lifecycle.leavers.mode is ${mode}` +
    (mode === 'apply' ? ': serve carries out due steps.\n' : ': serve only plans (set mode: apply to act).\n')
  );
}
