import { closeSync, chmodSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { ConfigError, ZombiescanError } from '../contract/errors.js';
import type { Db, Engine } from './engine.js';
import { MIGRATIONS } from './migrations.js';
import { POSTGRES_MIGRATIONS } from './migrations-postgres.js';
import { asDb, PostgresDb, PostgresError } from './postgres.js';

export type { Db, Engine } from './engine.js';

/** The schema this build writes: one more with every migration. A database at a higher version is refused. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** The oldest PostgreSQL the store is tested against (ON CONFLICT, identity columns, EXECUTE FUNCTION). */
export const MIN_POSTGRES_VERSION = 13;

/** True for a `postgres://` or `postgresql://` URL: the `database:` setting then names a PostgreSQL database. */
export function isPostgresUrl(target: string): boolean {
  return /^postgres(ql)?:\/\//i.test(target.trim());
}

/** The URL without its password, for messages and logs. */
export function describeDatabase(target: string): string {
  if (!isPostgresUrl(target)) return target;
  try {
    const url = new URL(target);
    if (url.password) url.password = '';
    return url.toString().replace(/:@/, '@');
  } catch {
    return 'postgres://(unparseable URL)';
  }
}

/** The SQL text of migration `version` (1-based) for an engine: its PostgreSQL variant, or the portable text. */
export function migrationSql(version: number, engine: Engine): string {
  if (engine === 'postgres') return POSTGRES_MIGRATIONS[version] ?? MIGRATIONS[version - 1]!;
  return MIGRATIONS[version - 1]!;
}

/**
 * Opens the store named by the `database:` setting: a PostgreSQL URL, or a SQLite file (created if needed), and
 * applies every pending migration.
 */
export function openDatabase(target: string): Db {
  return isPostgresUrl(target) ? openPostgres(target) : openSqlite(target);
}

/**
 * SQLite: file mode 0600 before SQLite touches it (it holds who left and which accounts are exposed), WAL so readers
 * never block the scan.
 */
function openSqlite(file: string): Db {
  if (file !== ':memory:') {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    try {
      if (statSync(file, { throwIfNoEntry: false })?.isDirectory()) {
        throw new ConfigError(`${file}: database path is a directory`);
      }
      closeSync(openSync(file, 'a', 0o600));
      chmodSync(file, 0o600);
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      throw new ConfigError(`${file}: cannot open database: ${(error as NodeJS.ErrnoException).code ?? error}`);
    }
  }
  const sqlite = new Database(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const db = Object.assign(sqlite, { engine: 'sqlite' as const }) as unknown as Db;
  try {
    migrate(db);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/** Connection failures the user fixes in the config or on the server (exit 2); anything else is runtime (exit 1). */
const CONFIG_SQLSTATES: Record<string, string> = {
  '28P01': 'wrong password for this role (set it in the URL through ${VAR}, or PGPASSWORD)',
  '28000': 'the server refuses this role (pg_hba.conf, or no such role)',
  '3D000': 'no such database (create it first: CREATE DATABASE ... OWNER <role>)',
  '42501': 'the role may not create tables here: grant it CREATE on the schema (see README "PostgreSQL")',
};

function openPostgres(url: string): Db {
  const label = describeDatabase(url);
  const pg = new PostgresDb(label);
  const fail = (error: unknown): never => {
    pg.close();
    if (error instanceof ZombiescanError) throw error;
    const code = error instanceof PostgresError ? error.code : undefined;
    const message = error instanceof Error ? error.message : String(error);
    const known = code ? CONFIG_SQLSTATES[code] : undefined;
    if (known) throw new ConfigError(`${label}: ${known}: ${message}`);
    if (/invalid url|sslmode|self[- ]signed|certificate/i.test(message)) {
      throw new ConfigError(`${label}: ${message}`);
    }
    throw new ZombiescanError(`${label}: cannot use the PostgreSQL database: ${message}`, 1);
  };
  try {
    pg.connect(url);
    const version = Number(pg.prepare('SHOW server_version_num').pluck().get());
    if (version < MIN_POSTGRES_VERSION * 10_000) {
      throw new ConfigError(
        `${label}: PostgreSQL ${Math.floor(version / 10_000)} is too old: zombiescan needs ${MIN_POSTGRES_VERSION} or newer`,
      );
    }
    // Timestamps are stored as ISO text; the session's time zone must not leak into anything the server computes.
    pg.exec(`SET TIME ZONE 'UTC'`);
    const db = asDb(pg);
    migrate(db);
    return db;
  } catch (error) {
    return fail(error);
  }
}

/** The schema version a database is at: `PRAGMA user_version` in SQLite, the zombiescan_schema row in PostgreSQL. */
export function schemaVersion(db: Db): number {
  if (db.engine === 'sqlite')
    return (db as unknown as Database.Database).pragma('user_version', { simple: true }) as number;
  return Number(db.prepare('SELECT version FROM zombiescan_schema').pluck().get() ?? 0);
}

function setSchemaVersion(db: Db, version: number): void {
  if (db.engine === 'sqlite') {
    (db as unknown as Database.Database).pragma(`user_version = ${version}`);
  } else {
    db.prepare('UPDATE zombiescan_schema SET version = ?').run(version);
  }
}

/** Each migration in its own transaction (PostgreSQL DDL is transactional too): never half applied. */
function migrate(db: Db): void {
  if (db.engine === 'postgres') {
    // Two processes opening a new database at once: one migrates, the other then finds it current.
    db.transaction(() => {
      db.exec(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
      db.exec('CREATE TABLE IF NOT EXISTS zombiescan_schema (version BIGINT NOT NULL)');
      db.exec('INSERT INTO zombiescan_schema (version) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM zombiescan_schema)');
    })();
  }
  const current = schemaVersion(db);
  if (current > SCHEMA_VERSION) {
    throw new ConfigError(
      `${db.name}: database schema version ${current} is newer than this zombiescan (${SCHEMA_VERSION}): ` +
        'upgrade zombiescan, or point --db at another database',
    );
  }
  for (let version = current + 1; version <= SCHEMA_VERSION; version++) {
    db.transaction(() => {
      if (db.engine === 'postgres') {
        db.exec(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
        if (schemaVersion(db) >= version) return;
      }
      db.exec(migrationSql(version, db.engine));
      setSchemaVersion(db, version);
    })();
  }
}

/** One line for `doctor`: which engine, where, which server version, which schema version. */
export function describeStore(db: Db): string {
  if (db.engine === 'sqlite') return `SQLite ${db.name}, schema version ${schemaVersion(db)}`;
  const server = String(db.prepare('SHOW server_version').pluck().get()).split(' ')[0];
  return `PostgreSQL ${server} at ${db.name}, schema version ${schemaVersion(db)}`;
}

/** Advisory lock keys (PostgreSQL): one number per thing serialised across processes. */
const MIGRATION_LOCK = 0x7a5c_0001;

export function closeDatabase(db: Db): void {
  db.close();
}

/** A read-only connection to an existing database: no migration, never a write (benchmarks reading a run back). */
export function openDatabaseReadOnly(file: string): Db {
  return Object.assign(new Database(file, { readonly: true, fileMustExist: true }), {
    engine: 'sqlite' as const,
  }) as unknown as Db;
}

/**
 * While a scan writes its snapshot (SQLite): no checkpoint after each batch, and a page cache that keeps most of the
 * growing `(run_id, source, id)` index resident. Vendor ids arrive in random key order, so every batch dirties most
 * of that index, and the automatic checkpoint after every commit copied all of it into the database file again (15 s
 * of a 1M-account scan, growing with the square of the organisation). The cache is a ceiling, filled as pages are used.
 *
 * Once every row is written (`rowsWritten`), the snapshot is checkpointed on a worker thread while the scan goes on
 * (rules, findings, commit); `end` waits for it, restores both settings and checkpoints what is left. Meanwhile the
 * WAL holds the whole snapshot: about 0.5 GB of disk beside the database per million accounts.
 */
export function enterSnapshotWriteMode(db: Db): { rowsWritten(): void; end(): Promise<void> } {
  if (db.engine !== 'sqlite') return { rowsWritten: () => {}, end: async () => {} };
  const sqlite = db as unknown as Database.Database;
  const cache = sqlite.pragma('cache_size', { simple: true }) as number;
  const autocheckpoint = sqlite.pragma('wal_autocheckpoint', { simple: true }) as number;
  sqlite.pragma(`cache_size = ${-SNAPSHOT_CACHE_KIB}`);
  sqlite.pragma('wal_autocheckpoint = 0');
  let background: Promise<void> | null = null;
  return {
    rowsWritten() {
      background ??= checkpointInBackground(sqlite);
    },
    async end() {
      await background;
      sqlite.pragma(`cache_size = ${cache}`);
      sqlite.pragma(`wal_autocheckpoint = ${autocheckpoint}`);
      try {
        sqlite.pragma('wal_checkpoint(PASSIVE)');
      } catch {
        // Never the scan's outcome: with the automatic checkpoint back on, the next commit copies what is left.
      }
    },
  };
}

/**
 * KiB: holds the key index of a 2M-account snapshot (~85 MB; its pages are ~70% full) beside the pages being written.
 * 2M accounts: 65.3 s with 64 MB, 61.8 s with 128 MB; 1M accounts: no difference measurable.
 */
const SNAPSHOT_CACHE_KIB = 128 * 1024;

const CHECKPOINT_WORKER = new URL('./checkpoint-worker.js', import.meta.url);

/**
 * A PASSIVE checkpoint on a worker thread; resolves when it is done or could not run (the final checkpoint on the
 * scanner's connection covers it). Only when compiled: from the TypeScript sources (tests) there is no worker script.
 */
function checkpointInBackground(sqlite: Database.Database): Promise<void> {
  if (sqlite.memory || !existsSync(fileURLToPath(CHECKPOINT_WORKER))) return Promise.resolve();
  return new Promise((resolve) => {
    const worker = new Worker(CHECKPOINT_WORKER, { workerData: { file: sqlite.name } });
    worker.once('error', () => resolve());
    worker.once('exit', () => resolve());
  });
}
