import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../engine/helpers.js';
import { zombiescan } from './cli.js';

const HR = `employee_id,email,name,status,termination_date
E1,alice@acme.com,Alice,active,
E2,bob@acme.com,Bob,terminated,2026-01-31
E3,carol@acme.com,Carol,active,
`;
const APP = `id,login,email,status,last_login_at
a1,alice,alice@acme.com,active,2026-11-20T10:00:00Z
a2,bob,bob@acme.com,active,2026-11-20T10:00:00Z
a3,carol,carol@acme.com,active,2026-11-20T10:00:00Z
a4,"=HYPERLINK(""http://evil"")",mallory@evil.test,active,2026-11-20T10:00:00Z
`;
const CONFIG = `database: ./z.db
timezone: Europe/Berlin
roster: { path: ./hr.csv }
sources:
  - { name: app, type: csv, path: ./app.csv }
`;

function setup(files: Record<string, string> = {}): string {
  const dir = tempDir('zombiescan-e2e-');
  const all = { 'hr.csv': HR, 'app.csv': APP, 'zombiescan.yaml': CONFIG, ...files };
  for (const [name, content] of Object.entries(all)) writeFileSync(path.join(dir, name), content);
  return dir;
}

function count(dir: string, sql: string): number {
  const db = new Database(path.join(dir, 'z.db'), { readonly: true });
  try {
    return (db.prepare(sql).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('zombiescan CLI (built binary, child process)', () => {
  let dir: string;
  beforeEach(() => {
    dir = setup();
  });

  it('scan -> findings --json -> suppress -> report csv, with documented shapes and exit codes', async () => {
    const scan = await zombiescan(['scan'], { cwd: dir });
    expect(scan.stderr).toBe('');
    expect(scan.code).toBe(0);
    expect(scan.stdout).toMatch(/Scan #1 complete/);
    expect(scan.stdout).toMatch(/Open findings: 2/);

    const listed = await zombiescan(['findings', '--json'], { cwd: dir });
    expect(listed.code).toBe(0);
    const findings = JSON.parse(listed.stdout) as Record<string, unknown>[];
    expect(findings.map((f) => [f.rule, f.accountId, f.severity])).toEqual([
      ['terminated-still-active', 'a2', 'critical'],
      ['orphan-account', 'a4', 'high'],
    ]);
    for (const key of [
      'id',
      'rule',
      'severity',
      'status',
      'source',
      'accountId',
      'login',
      'email',
      'displayName',
      'personId',
      'firstSeen',
      'lastSeen',
      'message',
      'evidence',
    ]) {
      expect(findings[0]).toHaveProperty(key);
    }
    expect(findings[0]).toMatchObject({ personId: 'E2', status: 'open', source: 'app' });
    expect(findings[0]!.firstSeen).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);

    const id = String(findings[1]!.id);
    const suppressed = await zombiescan(
      ['suppress', id, '--reason', 'pen-test account', '--until', '2099-01-01', '--by', 'secops'],
      { cwd: dir },
    );
    expect(suppressed.code).toBe(0);
    expect((await zombiescan(['findings', '--json'], { cwd: dir })).stdout).not.toContain('"orphan-account"');
    const all = JSON.parse((await zombiescan(['findings', '--status', 'suppressed', '--json'], { cwd: dir })).stdout);
    expect(all).toMatchObject([{ id: Number(id), suppressedBy: 'secops', suppressReason: 'pen-test account' }]);
    expect((await zombiescan(['unsuppress', id], { cwd: dir })).code).toBe(0);

    const csv = await zombiescan(['report', 'findings', '--format', 'csv', '--out', 'out'], { cwd: dir });
    expect(csv.code).toBe(0);
    // README "Reports": --out DIR gets a dated name (the day in the config timezone).
    const [name] = readdirSync(path.join(dir, 'out'));
    expect(name).toMatch(/^zombiescan-findings-\d{4}-\d{2}-\d{2}\.csv$/);
    const text = readFileSync(path.join(dir, 'out', name!), 'utf8');
    expect(text.startsWith('\uFEFFid,severity,rule')).toBe(true);
    expect(text).toContain(`'=HYPERLINK(`);
    expect(text).not.toMatch(/,=HYPERLINK/);

    const runs = JSON.parse((await zombiescan(['runs', '--json'], { cwd: dir })).stdout);
    expect(runs).toMatchObject([
      { id: 1, status: 'complete', sources: { app: { status: 'complete', accounts: 4, error: null } } },
    ]);
  });

  it('exits 3 when --fail-on is met, 0 when it is not', async () => {
    expect((await zombiescan(['scan', '--fail-on', 'critical'], { cwd: dir })).code).toBe(3);
    const clean = setup({ 'app.csv': APP.split('\n').slice(0, 2).join('\n') + '\n' });
    expect((await zombiescan(['scan', '--fail-on', 'low'], { cwd: clean })).code).toBe(0);
  });

  it.each([
    ['a bad status', HR.replace('Bob,terminated', 'Bob,fired'), /hr\.csv:3: status: unknown status "fired"/],
    ['a duplicate employee id', HR.replace('E3,', 'E1,'), /hr\.csv:4: employee_id: duplicate/],
    ['an impossible date', HR.replace('2026-01-31', '2026-02-30'), /hr\.csv:3: termination_date: /],
    ['a missing column', HR.replace('employee_id,', 'id,'), /hr\.csv:1: .*employee_id/],
  ])('refuses a roster with %s: exit 2, file:line: column, nothing written', async (_name, hr, message) => {
    const bad = setup({ 'hr.csv': hr });
    const result = await zombiescan(['scan'], { cwd: bad });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
    // Refused before it began: not even a database file is left behind.
    expect(existsSync(path.join(bad, 'z.db'))).toBe(false);
  });

  it('a failed source exits 1, keeps the rest, and runs says why', async () => {
    await zombiescan(['scan'], { cwd: dir });
    writeFileSync(path.join(dir, 'app.csv'), APP + 'a5,x,x@acme.com,exploded,\n');
    const result = await zombiescan(['scan', '--json'], { cwd: dir });
    expect(result.code).toBe(1);
    const summary = JSON.parse(result.stdout);
    expect(summary.sources[0]).toMatchObject({ name: 'app', status: 'failed' });
    expect(summary.sources[0].error).toMatch(/app\.csv:6: status/);
    expect(count(dir, `SELECT count(*) AS n FROM findings WHERE status = 'open'`)).toBe(2);
  });

  it('the roster guard stops a 20%+ shrink with exit 2 unless accepted', async () => {
    await zombiescan(['scan'], { cwd: dir });
    writeFileSync(path.join(dir, 'hr.csv'), HR.split('\n').slice(0, 3).join('\n') + '\n');
    const refused = await zombiescan(['scan'], { cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/shrank by 33% \(3 -> 2 people\)/);
    expect(count(dir, 'SELECT count(*) AS n FROM runs')).toBe(1);
    expect((await zombiescan(['scan', '--accept-roster-change'], { cwd: dir })).code).toBe(0);
  });

  it('usage and config mistakes exit 2 with a clear message', async () => {
    const unknown = await zombiescan(['scan', '--fail-on', 'huge'], { cwd: dir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Allowed choices are low, medium, high, critical/);
    const noConfig = await zombiescan(['scan'], { cwd: tempDir() });
    expect(noConfig.code).toBe(2);
    expect(noConfig.stderr).toMatch(/zombiescan\.yaml: no such config file/);
    const noFinding = await zombiescan(['suppress', '999', '--reason', 'x', '--until', '2099-01-01'], { cwd: dir });
    expect(noFinding.code).toBe(2);
    expect((await zombiescan(['--help'], { cwd: dir })).code).toBe(0);
    expect((await zombiescan(['scan', '--help'], { cwd: dir })).stdout).toMatch(/Examples:/);
  });

  it('logs sentences for people, JSON lines only with --json or --log-format json', async () => {
    // A CSV source without last_login_at makes the scan warn once; stderr here is a pipe, not a terminal.
    writeFileSync(path.join(dir, 'app.csv'), 'id,login,email,status\na1,alice,alice@acme.com,active\n');
    const warning = /app: .*app\.csv has no last_login_at column: sign-in activity unknown/;

    const human = await zombiescan(['scan'], { cwd: dir });
    expect(human.code).toBe(0);
    const humanLines = human.stderr.trim().split('\n');
    expect(humanLines).toEqual([expect.stringMatching(/^warn: app: /)]);
    expect(humanLines[0]).toMatch(warning);
    expect(human.stderr).not.toMatch(/[{}"]/);

    for (const args of [
      ['--json', 'scan'],
      ['--log-format', 'json', 'scan'],
    ]) {
      const structured = await zombiescan(args, { cwd: dir });
      expect(structured.code).toBe(0);
      const lines = structured.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'warn', msg: expect.stringMatching(warning) });
    }

    const machineOutHumanLogs = await zombiescan(['--json', '--log-format', 'human', 'scan'], { cwd: dir });
    expect(machineOutHumanLogs.stderr).toMatch(/^warn: app: /);
    expect(JSON.parse(machineOutHumanLogs.stdout)).toBeTruthy();
    expect((await zombiescan(['--log-format', 'xml', 'scan'], { cwd: dir })).code).toBe(2);
  });

  it('creates the database with mode 0600', async () => {
    await zombiescan(['scan'], { cwd: dir });
    const { statSync } = await import('node:fs');
    expect(statSync(path.join(dir, 'z.db')).mode & 0o777).toBe(0o600);
  });

  it('init writes a starter config that refuses to be overwritten', async () => {
    const empty = tempDir();
    expect((await zombiescan(['init'], { cwd: empty })).code).toBe(0);
    expect(existsSync(path.join(empty, 'zombiescan.yaml'))).toBe(true);
    expect((await zombiescan(['init'], { cwd: empty })).code).toBe(2);
  });
});

describe('a scan killed half-way', () => {
  it('leaves the previous state intact and readable, and runs lists it as interrupted', async () => {
    const { startScimFake, makeScimUsers } = await import('../fakes/scim.js');
    const fake = await startScimFake({ users: makeScimUsers(400), maxPageSize: 50, latencyMs: 150, token: 'tok-e2e' });
    try {
      const dir = setup({
        'zombiescan.yaml': `${CONFIG}  - { name: zoom, type: scim, baseUrl: "${fake.baseUrl}", token: "\${ZOOM_TOKEN}" }\n`,
      });
      const env = { ZOOM_TOKEN: 'tok-e2e' };
      expect((await zombiescan(['scan'], { cwd: dir, env })).code).toBe(0);
      const before = count(dir, 'SELECT count(*) AS n FROM current_accounts');
      const findingsBefore = count(dir, `SELECT count(*) AS n FROM findings WHERE status = 'open'`);

      // Change the world, then kill the scan while the SCIM source is still paging.
      writeFileSync(
        path.join(dir, 'app.csv'),
        APP.replace('a2,bob,bob@acme.com,active', 'a2,bob,bob@acme.com,disabled'),
      );
      const pagesBefore = fake.state.requests.filter((r) => r.path === '/Users').length;
      const killed = await zombiescan(['scan'], {
        cwd: dir,
        env,
        onSpawn: (child) => {
          const timer = setInterval(() => {
            if (fake.state.requests.filter((r) => r.path === '/Users').length >= pagesBefore + 3) {
              clearInterval(timer);
              child.kill('SIGKILL');
            }
          }, 20);
        },
      });
      expect(killed.code).toBe(null);
      expect(count(dir, 'SELECT count(*) AS n FROM current_accounts')).toBe(before);
      expect(count(dir, `SELECT count(*) AS n FROM findings WHERE status = 'open'`)).toBe(findingsBefore);
      const listed = await zombiescan(['runs', '--json'], { cwd: dir });
      expect(listed.stderr).toBe('');
      const runs = JSON.parse(listed.stdout);
      expect(runs[0]).toMatchObject({ id: 2, status: 'interrupted' });

      // The next scan records the interruption, drops the dead run's rows, and applies the change.
      expect((await zombiescan(['scan'], { cwd: dir, env })).code).toBe(0);
      expect(count(dir, `SELECT count(*) AS n FROM accounts WHERE run_id = 2`)).toBe(0);
      expect(count(dir, `SELECT count(*) AS n FROM findings WHERE status = 'open'`)).toBe(findingsBefore - 1);
    } finally {
      await fake.close();
    }
  });
});
