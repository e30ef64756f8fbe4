import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerRemediationCommands } from '../../src/cli/program.js';
import type { RemediationWiring } from '../../src/cli/remediation-deps.js';
import { CliContext, type GlobalOptions, type Io } from '../../src/cli/context.js';
import { ZombiescanError } from '../../src/contract/errors.js';
import { groupedReasons, reasonGroup, wouldDo } from '../../reports/action-plan.js';
import type { Harness } from '../engine/helpers.js';
import { BASE_CONFIG, company, companySystems } from '../remediation/helpers.js';

/** remediate and offboard as the CLI runs them, text output captured (no colour). */
async function cli(h: Harness, yaml: string, args: string[], wiring: RemediationWiring) {
  const configFile = path.join(h.dir, 'zombiescan.yaml');
  writeFileSync(configFile, yaml);
  let stdout = '';
  let stderr = '';
  const stream = (write: (text: string) => void) =>
    ({ write: (text: string) => (write(text), true), isTTY: false, columns: 200 }) as unknown as NodeJS.WriteStream;
  const io: Io = {
    stdout: stream((text) => (stdout += text)),
    stderr: stream((text) => (stderr += text)),
    env: { ZOMBIESCAN_ACTOR: 'cli-tester' },
    now: () => new Date('2026-11-26T13:00:00Z'),
  };
  const program = new Command('zombiescan').exitOverride();
  program.option('-c, --config <file>').option('--db <file>').option('--json').option('--no-color');
  let context: CliContext | undefined;
  const ctx = () => (context ??= new CliContext(program.opts<GlobalOptions>(), io));
  let exitCode = 0;
  const run =
    <A extends unknown[]>(action: (...args: A) => number | Promise<number>) =>
    async (...a: A) => {
      exitCode = await action(...a);
    };
  registerRemediationCommands(program, ctx, run, wiring);
  try {
    await program.parseAsync(['--config', configFile, ...args], { from: 'user' });
  } catch (error) {
    if (!(error instanceof ZombiescanError)) throw error;
    stderr += error.message;
    exitCode = error.exitCode;
  } finally {
    context?.close();
  }
  return { exitCode, stdout, stderr };
}

function wiringFor(systems: ReturnType<typeof companySystems>): RemediationWiring {
  return { engine: () => ({ remediatorFor: (name) => systems[name as keyof typeof systems] ?? null }) };
}

/** The lines after the table. */
function footer(stdout: string): string[] {
  const lines = stdout.trimEnd().split('\n');
  return lines.slice(lines.findLastIndex((line) => line.startsWith('└')) + 1);
}

describe('remediate --plan', () => {
  it('groups the refusals by cause, shows what would really happen, and suggests --apply only when it would', async () => {
    const h = await company();
    const systems = companySystems();
    const plan = await cli(h, BASE_CONFIG, ['remediate', '--plan'], wiringFor(systems));
    expect(plan.exitCode).toBe(0);
    // zoom cannot disable through an API: the ticket that stands in for it is what would happen, and it needs a
    // tickets section; dave's slack account is an admin.
    expect(plan.stdout).toContain('WOULD DO');
    expect(plan.stdout).toMatch(/nothing \(ticket refused\)/);
    expect(footer(plan.stdout)).toEqual([
      'Would do 3 actions (2 disable, 1 revoke-sessions) on 2 findings.',
      'Refused: 4 need a tickets section (jira or webhook) in the config; 1 privileged (add --include-privileged to act on them).',
      'Dry run: nothing was changed. Run with --apply to do it (3 of at most 25 actions per run).',
    ]);
    expect(systems.okta.performed()).toEqual([]);

    // With tickets configured, the zoom ticket is planned and says which system actions it stands in for.
    const withTickets = `${BASE_CONFIG}tickets: { type: webhook, url: "http://127.0.0.1:9/hook" }\n`;
    const ticketed = await cli(h, withTickets, ['remediate', '--plan'], wiringFor(companySystems()));
    expect(ticketed.stdout).toMatch(/│ ticket \(instead of revoke-sessions, disable\) +│ planned/);
    expect(ticketed.stdout).toMatch(/│ ticket \(instead of revoke-sessions\) +│ planned/);

    // Only findings nothing can be done for: no --apply suggested.
    const dave = h.findings(`rule = 'terminated-still-active' AND account_id = 's4'`)[0]!.id;
    const refusedOnly = await cli(
      h,
      BASE_CONFIG,
      ['remediate', '--plan', '--finding', String(dave)],
      wiringFor(companySystems()),
    );
    expect(footer(refusedOnly.stdout)).toEqual([
      'Refused: 1 privileged (add --include-privileged to act on them).',
      'Dry run: nothing was changed, and --apply would change nothing either.',
    ]);
    expect(refusedOnly.stdout).not.toMatch(/Run with --apply/);
  });
});

describe('offboard dry run', () => {
  it('shows what --apply would do per account and never suggests it when nothing would change', async () => {
    const h = await company();
    const systems = companySystems();
    const dry = await cli(h, BASE_CONFIG, ['offboard', 'E2'], wiringFor(systems));
    expect(dry.stdout).toMatch(/^Dry run: offboarding Bob bob@acme\.com \(E2, HR status terminated\)\n/);
    expect(dry.stdout).toContain('WOULD DO');
    expect(footer(dry.stdout)).toEqual([
      'Would do 3 actions (2 disable, 1 revoke-sessions) on 2 accounts.',
      'Refused: 2 need a tickets section (jira or webhook) in the config.',
      'Dry run: nothing was changed. Run with --apply to do it.',
    ]);

    // Applied: each line of the ACTIONS cell is its own line, never an escaped newline.
    const applied = await cli(h, BASE_CONFIG, ['offboard', 'E2', '--apply'], wiringFor(systems));
    expect(applied.stdout).not.toContain('\\x0a');
    expect(applied.stdout).not.toMatch(/Run with --apply/);
    // Sessions cannot be seen from outside, so okta's revoke-sessions would still be tried: --apply is suggested.
    const again = await cli(h, BASE_CONFIG, ['offboard', 'E2'], wiringFor(systems));
    expect(again.stdout).toMatch(/nothing \(disable already done\)/);
    expect(footer(again.stdout)).toEqual([
      'Would do 1 action (1 revoke-sessions) on 1 account.',
      'Refused: 2 need a tickets section (jira or webhook) in the config.',
      'Already done: 2 (the source already shows it done).',
      'Dry run: nothing was changed. Run with --apply to do it.',
    ]);
  });

  it('does not suggest --apply when every action is already done or refused', async () => {
    const h = await company();
    const systems = companySystems();
    // dave is a Slack admin: offboard includes him; Slack cannot reset sessions without Enterprise Grid (a ticket).
    const first = await cli(h, BASE_CONFIG, ['offboard', 'E4'], wiringFor(systems));
    expect(footer(first.stdout)).toContain('Dry run: nothing was changed. Run with --apply to do it.');
    await cli(h, BASE_CONFIG, ['offboard', 'E4', '--apply'], wiringFor(systems));
    const again = await cli(h, BASE_CONFIG, ['offboard', 'E4'], wiringFor(systems));
    expect(footer(again.stdout)).toEqual([
      'Refused: 1 need a tickets section (jira or webhook) in the config.',
      'Already done: 1 (the source already shows it done).',
      'Dry run: nothing was changed, and --apply would change nothing either.',
    ]);
    expect(again.stdout).not.toMatch(/Run with --apply/);
  });
});

describe('reason groups', () => {
  it('names each known refusal by its cause, and cuts an unknown one at its first clause', () => {
    expect(reasonGroup('no `tickets` configured: add a tickets section (jira or webhook) to the config')).toBe(
      'need a tickets section (jira or webhook) in the config',
    );
    expect(reasonGroup('privileged account: re-run with --include-privileged to act on it')).toMatch(/^privileged/);
    expect(reasonGroup('the latest collection of okta failed (HTTP 503); it last completed …')).toBe(
      'wait for a complete scan of their source',
    );
    expect(reasonGroup('the owner has no manager in the roster: nobody to ask')).toBe(
      'the owner has no manager in the roster',
    );
    // One subject refused twice for one cause counts once.
    expect(
      groupedReasons([
        { subject: '1', action: 'disable', status: 'refused', reason: 'privileged account: x' },
        { subject: '1', action: 'revoke-sessions', status: 'refused', reason: 'privileged account: x' },
        { subject: '2', action: 'ticket', status: 'refused', reason: 'no `tickets` configured: y' },
        { subject: '3', action: 'ticket', status: 'refused', reason: 'no `tickets` configured: y' },
      ]),
    ).toBe(
      '2 need a tickets section (jira or webhook) in the config; 1 privileged (add --include-privileged to act on them)',
    );
    expect(wouldDo({ action: 'ticket', status: 'planned' }, ['disable'])).toBe('ticket (instead of disable)');
    expect(wouldDo({ action: 'disable', status: 'already-done' })).toBe('nothing (disable already done)');
  });
});
