import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../engine/helpers.js';
import { runCli } from '../reports/fixture.js';

/** Issue #20: `doctor` and `scan` agree on the exit code for the same problem — the roster guard included. */

const FIVE =
  'employee_id,email,status\nE1,a@acme.com,active\nE2,b@acme.com,active\nE3,c@acme.com,active\nE4,d@acme.com,active\nE5,e@acme.com,active\n';

function setup(roster: string): { dir: string; cli: (...args: string[]) => ReturnType<typeof runCli> } {
  const dir = tempDir('zombiescan-doctor-');
  writeFileSync(path.join(dir, 'hr.csv'), roster);
  writeFileSync(path.join(dir, 'app.csv'), 'id,login,email,status\na1,a,a@acme.com,active\n');
  const config = path.join(dir, 'zombiescan.yaml');
  writeFileSync(
    config,
    'database: ./z.db\nroster: { path: ./hr.csv }\nsources:\n  - { name: app, type: csv, path: ./app.csv }\n',
  );
  return { dir, cli: (...args) => runCli(['--config', config, ...args]) };
}

describe('doctor and scan agree on the roster guard', () => {
  it('an empty roster: both exit 2, neither creates a database', async () => {
    const { dir, cli } = setup('employee_id,email,status\n');
    const doctor = await cli('doctor');
    expect(doctor.code).toBe(2);
    expect(doctor.stdout).toContain('the HR roster is empty');
    expect(doctor.stdout).toContain('--accept-empty-roster');
    expect(existsSync(path.join(dir, 'z.db'))).toBe(false);
    expect((await cli('scan')).code).toBe(2);
    expect(existsSync(path.join(dir, 'z.db'))).toBe(false);
  });

  it('a roster that shrank by more than 20% against the last accepted one: both exit 2', async () => {
    const { dir, cli } = setup(FIVE);
    expect((await cli('doctor')).code).toBe(0);
    // doctor reads a database only when there is one.
    expect(existsSync(path.join(dir, 'z.db'))).toBe(false);
    expect((await cli('scan')).code).toBe(0);
    writeFileSync(path.join(dir, 'hr.csv'), 'employee_id,email,status\nE1,a@acme.com,active\n');
    const doctor = await cli('doctor');
    expect(doctor.code).toBe(2);
    expect(doctor.stdout).toContain('the HR roster shrank by 80% (5 -> 1 people)');
    const scan = await cli('scan');
    expect(scan.code).toBe(2);
    expect(scan.stderr).toContain('the HR roster shrank by 80%');
    expect((await cli('scan', '--accept-roster-change')).code).toBe(0);
    expect((await cli('doctor')).code).toBe(0);
  });
});
