import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/contract/errors.js';
import {
  closeDatabase,
  migrationSql,
  openDatabase,
  SCHEMA_VERSION,
  schemaVersion,
  type Engine,
} from '../../src/store/database.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { ENGINES, freshPostgresUrl, secondConnection, useEngines } from './engines.js';

useEngines();

/** A database as a release with `version` migrations left it (written without openDatabase). */
function databaseAt(engine: Engine, version: number): string {
  if (engine === 'sqlite') {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'zs-schema-')), 'zombiescan.db');
    const db = new Database(file);
    for (let applied = 1; applied <= version; applied++) {
      db.exec(migrationSql(applied, 'sqlite'));
      db.pragma(`user_version = ${applied}`);
    }
    db.close();
    return file;
  }
  const url = freshPostgresUrl({ migrated: false });
  const db = secondConnection(url);
  db.exec('CREATE TABLE zombiescan_schema (version BIGINT NOT NULL); INSERT INTO zombiescan_schema VALUES (0)');
  for (let applied = 1; applied <= version; applied++) {
    db.exec(migrationSql(applied, 'postgres'));
    db.exec(`UPDATE zombiescan_schema SET version = ${applied}`);
  }
  db.close();
  return url;
}

/** Raw SQL on the database, as another tool would run it. */
function withRaw<T>(
  engine: Engine,
  target: string,
  use: (exec: (sql: string) => void, count: (sql: string) => unknown) => T,
): T {
  const db = engine === 'sqlite' ? new Database(target) : secondConnection(target);
  try {
    return use(
      (sql) => void db.exec(sql),
      (sql) => db.prepare(sql).pluck().get(),
    );
  } finally {
    db.close();
  }
}

describe.each(ENGINES)('schema version (%s)', (engine) => {
  it('is the number of migrations, recorded in the database', () => {
    const db = openDatabase(databaseAt(engine, 0));
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
    expect(schemaVersion(db)).toBe(SCHEMA_VERSION);
    closeDatabase(db);
  });

  it('upgrades a database of the previous release and keeps its data', () => {
    const target = databaseAt(engine, SCHEMA_VERSION - 1);
    withRaw(engine, target, (exec) =>
      exec(`INSERT INTO runs (started_at, status, pid) VALUES ('2026-11-01T00:00:00.000Z', 'complete', NULL)`),
    );
    const db = openDatabase(target);
    expect(schemaVersion(db)).toBe(SCHEMA_VERSION);
    expect(db.prepare('SELECT count(*) AS n FROM runs').get()).toEqual({ n: 1 });
    closeDatabase(db);
  });

  it('refuses a database written by a newer zombiescan, and leaves it untouched', () => {
    const target = databaseAt(engine, SCHEMA_VERSION);
    withRaw(engine, target, (exec) =>
      exec(
        engine === 'sqlite'
          ? `PRAGMA user_version = ${SCHEMA_VERSION + 1}`
          : `UPDATE zombiescan_schema SET version = ${SCHEMA_VERSION + 1}`,
      ),
    );
    expect(() => openDatabase(target)).toThrow(ConfigError);
    expect(() => openDatabase(target)).toThrow(/newer than this zombiescan/);
    const version = withRaw(engine, target, (_exec, count) =>
      count(engine === 'sqlite' ? 'PRAGMA user_version' : 'SELECT version FROM zombiescan_schema'),
    );
    expect(version).toBe(SCHEMA_VERSION + 1);
  });
});
