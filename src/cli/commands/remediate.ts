import { InvalidArgumentError, type Command } from 'commander';
import { UsageError } from '../../contract/errors.js';
import type { RemediationRun } from '../../remediation/apply.js';
import type { ActionRecord, PlannedFinding } from '../../remediation/plan.js';
import { colors, fitColumns, table, type Colors } from '../../../reports/terminal.js';
import { countSubjects, dryRunLines, groupedReasons, wouldDo } from '../../../reports/action-plan.js';
import { accountSearchLabel } from '../../contract/finding-facts.js';
import { visible } from '../../common/terminal-text.js';
import type { CliContext } from '../context.js';
import { engineDeps, type RemediationWiring } from '../remediation-deps.js';
import type { RunAction } from '../run-action.js';

/**
 * `remediate`: the remediation policy applied to open findings. The engine's clients come through
 * `RemediationWiring`, so end-to-end tests swap in fakes. The engine and the vendor SDKs are imported when the
 * command runs (see program.ts).
 */

export interface RemediateCommandOptions {
  plan?: boolean;
  apply?: boolean;
  finding?: number[];
  max?: number;
  includePrivileged?: boolean;
}

export function registerRemediateCommand(
  program: Command,
  ctx: () => CliContext,
  run: RunAction,
  wiring: RemediationWiring = {},
): void {
  program
    .command('remediate')
    .description('apply the remediation policy to open findings: a dry run (--plan, the default) or --apply')
    .option('--plan', 'show what would be done, change nothing (the default)')
    .option('--apply', 'do it: re-read each account, act, journal every action')
    .option('--finding <id>', 'only this finding (repeatable)', collectFindingIds, [] as number[])
    .option('--max <n>', 'allow up to N actions in this run (default: remediation.maxActionsPerRun)', positiveInteger)
    .option('--include-privileged', 'also act on accounts with an administrative role')
    .addHelpText(
      'after',
      `
Refused: accounts of a source whose latest collection failed, excepted or suppressed findings, privileged accounts
without --include-privileged, and any --apply over the limit (exit 2, nothing applied). An --apply with a refused or
failed action exits 1. Every action is journaled (see \`zombiescan audit-log verify\`).

Examples:
  $ zombiescan remediate --plan
  $ zombiescan remediate --apply --finding 42 --finding 43
  $ zombiescan remediate --apply --max 60 --json > remediation.json`,
    )
    .action(run((options: RemediateCommandOptions) => remediateCommand(ctx(), options, wiring)));
}

export async function remediateCommand(
  ctx: CliContext,
  options: RemediateCommandOptions,
  wiring: RemediationWiring = {},
): Promise<number> {
  if (options.plan && options.apply) throw new UsageError('--plan and --apply exclude each other');
  const { runRemediation } = await import('../../remediation/apply.js');
  const result = await runRemediation(
    ctx.db(),
    ctx.config(),
    {
      apply: Boolean(options.apply),
      findingIds: options.finding ?? [],
      max: options.max,
      includePrivileged: Boolean(options.includePrivileged),
    },
    await engineDeps(ctx, wiring),
  );
  if (ctx.json) ctx.outJson(result.records);
  else ctx.out(renderRemediation(result, colors(ctx.color), ctx.width));
  if (result.refusedToStart) ctx.log.error(result.refusedToStart);
  else if (ctx.json && result.plan.overLimit) {
    ctx.log.warn(
      `${result.plan.actionCount} actions exceed the limit of ${result.plan.limit} per run: --apply would refuse them`,
    );
  }
  return result.exitCode;
}

/** A credential finding names the key first, so nobody mistakes it for its owner's account. */
function planSubject(entry: PlannedFinding): string {
  const owner = accountSearchLabel({ ...entry.account, accountId: entry.account.id });
  const { credentialId, credential } = entry.finding;
  return credentialId ? `[${credential?.kind ?? 'credential'}] ${credential?.name ?? credentialId} · ${owner}` : owner;
}

export function renderRemediation(result: RemediationRun, c: Colors, width = 160): string {
  if (result.records.length === 0) return 'Nothing to remediate: no open or acknowledged findings.\n';
  const planned = new Map(result.plan.findings.map((entry) => [entry.finding.id, entry]));
  const head = ['FINDING', 'RULE', 'SOURCE', 'ACCOUNT', result.apply ? 'ACTION' : 'WOULD DO', 'STATUS', 'REASON'];
  const rows: string[][] = [];
  for (const record of result.records) {
    const entry = planned.get(record.findingId);
    // A ticket standing in for system actions the source cannot do says which: that is what would really happen.
    const insteadOf =
      entry?.steps.find((step) => step.action === record.action)?.fallbackFor.map((fallback) => fallback.action) ?? [];
    rows.push([
      String(record.findingId),
      record.rule,
      visible(record.source),
      visible(entry ? planSubject(entry) : record.accountId),
      result.apply ? record.action : wouldDo(record, insteadOf),
      paintStatus(c, record.status),
      visible(record.ticketKey ? `${record.reason} [${record.ticketKey}]` : record.reason),
    ]);
  }
  // The reason gives way first, then the account and the rule; the source and the action never do.
  const widths = fitColumns(head, rows, width, {
    giveWay: [
      { column: 6, min: 40 },
      { column: 3, min: 24 },
      { column: 1, min: 16 },
      { column: 6, min: 24 },
    ],
  });
  const view = table(head, widths);
  for (const row of rows) view.push(row);
  // Reasons may quote a source's error text: escaped before they are grouped and printed.
  const outcomes = result.records.map((record) => ({
    ...record,
    reason: visible(record.reason),
    subject: String(record.findingId),
  }));
  const lines = [view.toString()];
  if (!result.apply) {
    lines.push(
      ...dryRunLines(outcomes, {
        applyHint: `Run with --apply to do it (${result.plan.actionCount} of at most ${result.plan.limit} actions per run).`,
        blocked: result.plan.overLimit
          ? c.yellow(
              `${result.plan.actionCount} actions exceed the limit of ${result.plan.limit} per run: --apply would ` +
                'refuse them all; narrow it with --finding ID, or allow more with --max N.',
            )
          : null,
        describeSubjects: (planned) => countSubjects(planned, 'finding', 'findings'),
      }),
    );
  } else {
    const counts = new Map<string, number>();
    for (const record of result.records) counts.set(record.status, (counts.get(record.status) ?? 0) + 1);
    lines.push([...counts].map(([status, count]) => `${count} ${status}`).join(', '));
    const refused = outcomes.filter((outcome) => outcome.status === 'refused');
    if (refused.length > 0) lines.push(`Refused: ${groupedReasons(refused)}.`);
    if (result.reconciled.length > 0) {
      lines.push(`${result.reconciled.length} action(s) interrupted in an earlier run were reconciled first.`);
    }
  }
  return lines.join('\n') + '\n';
}

function paintStatus(c: Colors, status: ActionRecord['status']): string {
  switch (status) {
    case 'applied':
      return c.green(status);
    case 'already-done':
      return c.dim(status);
    case 'refused':
      return c.yellow(status);
    case 'failed':
      return c.red(status);
    case 'planned':
      return status;
  }
}

function collectFindingIds(value: string, previous: number[]): number[] {
  const id = Number(value);
  if (!Number.isInteger(id) || id <= 0) throw new InvalidArgumentError('expected a finding id (a positive number)');
  return [...previous, id];
}

function positiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number <= 0) throw new InvalidArgumentError('expected a positive whole number');
  return number;
}
