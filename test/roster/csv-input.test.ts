import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openCsv, parseIsoDate, splitList, type CsvOptions, type CsvRow } from '../../src/common/csv-input.js';
import { InputError } from '../../src/contract/errors.js';

const dir = mkdtempSync(path.join(tmpdir(), 'zombiescan-csv-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileCount = 0;
function writeCsv(content: string | Buffer, name = `file-${++fileCount}.csv`): string {
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
}

async function readAll(file: string, options?: CsvOptions): Promise<{ headerNames: string[]; rows: CsvRow[] }> {
  const csv = await openCsv(file, options);
  const rows: CsvRow[] = [];
  for await (const row of csv) rows.push(row);
  return { headerNames: csv.header.names, rows };
}

async function readError(file: string, options?: CsvOptions): Promise<InputError> {
  try {
    await readAll(file, options);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error(`expected ${file} to be refused`);
}

const plain = (rows: CsvRow[]) => rows.map((row) => ({ line: row.line, ...row.values }));

describe('openCsv: reading', () => {
  it('reads an Excel export: BOM, CRLF, quoted commas, doubled quotes and multi-line values', async () => {
    const file = writeCsv(
      '\uFEFFEmployee_ID , Name,Email\r\n' +
        'E1,"Smith, Anna",anna@example.com\r\n' +
        'E2,"first line\r\nsecond line\r\nthird line",bob@example.com\r\n' +
        '\r\n' +
        'E3,"He said ""hi""", carol@example.com \r\n' +
        'E4,"",\r\n',
    );
    const { headerNames, rows } = await readAll(file);
    expect(headerNames).toEqual(['Employee_ID', 'Name', 'Email']);
    expect(plain(rows)).toEqual([
      { line: 2, employee_id: 'E1', name: 'Smith, Anna', email: 'anna@example.com' },
      { line: 3, employee_id: 'E2', name: 'first line\nsecond line\nthird line', email: 'bob@example.com' },
      { line: 7, employee_id: 'E3', name: 'He said "hi"', email: 'carol@example.com' },
      { line: 8, employee_id: 'E4', name: '', email: '' },
    ]);
  });

  it('names the right line for a bad row after a multi-line value (CRLF)', async () => {
    const file = writeCsv('id,note\r\n1,"a\r\nb\r\nc"\r\n2,ok\r\n3,too,many\r\n');
    const error = await readError(file);
    expect(error.message).toBe(
      `${file}:6: wrong number of fields: found 3, the header has 2 (a value containing "," must be in double quotes)`,
    );
  });

  it('keeps exact line numbers across read chunks (CRLF and multi-line values split at any byte)', async () => {
    // ~200 KB: several 64 KB chunks, so CRLF pairs and quoted values straddle chunk boundaries.
    let text = 'line,note\r\n';
    let line = 2;
    const expected: number[] = [];
    for (let index = 0; index < 4000; index++) {
      expected.push(line);
      if (index % 7 === 0) {
        text += `${line},"multi\r\nline ${'x'.repeat(index % 13)}\r\nvalue"\r\n`;
        line += 3;
      } else {
        text += `${line},${'y'.repeat(index % 31)}\r\n`;
        line += 1;
      }
      if (index % 11 === 0) {
        text += '\r\n';
        line += 1;
      }
    }
    const { rows } = await readAll(writeCsv(text));
    expect(rows.map((row) => row.line)).toEqual(expected);
    expect(rows.every((row) => row.values.line === String(row.line))).toBe(true);
  });

  it('handles a CRLF, a quoted line break and a UTF-8 character split exactly at read-chunk boundaries', async () => {
    const CHUNK = 64 * 1024; // fs.createReadStream's default highWaterMark
    let text = 'line,note\r\n';
    let line = 2;
    const expected: { line: number; note: string }[] = [];
    const addRow = (note: string, written = note) => {
      expected.push({ line, note });
      text += `${line},${written}\r\n`;
      line += (written.match(/\r\n/g) ?? []).length + 1;
    };
    const fillTo = (boundary: number) => {
      while (Buffer.byteLength(text) < boundary - 200) addRow('filler');
    };
    // Each row is padded so that its interesting byte is the last one of a chunk.
    const padding = (boundary: number, bytesBeforeTarget: number) =>
      'p'.repeat(boundary - 1 - Buffer.byteLength(text) - bytesBeforeTarget);

    fillTo(CHUNK); // the row's own CR ends chunk 1, its LF starts chunk 2
    const crSplit = padding(CHUNK, `${line},`.length);
    addRow(crSplit);
    fillTo(2 * CHUNK); // a CR inside a quoted value ends chunk 2
    const quoted = padding(2 * CHUNK, `${line},"`.length);
    addRow(`${quoted}\nafter`, `"${quoted}\r\nafter"`);
    fillTo(3 * CHUNK); // the first byte of "é" ends chunk 3
    const accented = `${padding(3 * CHUNK, `${line},`.length)}é`;
    addRow(accented);
    addRow('last');

    const { rows } = await readAll(writeCsv(text));
    expect(rows.map((row) => ({ line: row.line, note: row.values.note }))).toEqual(expected);
    expect(rows.every((row) => row.values.line === String(row.line))).toBe(true);
  });

  it('reads LF and lone-CR line ends alike', async () => {
    for (const newline of ['\n', '\r']) {
      const { rows } = await readAll(writeCsv(['a,b', '1,2', '', '3,"x', 'y"', '5,6'].join(newline)));
      expect(plain(rows)).toEqual([
        { line: 2, a: '1', b: '2' },
        { line: 4, a: '3', b: 'x\ny' },
        { line: 6, a: '5', b: '6' },
      ]);
    }
  });

  it.each([
    [';', 'id;name\n1;"Doe; Jane"\n'],
    ['\t', 'id\tname\n1\t"Doe\tJane"\n'],
    ['|', 'id|name\n1|"Doe| Jane"\n'],
  ])('honours the delimiter %j', async (delimiter, text) => {
    const { rows } = await readAll(writeCsv(text), { delimiter });
    expect(rows[0]!.values.id).toBe('1');
    expect(rows[0]!.values.name).toMatch(/^Doe. ?Jane$/);
  });

  it('matches headers case-insensitively and trims names and values, quoted ones too', async () => {
    const csv = await openCsv(writeCsv(' Work Email ,STATUS\n  bob@x.example , " Active "\n'));
    expect(csv.has('work email')).toBe(true);
    expect(csv.has('Status')).toBe(true);
    expect(csv.has('email')).toBe(false);
    expect(csv.headerName('WORK EMAIL')).toBe('Work Email');
    const rows: CsvRow[] = [];
    for await (const row of csv) rows.push(row);
    expect(plain(rows)).toEqual([{ line: 2, 'work email': 'bob@x.example', status: 'Active' }]);
  });

  it('skips blank lines and rows whose every cell is empty', async () => {
    const { rows } = await readAll(writeCsv('\n\na,b\n,\n  \n1,2\n"",""\n'));
    expect(plain(rows)).toEqual([{ line: 6, a: '1', b: '2' }]);
  });

  it('reports the header line when the file starts with blank lines', async () => {
    const csv = await openCsv(writeCsv('\n\na,b\n1,2\n'));
    expect(csv.header.line).toBe(3);
    await csv.close();
  });

  it('ignores the values of a column whose header cell is empty', async () => {
    const { rows } = await readAll(writeCsv('a,,b,\n1,x,2,y\n'));
    expect(plain(rows)).toEqual([{ line: 2, a: '1', b: '2' }]);
  });

  it('does not confuse a header such as "constructor" with object members', async () => {
    const csv = await openCsv(writeCsv('id\n1\n'));
    expect(csv.has('constructor')).toBe(false);
    for await (const row of csv) expect(row.values.constructor).toBeUndefined();
  });

  it('returns no rows for a header-only file', async () => {
    const { headerNames, rows } = await readAll(writeCsv('a,b\r\n'));
    expect(headerNames).toEqual(['a', 'b']);
    expect(rows).toEqual([]);
  });

  it('can be closed before reading to the end', async () => {
    const csv = await openCsv(writeCsv('a\n1\n2\n3\n'));
    for await (const row of csv) {
      expect(row.values.a).toBe('1');
      break;
    }
    await csv.close();
    await csv.close();
  });
});

describe('openCsv: refused input', () => {
  const cases: { name: string; content: string | Buffer; message: (file: string) => string; options?: CsvOptions }[] = [
    {
      name: 'an empty file',
      content: '',
      message: (f) => `${f}:1: the file is empty: expected a header line naming the columns`,
    },
    {
      name: 'a file of blank lines',
      content: '\r\n  \r\n\r\n',
      message: (f) => `${f}:1: the file is empty: expected a header line naming the columns`,
    },
    {
      name: 'a header line without names',
      content: ',,\n1,2,3\n',
      message: (f) => `${f}:1: the header line names no columns`,
    },
    {
      name: 'a duplicated header (case-insensitive)',
      content: 'id,Email,name,EMAIL \n1,a,b,c\n',
      message: (f) => `${f}:1: EMAIL: duplicated header: the column appears twice (columns 2 and 4)`,
    },
    {
      name: 'a row with too few fields',
      content: 'a,b,c\n1,2,3\n4,5\n',
      message: (f) => `${f}:3: wrong number of fields: found 2, the header has 3`,
    },
    {
      name: 'a row with too many fields',
      content: 'a,b,c\n1,2,3,4\n',
      message: (f) =>
        `${f}:2: wrong number of fields: found 4, the header has 3 (a value containing "," must be in double quotes)`,
    },
    {
      name: 'a row with too many fields, other delimiter',
      content: 'a;b\n1;2;3\n',
      options: { delimiter: ';' },
      message: (f) =>
        `${f}:2: wrong number of fields: found 3, the header has 2 (a value containing ";" must be in double quotes)`,
    },
    {
      name: 'an unterminated quote',
      content: 'a,b\r\n1,2\r\n\r\n3,"abc\r\n4,5\r\n',
      message: (f) =>
        `${f}:4: b: unterminated quote: a quoted value opened in this row is never closed (a missing closing ")`,
    },
    {
      name: 'text after a closing quote',
      content: 'a,b\n1,"x\ny"z\n',
      message: (f) => `${f}:3: b: text after a closing quote: a quote inside a quoted value must be doubled ("")`,
    },
    {
      name: 'a space then text after a closing quote',
      content: 'a,b\n"x" y,1\n',
      message: (f) => `${f}:2: a: text after a closing quote: a quote inside a quoted value must be doubled ("")`,
    },
    {
      name: 'a quote inside an unquoted value',
      content: 'a,b\n1,2\n3,say "hi"\n',
      message: (f) =>
        `${f}:3: b: a quote inside an unquoted value: put the whole value in double quotes and double the quote inside ("")`,
    },
    {
      name: 'broken quoting in the header',
      content: 'a,b"c\n1,2\n',
      message: (f) =>
        `${f}:1: column 2: a quote inside an unquoted value: put the whole value in double quotes and double the quote inside ("")`,
    },
    {
      name: 'an Excel workbook',
      content: Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00]), Buffer.alloc(64, 7)]),
      message: (f) =>
        `${f}:1: not UTF-8 text: this is a ZIP archive, e.g. an Excel workbook (.xlsx); export the sheet as "CSV UTF-8"`,
    },
    {
      name: 'a legacy Excel workbook',
      content: Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]),
      message: (f) =>
        `${f}:1: not UTF-8 text: this is an Office document, e.g. an Excel 97-2003 workbook (.xls); export the sheet as "CSV UTF-8"`,
    },
    {
      name: 'UTF-16 with a BOM',
      content: Buffer.from('\uFEFFid,email\r\n1,a@example.com\r\n', 'utf16le'),
      message: (f) => `${f}:1: not UTF-8 text: the file is UTF-16 (little-endian); save it as "CSV UTF-8"`,
    },
    {
      name: 'UTF-16 big-endian with a BOM',
      content: Buffer.from([0xfe, 0xff, 0x00, 0x69, 0x00, 0x64]),
      message: (f) => `${f}:1: not UTF-8 text: the file is UTF-16 (big-endian); save it as "CSV UTF-8"`,
    },
    {
      name: 'UTF-16 without a BOM',
      content: Buffer.from('id,email\r\n1,a@example.com\r\n', 'utf16le'),
      message: (f) =>
        `${f}:1: not UTF-8 text: contains a NUL byte (a binary or UTF-16 file?); save the file as "CSV UTF-8" (Latin-1 and Windows-1252 exports are refused)`,
    },
    {
      name: 'Latin-1 text',
      content: Buffer.from('id,name\r\n1,Ann\r\n2,Jos\xe9 Garc\xeda\r\n', 'latin1'),
      message: (f) =>
        `${f}:3: not UTF-8 text: invalid UTF-8 bytes; save the file as "CSV UTF-8" (Latin-1 and Windows-1252 exports are refused)`,
    },
    {
      name: 'a NUL byte inside the data',
      content: 'id,name\n1,a\n2,b\u0000c\n',
      message: (f) =>
        `${f}:3: not UTF-8 text: contains a NUL byte (a binary or UTF-16 file?); save the file as "CSV UTF-8" (Latin-1 and Windows-1252 exports are refused)`,
    },
    {
      name: 'a file cut inside a UTF-8 character',
      content: Buffer.concat([Buffer.from('id,name\n1,'), Buffer.from([0xc3])]),
      message: (f) =>
        `${f}:2: not UTF-8 text: the file ends in the middle of a UTF-8 character; save the file as "CSV UTF-8" (Latin-1 and Windows-1252 exports are refused)`,
    },
  ];

  it.each(cases)('refuses $name', async ({ content, message, options }) => {
    const file = writeCsv(content);
    const error = await readError(file, options);
    expect(error.message).toBe(message(file));
    expect(error.exitCode).toBe(2);
  });

  it('refuses invalid bytes far into a large file with the right line', async () => {
    const good = 'id,name\r\n' + Array.from({ length: 9000 }, (_, index) => `${index},name ${index}\r\n`).join('');
    const file = writeCsv(Buffer.concat([Buffer.from(good), Buffer.from('9000,bad \xff byte\r\n', 'latin1')]));
    expect((await readError(file)).line).toBe(9002);
  });

  it('refuses a missing file', async () => {
    const file = path.join(dir, 'missing.csv');
    expect((await readError(file)).message).toBe(`${file}: no such file`);
  });

  it('refuses a directory', async () => {
    const folder = path.join(dir, 'a-folder.csv');
    mkdirSync(folder);
    expect((await readError(folder)).message).toBe(`${folder}: is a directory, not a CSV file`);
  });

  it.skipIf(process.getuid?.() === 0)('refuses an unreadable file', async () => {
    const file = writeCsv('a\n1\n');
    chmodSync(file, 0o000);
    expect((await readError(file)).message).toBe(`${file}: cannot read the file: permission denied`);
  });
});

describe('splitList', () => {
  it.each([
    ['', []],
    ['a@x', ['a@x']],
    [' a@x ; ;b@x;', ['a@x', 'b@x']],
    ['a@x;A@X;b@x', ['a@x', 'b@x']],
  ])('%j -> %j', (value, expected) => {
    expect(splitList(value)).toEqual(expected);
  });
});

describe('parseIsoDate', () => {
  it.each([
    ['2026-03-31', 'UTC', { kind: 'date', date: '2026-03-31' }],
    ['2024-02-29', 'UTC', { kind: 'date', date: '2024-02-29' }],
    ['2026-03-31T17:00:00Z', 'UTC', '2026-03-31T17:00:00.000Z'],
    ['2026-03-31t17:00:00z', 'UTC', '2026-03-31T17:00:00.000Z'],
    ['2026-03-31 17:00', 'UTC', '2026-03-31T17:00:00.000Z'],
    ['2026-03-31T17:00:00.1234567Z', 'UTC', '2026-03-31T17:00:00.123Z'],
    ['2026-03-31T17:00:00+02:00', 'America/Los_Angeles', '2026-03-31T15:00:00.000Z'],
    ['2026-03-31T17:00:00-0530', 'UTC', '2026-03-31T22:30:00.000Z'],
    ['2026-03-31T17:00:00+02', 'UTC', '2026-03-31T15:00:00.000Z'],
    ['2026-03-31T17:00:00', 'America/Los_Angeles', '2026-04-01T00:00:00.000Z'],
    ['2026-01-15T17:00:00', 'America/Los_Angeles', '2026-01-16T01:00:00.000Z'],
    ['2026-03-31T17:00:00', 'Europe/Berlin', '2026-03-31T15:00:00.000Z'],
  ])('%s in %s', (value, zone, expected) => {
    const parsed = parseIsoDate(value, zone);
    if (typeof expected === 'string') {
      expect(parsed?.kind === 'instant' && parsed.instant.toISOString()).toBe(expected);
    } else {
      expect(parsed).toEqual(expected);
    }
  });

  it.each([
    '2026-02-30',
    '2025-02-29',
    '2026-04-31',
    '2026-13-01',
    '2026-00-10',
    '2026-1-5',
    '0001-01-01',
    '1601-01-01T00:00:00Z',
    '2026-03-31T24:00:00Z',
    '2026-03-31T12:60:00Z',
    '2026-03-31T12:00:61Z',
    '2026-03-31T12:00:00+25:00',
    '2026-03-31T12',
    '31/03/2026',
    '03/31/2026',
    'yesterday',
    '1711900800',
    '',
  ])('refuses %j', (value) => {
    expect(parseIsoDate(value, 'UTC')).toBeNull();
  });
});
