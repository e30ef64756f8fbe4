import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../engine/helpers.js';
import { runCli } from '../reports/fixture.js';

/**
 * Issue #20: times the user typed come back as they typed them. `--until 2027-01-31` and an exception's
 * `expires: 2027-01-31` are the end of that day in the config timezone (2027-02-01T05:00Z in New York): every view
 * says "until the end of 2027-01-31, America/New_York", never the converted instant of another day.
 */

const TYPED = 'the end of 2027-01-31, America/New_York';
const NOW = new Date('2026-12-06T15:00:00Z');

let config: string;
let ids: { bob: number; mallory: number };

const cli = (...args: string[]) => runCli(['--config', config, ...args], NOW);
const json = async (...args: string[]) => {
  const result = await cli('--json', ...args);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout);
};

beforeAll(async () => {
  const dir = tempDir('zombiescan-typed-');
  writeFileSync(
    path.join(dir, 'hr.csv'),
    'employee_id,email,name,status,termination_date\nE1,alice@acme.com,Alice,active,\nE2,bob@acme.com,Bob,terminated,2026-01-31\n',
  );
  writeFileSync(
    path.join(dir, 'app.csv'),
    'id,login,email,status,privileged\na1,alice,alice@acme.com,active,false\na2,bob,bob@acme.com,active,false\n' +
      'a4,mallory,mallory@evil.test,active,false\n',
  );
  config = path.join(dir, 'zombiescan.yaml');
  writeFileSync(
    config,
    `database: ./z.db
timezone: America/New_York
roster: { path: ./hr.csv }
sources:
  - { name: app, type: csv, path: ./app.csv }
exceptions:
  - { source: app, login: mallory, reason: "Vendor, reviewed", owner: E1, expires: 2027-01-31 }
`,
  );
  expect((await cli('scan')).code).toBe(0);
  const findings = (await json('findings', '--status', 'all')) as { id: number; login: string }[];
  ids = {
    bob: findings.find((f) => f.login === 'bob')!.id,
    mallory: findings.find((f) => f.login === 'mallory')!.id,
  };
});

describe('times typed by the user are shown as typed', () => {
  it('an exception expires: date is shown as the end of that day in the config timezone', async () => {
    const shown = await cli('findings', 'show', String(ids.mallory));
    expect(shown.stdout).toContain(`status       suppressed until ${TYPED} (Vendor, reviewed, by E1)`);
    expect(shown.stdout).not.toContain('2027-02-01');
    const [finding] = await json('findings', '--status', 'suppressed');
    // Scripts keep the instant (ISO 8601 UTC) and get what was typed beside it.
    expect(finding).toMatchObject({
      suppressedUntil: '2027-02-01T05:00:00.000Z',
      suppressedUntilAsTyped: { value: '2027-01-31', timezone: 'America/New_York' },
    });
  });

  it('suppress --until DATE confirms, shows and keeps the typed day across scans', async () => {
    const done = await cli(
      'suppress',
      String(ids.bob),
      '--reason',
      'legal hold',
      '--until',
      '2027-01-31',
      '--by',
      'me',
    );
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toBe(`Finding ${ids.bob} suppressed until ${TYPED} by me.\n`);
    expect((await cli('scan')).code).toBe(0);
    const shown = await cli('findings', 'show', String(ids.bob));
    expect(shown.stdout).toContain(`suppressed until ${TYPED} (legal hold, by me)`);
    const plan = (await json('remediate', '--plan', '--finding', String(ids.bob))) as { reason: string }[];
    expect(plan[0]!.reason).toContain(`until ${TYPED}`);
  });

  it('a date-time is shown exactly as it was written', async () => {
    const typed = '2027-01-31T17:00:00+01:00';
    const done = await cli('suppress', String(ids.bob), '--reason', 'legal hold', '--until', typed, '--by', 'me');
    expect(done.stdout).toBe(`Finding ${ids.bob} suppressed until ${typed} by me.\n`);
    const [finding] = (await json('findings', '--status', 'suppressed', '--rule', 'terminated-still-active')) as {
      suppressedUntil: string;
    }[];
    expect(finding!.suppressedUntil).toBe('2027-01-31T16:00:00.000Z');
    // Back to the date for the reports below.
    await cli('suppress', String(ids.bob), '--reason', 'legal hold', '--until', '2027-01-31', '--by', 'me');
  });

  it('reports: the findings CSV and the audit report say the typed day; --since shows the typed day', async () => {
    const csv = await cli('report', 'findings', '--format', 'csv', '--status', 'suppressed');
    expect(csv.stdout.split('\r\n')[0]).toMatch(/,suppressed_until_as_typed,/);
    expect(csv.stdout).toContain(`,"${TYPED}"`);
    const audit = await cli('report', 'audit', '--since', '2026-01-01', '--out', '-');
    expect(audit.code, audit.stderr).toBe(0);
    const suppressions = audit.stdout.slice(audit.stdout.indexOf('Suppressions and standing exceptions'));
    // Both suppressions and the standing exception, each with the typed day; no converted instant of Feb 1.
    expect(suppressions.split(TYPED).length - 1).toBe(3);
    expect(suppressions).not.toContain('2027-02-01');
    // --since is the start of the typed day there (an instant shown in the zone: the same day).
    expect(audit.stdout).toMatch(/since 2026-01-01 00:00/);
  });
});
