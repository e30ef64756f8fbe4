import { tz } from '@date-fns/tz';
import { format } from 'date-fns';
import type { Config, RosterField } from '../../src/config/config.js';
import { ROSTER_FIELDS } from '../../src/config/config.js';
import { columnKey, openCsv, splitList, type CsvFile, type CsvRow, type DateCell } from '../../src/common/csv-input.js';
import { InputError } from '../../src/contract/errors.js';
import type { HrStatus, Person } from '../../src/contract/model.js';
import { endOfLocalDay, toIso } from '../../src/common/time.js';
import { headerHint } from '../../src/common/header-hints.js';
import { describeStatusWords, parseRosterDate, parseStatus } from './fields.js';
import { displayUrl, fetchRosterToFile } from './fetch.js';

/**
 * The HR roster: who works here, who left and when. It is the ground truth every finding rests on, so it is read
 * whole and refused whole: one bad row means no roster at all, never a roster with holes (a missing leaver would
 * silently stop their findings).
 */

export type RosterOptions = Config['roster'];

/** The header each field is read from when `roster.columns` does not map it. */
export const DEFAULT_ROSTER_HEADERS: Readonly<Record<RosterField, string>> = {
  employeeId: 'employee_id',
  email: 'email',
  name: 'name',
  status: 'status',
  workerType: 'worker_type',
  hireDate: 'hire_date',
  terminationDate: 'termination_date',
  managerId: 'manager_id',
  department: 'department',
  aliases: 'aliases',
};

export const REQUIRED_ROSTER_FIELDS: readonly RosterField[] = ['employeeId', 'email', 'status'];

/**
 * Reads and validates the whole roster. Throws InputError (`file:line: column: problem`) for the first problem in
 * file order, saying how many more were found; returns nothing unless every row is valid.
 */
export async function loadRoster(
  options: RosterOptions,
  timezone: string,
  fetchImpl: typeof fetch = fetch,
): Promise<Person[]> {
  if (options.url === undefined) return readRosterFile(options.path!, options, timezone, options.path!);
  const fetched = await fetchRosterToFile(
    {
      url: options.url,
      username: options.username,
      password: options.password,
      headers: options.headers,
      timeoutSeconds: options.timeoutSeconds,
    },
    fetchImpl,
  );
  try {
    return await readRosterFile(fetched.file, options, timezone, displayUrl(options.url));
  } finally {
    await fetched.dispose();
  }
}

/** `shownAs` names the roster in errors (the file, or the report URL without credentials). */
async function readRosterFile(
  file: string,
  options: RosterOptions,
  timezone: string,
  shownAs: string,
): Promise<Person[]> {
  try {
    return await readRoster(file, options, timezone);
  } catch (error) {
    if (error instanceof InputError && error.file !== shownAs) {
      throw new InputError(shownAs, error.line, error.column, error.problem);
    }
    throw error;
  }
}

async function readRoster(file: string, options: RosterOptions, timezone: string): Promise<Person[]> {
  const csv = await openCsv(file, { delimiter: options.delimiter });
  const delimiter = options.delimiter;
  const problems = new Problems(file);
  try {
    const columns = resolveColumns(csv, options.columns, delimiter, problems);
    if (problems.count > 0) problems.throwFirst();
    const settings: RowSettings = {
      timezone,
      dateFormat: options.dateFormat,
      statusMap: options.statusMap ?? {},
      endOfDay: memoize((date) => toIso(endOfLocalDay(date, timezone))),
      shared: memoize((value) => value),
    };
    const people: Person[] = [];
    const firstLineOf = new Map<string, number>();
    try {
      for await (const row of csv) {
        const person = readPerson(row, columns, settings, firstLineOf, problems);
        if (person !== null) people.push(person);
      }
    } catch (error) {
      // A broken row structure ends the read; still report problems found on earlier lines first.
      if (!(error instanceof InputError)) throw error;
      problems.addError(error);
    }
    if (problems.count > 0) problems.throwFirst();
    return people;
  } finally {
    await csv.close();
  }
}

/** A roster field's column: its key in each row and its header as written in the file (for messages). */
interface Column {
  key: string;
  name: string;
}

type Columns = Record<RosterField, Column | null>;

function resolveColumns(
  csv: CsvFile,
  mapping: RosterOptions['columns'],
  delimiter: string,
  problems: Problems,
): Columns {
  const columns = {} as Columns;
  const found = `the header has: ${csv.header.names.filter((name) => name !== '').join(', ')}`;
  for (const field of ROSTER_FIELDS) {
    const mapped = mapping[field];
    const expected = mapped ?? DEFAULT_ROSTER_HEADERS[field];
    const name = csv.headerName(expected);
    columns[field] = name === undefined ? null : { key: columnKey(expected), name };
    if (name !== undefined) continue;
    if (mapped !== undefined) {
      problems.add(csv.header.line, expected, `column not found (roster.columns.${field} names it; ${found})`);
    } else if (REQUIRED_ROSTER_FIELDS.includes(field)) {
      const hint = headerHint({
        names: csv.header.names,
        delimiter,
        expected,
        field: expected,
        mapWith: (header) => `roster.columns.${field}: ${JSON.stringify(header)}`,
        delimiterSetting: 'roster.delimiter',
      });
      problems.add(
        csv.header.line,
        expected,
        `required column not found (map your header with roster.columns.${field}; ${found})${hint ? `; ${hint}` : ''}`,
      );
    }
  }
  return columns;
}

interface RowSettings {
  timezone: string;
  dateFormat: string | undefined;
  /** `roster.statusMap`: HR words outside the built-in list. */
  statusMap: Readonly<Record<string, HrStatus>>;
  /** When a date-only last day ends in `timezone`, as ISO UTC. */
  endOfDay: (date: string) => string;
  /**
   * One string for each value a column repeats (worker type, department, a hire day): the roster lives through the
   * whole scan, and 200,000 copies of "employee" are memory that grows with the organisation for nothing.
   */
  shared: (value: string) => string;
}

function sharedOrNull(value: string | null, settings: RowSettings): string | null {
  return value === null ? null : settings.shared(value);
}

/** Time-zone arithmetic costs ~10 µs a call and a roster repeats the same few thousand dates. */
function memoize(compute: (key: string) => string): (key: string) => string {
  const cache = new Map<string, string>();
  return (key) => {
    let value = cache.get(key);
    if (value === undefined) {
      value = compute(key);
      cache.set(key, value);
    }
    return value;
  };
}

/**
 * One row -> Person, or null after reporting every problem in the row. An employee id is claimed by the first row
 * that has it, valid or not, so a repeat is reported even when the first row had other problems.
 */
function readPerson(
  row: CsvRow,
  columns: Columns,
  dates: RowSettings,
  firstLineOf: Map<string, number>,
  problems: Problems,
): Person | null {
  const before = problems.count;
  const cell = (field: RosterField): string => {
    const column = columns[field];
    return column === null ? '' : (row.values[column.key] ?? '');
  };
  const optional = (field: RosterField): string | null => cell(field) || null;
  const report = (field: RosterField, problem: string) =>
    problems.add(row.line, columns[field]?.name ?? DEFAULT_ROSTER_HEADERS[field], problem);

  const employeeId = cell('employeeId');
  const earlier = firstLineOf.get(employeeId);
  if (employeeId === '') {
    report('employeeId', 'employee id is empty');
  } else if (earlier !== undefined) {
    report('employeeId', `duplicate employee id "${employeeId}" (first on line ${earlier})`);
  } else {
    firstLineOf.set(employeeId, row.line);
  }
  const email = cell('email');
  if (email === '') report('email', 'email is empty');
  const statusText = cell('status');
  const status = parseStatus(statusText, dates.statusMap);
  if (status === null) {
    const accepted = `accepted: ${describeStatusWords(dates.statusMap)}`;
    report(
      'status',
      statusText === ''
        ? `status is empty (${accepted})`
        : `unknown status "${statusText}" (${accepted}; or map it with roster.statusMap: { ${JSON.stringify(statusText)}: active|leave|terminated })`,
    );
  }
  const readDate = (field: 'hireDate' | 'terminationDate'): DateCell | null => {
    const text = cell(field);
    if (text === '') return null;
    const parsed = parseRosterDate(text, dates.timezone, dates.dateFormat);
    if (parsed === null) report(field, `"${text}" is not a valid date (${describeDateFormat(dates.dateFormat)})`);
    return parsed;
  };
  const hire = readDate('hireDate');
  const termination = readDate('terminationDate');

  if (problems.count > before || status === null) return null;
  return {
    employeeId,
    email,
    name: optional('name'),
    status,
    workerType: sharedOrNull(optional('workerType'), dates),
    hireDate: hire === null ? null : dates.shared(calendarDate(hire, dates.timezone)),
    terminationDate: termination === null ? null : asGiven(termination),
    terminationEffectiveAt: termination === null ? null : effectiveAt(termination, dates),
    managerId: optional('managerId'),
    department: sharedOrNull(optional('department'), dates),
    aliases: splitList(cell('aliases')),
  };
}

function describeDateFormat(dateFormat: string | undefined): string {
  return dateFormat === undefined
    ? 'expected an ISO 8601 date like 2026-03-31 or a date-time like 2026-03-31T17:00:00Z'
    : `expected roster.dateFormat ${dateFormat}`;
}

/** A date-only termination is the last day worked: access must be gone once that day ends locally. */
function effectiveAt(cell: DateCell, dates: RowSettings): string {
  return cell.kind === 'date' ? dates.endOfDay(cell.date) : toIso(cell.instant);
}

function asGiven(cell: DateCell): string {
  return cell.kind === 'date' ? cell.date : toIso(cell.instant);
}

/** The local calendar date of a hire date given as a date-time. */
function calendarDate(cell: DateCell, timezone: string): string {
  return cell.kind === 'date' ? cell.date : format(cell.instant, 'yyyy-MM-dd', { in: tz(timezone) });
}

/** Problems in file order: the first is reported in full, with a count of the rest, so one run shows the scale. */
class Problems {
  private first: InputError | null = null;
  count = 0;

  constructor(private readonly file: string) {}

  add(line: number, column: string, problem: string): void {
    this.addError(new InputError(this.file, line, column, problem));
  }

  addError(error: InputError): void {
    this.count++;
    this.first ??= error;
  }

  throwFirst(): never {
    const first = this.first!;
    if (this.count === 1) throw first;
    const more = this.count - 1;
    throw new InputError(
      first.file,
      first.line,
      first.column,
      `${first.problem} (and ${more} more problem${more === 1 ? '' : 's'} in the file)`,
    );
  }
}
