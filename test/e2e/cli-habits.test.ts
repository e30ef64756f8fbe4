import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { tempDir } from '../engine/helpers.js';
import { zombiescan } from './cli.js';

// Each CLI start costs seconds on a loaded machine; these tests chain several.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

/** What scripts and habits rely on (issue #20 "A CLI that scripts and habits trust"), through the built binary. */

const HR = `employee_id,email,name,status,termination_date
E1,alice@acme.com,Alice,active,
E2,bob@acme.com,Bob,terminated,2026-01-31
E3,carol@acme.com,Carol,active,
`;
const APP = `id,login,email,status,last_login_at
a1,alice,alice@acme.com,active,2026-11-20T10:00:00Z
a2,bob,bob@acme.com,active,2026-11-20T10:00:00Z
a3,carol,carol@acme.com,active,2026-11-20T10:00:00Z
a4,mallory,mallory@evil.test,active,2026-11-20T10:00:00Z
`;
const CONFIG = `database: ./z.db
roster: { path: ./hr.csv }
sources:
  - { name: app, type: csv, path: ./app.csv }
`;

function setup(files: Record<string, string> = {}): string {
  const dir = tempDir('zombiescan-habits-');
  const all = { 'hr.csv': HR, 'app.csv': APP, 'zombiescan.yaml': CONFIG, ...files };
  for (const [name, content] of Object.entries(all)) writeFileSync(path.join(dir, name), content);
  return dir;
}

function query<T>(dir: string, sql: string): T[] {
  const db = new Database(path.join(dir, 'z.db'), { readonly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

describe('version and completion', () => {
  it('--version prints the package version', async () => {
    const result = await zombiescan(['--version'], { cwd: tempDir() });
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it.each(['bash', 'zsh', 'fish'])('completion %s names every command and option choices', async (shell) => {
    const result = await zombiescan(['completion', shell], { cwd: tempDir() });
    expect(result.code).toBe(0);
    for (const word of ['findings', 'acknowledge', 'scan', 'completion', 'fail-on', 'critical', 'show']) {
      expect(result.stdout).toContain(word);
    }
  });

  it('completion of an unknown shell is a usage error', async () => {
    const result = await zombiescan(['completion', 'tcsh'], { cwd: tempDir() });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown shell "tcsh" (known: bash, zsh, fish)');
  });
});

describe('findings from scripts', () => {
  let dir: string;
  beforeAll(async () => {
    dir = setup();
    expect((await zombiescan(['scan'], { cwd: dir })).code).toBe(0);
  });

  it.each([
    [
      ['--rule', 'terminated-still-activ'],
      /--rule terminated-still-activ: no such rule \(did you mean terminated-still-active\?\) \(known: .*orphan-account/,
    ],
    [['--source', 'ap'], /--source ap: no such source \(did you mean app\?\) \(known: app\)/],
    [['--person', 'E9'], /--person E9: no such person in the roster or the findings/],
  ])(
    'a mistyped closed-set filter %j is exit 2 with the known values, never "No findings match"',
    async (args, message) => {
      for (const command of [['findings'], ['report', 'findings']]) {
        const result = await zombiescan([...command, ...args], { cwd: dir });
        expect(result.code).toBe(2);
        expect(result.stderr).toMatch(message);
        expect(result.stdout).toBe('');
      }
    },
  );

  it('a known filter with no match is still exit 0', async () => {
    const result = await zombiescan(['findings', '--person', 'E1', '--json'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([]);
  });

  it('--sort and --limit', async () => {
    const all = JSON.parse((await zombiescan(['findings', '--json'], { cwd: dir })).stdout) as { rule: string }[];
    expect(all.map((f) => f.rule)).toEqual(['terminated-still-active', 'orphan-account']);
    const byRule = await zombiescan(['findings', '--json', '--sort', 'rule', '--limit', '1'], { cwd: dir });
    expect((JSON.parse(byRule.stdout) as { rule: string }[]).map((f) => f.rule)).toEqual(['orphan-account']);
    const bad = await zombiescan(['findings', '--limit', '0'], { cwd: dir });
    expect(bad.code).toBe(2);
  });

  it("findings show ID gives the evidence and the rule's risk and remediation", async () => {
    const [first] = JSON.parse((await zombiescan(['findings', '--json'], { cwd: dir })).stdout) as { id: number }[];
    const shown = await zombiescan(['findings', 'show', String(first!.id)], { cwd: dir });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^Finding \d+: terminated-still-active — /);
    expect(shown.stdout).toMatch(/\nRisk: .+/);
    expect(shown.stdout).toMatch(/\nRemediation: .+/);
    expect(shown.stdout).toContain('employeeId: "E2"');
    const json = JSON.parse((await zombiescan(['findings', 'show', String(first!.id), '--json'], { cwd: dir })).stdout);
    expect(json.ruleInfo.remediation).toMatch(/disable/i);
    expect((await zombiescan(['findings', 'show', '999'], { cwd: dir })).code).toBe(2);
  });

  it('acknowledge ID from the CLI, once', async () => {
    const [, orphan] = JSON.parse((await zombiescan(['findings', '--json'], { cwd: dir })).stdout) as { id: number }[];
    const done = await zombiescan(['acknowledge', String(orphan!.id), '--by', 'alice', '--reason', 'SEC-1'], {
      cwd: dir,
    });
    expect(done.code).toBe(0);
    expect(done.stdout).toBe(`Finding ${orphan!.id} acknowledged by alice.\n`);
    const listed = JSON.parse(
      (await zombiescan(['findings', '--status', 'acknowledged', '--json'], { cwd: dir })).stdout,
    );
    expect(listed.map((f: { id: number }) => f.id)).toEqual([orphan!.id]);
    const again = await zombiescan(['acknowledge', String(orphan!.id)], { cwd: dir });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('only an open finding can be acknowledged');
  });
});

describe('exit codes', () => {
  it('a scan refused because another holds the lock exits 75 (EX_TEMPFAIL)', async () => {
    const dir = setup();
    expect((await zombiescan(['scan'], { cwd: dir })).code).toBe(0);
    const db = new Database(path.join(dir, 'z.db'));
    // A live process (this test runner) holds a running scan.
    db.prepare(
      `INSERT INTO runs (started_at, status, pid, roster_file, roster_people, roster_sha256, roster_change_accepted)
       VALUES (?, 'running', ?, 'hr.csv', 3, 'x', 0)`,
    ).run(new Date().toISOString(), process.pid);
    db.close();
    const result = await zombiescan(['scan'], { cwd: dir });
    expect(result.code).toBe(75);
    expect(result.stderr).toMatch(/another scan is running/);
  });

  it('doctor and scan agree: a refused roster is exit 2 for both', async () => {
    const dir = setup({ 'hr.csv': HR.replace('Bob,terminated', 'Bob,fired') });
    const doctor = await zombiescan(['doctor'], { cwd: dir });
    const scan = await zombiescan(['scan'], { cwd: dir });
    expect([doctor.code, scan.code]).toEqual([2, 2]);
    expect(doctor.stdout).toMatch(/unknown status "fired"/);
    expect(existsSync(path.join(dir, 'z.db'))).toBe(false);
  });

  it('an empty roster needs --accept-empty-roster; --accept-roster-change does not cover it', async () => {
    const dir = setup({ 'hr.csv': 'employee_id,email,status\n' });
    const refused = await zombiescan(['scan'], { cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--accept-empty-roster');
    expect(refused.stderr).not.toContain('--accept-roster-change');
    expect((await zombiescan(['scan', '--accept-roster-change'], { cwd: dir })).code).toBe(2);
    expect(existsSync(path.join(dir, 'z.db'))).toBe(false);
    expect((await zombiescan(['scan', '--accept-empty-roster'], { cwd: dir })).code).toBe(0);
  });
});

describe('Ctrl-C', () => {
  let server: Server;
  let requests = 0;
  beforeAll(async () => {
    // A SCIM app that never answers: the scan is stuck collecting it when Ctrl-C arrives.
    server = createServer(() => {
      requests++;
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it('says what happened, exits 130, keeps the previous results, and runs shows the run interrupted', async () => {
    const port = (server.address() as AddressInfo).port;
    const dir = setup({
      'zombiescan.yaml': `${CONFIG}  - { name: slow, type: scim, baseUrl: "http://127.0.0.1:${port}/scim/v2", token: "\${SCIM_TOKEN}" }\n`,
    });
    const env = { SCIM_TOKEN: 'test-token' };
    expect((await zombiescan(['scan', '--source', 'app'], { cwd: dir, env })).code).toBe(0);
    const before = requests;
    const result = await zombiescan(['scan'], {
      cwd: dir,
      env,
      onSpawn: (child) => {
        const poll = setInterval(() => {
          if (requests > before) {
            clearInterval(poll);
            child.kill('SIGINT');
          }
        }, 20);
      },
    });
    expect(result.code).toBe(130);
    expect(result.stderr).toContain('interrupted: nothing committed, previous results kept');
    const runs = JSON.parse((await zombiescan(['runs', '--json'], { cwd: dir, env })).stdout);
    expect(runs[0]).toMatchObject({ id: 2, status: 'interrupted' });
    for (const source of Object.values(runs[0].sources) as { status: string }[]) {
      expect(source.status).not.toBe('running');
    }
    expect(runs[1]).toMatchObject({ id: 1, status: 'complete' });
    expect(query<{ n: number }>(dir, `SELECT count(*) AS n FROM findings WHERE status = 'open'`)[0]!.n).toBe(2);
  });
});

describe('demo hints', () => {
  it('name a command that works right after npm ci (npx zombiescan …), and that command runs', async () => {
    const cwd = tempDir('zombiescan-demo-hint-');
    const demo = await zombiescan(['demo'], { cwd });
    expect(demo.code).toBe(0);
    const hint = /Explore: npx zombiescan (findings --db \S+)/.exec(demo.stdout);
    expect(hint).not.toBeNull();
    // `npx zombiescan` runs this package's bin; here the built binary stands in for it.
    const explored = await zombiescan(hint![1]!.split(' '), { cwd });
    expect(explored.code).toBe(0);
    expect(explored.stdout).toMatch(/\d+ findings\n$/);
  });
});
