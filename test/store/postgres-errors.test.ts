import { describe, expect, it } from 'vitest';
import { ConfigError, ZombiescanError } from '../../src/contract/errors.js';
import { describeDatabase, openDatabase } from '../../src/store/database.js';
import { parseConfig } from '../../src/config/config.js';
import { adminUrl, freshPostgresUrl, secondConnection, useEngines } from './engines.js';

useEngines();

/** The URL with another user, password or database. */
function variant(url: string, change: { user?: string; password?: string; database?: string; port?: string }): string {
  const parsed = new URL(url);
  if (change.user !== undefined) parsed.username = change.user;
  if (change.password !== undefined) parsed.password = change.password;
  if (change.database !== undefined) parsed.pathname = `/${change.database}`;
  if (change.port !== undefined) parsed.port = change.port;
  return parsed.toString();
}

function failure(open: () => unknown): ZombiescanError {
  try {
    open();
  } catch (error) {
    return error as ZombiescanError;
  }
  throw new Error('expected the database to be refused');
}

describe('PostgreSQL: a database that cannot be used is a clear error at start', () => {
  it('a wrong password: a config error naming the database without any password', () => {
    const url = variant(freshPostgresUrl(), { password: 'not-the-password-4711' });
    const error = failure(() => openDatabase(url));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(/wrong password/);
    expect(error.message).toContain(describeDatabase(url));
    expect(error.message).not.toContain('not-the-password-4711');
  });

  it('a database that does not exist: a config error saying so', () => {
    const error = failure(() => openDatabase(variant(freshPostgresUrl(), { database: 'zs_no_such_database' })));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/no such database/);
  });

  it('a role without CREATE on the schema: a config error naming the grant, and nothing half-created', () => {
    const url = freshPostgresUrl({ migrated: false });
    const admin = secondConnection(adminUrl());
    admin.exec(`DROP ROLE IF EXISTS zs_reader; CREATE ROLE zs_reader LOGIN PASSWORD 'reader-pw'`);
    admin.close();
    const error = failure(() => openDatabase(variant(url, { user: 'zs_reader', password: 'reader-pw' })));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/grant it CREATE/);
    const owner = secondConnection(url);
    expect(owner.prepare(`SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).pluck().get()).toBe(0);
    owner.close();
  });

  it('an unreachable server: a runtime error (exit 1)', () => {
    const error = failure(() => openDatabase(variant(freshPostgresUrl(), { port: '1' })));
    expect(error).toBeInstanceOf(ZombiescanError);
    expect(error).not.toBeInstanceOf(ConfigError);
    expect(error.exitCode).toBe(1);
    expect(error.message).toMatch(/cannot use the PostgreSQL database: .*ECONNREFUSED/);
  });

  it('the config takes a postgres:// URL as is, its password only from the environment, registered as a secret', () => {
    const config = parseConfig(
      'database: postgres://zs:${ZS_PG_PASSWORD}@db.internal:5432/zombiescan?sslmode=require\nroster: { path: ./hr.csv }\nsources: []\n',
      '/tmp/z/zombiescan.yaml',
      { ZS_PG_PASSWORD: 's3cret-pw' },
    );
    expect(config.database).toBe('postgres://zs:s3cret-pw@db.internal:5432/zombiescan?sslmode=require');
    expect(config.secrets).toContain('s3cret-pw');
    expect(() =>
      parseConfig(
        'database: postgres://zs:plain-pw@db.internal/zombiescan\nroster: { path: ./hr.csv }\n',
        '/tmp/z/z.yaml',
        {},
      ),
    ).toThrow(/password must not be written in the file/);
  });
});
