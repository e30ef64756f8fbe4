import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './engine/helpers.js';
import { runCli } from './reports/fixture.js';

/**
 * README "From your exports": every example config under examples/exports/ is scanned, as shipped, against its sample
 * export and the sample roster (which needs `roster.statusMap` for "Resigned"). Each sample holds the same five
 * people, so each mapping must yield exactly the same zombies: Dave (terminated, account enabled, used after his last
 * day) and Mallory (no one in HR); Bob resigned but his account is disabled or suspended in the export, so nothing.
 */

const EXAMPLES = path.resolve(import.meta.dirname, '../examples/exports');
const NOW = new Date('2026-12-01T12:00:00Z');

const examples = readdirSync(EXAMPLES).filter((name) => name.endsWith('.yaml'));

/** Dave's last sign-in, as each export writes it, read in the zone the example names. */
const DAVE_LAST_ACTIVE: Record<string, string> = {
  // "2026-11-12 09:30:00 UTC"
  'github-enterprise-server.yaml': '2026-11-12T09:30:00.000Z',
  // "11/12/2026, 9:30 AM" and "12 Nov 2026 09:30:00" in Europe/Berlin (UTC+1 in November)
  'salesforce.yaml': '2026-11-12T08:30:00.000Z',
  'atlassian.yaml': '2026-11-12T08:30:00.000Z',
};

describe('the example configs of README "From your exports"', () => {
  it('are all tested here', () => {
    expect(examples.sort()).toEqual(Object.keys(DAVE_LAST_ACTIVE).sort());
  });

  it.each(examples)('%s: doctor passes, and the scan finds exactly the planted zombies', async (name) => {
    const config = path.join(EXAMPLES, name);
    const db = path.join(tempDir('zombiescan-example-'), 'zombiescan.db');
    const cli = (...args: string[]) => runCli(['--config', config, '--db', db, ...args], NOW);

    const doctor = await cli('doctor');
    expect(doctor.code, doctor.stdout + doctor.stderr).toBe(0);
    expect(doctor.stdout).toContain('5 accounts, every row valid');

    const scan = await cli('scan');
    expect(scan.code, scan.stderr).toBe(0);

    const findings = JSON.parse((await cli('--json', 'findings')).stdout) as {
      rule: string;
      personId: string | null;
      email: string | null;
      evidence: { lastActivityAt?: string; usedAfterTermination?: boolean };
    }[];
    expect(findings.map((f) => [f.rule, f.personId ?? f.email])).toEqual([
      ['terminated-still-active', 'E4'],
      ['orphan-account', 'mallory@personal.example'],
    ]);
    expect(findings[0]!.evidence).toMatchObject({
      lastActivityAt: DAVE_LAST_ACTIVE[name],
      usedAfterTermination: true,
    });
  });
});
