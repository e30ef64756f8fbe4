import { columnKey, splitList } from '../../src/common/csv-input.js';
import { parseDateCell, startInstant } from '../../src/common/date-cells.js';
import { fastIsoInstant } from '../../src/common/iso-date.js';
import type { CsvSourceConfig, CsvSourceField } from '../../src/config/config.js';
import { CSV_SOURCE_FIELDS } from '../../src/config/config.js';
import { SourceError } from '../../src/contract/errors.js';
import { ACCOUNT_TYPES, type Account, type AccountType } from '../../src/contract/model.js';

/**
 * The generic CSV account export, one row per account. Columns (header names are case-insensitive; others are
 * ignored):
 * - `id` (required): the app's immutable account id, unique in the file;
 * - `login`, `email`, `employee_id`, `display_name`;
 * - `status`: active | disabled | suspended | deleted (empty = active); only active is enabled;
 * - `type`: human | guest | service | bot (empty = human);
 * - `created_at`, `last_login_at`: ISO 8601 date (midnight UTC) or date-time (no offset = UTC). Without a
 *   `last_login_at` column activity is unknown; with it, an empty cell means the account never signed in;
 * - `privileged`: true/false, yes/no, 1/0 (empty = false). Without a `privileged` column privilege is unknown
 *   (remediation then treats every account as possibly an admin);
 * - `licenses`: `;`-separated; `emails`: `;`-separated extra emails besides `email`.
 *
 * A real export (GitHub members, a Salesforce user report, the Atlassian admin export) is read as it is: `columns`
 * maps our field names onto its headers, `statusMap` its status words onto ours, `dateFormat` its date pattern.
 * Date-only values are the start of that day in `timezone` (the source's, else the config's), like HR dates.
 */

export const CSV_COLUMNS = CSV_SOURCE_FIELDS;

export const PRIVILEGED_COLUMN = 'privileged';
/** How one export is read: where each field is, its status words, its dates. */
export interface CsvReading {
  /** Our field -> the row key (lowercased header) it is read from. */
  keys: Readonly<Record<CsvSourceField, string>>;
  /** Our field -> the header as configured, for messages. */
  headers: Readonly<Record<CsvSourceField, string>>;
  /** Normalised status word -> our status. */
  statusMap: ReadonlyMap<string, string>;
  /** date-fns patterns, tried in order; empty = ISO 8601. */
  dateFormats: readonly string[];
  timezone: string;
}

export function csvReading(
  config: Pick<CsvSourceConfig, 'columns' | 'statusMap' | 'dateFormat' | 'timezone'> = {},
): CsvReading {
  const headers = Object.fromEntries(
    CSV_SOURCE_FIELDS.map((field) => [field, config.columns?.[field] ?? field]),
  ) as Record<CsvSourceField, string>;
  const keys = Object.fromEntries(CSV_SOURCE_FIELDS.map((field) => [field, columnKey(headers[field])])) as Record<
    CsvSourceField,
    string
  >;
  const statusMap = new Map(
    Object.entries(config.statusMap ?? {}).map(([theirs, ours]) => [theirs.trim().toLowerCase(), ours]),
  );
  const dateFormats = config.dateFormat === undefined ? [] : [config.dateFormat].flat();
  return { keys, headers, statusMap, dateFormats, timezone: config.timezone ?? 'UTC' };
}

const DEFAULT_READING = csvReading();

function firstParsed<T>(patterns: readonly string[], parse: (pattern: string) => T | null): T | null {
  for (const pattern of patterns) {
    const parsed = parse(pattern);
    if (parsed !== null) return parsed;
  }
  return null;
}

export const ACTIVITY_COLUMN: CsvSourceField = 'last_login_at';

const ENABLED_BY_STATUS: Readonly<Record<string, boolean>> = {
  active: true,
  disabled: false,
  suspended: false,
  deleted: false,
};

const PRIVILEGED_WORDS: Readonly<Record<string, boolean>> = {
  true: true,
  yes: true,
  '1': true,
  false: false,
  no: false,
  '0': false,
};

/**
 * One CSV row (values keyed by lowercase header, as `openCsv` yields them) -> Account. Throws a SourceError of kind
 * `data` naming `file:line: column` for a value it cannot read: a source is loaded whole or not at all.
 */
export function toAccount(
  sourceName: string,
  row: Record<string, string>,
  line: number,
  file: string,
  reading: CsvReading = DEFAULT_READING,
): Account {
  const refuse = (field: CsvSourceField, problem: string): never => {
    throw new SourceError(sourceName, `${file}:${line}: ${reading.headers[field]}: ${problem}`, 'data');
  };
  const cell = (field: CsvSourceField): string => {
    const key = reading.keys[field];
    return Object.hasOwn(row, key) ? row[key]! : '';
  };
  const optional = (field: CsvSourceField): string | null => cell(field) || null;
  const date = (field: CsvSourceField): string | null => {
    const text = cell(field);
    if (text === '') return null;
    if (reading.dateFormats.length === 0) {
      const fast = fastIsoInstant(text, reading.timezone);
      if (fast !== null) return fast;
    }
    const parsed =
      reading.dateFormats.length === 0
        ? parseDateCell(text, reading.timezone, undefined)
        : firstParsed(reading.dateFormats, (pattern) => parseDateCell(text, reading.timezone, pattern));
    if (parsed === null) {
      return refuse(
        field,
        reading.dateFormats.length === 0
          ? `"${text}" is not a valid ISO 8601 date or date-time (e.g. 2026-03-31 or 2026-03-31T17:00:00Z; or set dateFormat)`
          : `"${text}" is not a valid date (expected dateFormat ${reading.dateFormats.join(' or ')})`,
      );
    }
    return startInstant(parsed, reading.timezone).toISOString();
  };

  const id = cell('id');
  if (id === '') refuse('id', 'id is empty');

  const statusText = cell('status');
  const word = statusText.toLowerCase();
  const status = statusText === '' ? 'active' : (reading.statusMap.get(word) ?? word);
  if (!Object.hasOwn(ENABLED_BY_STATUS, status)) {
    const accepted = [...reading.statusMap.keys(), ...Object.keys(ENABLED_BY_STATUS)].join(', ');
    refuse(
      'status',
      `unknown status "${statusText}" (accepted: ${accepted}; or map it with statusMap: { ${JSON.stringify(statusText)}: active|disabled|suspended|deleted })`,
    );
  }

  const typeText = cell('type');
  const type = (typeText === '' ? 'human' : typeText.toLowerCase()) as AccountType;
  if (!ACCOUNT_TYPES.includes(type)) {
    refuse('type', `unknown type "${typeText}" (accepted: ${ACCOUNT_TYPES.join(', ')})`);
  }

  const privilegedText = cell('privileged');
  const privilegedWord = privilegedText.toLowerCase();
  if (privilegedText !== '' && !Object.hasOwn(PRIVILEGED_WORDS, privilegedWord)) {
    refuse('privileged', `"${privilegedText}" is not a yes/no value (accepted: true/false, yes/no, 1/0)`);
  }

  const email = optional('email');
  return {
    source: sourceName,
    id,
    login: optional('login'),
    email,
    emails: splitList([email ?? '', cell('emails')].join(';')),
    employeeId: optional('employee_id'),
    displayName: optional('display_name'),
    enabled: ENABLED_BY_STATUS[status]!,
    rawStatus: statusText || null,
    type,
    createdAt: date('created_at'),
    lastActivityAt: date(ACTIVITY_COLUMN),
    // The column, not the cell, says whether the app reports sign-ins: an empty cell is "never", a missing column
    // is "cannot tell".
    activityKnown: Object.hasOwn(row, reading.keys[ACTIVITY_COLUMN]),
    privileged: privilegedText !== '' && PRIVILEGED_WORDS[privilegedWord]!,
    // As for activity: the column, not the cell, says whether the export carries roles at all.
    privilegeKnown: Object.hasOwn(row, reading.keys[PRIVILEGED_COLUMN]),
    licenses: splitList(cell('licenses')),
    builtIn: false,
    attributes: {},
  };
}
