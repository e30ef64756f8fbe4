import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createCsvCollector } from '../../collectors/csv/index.js';
import { loadConfig, parseConfig, type CsvSourceConfig } from '../../src/config/config.js';
import type { CollectContext } from '../../src/contract/collector.js';
import { SourceError } from '../../src/contract/errors.js';
import { silentLogger } from '../../src/common/logger.js';
import type { Account } from '../../src/contract/model.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/csv');
const dir = mkdtempSync(path.join(tmpdir(), 'zombiescan-csv-exports-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The worked mappings of README "From your exports", loaded through the real config loader. */
const config = loadConfig(path.join(fixtures, 'exports.yaml'), {});
const sourceNamed = (name: string) => config.sources.find((source) => source.name === name) as CsvSourceConfig;

const context = (): CollectContext => ({
  signal: new AbortController().signal,
  log: silentLogger,
  notice: () => {},
  now: new Date('2026-12-01T00:00:00Z'),
});

async function collect(source: CsvSourceConfig): Promise<Account[]> {
  const accounts: Account[] = [];
  for await (const page of createCsvCollector(source).collect(context())) accounts.push(...page);
  return accounts;
}

const summary = (accounts: Account[]) =>
  accounts.map((a) => ({
    id: a.id,
    login: a.login,
    email: a.email,
    enabled: a.enabled,
    rawStatus: a.rawStatus,
    lastActivityAt: a.lastActivityAt,
    activityKnown: a.activityKnown,
  }));

describe('real exports read as they are (README "From your exports")', () => {
  it('GitHub Enterprise Server "All users" report: suspended? and last_active in UTC', async () => {
    const accounts = await collect(sourceNamed('github-ghes'));
    expect(summary(accounts)).toEqual([
      {
        id: '1001',
        login: 'alice',
        email: 'alice@example.com',
        enabled: true,
        rawStatus: 'false',
        lastActivityAt: '2026-11-20T08:15:00.000Z',
        activityKnown: true,
      },
      {
        id: '1002',
        login: 'bob',
        email: 'bob@example.com',
        enabled: false,
        rawStatus: 'true',
        lastActivityAt: '2025-01-10T17:45:12.000Z',
        activityKnown: true,
      },
      {
        id: '1003',
        login: 'carol',
        email: 'carol@example.com',
        enabled: true,
        rawStatus: 'false',
        lastActivityAt: null,
        activityKnown: true,
      },
    ]);
    expect(accounts[0]!.createdAt).toBe('2021-03-04T09:12:44.000Z');
  });

  it('Salesforce user report: quoted headers, Active 1/0, US dates with and without a time, read in the config timezone', async () => {
    const accounts = await collect(sourceNamed('salesforce'));
    expect(summary(accounts)).toEqual([
      {
        id: '0055e000001AbCdAAK',
        login: 'alice@example.com.prod',
        email: 'alice@example.com',
        enabled: true,
        rawStatus: '1',
        // 8:15 AM in Europe/Berlin (the config's timezone) is 07:15 UTC.
        lastActivityAt: '2026-11-20T07:15:00.000Z',
        activityKnown: true,
      },
      {
        id: '0055e000001AbCeAAK',
        login: 'bob@example.com.prod',
        email: 'bob@example.com',
        enabled: false,
        rawStatus: '0',
        lastActivityAt: '2025-01-10T16:45:00.000Z',
        activityKnown: true,
      },
      {
        id: '0055e000001AbCfAAK',
        login: 'carol@example.com.prod',
        email: 'carol@example.com',
        enabled: true,
        rawStatus: '1',
        lastActivityAt: null,
        activityKnown: true,
      },
    ]);
    expect(accounts.map((a) => a.displayName)).toEqual(['Alice Admin', 'Bob Builder', 'Carol Contractor']);
    // A date-only created date is the start of that day in the config timezone, like an HR date.
    expect(accounts[0]!.createdAt).toBe('2021-03-03T23:00:00.000Z');
  });

  it('Atlassian site export: username as id and login, Yes/No active, "20 Nov 2026 08:15:00"', async () => {
    const accounts = await collect(sourceNamed('atlassian'));
    expect(summary(accounts)).toEqual([
      {
        id: 'alice',
        login: 'alice',
        email: 'alice@example.com',
        enabled: true,
        rawStatus: 'Yes',
        lastActivityAt: '2026-11-20T07:15:00.000Z',
        activityKnown: true,
      },
      {
        id: 'bob',
        login: 'bob',
        email: 'bob@example.com',
        enabled: false,
        rawStatus: 'No',
        lastActivityAt: '2025-01-10T16:45:12.000Z',
        activityKnown: true,
      },
      {
        id: 'carol',
        login: 'carol',
        email: 'carol@example.com',
        enabled: true,
        rawStatus: 'Yes',
        lastActivityAt: null,
        activityKnown: true,
      },
    ]);
  });

  it('without the mapping the same export is refused, naming the setting that fixes it', async () => {
    const bare = { ...sourceNamed('salesforce'), columns: {} };
    await expect(collect(bare)).rejects.toThrow(
      /User ID.*"User ID" looks like it: set columns: \{ id: "User ID" \} on source salesforce/,
    );
  });

  it('a status outside the map is refused, naming statusMap', async () => {
    const file = path.join(dir, 'odd-status.csv');
    writeFileSync(file, 'username,active\nalice,Maybe\n');
    const source = { ...sourceNamed('atlassian'), path: file };
    const error = await collect(source).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as Error).message).toBe(
      `atlassian: ${file}:2: active: unknown status "Maybe" (accepted: yes, no, active, disabled, suspended, deleted; ` +
        'or map it with statusMap: { "Maybe": active|disabled|suspended|deleted })',
    );
  });

  it('a value matching no dateFormat names the patterns', async () => {
    const file = path.join(dir, 'odd-date.csv');
    writeFileSync(file, '"User ID","Last Login"\nu1,2026-11-20\n');
    const error = await collect({ ...sourceNamed('salesforce'), path: file }).catch((e: unknown) => e);
    expect((error as Error).message).toContain(
      ': Last Login: "2026-11-20" is not a valid date (expected dateFormat M/d/yyyy, h:mm a or M/d/yyyy)',
    );
  });
});

describe('one rule for date-only values', () => {
  it('an app export date-only value and an HR date are read in the same timezone', async () => {
    const file = path.join(dir, 'dates.csv');
    writeFileSync(file, 'id,created_at,last_login_at\nu1,2026-11-20,2026-11-20T09:00:00\n');
    const tokyo = parseConfig(
      `timezone: Asia/Tokyo\nroster: { path: hr.csv }\nsources:\n  - { name: app, type: csv, path: ${file} }\n`,
      path.join(dir, 'z.yaml'),
      {},
    );
    const [account] = await collect(tokyo.sources[0] as CsvSourceConfig);
    // Midnight and 09:00 on 20 November in Tokyo.
    expect(account!.createdAt).toBe('2026-11-19T15:00:00.000Z');
    expect(account!.lastActivityAt).toBe('2026-11-20T00:00:00.000Z');
  });

  it('a source may override the timezone its export is written in', () => {
    const loaded = parseConfig(
      'timezone: Asia/Tokyo\nroster: { path: hr.csv }\nsources:\n  - { name: app, type: csv, path: a.csv, timezone: UTC }\n',
      path.join(dir, 'z.yaml'),
      {},
    );
    expect((loaded.sources[0] as CsvSourceConfig).timezone).toBe('UTC');
  });
});

describe('header hints', () => {
  it('says which delimiter setting fixes a header read as one column', async () => {
    const file = path.join(dir, 'semicolon.csv');
    writeFileSync(file, 'id;login;email\nu1;a;a@example.com\n');
    const source: CsvSourceConfig = {
      name: 'app',
      type: 'csv',
      role: 'app',
      timeoutSeconds: 300,
      path: file,
      delimiter: ',',
    };
    await expect(collect(source)).rejects.toThrow(
      `${file}:1: id: required column not found (the header has: id;login;email); the header looks ";"-separated: set delimiter (source app): ";"`,
    );
  });

  it('says which columns setting maps a known alias of id', async () => {
    const file = path.join(dir, 'alias.csv');
    writeFileSync(file, 'user_id,email\nu1,a@example.com\n');
    const source: CsvSourceConfig = {
      name: 'app',
      type: 'csv',
      role: 'app',
      timeoutSeconds: 300,
      path: file,
      delimiter: ',',
    };
    await expect(collect(source)).rejects.toThrow(
      `"user_id" looks like it: set columns: { id: "user_id" } on source app`,
    );
  });
});
