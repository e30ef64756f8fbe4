import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../engine/helpers.js';
import { zombiescan } from './cli.js';

interface Expected {
  rules: Record<
    string,
    {
      open: { source: string; accountId: string; personId: string | null; severity: string }[];
      excepted: { source: string; accountId: string }[];
    }
  >;
  clean: { source: string; accountId: string }[];
}

describe('zombiescan demo', () => {
  it('finds exactly the planted zombies of the demo company, and prints a summary', async () => {
    const cwd = tempDir('zombiescan-demo-');
    const result = await zombiescan(['demo'], { cwd });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Scan #1 complete/);
    // Google, GitHub, AWS and Entra ID are read by their real collectors from the loopback tenants, not from exports.
    expect(result.stdout).toMatch(/\n {2}google {6}complete {6}\d+ accounts\n/);
    expect(result.stdout).toMatch(/\n {2}github {6}complete {6}\d+ accounts {2}activity unknown\n/);
    expect(result.stdout).toMatch(/\n {2}aws {9}complete {7}\d+ accounts\n/);
    expect(result.stdout).toMatch(/\n {2}entra {7}complete {8}\d+ accounts\n/);
    expect(existsSync(path.join(cwd, 'zombiescan-demo', 'data', 'github.csv'))).toBe(false);
    expect(result.stdout).toMatch(/Open findings: \d+ {2}\(\d+ critical · \d+ high · \d+ medium · \d+ low\)/);
    expect(result.stdout).toMatch(/Critical\n {2}#\d+ \[terminated-still-active/);
    expect(result.stdout).toContain('Findings CSV: zombiescan-demo/findings.csv');
    expect(existsSync(path.join(cwd, 'zombiescan-demo', 'findings.csv'))).toBe(true);

    const expected = JSON.parse(
      readFileSync(path.resolve(import.meta.dirname, '../../src/demo/data/expected.json'), 'utf8'),
    ) as Expected;
    const db = new Database(path.join(cwd, 'zombiescan-demo', 'zombiescan.db'), { readonly: true });
    const rows = db.prepare('SELECT rule, source, account_id, person_id, severity, status FROM findings').all() as {
      rule: string;
      source: string;
      account_id: string;
      person_id: string | null;
      severity: string;
      status: string;
    }[];
    db.close();

    const actual = rows.map((r) => `${r.rule} ${r.source}/${r.account_id} ${r.status} ${r.severity} ${r.person_id}`);
    const planted = Object.entries(expected.rules).flatMap(([rule, { open, excepted }]) => [
      ...open.map((f) => `${rule} ${f.source}/${f.accountId} open ${f.severity} ${f.personId}`),
      ...excepted.map((f) => `${rule} ${f.source}/${f.accountId} suppressed`),
    ]);
    const withoutSeverity = (line: string) => (line.includes(' suppressed') ? line.split(' suppressed')[0] : line);
    expect(actual.map(withoutSeverity).sort()).toEqual(planted.map(withoutSeverity).sort());

    const flagged = new Set(rows.map((r) => `${r.source}/${r.account_id}`));
    const falseAlarms = expected.clean.filter((c) => flagged.has(`${c.source}/${c.accountId}`));
    expect(falseAlarms).toEqual([]);
  });
});
