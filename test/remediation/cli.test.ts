import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerRemediationCommands } from '../../src/cli/program.js';
import type { RemediationWiring } from '../../src/cli/remediation-deps.js';
import { CliContext, type GlobalOptions, type Io } from '../../src/cli/context.js';
import { ZombiescanError } from '../../src/contract/errors.js';
import type { TerminationReport } from '../../src/remediation/offboard.js';
import type { Harness } from '../engine/helpers.js';
import { BASE_CONFIG, company, companySystems, findingId } from './helpers.js';

/** The commands as the CLI runs them: a program with the global options, our commands, and captured output. */
async function cli(h: Harness, yaml: string, args: string[], wiring: RemediationWiring, env: NodeJS.ProcessEnv = {}) {
  const configFile = path.join(h.dir, 'zombiescan.yaml');
  writeFileSync(configFile, yaml);
  let stdout = '';
  let stderr = '';
  const stream = (write: (text: string) => void) =>
    ({ write: (text: string) => (write(text), true), isTTY: false, columns: 160 }) as unknown as NodeJS.WriteStream;
  const io: Io = {
    stdout: stream((text) => (stdout += text)),
    stderr: stream((text) => (stderr += text)),
    env: { ZOMBIESCAN_ACTOR: 'cli-tester', ...env },
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

describe('CLI', () => {
  it('remediate --plan --json prints one element per action; --apply over the limit exits 2', async () => {
    const h = await company();
    const systems = companySystems();
    const wiring: RemediationWiring = {
      engine: () => ({ remediatorFor: (name) => systems[name as keyof typeof systems] ?? null }),
    };

    const plan = await cli(h, BASE_CONFIG, ['remediate', '--plan', '--json'], wiring);
    expect(plan.exitCode).toBe(0);
    const records = JSON.parse(plan.stdout) as Record<string, unknown>[];
    expect(records.length).toBeGreaterThan(0);
    for (const record of records) {
      expect(Object.keys(record).slice(0, 8)).toEqual([
        'findingId',
        'rule',
        'source',
        'accountId',
        'action',
        'status',
        'reason',
        'at',
      ]);
    }

    const limited = BASE_CONFIG + 'remediation: { maxActionsPerRun: 1 }\n';
    const over = await cli(h, limited, ['remediate', '--apply'], wiring);
    expect(over.exitCode).toBe(2);
    expect(over.stderr).toMatch(/3 actions exceed the limit of 1 per run/);
    expect(systems.okta.performed()).toEqual([]);

    const table = await cli(h, limited, ['remediate'], wiring);
    expect(table.exitCode).toBe(0);
    expect(table.stdout).toMatch(/exceed the limit of 1 per run: --apply would refuse/);

    const one = await cli(
      h,
      BASE_CONFIG,
      ['remediate', '--apply', '--finding', String(findingId(h, 'terminated-still-active', 'okta', 'o2')), '--json'],
      wiring,
    );
    expect(one.exitCode).toBe(0);
    expect((JSON.parse(one.stdout) as { status: string }[]).map((r) => r.status)).toEqual(['applied', 'applied']);
    const actor = h.db.prepare(`SELECT DISTINCT actor FROM audit_log`).all();
    expect(actor).toEqual([{ actor: 'cli-tester' }]);

    expect((await cli(h, BASE_CONFIG, ['remediate', '--plan', '--apply'], wiring)).exitCode).toBe(2);
  });

  it('audit-log verify exits 0 on an intact chain and 1 naming the altered row', async () => {
    const h = await company();
    const systems = companySystems();
    const wiring: RemediationWiring = {
      engine: () => ({ remediatorFor: (name) => systems[name as keyof typeof systems] ?? null }),
    };
    await cli(h, BASE_CONFIG, ['remediate', '--apply'], wiring);

    const intact = await cli(h, BASE_CONFIG, ['audit-log', 'verify'], wiring);
    expect(intact.exitCode).toBe(0);
    expect(intact.stdout).toMatch(/audit log intact: \d+ rows/);

    h.db.exec('DROP TRIGGER audit_log_no_update');
    h.db.prepare(`UPDATE audit_log SET actor = 'someone-else' WHERE id = 3`).run();
    const broken = await cli(h, BASE_CONFIG, ['audit-log', 'verify', '--json'], wiring);
    expect(broken.exitCode).toBe(1);
    expect(JSON.parse(broken.stdout)).toMatchObject({ ok: false, firstBadId: 3 });
  });

  it('audit-log anchor prints the MACed head; verify checks MACs and the anchor, and says when it cannot', async () => {
    const h = await company();
    const systems = companySystems();
    const wiring: RemediationWiring = {
      engine: () => ({ remediatorFor: (name) => systems[name as keyof typeof systems] ?? null }),
    };
    const keyed = BASE_CONFIG + 'audit: { key: "${ZOMBIESCAN_AUDIT_KEY}" }\n';
    const env = { ZOMBIESCAN_AUDIT_KEY: 'f'.repeat(64) };
    await cli(h, keyed, ['remediate', '--apply'], wiring, env);

    const anchor = await cli(h, keyed, ['audit-log', 'anchor'], wiring, env);
    expect(anchor.exitCode).toBe(0);
    const [head, mac] = anchor.stdout.trim().split('\n');
    expect(head).toMatch(/^\d+:[0-9a-f]{64}$/);
    expect(mac).toMatch(/^mac [0-9a-f]{64}$/);

    const verified = await cli(h, keyed, ['audit-log', 'verify', '--anchor', head!], wiring, env);
    expect(verified.exitCode).toBe(0);
    expect(verified.stdout).toMatch(/hash chain and MACs verified, contains anchor/);
    const unkeyed = await cli(h, keyed, ['audit-log', 'verify'], wiring, {});
    expect(unkeyed.exitCode).toBe(0);
    expect(unkeyed.stdout).toMatch(/unauthenticated: no audit.key/);
    const wrongKey = await cli(h, keyed, ['audit-log', 'verify'], wiring, { ZOMBIESCAN_AUDIT_KEY: 'e'.repeat(64) });
    expect(wrongKey.exitCode).toBe(1);
    expect(wrongKey.stdout).toMatch(/MAC does not match/);
    const other = `${head!.split(':')[0]}:${'0'.repeat(64)}`;
    expect((await cli(h, keyed, ['audit-log', 'verify', '--anchor', other], wiring, env)).exitCode).toBe(1);
    expect((await cli(h, keyed, ['audit-log', 'verify', '--anchor', 'latest'], wiring, env)).exitCode).toBe(2);
  });

  it('offboard --apply --out writes the termination report file', async () => {
    const h = await company();
    const systems = companySystems();
    systems.zoom.unsupported = {};
    const wiring: RemediationWiring = {
      engine: () => ({ remediatorFor: (name) => systems[name as keyof typeof systems] ?? null }),
    };
    const out = path.join(h.dir, 'reports');
    const result = await cli(h, BASE_CONFIG, ['offboard', 'bob@acme.com', '--apply', '--json', '--out', out], wiring);
    const report = JSON.parse(result.stdout) as { complete: boolean; accounts: unknown[] };
    expect(report.complete).toBe(true);
    expect(report.accounts).toHaveLength(3);
    expect(result.exitCode).toBe(0);
    expect(readdirSync(out)).toEqual(['zombiescan-termination-E2-2026-11-26T130000Z.json']);
    expect(
      JSON.parse(readFileSync(path.join(out, 'zombiescan-termination-E2-2026-11-26T130000Z.json'), 'utf8')),
    ).toEqual(report);
  });

  it('offboard accepts --include-privileged and acts on a privileged account with or without it', async () => {
    for (const flags of [['--include-privileged'], []]) {
      const h = await company();
      const systems = companySystems();
      const wiring: RemediationWiring = {
        engine: () => ({ remediatorFor: (name) => systems[name as keyof typeof systems] ?? null }),
      };
      const result = await cli(h, BASE_CONFIG, ['offboard', 'dave@acme.com', '--apply', '--json', ...flags], wiring);
      expect(result.exitCode).toBe(0);
      const report = JSON.parse(result.stdout) as TerminationReport;
      expect(report.complete).toBe(true);
      // Dave's only account is a Slack admin: disabled although privileged.
      expect(report.accounts).toEqual([
        expect.objectContaining({ source: 'slack', accountId: 's4', verified: true, after: { enabled: false } }),
      ]);
      expect(systems.slack.performed('disable')).toHaveLength(1);
    }
  });
});
