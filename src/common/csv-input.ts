import { createReadStream } from 'node:fs';
import { access, constants, stat } from 'node:fs/promises';
import { TZDate } from '@date-fns/tz';
import { CsvError, parse } from 'csv-parse';
import { InputError } from '../contract/errors.js';
import { fastPathSupports, NotWellFormed, readWellFormedRecords } from './csv-fast.js';

/**
 * Reading the CSV files users hand us (HR roster, app exports), streamed so a large export never sits in memory.
 * Everything the user can get wrong becomes an InputError naming file, physical line (the header is line 1, a quoted
 * value spanning lines counts every line) and column.
 *
 * Accepted: UTF-8 with or without BOM; LF, CRLF or CR line ends; RFC 4180 quoting; any one-character delimiter.
 * Header names and values are trimmed; header names match case-insensitively. Blank lines, and rows whose every
 * cell is empty (spreadsheets export those), are skipped. A header cell left empty names no column: its values
 * are ignored.
 */

export interface CsvRow {
  /** Physical line the row starts on. */
  line: number;
  /** Trimmed values keyed by column key (see `columnKey`); every named header column is present. */
  values: Record<string, string>;
}

export interface CsvHeader {
  /** Physical line of the header: 1 unless the file starts with blank lines. */
  line: number;
  /** Header names as written (trimmed), in file order. */
  names: string[];
}

export interface CsvFile extends AsyncIterable<CsvRow> {
  readonly file: string;
  readonly header: CsvHeader;
  /** Whether the header has this column (case-insensitive). */
  has(column: string): boolean;
  /** The header name as written in the file for a column, e.g. "Employee ID" for "employee id". */
  headerName(column: string): string | undefined;
  /** Stops reading and releases the file; safe to call more than once, and after reading to the end. */
  close(): Promise<void>;
}

export interface CsvOptions {
  /** One character; default `,`. */
  delimiter?: string;
}

/** How a header name is compared: trimmed, case-insensitive. */
export function columnKey(name: string): string {
  return name.trim().toLowerCase();
}

/**
 * Opens a CSV file and reads its header; the rows are read as they are iterated (once). Throws InputError for a
 * file that is missing, unreadable, a directory, not UTF-8 text, empty, or whose header repeats a column; and,
 * while iterating, for a row with the wrong number of fields or broken quoting.
 */
export async function openCsv(file: string, options: CsvOptions = {}): Promise<CsvFile> {
  await assertReadableFile(file);
  let header: CsvHeader | null = null;
  const columnName = (index: number): string => (header?.names[index] ? header.names[index] : `column ${index + 1}`);
  const records = readRecords(file, options.delimiter ?? ',', columnName);

  try {
    const first = await records.next();
    if (first.done) throw new InputError(file, 1, null, 'the file is empty: expected a header line naming the columns');
    header = checkHeader(file, first.value);
  } catch (error) {
    await records.return(undefined);
    throw error;
  }
  const checkedHeader = header;
  const keys = checkedHeader.names.map(columnKey);
  const namesByKey = new Map(keys.flatMap((key, index) => (key === '' ? [] : [[key, checkedHeader.names[index]!]])));

  async function* rows(): AsyncGenerator<CsvRow> {
    for await (const record of records) {
      if (record.fields.length !== keys.length) {
        throw new InputError(file, record.line, null, fieldCountProblem(record.fields.length, keys.length, options));
      }
      if (record.fields.every((value) => value === '')) continue;
      // No prototype: a header named "constructor" or "__proto__" must not collide with Object's members.
      const values = Object.create(null) as Record<string, string>;
      keys.forEach((key, index) => {
        if (key !== '') values[key] = record.fields[index]!;
      });
      yield { line: record.line, values };
    }
  }
  const iterator = rows();

  return {
    file,
    header: checkedHeader,
    has: (column) => namesByKey.has(columnKey(column)),
    headerName: (column) => namesByKey.get(columnKey(column)),
    async close() {
      await iterator.return(undefined);
      await records.return(undefined);
    },
    [Symbol.asyncIterator]: () => iterator,
  };
}

async function assertReadableFile(file: string): Promise<void> {
  try {
    const stats = await stat(file);
    if (stats.isDirectory()) throw new InputError(file, null, null, 'is a directory, not a CSV file');
    await access(file, constants.R_OK);
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw fileSystemError(file, error);
  }
}

const FILE_PROBLEMS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'cannot read the file: permission denied',
  EPERM: 'cannot read the file: permission denied',
  EISDIR: 'is a directory, not a CSV file',
};

function fileSystemError(file: string, error: unknown): InputError {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const problem = Object.hasOwn(FILE_PROBLEMS, code)
    ? FILE_PROBLEMS[code]!
    : `cannot read the file: ${code || String(error)}`;
  return new InputError(file, null, null, problem);
}

interface RawRecord {
  line: number;
  fields: string[];
}

function checkHeader(file: string, record: RawRecord): CsvHeader {
  const names = record.fields;
  if (names.every((name) => name === '')) {
    throw new InputError(file, record.line, null, 'the header line names no columns');
  }
  const firstIndex = new Map<string, number>();
  names.forEach((name, index) => {
    const key = columnKey(name);
    if (key === '') return;
    const earlier = firstIndex.get(key);
    if (earlier !== undefined) {
      throw new InputError(
        file,
        record.line,
        name,
        `duplicated header: the column appears twice (columns ${earlier + 1} and ${index + 1})`,
      );
    }
    firstIndex.set(key, index);
  });
  return { line: record.line, names };
}

function fieldCountProblem(found: number, expected: number, options: CsvOptions): string {
  const problem = `wrong number of fields: found ${found}, the header has ${expected}`;
  if (found < expected) return problem;
  const delimiter = options.delimiter ?? ',';
  return `${problem} (a value containing "${delimiter}" must be in double quotes)`;
}

/**
 * Every record of the file (header included) with the physical line it starts on. Line numbers come from the raw
 * text of each record: csv-parse's own `info.lines` miscounts a CRLF inside a quoted value, and the decoder turns
 * every line end into LF so counting "\n" is exact.
 *
 * The parser is fed one chunk at a time and its records are taken synchronously through `on_record`: reading its
 * output as a stream would drop the records parsed before an error in the same chunk (the stream is destroyed
 * with the error), and every error must come after the rows before it, with the right line.
 */
async function* readRecords(
  file: string,
  delimiter: string,
  columnName: (index: number) => string,
): AsyncGenerator<RawRecord> {
  if (!fastPathSupports(delimiter)) {
    yield* readRecordsWithCsvParse(file, delimiter, columnName);
    return;
  }
  let yielded = 0;
  try {
    for await (const records of readWellFormedRecords(decodedText(file), delimiter)) {
      for (const record of records) {
        yield record;
        yielded++;
      }
    }
    return;
  } catch (error) {
    // An unusual line, or a file that fails to decode: csv-parse reads it again from the start, so every error and
    // every unusual case is exactly what it always was (the records already yielded are the same and are skipped).
    if (!(error instanceof NotWellFormed) && !(error instanceof InputError)) throw error;
  }
  let skip = yielded;
  for await (const record of readRecordsWithCsvParse(file, delimiter, columnName)) {
    if (skip > 0) skip--;
    else yield record;
  }
}

/** The general reader: csv-parse, for files the fast path declines (see csv-fast.ts). */
async function* readRecordsWithCsvParse(
  file: string,
  delimiter: string,
  columnName: (index: number) => string,
): AsyncGenerator<RawRecord> {
  const parsed: { fields: string[]; raw: string }[] = [];
  const parser = parse({
    delimiter,
    record_delimiter: '\n',
    raw: true,
    relax_column_count: true,
    skip_empty_lines: true,
    trim: true,
    on_record: (output: unknown) => {
      // With `raw` set, each record arrives as { record, raw } (the typings assume the bare record).
      const { record, raw } = output as { record: string[]; raw: string };
      parsed.push({ fields: record, raw });
      return null;
    },
  });
  // Errors are taken from the write/end callbacks; the listener only keeps the 'error' event from being unhandled.
  parser.on('error', () => {});
  const send = (text: string | null) =>
    new Promise<unknown>((resolve) => {
      const done = (error?: Error | null) => resolve(error ?? null);
      if (text === null) parser.end(done);
      else parser.write(text, done);
    });

  let linesConsumed = 0;
  function* take(): Generator<RawRecord> {
    for (const { fields, raw } of parsed.splice(0)) {
      const line = linesConsumed + 1 + countLineBreaks(leadingBlank(raw));
      linesConsumed += countLineBreaks(raw);
      yield { line, fields: fields.map((value) => value.trim()) };
    }
  }

  try {
    let failure: unknown = null;
    for await (const text of decodedText(file)) {
      failure = await send(text);
      yield* take();
      if (failure !== null) break;
    }
    if (failure === null) {
      failure = await send(null);
      yield* take();
    }
    if (failure instanceof CsvError) throw syntaxError(file, failure, linesConsumed, columnName);
    if (failure !== null) throw failure;
  } finally {
    parser.destroy();
  }
}

/** csv-parse's errors as the user's problem; field counts are checked by `openCsv` itself, against the header. */
function syntaxError(
  file: string,
  error: CsvError,
  linesConsumed: number,
  columnName: (index: number) => string,
): InputError {
  const raw = typeof error.raw === 'string' ? error.raw : '';
  const recordStart = linesConsumed + 1 + countLineBreaks(leadingBlank(raw));
  // The raw text of a failed record ends where the parser gave up: the offending character's line.
  const errorLine = linesConsumed + 1 + countLineBreaks(raw.replace(/\n$/, ''));
  const column = typeof error.index === 'number' ? columnName(error.index) : null;
  switch (error.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return new InputError(
        file,
        recordStart,
        column,
        'unterminated quote: a quoted value opened in this row is never closed (a missing closing ")',
      );
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
      return new InputError(
        file,
        errorLine,
        column,
        'text after a closing quote: a quote inside a quoted value must be doubled ("")',
      );
    case 'INVALID_OPENING_QUOTE':
      return new InputError(
        file,
        errorLine,
        column,
        'a quote inside an unquoted value: put the whole value in double quotes and double the quote inside ("")',
      );
    default:
      return new InputError(file, errorLine, column, `not readable as CSV: ${error.message}`);
  }
}

function countLineBreaks(text: string): number {
  let count = 0;
  for (let index = text.indexOf('\n'); index !== -1; index = text.indexOf('\n', index + 1)) count++;
  return count;
}

/** The blank lines csv-parse skipped before a record, which it reports as the start of the record's raw text. */
function leadingBlank(raw: string): string {
  const end = raw.search(/\S/);
  const blank = end === -1 ? raw : raw.slice(0, end);
  return blank.slice(0, blank.lastIndexOf('\n') + 1);
}

/** The file as text in chunks, refusing anything that is not UTF-8 text. */
async function* decodedText(file: string): AsyncGenerator<string> {
  const decoder = new Utf8Decoder(file);
  const stream = createReadStream(file);
  try {
    for await (const chunk of stream) yield decoder.decode(chunk as Buffer);
  } catch (error) {
    throw error instanceof InputError ? error : fileSystemError(file, error);
  } finally {
    stream.destroy();
  }
  yield decoder.end();
}

/**
 * Bytes -> text, throwing InputError for anything that is not UTF-8 text, and turning CRLF and lone CR into LF
 * (Excel writes CRLF, old Mac exports CR). A strict decoder gives the verdict; a lenient one, fed the same bytes,
 * locates the line.
 */
class Utf8Decoder {
  private readonly strict = new TextDecoder('utf-8', { fatal: true });
  private readonly lenient = new TextDecoder('utf-8');
  private linesSeen = 0;
  private firstChunk = true;
  private endedWithCR = false;

  constructor(private readonly file: string) {}

  decode(chunk: Buffer): string {
    if (this.firstChunk) {
      this.firstChunk = false;
      const kind = binaryKind(chunk);
      if (kind) throw new InputError(this.file, 1, null, `not UTF-8 text: ${kind}`);
    }
    const text = this.normalize(this.lenient.decode(chunk, { stream: true }));
    try {
      this.strict.decode(chunk, { stream: true });
    } catch {
      throw this.encodingError(text, text.indexOf('\uFFFD'), 'invalid UTF-8 bytes');
    }
    const nul = text.indexOf('\0');
    if (nul !== -1) throw this.encodingError(text, nul, 'contains a NUL byte (a binary or UTF-16 file?)');
    this.linesSeen += countLineBreaks(text);
    return text;
  }

  end(): string {
    const text = this.normalize(this.lenient.decode());
    try {
      this.strict.decode();
    } catch {
      throw this.encodingError(text, 0, 'the file ends in the middle of a UTF-8 character');
    }
    return text;
  }

  private normalize(text: string): string {
    const rest = this.endedWithCR && text.startsWith('\n') ? text.slice(1) : text;
    if (text.length > 0) this.endedWithCR = text.endsWith('\r');
    return rest.replace(/\r\n?/g, '\n');
  }

  private encodingError(text: string, at: number, problem: string): InputError {
    const line = this.linesSeen + 1 + countLineBreaks(text.slice(0, Math.max(at, 0)));
    return new InputError(
      this.file,
      line,
      null,
      `not UTF-8 text: ${problem}; save the file as "CSV UTF-8" (Latin-1 and Windows-1252 exports are refused)`,
    );
  }
}

/** Recognises the files people most often export by mistake, so the message can say what to do instead. */
function binaryKind(start: Buffer): string | null {
  if (start[0] === 0xff && start[1] === 0xfe) return 'the file is UTF-16 (little-endian); save it as "CSV UTF-8"';
  if (start[0] === 0xfe && start[1] === 0xff) return 'the file is UTF-16 (big-endian); save it as "CSV UTF-8"';
  if (start.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04]))) {
    return 'this is a ZIP archive, e.g. an Excel workbook (.xlsx); export the sheet as "CSV UTF-8"';
  }
  if (start.subarray(0, 4).equals(Buffer.from([0xd0, 0xcf, 0x11, 0xe0]))) {
    return 'this is an Office document, e.g. an Excel 97-2003 workbook (.xls); export the sheet as "CSV UTF-8"';
  }
  return null;
}

/** `;`-separated list cell: trimmed, empties dropped, duplicates (case-insensitive) dropped. */
export function splitList(value: string): string[] {
  const seen = new Set<string>();
  const items: string[] = [];
  for (const part of value.split(';')) {
    const item = part.trim();
    if (item === '' || seen.has(item.toLowerCase())) continue;
    seen.add(item.toLowerCase());
    items.push(item);
  }
  return items;
}

/** A date cell: a calendar date (yyyy-MM-dd) or an exact instant. */
export type DateCell = { kind: 'date'; date: string } | { kind: 'instant'; instant: Date };

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * ISO 8601 date (`2026-03-31`) or date-time (`2026-03-31T17:00:00Z`, `…+02:00`; `T` or a space). A date-time without
 * an offset is wall-clock time in `timezone`. Returns null for anything else, including impossible dates
 * (2026-02-30, 24:00): Date.parse would quietly roll those over into the next month or day. Years before 1900 are
 * refused too.
 */
export function parseIsoDate(value: string, timezone: string): DateCell | null {
  const dateOnly = ISO_DATE.exec(value);
  if (dateOnly) {
    const [year, month, day] = dateOnly.slice(1, 4).map(Number) as [number, number, number];
    return isCalendarDate(year, month, day) ? { kind: 'date', date: value } : null;
  }
  const match = ISO_DATE_TIME.exec(value);
  if (!match) return null;
  const [year, month, day, hour, minute] = match.slice(1, 6).map(Number) as [number, number, number, number, number];
  const second = match[6] === undefined ? 0 : Number(match[6]);
  const millisecond = match[7] === undefined ? 0 : Math.floor(Number(`0.${match[7]}`) * 1000);
  if (!isCalendarDate(year, month, day) || hour > 23 || minute > 59 || second > 59) return null;
  const offset = match[8];
  if (offset === undefined) {
    const local = new TZDate(year, month - 1, day, hour, minute, second, millisecond, timezone);
    return { kind: 'instant', instant: new Date(local.getTime()) };
  }
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, millisecond);
  const offsetMinutes = offset.toUpperCase() === 'Z' ? 0 : parseOffsetMinutes(offset);
  if (offsetMinutes === null) return null;
  return { kind: 'instant', instant: new Date(utc - offsetMinutes * 60_000) };
}

function parseOffsetMinutes(offset: string): number | null {
  const digits = offset.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2)) : 0;
  if (hours > 18 || minutes > 59) return null;
  return (offset.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
}

/** Years before 1900 are typos or "never" sentinels (0001-01-01, 1601-01-01), not dates to act on. */
const EARLIEST_YEAR = 1900;

function isCalendarDate(year: number, month: number, day: number): boolean {
  if (year < EARLIEST_YEAR || month < 1 || month > 12 || day < 1) return false;
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}
