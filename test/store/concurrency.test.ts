import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { closeDatabase, openDatabase } from '../../src/store/database.js';
import { readJournal, verifyJournal } from '../../src/store/journal.js';
import { tempDir } from '../engine/helpers.js';
import { zombiescan } from '../e2e/cli.js';
import { freshPostgresUrl, useEngines } from './engines.js';

/**
 * What SQLite never faced: several processes on one PostgreSQL database at once, through the built code (dist/, as
 * `npm test` builds it first) in real child processes.
 */

vi.setConfig({ testTimeout: 240_000, hookTimeout: 180_000 });
useEngines();

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The URL without its password (configs must not hold one) and the password for PGPASSWORD. */
function split(url: string): { url: string; password: string } {
  const parsed = new URL(url);
  const password = decodeURIComponent(parsed.password);
  parsed.password = '';
  return { url: parsed.toString().replace(':@', '@'), password };
}

function runNode(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

const PEOPLE = 300;
const PER_PROCESS = 150;

function hr(): string {
  const rows = ['employee_id,email,name,status,termination_date'];
  for (let i = 0; i < PEOPLE; i++) {
    rows.push(
      `E${i},p${i}@acme.com,Person ${i},${i % 7 === 0 ? 'terminated' : 'active'},${i % 7 === 0 ? '2026-01-31' : ''}`,
    );
  }
  return rows.join('\n') + '\n';
}

/** An app export: most people, a few strangers, some long idle. */
function app(name: string, seed: number): string {
  const rows = ['id,login,email,status,last_login_at'];
  for (let i = 0; i < PEOPLE; i++) {
    if ((i + seed) % 5 === 0) continue;
    const idle = (i + seed) % 3 === 0 ? '2025-01-01T00:00:00Z' : '2026-11-20T10:00:00Z';
    rows.push(`${name}-${i},p${i},p${i}@acme.com,active,${idle}`);
  }
  for (let i = 0; i < 20; i++) rows.push(`${name}-x${i},stranger${i},stranger${i}@elsewhere.test,active,`);
  return rows.join('\n') + '\n';
}

function config(sources: readonly string[]): string {
  return `database: \${ZS_DB}\nroster: { path: ./hr.csv }\nsources:\n${sources
    .map((source) => `  - { name: ${source}, type: csv, path: ./${source}.csv }`)
    .join('\n')}\n`;
}

describe('PostgreSQL: several processes on one database', () => {
  it('two scanners of different sources in parallel produce exactly the findings one scanner would', async () => {
    const dir = tempDir('zs-two-scanners-');
    const sources = ['app1', 'app2', 'app3', 'app4'];
    writeFileSync(path.join(dir, 'hr.csv'), hr());
    sources.forEach((source, index) => writeFileSync(path.join(dir, `${source}.csv`), app(source, index)));
    writeFileSync(path.join(dir, 'one.yaml'), config(sources));
    writeFileSync(path.join(dir, 'a.yaml'), config(sources.slice(0, 2)));
    writeFileSync(path.join(dir, 'b.yaml'), config(sources.slice(2)));

    const sharedUrl = freshPostgresUrl();
    const singleUrl = freshPostgresUrl();
    const shared = split(sharedUrl);
    const single = split(singleUrl);
    const env = (db: { url: string; password: string }) => ({ ZS_DB: db.url, PGPASSWORD: db.password });
    const [a, b] = await Promise.all([
      zombiescan(['--config', 'a.yaml', 'scan'], { cwd: dir, env: env(shared) }),
      zombiescan(['--config', 'b.yaml', 'scan'], { cwd: dir, env: env(shared) }),
    ]);
    expect(a.stderr).toBe('');
    expect(b.stderr).toBe('');
    const one = await zombiescan(['--config', 'one.yaml', 'scan'], { cwd: dir, env: env(single) });
    expect([a.code, b.code, one.code]).toEqual([one.code, one.code, one.code]);

    const findingsOf = (target: string) => {
      const db = openDatabase(target);
      try {
        return {
          findings: db
            .prepare(
              `SELECT rule, source, account_id, status, severity, person_id FROM findings
               ORDER BY rule, source, account_id`,
            )
            .all(),
          runs: db.prepare(`SELECT status FROM runs ORDER BY id`).pluck().all(),
          snapshots: db
            .prepare(
              `SELECT s.name, (SELECT count(*) FROM current_accounts c WHERE c.source = s.name) AS accounts
               FROM sources s ORDER BY s.name`,
            )
            .all(),
        };
      } finally {
        closeDatabase(db);
      }
    };
    const two = findingsOf(sharedUrl);
    const alone = findingsOf(singleUrl);
    expect(alone.findings.length).toBeGreaterThan(50);
    expect(two.findings).toEqual(alone.findings);
    expect(two.snapshots).toEqual(alone.snapshots);
    expect(two.runs).toEqual(['complete', 'complete']);
  });

  it('concurrent journal appenders in four processes keep one chain: no gap, no fork', async () => {
    const url = freshPostgresUrl();
    const script = `
      import { openDatabase } from ${JSON.stringify(path.join(ROOT, 'dist/src/store/database.js'))};
      import { appendEntry } from ${JSON.stringify(path.join(ROOT, 'dist/src/store/journal.js'))};
      const db = openDatabase(process.env.ZS_DB);
      for (let i = 0; i < ${PER_PROCESS}; i++) {
        appendEntry(db, { at: new Date(), kind: 'decision', actor: process.env.ACTOR, reason: 'r' + i });
      }
      db.close();
    `;
    const results = await Promise.all(
      ['p1', 'p2', 'p3', 'p4'].map((actor) => runNode(script, { ZS_DB: url, ACTOR: actor })),
    );
    expect(results.map((result) => result.stderr)).toEqual(['', '', '', '']);
    expect(results.map((result) => result.code)).toEqual([0, 0, 0, 0]);
    const db = openDatabase(url);
    expect(verifyJournal(db)).toEqual({ ok: true, rows: 4 * PER_PROCESS, authenticated: false });
    const rows = readJournal(db);
    expect(rows.map((row) => row.id)).toEqual(Array.from({ length: 4 * PER_PROCESS }, (_, index) => index + 1));
    // Interleaved: the appenders really ran at the same time.
    const turns = rows.filter((row, index) => index > 0 && rows[index - 1]!.actor !== row.actor).length;
    expect(turns).toBeGreaterThan(3);
    closeDatabase(db);
  });
});
