import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRoster, type RosterOptions } from '../../collectors/hr-roster/index.js';
import { parseStatus, STATUS_WORDS } from '../../collectors/hr-roster/fields.js';
import { InputError } from '../../src/contract/errors.js';
import type { Person } from '../../src/contract/model.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/roster');
const dir = mkdtempSync(path.join(tmpdir(), 'zombiescan-roster-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileCount = 0;
function writeRoster(content: string | Buffer): string {
  const file = path.join(dir, `roster-${++fileCount}.csv`);
  writeFileSync(file, content);
  return file;
}

function options(file: string, overrides: Partial<RosterOptions> = {}): RosterOptions {
  return { path: file, columns: {}, delimiter: ',', headers: {}, timeoutSeconds: 120, ...overrides };
}

async function load(content: string, overrides: Partial<RosterOptions> = {}, timezone = 'UTC') {
  return loadRoster(options(writeRoster(content), overrides), timezone);
}

/** The message of the InputError loading `content` throws; `{file}` in expectations stands for its path. */
async function refusal(content: string | Buffer, overrides: Partial<RosterOptions> = {}, timezone = 'UTC') {
  const file = writeRoster(content);
  try {
    await loadRoster(options(file, overrides), timezone);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as Error).message.replace(file, '{file}');
  }
  throw new Error('expected the roster to be refused');
}

const HEADER = 'employee_id,email,status,termination_date';
const person = (overrides: Partial<Person>): Person => ({
  employeeId: 'E1',
  email: 'a@example.com',
  name: null,
  status: 'active',
  workerType: null,
  hireDate: null,
  terminationDate: null,
  terminationEffectiveAt: null,
  managerId: null,
  department: null,
  aliases: [],
  ...overrides,
});

describe('loadRoster: reading', () => {
  it('reads every field of the default header', async () => {
    const people = await loadRoster(options(path.join(fixtures, 'roster.csv')), 'America/Los_Angeles');
    expect(people).toEqual([
      {
        employeeId: 'E1001',
        email: 'alice@example.com',
        name: 'Alice Admin',
        status: 'active',
        workerType: 'employee',
        hireDate: '2019-04-01',
        terminationDate: null,
        terminationEffectiveAt: null,
        managerId: null,
        department: 'Security',
        aliases: ['alice.admin@example.com', 'a.admin@example.co.uk'],
      },
      {
        employeeId: 'E1002',
        email: 'Bob.Builder@Example.com',
        name: 'Builder, Bob',
        status: 'terminated',
        workerType: 'employee',
        hireDate: '2020-01-15',
        terminationDate: '2026-03-31',
        terminationEffectiveAt: '2026-04-01T07:00:00.000Z',
        managerId: 'E1001',
        department: 'Engineering',
        aliases: [],
      },
      {
        employeeId: 'E1003',
        email: 'carol@example.com',
        name: 'Carol Contractor',
        status: 'active',
        workerType: 'contractor',
        hireDate: '2025-06-01',
        terminationDate: '2026-06-30T17:00:00.000Z',
        terminationEffectiveAt: '2026-06-30T17:00:00.000Z',
        managerId: 'E1001',
        department: 'Engineering',
        aliases: [],
      },
      {
        employeeId: 'E1004',
        email: 'dave@example.com',
        name: 'Dave Leave',
        status: 'leave',
        workerType: 'employee',
        hireDate: '2021-09-01',
        terminationDate: null,
        terminationEffectiveAt: null,
        managerId: 'E1001',
        department: 'Sales, EMEA',
        aliases: [],
      },
      {
        employeeId: 'E1005',
        email: 'bob.builder@example.com',
        name: 'Builder, Bob',
        status: 'active',
        workerType: 'employee',
        hireDate: '2026-04-15',
        terminationDate: null,
        terminationEffectiveAt: null,
        managerId: 'E1001',
        department: 'Engineering',
        aliases: [],
      },
    ]);
  });

  it('accepts a rehire: the same person twice under different employee ids', async () => {
    const people = await load(
      `${HEADER}\nE1,bob@example.com,terminated,2025-01-31\nE2,bob@example.com,active,\nE3,BOB@example.com,current,\n`,
    );
    expect(people.map((p) => [p.employeeId, p.email, p.status])).toEqual([
      ['E1', 'bob@example.com', 'terminated'],
      ['E2', 'bob@example.com', 'active'],
      ['E3', 'BOB@example.com', 'active'],
    ]);
  });

  it('reads an Excel export (BOM, CRLF, multi-line quoted value) and names the right line after it', async () => {
    const excel =
      '\uFEFFEmployee_ID,Email,Name,Status,Department\r\n' +
      'E1,a@example.com,"Doe, Jane",Active,"Research\r\n& Development"\r\n' +
      'E2,b@example.com,Bo,Terminated,Sales\r\n';
    expect(await load(excel)).toEqual([
      person({ employeeId: 'E1', email: 'a@example.com', name: 'Doe, Jane', department: 'Research\n& Development' }),
      person({ employeeId: 'E2', email: 'b@example.com', name: 'Bo', status: 'terminated', department: 'Sales' }),
    ]);
    expect(await refusal(`${excel}E3,c@example.com,X,Retired,Ops\r\n`)).toBe(
      '{file}:5: Status: unknown status "Retired" (accepted: active, current, leave, on leave, loa, leave of absence, terminated, term, inactive, separated; or map it with roster.statusMap: { "Retired": active|leave|terminated })',
    );
  });

  it('keeps emails as written (trimmed) and splits aliases on ";"', async () => {
    const [alice] = await load(
      'employee_id,email,status,aliases\nE1, Alice@Example.COM ,active," alice+hr@example.com ;; a@example.co.uk;"\n',
    );
    expect(alice!.email).toBe('Alice@Example.COM');
    expect(alice!.aliases).toEqual(['alice+hr@example.com', 'a@example.co.uk']);
  });

  it('returns an empty roster for a header-only file (the scan guard decides what that means)', async () => {
    expect(await load(`${HEADER}\r\n`)).toEqual([]);
  });

  it('reads a semicolon-delimited export', async () => {
    const people = await load('employee_id;email;status;name\nE1;a@example.com;active;"Doe; Jane"\n', {
      delimiter: ';',
    });
    expect(people).toEqual([person({ name: 'Doe; Jane' })]);
  });
});

describe('loadRoster: column mapping', () => {
  const mapped =
    'Employee Number,Work Email,Employment Status,Full Name,Last Day,department\n' +
    'E1,a@example.com,Active,Ann,,Ops\n' +
    'E2,b@example.com,Separated,Bo,2026-03-31,Ops\n';
  const columns = {
    employeeId: 'employee number',
    email: 'Work Email',
    status: 'EMPLOYMENT STATUS',
    name: 'Full Name',
    terminationDate: 'Last Day',
  };

  it('reads mapped headers case-insensitively and defaults the rest', async () => {
    expect(await load(mapped, { columns })).toEqual([
      person({ employeeId: 'E1', email: 'a@example.com', name: 'Ann', department: 'Ops' }),
      person({
        employeeId: 'E2',
        email: 'b@example.com',
        name: 'Bo',
        status: 'terminated',
        terminationDate: '2026-03-31',
        terminationEffectiveAt: '2026-04-01T00:00:00.000Z',
        department: 'Ops',
      }),
    ]);
  });

  it('names the header as written in the file in row errors', async () => {
    expect(await refusal(`${mapped}E3,,Active,Cy,,Ops\n`, { columns })).toBe('{file}:4: Work Email: email is empty');
  });

  it.each([
    [
      'a required column is missing',
      'employee_id,email\nE1,a@example.com\n',
      {},
      '{file}:1: status: required column not found (map your header with roster.columns.status; the header has: employee_id, email)',
    ],
    [
      'employee_id is missing',
      'id,email,status\n',
      {},
      '{file}:1: employee_id: required column not found (map your header with roster.columns.employeeId; the header has: id, email, status)',
    ],
    [
      'a mapped column is missing',
      'employee_id,email,status\n',
      { employeeId: 'Employee ID' },
      '{file}:1: Employee ID: column not found (roster.columns.employeeId names it; the header has: employee_id, email, status)',
    ],
    [
      'a mapped optional column is missing',
      'employee_id,email,status\n',
      { department: 'Cost Center' },
      '{file}:1: Cost Center: column not found (roster.columns.department names it; the header has: employee_id, email, status)',
    ],
    [
      'several columns are missing',
      'employee_id\n',
      {},
      '{file}:1: email: required column not found (map your header with roster.columns.email; the header has: employee_id) (and 1 more problem in the file)',
    ],
  ])('refuses the roster when %s', async (_name, content, mapping, message) => {
    expect(await refusal(content, { columns: mapping })).toBe(message);
  });
});

describe('loadRoster: status', () => {
  it.each([
    ['active', 'active'],
    ['Active', 'active'],
    [' ACTIVE ', 'active'],
    ['Current', 'active'],
    ['leave', 'leave'],
    ['On Leave', 'leave'],
    ['on_leave', 'leave'],
    ['on-leave', 'leave'],
    ['LOA', 'leave'],
    ['Leave of Absence', 'leave'],
    ['terminated', 'terminated'],
    ['Terminated', 'terminated'],
    ['TERM', 'terminated'],
    ['Inactive', 'terminated'],
    ['Separated', 'terminated'],
  ])('%j -> %s', async (word, status) => {
    expect(parseStatus(word)).toBe(status);
    const [loaded] = await load(`employee_id,email,status\nE1,a@example.com,"${word}"\n`);
    expect(loaded!.status).toBe(status);
  });

  it.each(['Retired', 'Terminated - Voluntary', 'pending', 'constructor', 'toString'])('refuses %j', (word) => {
    expect(parseStatus(word)).toBeNull();
  });

  it('lists every accepted word in the refusal', async () => {
    const message = await refusal('employee_id,email,status\nE1,a@example.com,Retired\n');
    for (const word of Object.keys(STATUS_WORDS)) expect(message).toContain(word);
  });
});

describe('loadRoster: dates', () => {
  const LA = 'America/Los_Angeles';
  const termination = async (value: string, timezone: string, dateFormat?: string) => {
    const [loaded] = await load(`${HEADER}\nE1,a@example.com,terminated,${value}\n`, { dateFormat }, timezone);
    return { terminationDate: loaded!.terminationDate, terminationEffectiveAt: loaded!.terminationEffectiveAt };
  };

  it.each([
    // A date-only last day ends at the next local midnight.
    ['2026-03-31', LA, '2026-03-31', '2026-04-01T07:00:00.000Z'],
    ['2026-01-15', LA, '2026-01-15', '2026-01-16T08:00:00.000Z'],
    ['2026-03-07', LA, '2026-03-07', '2026-03-08T08:00:00.000Z'], // the night before DST starts
    ['2026-03-08', LA, '2026-03-08', '2026-03-09T07:00:00.000Z'], // DST starts that day
    ['2026-03-31', 'UTC', '2026-03-31', '2026-04-01T00:00:00.000Z'],
    ['2026-03-31', 'Asia/Tokyo', '2026-03-31', '2026-03-31T15:00:00.000Z'],
    // A date-time is that instant; without an offset it is wall-clock time in the configured zone.
    ['2026-03-31T17:00:00Z', LA, '2026-03-31T17:00:00.000Z', '2026-03-31T17:00:00.000Z'],
    ['2026-03-31T17:00:00+02:00', LA, '2026-03-31T15:00:00.000Z', '2026-03-31T15:00:00.000Z'],
    ['2026-03-31T17:00:00', LA, '2026-04-01T00:00:00.000Z', '2026-04-01T00:00:00.000Z'],
    ['2026-03-31 17:00', 'UTC', '2026-03-31T17:00:00.000Z', '2026-03-31T17:00:00.000Z'],
  ])('termination %s in %s', async (value, timezone, terminationDate, terminationEffectiveAt) => {
    expect(await termination(value, timezone)).toEqual({ terminationDate, terminationEffectiveAt });
  });

  it.each(['2026-02-30', '2025-02-29', '2026-04-31', '2026-13-01', '31/03/2026', '2026-03-31T25:00:00Z', 'tomorrow'])(
    'refuses the ISO date %j',
    async (value) => {
      expect(
        await refusal(`${HEADER}\nE1,a@example.com,terminated,2026-01-01\nE2,b@example.com,active,${value}\n`),
      ).toBe(
        `{file}:3: termination_date: "${value}" is not a valid date (expected an ISO 8601 date like 2026-03-31 or a date-time like 2026-03-31T17:00:00Z)`,
      );
    },
  );

  it('refuses an impossible hire date', async () => {
    expect(await refusal('employee_id,email,status,hire_date\nE1,a@example.com,active,2023-02-29\n')).toBe(
      '{file}:2: hire_date: "2023-02-29" is not a valid date (expected an ISO 8601 date like 2026-03-31 or a date-time like 2026-03-31T17:00:00Z)',
    );
  });

  it('keeps the local calendar day of a hire date given as a date-time', async () => {
    const [loaded] = await load(
      'employee_id,email,status,hire_date\nE1,a@example.com,active,2026-04-01T03:00:00Z\n',
      {},
      LA,
    );
    expect(loaded!.hireDate).toBe('2026-03-31');
  });

  describe('with roster.dateFormat dd/MM/yyyy', () => {
    it.each([
      ['30/04/2026', LA, '2026-04-30', '2026-05-01T07:00:00.000Z'],
      ['29/02/2024', 'UTC', '2024-02-29', '2024-03-01T00:00:00.000Z'],
      ['01/12/2026', 'Europe/London', '2026-12-01', '2026-12-02T00:00:00.000Z'],
    ])('reads %s in %s', async (value, timezone, terminationDate, terminationEffectiveAt) => {
      expect(await termination(value, timezone, 'dd/MM/yyyy')).toEqual({ terminationDate, terminationEffectiveAt });
    });

    it.each([
      '31/04/2026',
      '29/02/2025',
      '32/01/2026',
      '00/01/2026',
      '12/13/2026',
      '1/4/2026',
      '30/04/26',
      '2026-04-30',
      '30.04.2026',
    ])('refuses %j', async (value) => {
      expect(await refusal(`${HEADER}\nE1,a@example.com,terminated,${value}\n`, { dateFormat: 'dd/MM/yyyy' })).toBe(
        `{file}:2: termination_date: "${value}" is not a valid date (expected roster.dateFormat dd/MM/yyyy)`,
      );
    });

    it('applies to hire dates too', async () => {
      const [loaded] = await load('employee_id,email,status,hire_date\nE1,a@example.com,active,05/01/2020\n', {
        dateFormat: 'dd/MM/yyyy',
      });
      expect(loaded!.hireDate).toBe('2020-01-05');
    });
  });

  it('reads a dateFormat with a time as wall-clock time in the zone', async () => {
    expect(await termination('31.03.2026 17:30', LA, 'dd.MM.yyyy HH:mm')).toEqual({
      terminationDate: '2026-04-01T00:30:00.000Z',
      terminationEffectiveAt: '2026-04-01T00:30:00.000Z',
    });
  });

  it('resolves two-digit years the same way whatever today is', async () => {
    expect((await termination('31/03/26', 'UTC', 'dd/MM/yy')).terminationDate).toBe('2026-03-31');
    expect((await termination('31/03/75', 'UTC', 'dd/MM/yy')).terminationDate).toBe('1975-03-31');
  });
});

describe('loadRoster: refused rows', () => {
  it.each([
    [
      'an empty employee id',
      `${HEADER}\nE1,a@example.com,active,\n ,b@example.com,active,\n`,
      '{file}:3: employee_id: employee id is empty',
    ],
    [
      'a duplicate employee id',
      `${HEADER}\nE1,a@example.com,active,\nE2,b@example.com,active,\n\nE1,c@example.com,terminated,\n`,
      '{file}:5: employee_id: duplicate employee id "E1" (first on line 2)',
    ],
    ['an empty email', `${HEADER}\nE1,,active,\n`, '{file}:2: email: email is empty'],
    [
      'an empty status',
      `${HEADER}\nE1,a@example.com,,\n`,
      '{file}:2: status: status is empty (accepted: active, current, leave, on leave, loa, leave of absence, terminated, term, inactive, separated)',
    ],
    [
      'an unknown status',
      `${HEADER}\nE1,a@example.com,Terminated - Voluntary,\n`,
      '{file}:2: status: unknown status "Terminated - Voluntary" (accepted: active, current, leave, on leave, loa, leave of absence, terminated, term, inactive, separated; or map it with roster.statusMap: { "Terminated - Voluntary": active|leave|terminated })',
    ],
    [
      'several problems, reported first in file order with a count',
      `${HEADER}\nE1,,active,\nE2,b@example.com,gone,2026-02-30\nE1,c@example.com,active,\n`,
      '{file}:2: email: email is empty (and 3 more problems in the file)',
    ],
    [
      'a broken row after a bad value',
      `${HEADER}\nE1,a@example.com,gone,\nE2,b@example.com,active\n`,
      '{file}:2: status: unknown status "gone" (accepted: active, current, leave, on leave, loa, leave of absence, terminated, term, inactive, separated; or map it with roster.statusMap: { "gone": active|leave|terminated }) (and 1 more problem in the file)',
    ],
    [
      'a row with the wrong number of fields',
      `${HEADER}\nE1,a@example.com,active,,extra\n`,
      '{file}:2: wrong number of fields: found 5, the header has 4 (a value containing "," must be in double quotes)',
    ],
    [
      'a duplicated header',
      'employee_id,email,status,Email\n',
      '{file}:1: Email: duplicated header: the column appears twice (columns 2 and 4)',
    ],
    [
      'an unterminated quote',
      `${HEADER}\nE1,"a@example.com,active,\nE2,b@example.com,active,\n`,
      '{file}:2: email: unterminated quote: a quoted value opened in this row is never closed (a missing closing ")',
    ],
    ['an empty file', '', '{file}:1: the file is empty: expected a header line naming the columns'],
  ])('refuses %s', async (_name, content, message) => {
    expect(await refusal(content)).toBe(message);
  });

  it('refuses a file that is not UTF-8 text', async () => {
    expect(await refusal(Buffer.from(`${HEADER}\r\nE1,jos\xe9@example.com,active,\r\n`, 'latin1'))).toBe(
      '{file}:2: not UTF-8 text: invalid UTF-8 bytes; save the file as "CSV UTF-8" (Latin-1 and Windows-1252 exports are refused)',
    );
  });

  it('refuses a missing file and a directory', async () => {
    const missing = path.join(dir, 'nope.csv');
    await expect(loadRoster(options(missing), 'UTC')).rejects.toThrow(`${missing}: no such file`);
    await expect(loadRoster(options(dir), 'UTC')).rejects.toThrow(`${dir}: is a directory, not a CSV file`);
  });

  it('returns nothing when the only problem is on the last line', async () => {
    const rows = Array.from({ length: 500 }, (_, index) => `E${index},p${index}@example.com,active,`).join('\n');
    await expect(load(`${HEADER}\n${rows}\nE9999,,active,\n`)).rejects.toThrow(':502: email: email is empty');
  });
});
