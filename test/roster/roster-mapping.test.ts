import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRoster, type RosterOptions } from '../../collectors/hr-roster/index.js';
import { parseConfig } from '../../src/config/config.js';

const dir = mkdtempSync(path.join(tmpdir(), 'zombiescan-roster-map-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let count = 0;
function options(content: string, overrides: Partial<RosterOptions> = {}): RosterOptions {
  const file = path.join(dir, `roster-${++count}.csv`);
  writeFileSync(file, content);
  return { path: file, columns: {}, delimiter: ',', headers: {}, timeoutSeconds: 120, ...overrides };
}

const HR_WORDS = [
  'employee_id,email,status',
  'E1,a@example.com,Resigned',
  'E2,b@example.com,Retired',
  'E3,c@example.com,Terminated - Voluntary',
  'E4,d@example.com,Garden Leave',
  'E5,e@example.com,Pre-hire',
  'E6,f@example.com,Active',
].join('\n');

describe('roster.statusMap', () => {
  it('refuses HR words outside the built-in list, naming roster.statusMap', async () => {
    await expect(loadRoster(options(HR_WORDS), 'UTC')).rejects.toThrow(
      /unknown status "Resigned" .*or map it with roster\.statusMap: \{ "Resigned": active\|leave\|terminated \}\) \(and 4 more problems/,
    );
  });

  it('makes such a roster acceptable by config, compared like built-in words (case, spaces, - and _)', async () => {
    const statusMap = {
      resigned: 'terminated',
      RETIRED: 'terminated',
      Terminated_Voluntary: 'terminated',
      'Garden Leave': 'leave',
      'Pre-hire': 'active',
    } as const;
    const people = await loadRoster(options(HR_WORDS, { statusMap }), 'UTC');
    expect(people.map((p) => [p.employeeId, p.status])).toEqual([
      ['E1', 'terminated'],
      ['E2', 'terminated'],
      ['E3', 'terminated'],
      ['E4', 'leave'],
      ['E5', 'active'],
      ['E6', 'active'],
    ]);
  });

  it('overrides a built-in word when the HR system means something else by it', async () => {
    const people = await loadRoster(
      options('employee_id,email,status\nE1,a@example.com,Inactive\n', { statusMap: { Inactive: 'leave' } }),
      'UTC',
    );
    expect(people[0]!.status).toBe('leave');
  });

  it('is accepted by the config loader and refuses a target outside active/leave/terminated', () => {
    const file = path.join(dir, 'z.yaml');
    const ok = parseConfig('roster:\n  path: hr.csv\n  statusMap: { "Garden Leave": leave }\n', file, {});
    expect(ok.roster.statusMap).toEqual({ 'Garden Leave': 'leave' });
    expect(() => parseConfig('roster:\n  path: hr.csv\n  statusMap: { "Garden Leave": away }\n', file, {})).toThrow(
      /roster\.statusMap\.Garden Leave/,
    );
  });
});

describe('roster header hints', () => {
  it('names roster.delimiter when the header is visibly ;-separated', async () => {
    await expect(loadRoster(options('employee_id;email;status\nE1;a@x.com;active\n'), 'UTC')).rejects.toThrow(
      'the header looks ";"-separated: set roster.delimiter: ";"',
    );
  });

  it('names roster.columns for a known alias of a required column', async () => {
    await expect(
      loadRoster(options('Employee Number,Work Email,Employment Status\nE1,a@x.com,active\n'), 'UTC'),
    ).rejects.toThrow('"Employee Number" looks like it: set roster.columns.employeeId: "Employee Number"');
  });
});
