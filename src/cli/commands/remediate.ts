import { InvalidArgumentError, type Command } from 'commander';
import { UsageError } from '../../contract/errors.js';
import type { RemediationRun } from '../../remediation/apply.js';
import type { ActionRecord } from '../../remediation/plan.js';
import { colors, table, type Colors } from '../../../reports/terminal.js';
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
  else ctx.out(renderRemediation(result, colors(ctx.color)));
  if (result.refusedToStart) ctx.log.error(result.refusedToStart);
  else if (ctx.json && result.plan.overLimit) {
    ctx.log.warn(
      `${result.plan.actionCount} actions exceed the limit of ${result.plan.limit} per run: --apply would refuse them`,
    );
  }
  return result.exitCode;
}

export function renderRemediation(result: RemediationRun, c: Colors): string {
  if (result.records.length === 0) return 'Nothing to remediate: no open or acknowledged findings.\n';
  const accounts = new Map(
    result.plan.findings.map((entry) => {
      const owner = entry.account.email ?? entry.account.login ?? entry.account.id;
      const { credentialId, credential } = entry.finding;
      // A credential finding names the key first, so nobody mistakes it for its owner's account.
      const shown = credentialId
        ? `[${credential?.kind ?? 'credential'}] ${credential?.name ?? credentialId}${owner ? ` · ${owner}` : ''}`
        : owner;
      return [entry.finding.id, shown];
    }),
  );
  const view = table(
    ['FINDING', 'RULE', 'SOURCE', 'ACCOUNT', 'ACTION', 'STATUS', 'REASON'],
    [9, 24, 10, 28, 17, 14, 50],
  );
  for (const record of result.records) {
    view.push([
      String(record.findingId),
      record.rule,
      record.source,
      accounts.get(record.findingId) ?? record.accountId,
      record.action,
      paintStatus(c, record.status),
      record.ticketKey ? `${record.reason} [${record.ticketKey}]` : record.reason,
    ]);
  }
  const counts = new Map<string, number>();
  for (const record of result.records) counts.set(record.status, (counts.get(record.status) ?? 0) + 1);
  const summary = [...counts].map(([status, count]) => `${count} ${status}`).join(', ');
  const lines = [view.toString(), summary];
  if (!result.apply) {
    lines.push(
      result.plan.overLimit
        ? c.yellow(
            `${result.plan.actionCount} actions exceed the limit of ${result.plan.limit} per run: --apply would refuse ` +
              'them all; narrow it with --finding ID, or allow more with --max N.',
          )
        : `Dry run: nothing was changed (${result.plan.actionCount} of at most ${result.plan.limit} actions). ` +
            'Run with --apply to do it.',
    );
  } else if (result.reconciled.length > 0) {
    lines.push(`${result.reconciled.length} action(s) interrupted in an earlier run were reconciled first.`);
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
