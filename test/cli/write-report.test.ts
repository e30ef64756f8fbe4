import { mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeReport } from '../../src/cli/commands/report.js';

describe('report files', () => {
  it('never write through a symlink planted at a predictable temporary name', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'zs-report-'));
    const victim = path.join(dir, 'victim.txt');
    writeFileSync(victim, 'precious');
    // What an attacker who can write the --out folder plants for the next report (the old name used the pid).
    symlinkSync(victim, path.join(dir, `termination.json.${process.pid}.tmp`));
    const file = writeReport(dir, 'termination.json', '{"report":true}\n');
    expect(readFileSync(victim, 'utf8')).toBe('precious');
    expect(readFileSync(file, 'utf8')).toBe('{"report":true}\n');
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp') && !name.includes(String(process.pid)))).toEqual([]);
  });
});
