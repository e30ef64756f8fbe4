import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { tempDir } from '../engine/helpers.js';

/**
 * Issue #20: report outputs land in one predictable place — stdout, or with `--out DIR` a dated file in DIR
 * (`zombiescan-<kind>[-<subject>]-<YYYY-MM-DD>.<ext>`, the day in the config timezone).
 */

// 03:00 UTC on the 6th is still the 5th in New York: the file is dated as the reader's calendar says.
const NOW = new Date('2026-12-06T03:00:00Z');
const DAY = '2026-12-05';

let dir: string;
let config: string;

async function cli(args: string[], options: { terminal?: boolean } = {}) {
  const stdout = new PassThrough() as PassThrough & { isTTY?: boolean };
  const stderr = new PassThrough();
  if (options.terminal) stdout.isTTY = true;
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const code = await main(['--config', config, ...args], {
    stdout: stdout as unknown as typeof process.stdout,
    stderr: stderr as unknown as typeof process.stderr,
    env: { NO_COLOR: '1' },
    now: () => NOW,
  });
  return { code, stdout: out, stderr: err };
}

beforeAll(async () => {
  dir = tempDir('zombiescan-report-output-');
  writeFileSync(
    path.join(dir, 'hr.csv'),
    'employee_id,email,name,status,termination_date\nE1,alice@acme.com,Alice,active,\nE2,bob@acme.com,Bob,terminated,2026-01-31\n',
  );
  writeFileSync(
    path.join(dir, 'app.csv'),
    'id,login,email,status\na1,alice,alice@acme.com,active\na2,bob,bob@acme.com,active\n',
  );
  config = path.join(dir, 'zombiescan.yaml');
  writeFileSync(
    config,
    'database: ./z.db\ntimezone: America/New_York\nroster: { path: ./hr.csv }\nsources:\n  - { name: app, type: csv, path: ./app.csv }\n',
  );
  expect((await cli(['scan'])).code).toBe(0);
});

describe('report outputs', () => {
  it('without --out every report is printed on stdout, and nothing is written', async () => {
    const before = readdirSync(dir).sort();
    const csv = await cli(['report', 'findings', '--format', 'csv']);
    expect(csv.stdout).toMatch(/^\uFEFFid,severity,rule/);
    const audit = await cli(['report', 'audit']);
    expect(audit.code, audit.stderr).toBe(0);
    expect(audit.stdout).toMatch(/^<!doctype html>/i);
    const termination = await cli(['report', 'termination', '--person', 'E2', '--format', 'json']);
    expect(JSON.parse(termination.stdout).person.employeeId).toBe('E2');
    expect((await cli(['report', 'audit', '--out', '-'])).stdout).toBe(audit.stdout);
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  it('an HTML report is not printed on a terminal: the refusal names --out', async () => {
    const result = await cli(['report', 'audit'], { terminal: true });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('the audit report is HTML: add --out DIR to write a dated file into DIR');
    // JSON is fine on a terminal.
    expect((await cli(['report', 'termination', '--person', 'E2', '--format', 'json'], { terminal: true })).code).toBe(
      0,
    );
  });

  it('--out DIR gets dated names, the day in the config timezone, and --json says which file', async () => {
    const out = path.join(dir, 'reports');
    const written: string[] = [];
    for (const args of [
      ['report', 'findings', '--format', 'csv'],
      ['report', 'findings', '--format', 'json'],
      ['report', 'findings', '--format', 'ocsf'],
      ['report', 'audit'],
      ['report', 'termination', '--person', 'E2'],
      ['report', 'termination', '--person', 'bob@acme.com', '--format', 'json'],
    ]) {
      const result = await cli(['--json', ...args, '--out', out]);
      expect(result.code, result.stderr).toBe(0);
      written.push(path.basename((JSON.parse(result.stdout) as { file: string }).file));
    }
    expect(written).toEqual([
      `zombiescan-findings-${DAY}.csv`,
      `zombiescan-findings-${DAY}.json`,
      `zombiescan-findings-${DAY}.ocsf.json`,
      `zombiescan-audit-${DAY}.html`,
      `zombiescan-termination-E2-${DAY}.html`,
      `zombiescan-termination-E2-${DAY}.json`,
    ]);
    expect(readdirSync(out).sort()).toEqual([...written].sort());
    expect(readFileSync(path.join(out, `zombiescan-findings-${DAY}.csv`), 'utf8')).toContain('terminated-still-active');
  });
});
