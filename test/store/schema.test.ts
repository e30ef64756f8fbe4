import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/contract/errors.js';
import { openDatabase, SCHEMA_VERSION } from '../../src/store/database.js';
import { MIGRATIONS } from '../../src/store/migrations.js';

function databaseAt(version: number): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'zs-schema-')), 'zombiescan.db');
  const db = new Database(file);
  for (let applied = 1; applied <= version; applied++) {
    db.exec(MIGRATIONS[applied - 1]!);
    db.pragma(`user_version = ${applied}`);
  }
  db.close();
  return file;
}

describe('schema version', () => {
  it('is the number of migrations, recorded in the database', () => {
    const db = openDatabase(databaseAt(0));
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    db.close();
  });

  it('upgrades a database of the previous release and keeps its data', () => {
    const file = databaseAt(SCHEMA_VERSION - 1);
    const old = new Database(file);
    old
      .prepare(`INSERT INTO runs (started_at, status, pid) VALUES ('2026-11-01T00:00:00.000Z', 'complete', NULL)`)
      .run();
    old.close();
    const db = openDatabase(file);
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.prepare('SELECT count(*) AS n FROM runs').get()).toEqual({ n: 1 });
    db.close();
  });

  it('refuses a database written by a newer zombiescan, and leaves it untouched', () => {
    const file = databaseAt(SCHEMA_VERSION);
    const newer = new Database(file);
    newer.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    newer.close();
    expect(() => openDatabase(file)).toThrow(ConfigError);
    expect(() => openDatabase(file)).toThrow(/newer than this zombiescan/);
    const after = new Database(file);
    expect(after.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION + 1);
    after.close();
  });
});
