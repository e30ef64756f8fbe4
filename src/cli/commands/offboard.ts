import type { Command } from 'commander';
import type { OffboardResult } from '../../remediation/offboard.js';
import { colors, fitColumns, table, type Colors } from '../../../reports/terminal.js';
import { countSubjects, dryRunLines, wouldDo, type PlannedOutcome } from '../../../reports/action-plan.js';
import { visible } from '../../common/terminal-text.js';
import type { CliContext } from '../context.js';
import { engineDeps, type RemediationWiring } from '../remediation-deps.js';
import type { RunAction } from '../run-action.js';
import { offboardReportName } from '../report-output.js';

export interface OffboardCommandOptions {
  apply?: boolean;
  reason?: string;
  out?: string;
  /** Accepted so a runbook can pass remediate's flags unchanged; offboard includes privileged accounts anyway. */
  includePrivileged?: boolean;
}

export function registerOffboardCommand(
  program: Command,
  ctx: () => CliContext,
  run: RunAction,
  wiring: RemediationWiring = {},
): void {
  program
    .command('offboard <person>')
    .description('emergency kill-all: disable every account of one person (employee id or email), then verify')
    .option('--apply', 'do it (without it: a dry run that still re-reads every account)')
    .option('--reason <text>', 'why: journaled, and put on any ticket opened')
    .option('--out <dir>', 'also write the termination report JSON into this folder')
    .option('--include-privileged', 'accepted, changes nothing: offboard always includes privileged accounts')
    .addHelpText(
      'after',
      `
Identity providers (role: idp) are locked first, then every other source at once; a source that cannot disable gets a
ticket. Naming the person is the confirmation: privileged accounts are included (--include-privileged is accepted
but not needed) and no per-run limit applies.
With --apply, exit 1 unless every account was verified disabled; a dry run exits 1 when an account cannot be read.

Examples:
  $ zombiescan offboard E1042
  $ zombiescan offboard bob@acme.com --apply --reason "INC-7781 compromised laptop" --out reports/
  $ zombiescan offboard E1042 --apply --json > termination.json`,
    )
    .action(run((person: string, options: OffboardCommandOptions) => offboardCommand(ctx(), person, options, wiring)));
}

export async function offboardCommand(
  ctx: CliContext,
  person: string,
  options: OffboardCommandOptions,
  wiring: RemediationWiring = {},
): Promise<number> {
  const { runOffboard } = await import('../../remediation/offboard.js');
  const result = await runOffboard(
    ctx.db(),
    ctx.config(),
    { person, apply: Boolean(options.apply), reason: options.reason },
    await engineDeps(ctx, wiring, {}, { loadRemediatorsOnDemand: true }),
  );
  if (options.out) {
    const { writeReport } = await import('./report.js');
    const name = offboardReportName(result.report.person.employeeId, result.report.startedAt);
    const file = writeReport(options.out, name, JSON.stringify(result.report, null, 2) + '\n');
    ctx.log.info(`termination report written to ${file}`);
  }
  if (ctx.json) ctx.outJson(result.report);
  else ctx.out(renderOffboard(result, Boolean(options.apply), colors(ctx.color), ctx.width));
  return result.exitCode;
}

export function renderOffboard(result: OffboardResult, applied: boolean, c: Colors, width = 160): string {
  const { report } = result;
  const person = report.person;
  const lines = [
    visible(
      `${applied ? 'Offboarding' : 'Dry run: offboarding'} ${person.name ? `${person.name} ` : ''}${person.email} ` +
        `(${person.employeeId}, HR status ${person.status})`,
    ),
  ];
  const credentials = report.credentials ?? [];
  if (report.accounts.length === 0) lines.push('No account of this person in any source.');
  else if (applied) {
    const view = table(['SOURCE', 'ACCOUNT', 'BEFORE', 'ACTIONS', 'AFTER', 'VERIFIED'], [12, 30, 10, 60, 10, 10]);
    for (const account of report.accounts) {
      view.push([
        visible(account.source),
        visible(account.login ?? account.accountId),
        state(account.before.enabled),
        account.actions.map((action) => visible(`${action.action}: ${action.status} (${action.reason})`)).join('\n'),
        state(account.after.enabled),
        account.verified ? c.green('yes') : c.red('no'),
      ]);
    }
    lines.push(view.toString());
  } else {
    // A dry run shows what --apply would really do to each account, not the steps it would consider.
    const fitted = (head: string[], rows: string[][]) => {
      const view = table(head, fitColumns(head, rows, width, { giveWay: [{ column: 4, min: 30 }] }));
      for (const row of rows) view.push(row);
      return view.toString();
    };
    lines.push(
      fitted(
        ['SOURCE', 'ACCOUNT', 'NOW', 'WOULD DO', 'WHY'],
        report.accounts.map((account) => [
          visible(account.source),
          visible(account.login ?? account.accountId),
          state(account.before.enabled),
          account.actions.map((action) => wouldDo(action)).join('\n'),
          account.actions.map((action) => visible(action.reason)).join('\n'),
        ]),
      ),
    );
    if (credentials.length > 0) {
      lines.push(
        fitted(
          ['SOURCE', 'CREDENTIAL', 'NOW', 'WOULD DO', 'WHY'],
          credentials.map((credential) => [
            visible(credential.source),
            visible(`[${credential.kind}] ${credential.name ?? credential.credentialId}`),
            state(credential.before.enabled),
            wouldDo(credential.action),
            visible(credential.action.reason),
          ]),
        ),
      );
    }
  }
  for (const owned of result.ownedServiceAccounts) {
    lines.push(
      c.yellow(
        visible(`Left alone: ${owned.source} service account ${owned.login ?? owned.accountId} (needs a new owner).`),
      ),
    );
  }
  const unverified = report.accounts.filter((account) => !account.verified).length;
  if (!applied) {
    const outcomes: PlannedOutcome[] = [
      ...report.accounts.flatMap((account) =>
        account.actions.map((action) => ({
          subject: `account\u0000${account.source}\u0000${account.accountId}`,
          action: action.action,
          status: action.status,
          reason: visible(action.reason),
        })),
      ),
      ...credentials.map((credential) => ({
        subject: `credential\u0000${credential.source}\u0000${credential.credentialId}`,
        action: credential.action.action,
        status: credential.action.status,
        reason: visible(credential.action.reason),
      })),
    ];
    lines.push(
      ...dryRunLines(outcomes, {
        applyHint: 'Run with --apply to do it.',
        describeSubjects: (planned) =>
          [
            countSubjects(
              planned.filter((outcome) => outcome.subject.startsWith('account\u0000')),
              'account',
              'accounts',
            ),
            countSubjects(
              planned.filter((outcome) => outcome.subject.startsWith('credential\u0000')),
              'credential',
              'credentials',
            ),
          ]
            .filter((part) => !part.startsWith('0 '))
            .join(', '),
      }),
    );
  } else if (report.complete) {
    lines.push(c.green(`Complete: every account verified disabled.`));
  } else {
    lines.push(c.red(`INCOMPLETE: ${unverified} account(s) not verified disabled.`));
  }
  return lines.join('\n') + '\n';
}

function state(enabled: boolean | null): string {
  return enabled === null ? 'unknown' : enabled ? 'enabled' : 'disabled';
}
