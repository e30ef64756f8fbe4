import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createCsvCollector, CSV_PAGE_SIZE } from '../../collectors/csv/index.js';
import { SeenIds } from '../../collectors/csv/seen-ids.js';
import { toAccount } from '../../collectors/csv/transform.js';
import type { CollectContext } from '../../src/contract/collector.js';
import type { CsvSourceConfig } from '../../src/config/config.js';
import { SourceError } from '../../src/contract/errors.js';
import { silentLogger } from '../../src/common/logger.js';
import type { Account } from '../../src/contract/model.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/csv');
const dir = mkdtempSync(path.join(tmpdir(), 'zombiescan-csv-source-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileCount = 0;
function writeExport(content: string): string {
  const file = path.join(dir, `export-${++fileCount}.csv`);
  writeFileSync(file, content);
  return file;
}

function source(file: string, overrides: Partial<CsvSourceConfig> = {}): CsvSourceConfig {
  return { name: 'github', type: 'csv', role: 'app', timeoutSeconds: 300, path: file, delimiter: ',', ...overrides };
}

function context(signal = new AbortController().signal): CollectContext & { notices: string[] } {
  const notices: string[] = [];
  return { signal, log: silentLogger, notice: (message) => notices.push(message), now: new Date(0), notices };
}

async function collectPages(config: CsvSourceConfig, ctx = context()): Promise<Account[][]> {
  const pages: Account[][] = [];
  for await (const page of createCsvCollector(config).collect(ctx)) pages.push(page);
  return pages;
}

/** The SourceError collecting `content` throws, with the file path written as {file}. */
async function collectError(content: string): Promise<{ message: string; kind: string }> {
  const file = writeExport(content);
  try {
    await collectPages(source(file));
  } catch (error) {
    expect(error).toBeInstanceOf(SourceError);
    const { message, kind } = error as SourceError;
    return { message: message.replace(file, '{file}'), kind };
  }
  throw new Error('expected the source to fail');
}

const base: Account = {
  source: 'github',
  id: 'u-1',
  login: null,
  email: null,
  emails: [],
  employeeId: null,
  displayName: null,
  enabled: true,
  rawStatus: null,
  type: 'human',
  createdAt: null,
  lastActivityAt: null,
  activityKnown: false,
  privileged: false,
  // No privileged column in these rows: roles unknown.
  privilegeKnown: false,
  licenses: [],
  builtIn: false,
  attributes: {},
};

describe('toAccount', () => {
  const row = (values: Record<string, string>) => toAccount('github', { id: 'u-1', ...values }, 7, '/x/github.csv');

  it.each<[string, Record<string, string>, Partial<Account>]>([
    ['only an id', {}, {}],
    ['login', { login: 'octocat' }, { login: 'octocat' }],
    ['email', { email: 'Octo@Example.com' }, { email: 'Octo@Example.com', emails: ['Octo@Example.com'] }],
    [
      'extra emails, deduplicated with the primary',
      { email: 'a@example.com', emails: 'b@example.com; A@example.com ;;c@example.com' },
      { email: 'a@example.com', emails: ['a@example.com', 'b@example.com', 'c@example.com'] },
    ],
    ['extra emails without a primary', { emails: 'b@example.com' }, { emails: ['b@example.com'] }],
    ['employee_id', { employee_id: 'E1001' }, { employeeId: 'E1001' }],
    ['display_name', { display_name: 'Octo Cat' }, { displayName: 'Octo Cat' }],
    ['status active', { status: 'active' }, { enabled: true, rawStatus: 'active' }],
    ['status Active', { status: 'Active' }, { enabled: true, rawStatus: 'Active' }],
    ['status disabled', { status: 'disabled' }, { enabled: false, rawStatus: 'disabled' }],
    ['status suspended', { status: 'SUSPENDED' }, { enabled: false, rawStatus: 'SUSPENDED' }],
    ['status deleted', { status: 'deleted' }, { enabled: false, rawStatus: 'deleted' }],
    ['empty status', { status: '' }, { enabled: true, rawStatus: null }],
    ['type guest', { type: 'Guest' }, { type: 'guest' }],
    ['type service', { type: 'service' }, { type: 'service' }],
    ['type bot', { type: 'bot' }, { type: 'bot' }],
    ['empty type', { type: '' }, { type: 'human' }],
    ['created_at date', { created_at: '2024-02-29' }, { createdAt: '2024-02-29T00:00:00.000Z' }],
    ['created_at with offset', { created_at: '2024-03-01T01:00:00+02:00' }, { createdAt: '2024-02-29T23:00:00.000Z' }],
    ['created_at without offset (UTC)', { created_at: '2024-03-01 01:00' }, { createdAt: '2024-03-01T01:00:00.000Z' }],
    [
      'last_login_at',
      { last_login_at: '2026-11-20T08:15:00Z' },
      { lastActivityAt: '2026-11-20T08:15:00.000Z', activityKnown: true },
    ],
    ['empty last_login_at: never', { last_login_at: '' }, { lastActivityAt: null, activityKnown: true }],
    ...(['true', 'TRUE', 'yes', 'Yes', '1'] as const).map(
      (word): [string, Record<string, string>, Partial<Account>] => [
        `privileged ${word}`,
        { privileged: word },
        { privileged: true, privilegeKnown: true },
      ],
    ),
    ...(['false', 'no', 'NO', '0', ''] as const).map((word): [string, Record<string, string>, Partial<Account>] => [
      `privileged "${word}"`,
      { privileged: word },
      { privileged: false, privilegeKnown: true },
    ]),
    ['licenses', { licenses: 'Enterprise; Copilot;;enterprise' }, { licenses: ['Enterprise', 'Copilot'] }],
  ])('maps %s', (_name, values, expected) => {
    expect(row(values)).toEqual({ ...base, ...expected });
  });

  it.each([
    [{ id: '' }, 'github: /x/github.csv:7: id: id is empty'],
    [
      { status: 'locked' },
      'github: /x/github.csv:7: status: unknown status "locked" (accepted: active, disabled, suspended, deleted; or map it with statusMap: { "locked": active|disabled|suspended|deleted })',
    ],
    [{ type: 'admin' }, 'github: /x/github.csv:7: type: unknown type "admin" (accepted: human, guest, service, bot)'],
    [
      { created_at: '2026-02-30' },
      'github: /x/github.csv:7: created_at: "2026-02-30" is not a valid ISO 8601 date or date-time (e.g. 2026-03-31 or 2026-03-31T17:00:00Z; or set dateFormat)',
    ],
    [
      { last_login_at: '11/20/2026' },
      'github: /x/github.csv:7: last_login_at: "11/20/2026" is not a valid ISO 8601 date or date-time (e.g. 2026-03-31 or 2026-03-31T17:00:00Z; or set dateFormat)',
    ],
    [
      { last_login_at: '0001-01-01T00:00:00Z' },
      'github: /x/github.csv:7: last_login_at: "0001-01-01T00:00:00Z" is not a valid ISO 8601 date or date-time (e.g. 2026-03-31 or 2026-03-31T17:00:00Z; or set dateFormat)',
    ],
    [
      { privileged: 'admin' },
      'github: /x/github.csv:7: privileged: "admin" is not a yes/no value (accepted: true/false, yes/no, 1/0)',
    ],
  ])('refuses %j', (values, message) => {
    let thrown: unknown;
    try {
      row(values);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SourceError);
    expect((thrown as SourceError).message).toBe(message);
    expect((thrown as SourceError).kind).toBe('data');
  });
});

describe('createCsvCollector: collect', () => {
  it('reads the sample export', async () => {
    const ctx = context();
    const pages = await collectPages(source(path.join(fixtures, 'app-export.csv')), ctx);
    expect(pages).toHaveLength(1);
    expect(pages[0]).toEqual([
      {
        ...base,
        id: 'u-1',
        login: 'alice',
        email: 'alice@example.com',
        emails: ['alice@example.com', 'alice.admin@example.com'],
        employeeId: 'E1001',
        displayName: 'Alice Admin',
        rawStatus: 'active',
        createdAt: '2020-01-01T00:00:00.000Z',
        lastActivityAt: '2026-11-20T08:15:00.000Z',
        activityKnown: true,
        privileged: true,
        privilegeKnown: true,
        licenses: ['Enterprise', 'Audit'],
      },
      {
        ...base,
        privilegeKnown: true,
        id: 'u-2',
        login: 'bob',
        email: 'bob@example.com',
        emails: ['bob@example.com'],
        displayName: 'Builder, Bob',
        enabled: false,
        rawStatus: 'Disabled',
        createdAt: '2021-05-06T08:00:00.000Z',
        activityKnown: true,
      },
      {
        ...base,
        privilegeKnown: true,
        id: 'u-3',
        login: 'deploy-bot',
        displayName: 'Deploy Bot',
        type: 'service',
        createdAt: '2022-02-02T00:00:00.000Z',
        lastActivityAt: '2025-01-01T00:00:00.000Z',
        activityKnown: true,
      },
      {
        ...base,
        privilegeKnown: true,
        id: 'u-4',
        login: 'guest.gail',
        email: 'gail@partner.example',
        emails: ['gail@partner.example', 'GAIL@other.example'],
        displayName: 'Gail Guest',
        enabled: false,
        rawStatus: 'suspended',
        type: 'guest',
        activityKnown: true,
      },
    ]);
    expect(ctx.notices).toEqual([]);
  });

  it('marks activity unknown for every row, and says so once, without a last_login_at column', async () => {
    const file = writeExport('ID,Login\nu-1,a\nu-2,b\n');
    const ctx = context();
    const [page] = await collectPages(source(file), ctx);
    expect(page!.map((account) => [account.id, account.activityKnown, account.lastActivityAt])).toEqual([
      ['u-1', false, null],
      ['u-2', false, null],
    ]);
    // A missing privileged column is reported by doctor (and refused in remediation), not on every scan.
    expect(ctx.notices).toEqual([`${file} has no last_login_at column: sign-in activity unknown`]);
    expect(page!.every((account) => !account.privilegeKnown)).toBe(true);
  });

  it('reads headers case-insensitively, ignores unknown columns and honours the delimiter', async () => {
    const file = writeExport('Id;LAST_LOGIN_AT;Team;Display_Name\nu-1;;core;"Doe; Jane"\n');
    const [page] = await collectPages(source(file, { delimiter: ';' }));
    expect(page).toEqual([{ ...base, displayName: 'Doe; Jane', activityKnown: true }]);
  });

  it(`streams pages of ${CSV_PAGE_SIZE} accounts`, async () => {
    const rows = Array.from({ length: 2500 }, (_, index) => `u-${index},user${index}`).join('\r\n');
    const pages = await collectPages(source(writeExport(`id,login\r\n${rows}\r\n`)));
    expect(pages.map((page) => page.length)).toEqual([1000, 1000, 500]);
    expect(pages.flat().map((account) => account.id)).toEqual(Array.from({ length: 2500 }, (_, index) => `u-${index}`));
  });

  it('yields nothing for a header-only export', async () => {
    expect(await collectPages(source(writeExport('id,login\n')))).toEqual([]);
  });

  it('fails on a duplicate id found after earlier pages were yielded', async () => {
    const rows = Array.from({ length: 1500 }, (_, index) => `u-${index}`).join('\n');
    const file = writeExport(`id\n${rows}\nu-7\n`);
    const pages: Account[][] = [];
    let thrown: unknown;
    try {
      for await (const page of createCsvCollector(source(file)).collect(context())) pages.push(page);
    } catch (error) {
      thrown = error;
    }
    expect(pages.map((page) => page.length)).toEqual([1000]);
    expect((thrown as SourceError).message).toBe(`github: ${file}:1502: id: duplicate id "u-7" (first on line 9)`);
    expect((thrown as SourceError).kind).toBe('data');
  });

  it('reads the export again to confirm a repeated id hash, and goes on when the id was never listed', async () => {
    // Two ids sharing a 63-bit hash: forced here, as no real pair is known. The confirmation must find no earlier row.
    const original = SeenIds.prototype.add;
    const add = vi.spyOn(SeenIds.prototype, 'add').mockImplementation(function (this: SeenIds, id: string) {
      return id === 'u-3' ? false : original.call(this, id);
    });
    try {
      const pages = await collectPages(source(writeExport('id\nu-1\nu-2\nu-3\nu-4\n')));
      expect(pages.flat().map((account) => account.id)).toEqual(['u-1', 'u-2', 'u-3', 'u-4']);
    } finally {
      add.mockRestore();
    }
  });

  it.each([
    [
      'a missing id column',
      'login,email\na,a@x\n',
      '{file}:1: id: required column not found (the header has: login, email)',
    ],
    ['an empty id', 'id,login\nu-1,a\n,b\n', '{file}:3: id: id is empty'],
    [
      'an unknown status',
      'id,status\nu-1,active\nu-2,locked\n',
      '{file}:3: status: unknown status "locked" (accepted: active, disabled, suspended, deleted; or map it with statusMap: { "locked": active|disabled|suspended|deleted })',
    ],
    [
      'an unknown type',
      'id,type\nu-1,robot\n',
      '{file}:2: type: unknown type "robot" (accepted: human, guest, service, bot)',
    ],
    [
      'an unparseable date after a multi-line value',
      'id,display_name,last_login_at\r\nu-1,"two\r\nlines",2026-01-01\r\nu-2,x,last week\r\n',
      '{file}:4: last_login_at: "last week" is not a valid ISO 8601 date or date-time (e.g. 2026-03-31 or 2026-03-31T17:00:00Z; or set dateFormat)',
    ],
    ['a duplicate id', 'id\nu-1\nu-2\nu-1\n', '{file}:4: id: duplicate id "u-1" (first on line 2)'],
    [
      'a row with the wrong number of fields',
      'id,login\nu-1\n',
      '{file}:2: wrong number of fields: found 1, the header has 2',
    ],
    ['an empty file', '', '{file}:1: the file is empty: expected a header line naming the columns'],
  ])('fails the source on %s', async (_name, content, message) => {
    expect(await collectError(content)).toEqual({ message: `github: ${message}`, kind: 'data' });
  });

  it('fails the source with a setup error when the file is missing', async () => {
    const missing = path.join(dir, 'missing.csv');
    await expect(collectPages(source(missing))).rejects.toMatchObject({
      message: `github: ${missing}: no such file`,
      kind: 'config',
    });
  });

  it('stops between pages when the scan is aborted', async () => {
    const rows = Array.from({ length: 2500 }, (_, index) => `u-${index}`).join('\n');
    const controller = new AbortController();
    const pages: Account[][] = [];
    const run = async () => {
      for await (const page of createCsvCollector(source(writeExport(`id\n${rows}\n`))).collect(
        context(controller.signal),
      )) {
        pages.push(page);
        controller.abort(new Error('timed out'));
      }
    };
    await expect(run()).rejects.toThrow('timed out');
    expect(pages).toHaveLength(1);
  });
});

describe('createCsvCollector: doctor', () => {
  const doctor = (file: string) => createCsvCollector(source(file)).doctor(context());

  it('reports a readable export, its columns, known activity and valid rows', async () => {
    const file = path.join(fixtures, 'app-export.csv');
    expect(await doctor(file)).toEqual([
      { check: 'file', ok: true, detail: `${file} is readable CSV` },
      {
        check: 'header',
        ok: true,
        detail:
          'columns: id, login, email, employee_id, display_name, status, type, created_at, last_login_at, privileged, licenses, emails',
      },
      {
        check: 'sign-in activity',
        ok: true,
        detail: 'known: last_login_at column present (an empty cell means never signed in)',
      },
      { check: 'admin roles', ok: true, detail: 'known: privileged column present' },
      { check: 'rows', ok: true, detail: '4 accounts, every row valid' },
    ]);
  });

  it('says activity is unknown, lists ignored columns and finds a bad row', async () => {
    const file = writeExport('id,login,Team\nu-1,a,core\nu-1,b,core\n');
    expect(await doctor(file)).toEqual([
      { check: 'file', ok: true, detail: `${file} is readable CSV` },
      { check: 'header', ok: true, detail: 'columns: id, login; ignored: Team' },
      {
        check: 'sign-in activity',
        ok: true,
        detail: 'unknown: no last_login_at column, so inactivity rules will not fire for this source',
      },
      {
        check: 'admin roles',
        ok: false,
        limitation: true,
        detail:
          "unknown: no privileged column, so remediation refuses to act on this source's accounts without " +
          '--include-privileged',
      },
      { check: 'rows', ok: false, detail: `github: ${file}:3: id: duplicate id "u-1" (first on line 2)` },
    ]);
  });

  it('reports a missing id column', async () => {
    const file = writeExport('login\na\n');
    expect(await doctor(file)).toEqual([
      { check: 'file', ok: true, detail: `${file} is readable CSV` },
      {
        check: 'header',
        ok: false,
        detail: `github: ${file}:1: id: required column not found (the header has: login)`,
      },
    ]);
  });

  it('reports a missing file', async () => {
    const missing = path.join(dir, 'gone.csv');
    expect(await doctor(missing)).toEqual([{ check: 'file', ok: false, detail: `github: ${missing}: no such file` }]);
  });
});
