import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../engine/helpers.js';
import { zombiescan } from './cli.js';

// bob left on 2026-01-31 and signed in to the app on 2026-11-20: used after termination. mallory matches no one
// and a standing exception covers her; nina matches no one and has no exception.
const HR = `employee_id,email,name,status,termination_date
E1,alice@acme.com,Alice,active,
E2,bob@acme.com,Bob,terminated,2026-01-31
`;
const APP = `id,login,email,status,last_login_at
a1,alice,alice@acme.com,active,2026-11-20T10:00:00Z
a2,bob,bob@acme.com,active,2026-11-20T10:00:00Z
a3,mallory,mallory@contractor.test,active,2026-11-20T10:00:00Z
a4,nina,nina@contractor.test,active,2026-11-20T10:00:00Z
`;
const CONFIG = `database: ./z.db
timezone: Europe/Berlin
roster: { path: ./hr.csv }
sources:
  - { name: app-production-eu, type: csv, path: ./app.csv }
exceptions:
  - { source: app-production-eu, login: mallory, reason: pen-test account, owner: E1, expires: 2099-01-01 }
`;

function setup(): string {
  const dir = tempDir('zombiescan-present-');
  for (const [name, content] of Object.entries({ 'hr.csv': HR, 'app.csv': APP, 'zombiescan.yaml': CONFIG })) {
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

/** "(412 ms)" or "(1.3 s)" in milliseconds. */
function shownMs(line: string): number {
  const match = /\((\d+(?:\.\d+)?) (ms|s)\)$/.exec(line);
  if (!match) throw new Error(`no duration in: ${line}`);
  return Number(match[1]) * (match[2] === 's' ? 1000 : 1);
}

describe('say the alarming thing first (built binary)', () => {
  it('scan leads with use after termination, explains its numbers, and times the whole command', async () => {
    const dir = setup();
    const scan = await zombiescan(['scan'], { cwd: dir });
    expect(scan.stderr).toBe('');
    expect(scan.code).toBe(0);
    const lines = scan.stdout.split('\n');
    expect(lines[0]).toMatch(/^Scan #1 complete at \d{4}-\d\d-\d\d \d\d:\d\d UTC \(\d/);
    expect(lines[1]).toBe("ALERT: 1 account used after its owner's termination (finding #1)");
    expect(scan.stdout).toContain('Open findings: 2  (1 critical · 1 high · 0 medium · 0 low)');
    // 3 found: 2 open, 1 covered by the standing exception; the open total adds up.
    expect(scan.stdout).toContain('  This scan: 2 new, 1 suppressed by an exception, 0 resolved\n');
    expect(scan.stdout).toMatch(
      /#1 \[terminated-still-active · app-production-eu\] Used after termination: bob@acme\.com/,
    );

    // The duration is the command's (node start, config, roster), not only the scan's own start to finish.
    const [run] = JSON.parse((await zombiescan(['runs', '--json'], { cwd: dir })).stdout) as {
      startedAt: string;
      finishedAt: string;
    }[];
    const scanOnly = Date.parse(run!.finishedAt) - Date.parse(run!.startedAt);
    expect(shownMs(lines[0]!)).toBeGreaterThan(scanOnly + 50);
  });

  it('findings --status all: STATUS, the suppression in full, the login searched for, nothing cut', async () => {
    const dir = setup();
    await zombiescan(['scan'], { cwd: dir });
    const all = await zombiescan(['findings', '--status', 'all'], { cwd: dir, env: { COLUMNS: '200' } });
    expect(all.code).toBe(0);
    const rows = all.stdout.split('\n').filter((line) => line.startsWith('│'));
    expect(rows[0]).toMatch(
      /^│ ID │ SEVERITY │ STATUS +│ RULE +│ SOURCE +│ ACCOUNT \/ KEY +│ OWNER │ FIRST SEEN │ WHY/,
    );
    // The login first, the email on the line below it.
    expect(all.stdout).toMatch(/│ open +│ terminated-still-active │ app-production-eu │ bob +│ E2/);
    expect(all.stdout).toMatch(/│ +│ \(bob@acme\.com\) +│/);
    expect(all.stdout).toMatch(/│ suppressed │ orphan-account +│ app-production-eu │ mallory +│ none/);
    expect(all.stdout).toMatch(/│ +│ \(mallory@contractor\.test\) +│/);
    expect(all.stdout).toMatch(/Suppressed until the end of 2099-01-01, Europe\/Berlin by E1: pen-test/);
    expect(all.stdout).not.toContain('…');
    for (const line of all.stdout.split('\n')) expect([...line].length).toBeLessThanOrEqual(200);

    // Plain `findings`: open only, no STATUS column.
    const open = await zombiescan(['findings'], { cwd: dir, env: { COLUMNS: '200' } });
    expect(open.stdout.split('\n')[1]).not.toContain('STATUS');

    const json = JSON.parse((await zombiescan(['findings', '--json'], { cwd: dir })).stdout) as Record<
      string,
      unknown
    >[];
    expect(json.map((finding) => [finding.rule, finding.severity, finding.usedAfterTermination])).toEqual([
      ['terminated-still-active', 'critical', true],
      ['orphan-account', 'high', false],
    ]);
  });
});
