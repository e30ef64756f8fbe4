import { closeSync, chmodSync, mkdirSync, openSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ConfigError } from '../contract/errors.js';
import { MIGRATIONS } from './migrations.js';

/**
 * The store handle. Only modules under src/store call methods on it; everything else passes it along, so a second
 * engine needs a second set of store modules and nothing else.
 */
export type Db = Database.Database;

/** The schema this build writes: one more with every migration. A database at a higher version is refused. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Opens (creating if needed) the database: file mode 0600 before SQLite touches it (it holds who left and which
 * accounts are exposed), WAL so readers never block the scan, and every pending migration.
 */
export function openDatabase(file: string): Db {
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
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  try {
    migrate(db);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new ConfigError(
      `${db.name}: database schema version ${current} is newer than this zombiescan (${SCHEMA_VERSION}): ` +
        'upgrade zombiescan, or point --db at another database',
    );
  }
  for (let version = current + 1; version <= SCHEMA_VERSION; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version - 1]!);
      db.pragma(`user_version = ${version}`);
    })();
  }
}

export function closeDatabase(db: Db): void {
  db.close();
}

/** A read-only connection to an existing database: no migration, never a write (benchmarks reading a run back). */
export function openDatabaseReadOnly(file: string): Db {
  return new Database(file, { readonly: true, fileMustExist: true });
}
