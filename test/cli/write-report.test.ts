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

  it('written chunk by chunk, leave nothing behind when the chunks fail half way, and no old report replaced', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'zs-report-'));
    writeReport(dir, 'findings.csv', 'yesterday\n');
    function* failing(): Generator<string> {
      yield 'id,severity\n';
      throw new Error('database gone');
    }
    expect(() => writeReport(dir, 'findings.csv', failing())).toThrow('database gone');
    expect(readdirSync(dir)).toEqual(['findings.csv']);
    expect(readFileSync(path.join(dir, 'findings.csv'), 'utf8')).toBe('yesterday\n');

    const file = writeReport(dir, 'findings.csv', ['id,severity\n', '1,high\n']);
    expect(readFileSync(file, 'utf8')).toBe('id,severity\n1,high\n');
  });
});
