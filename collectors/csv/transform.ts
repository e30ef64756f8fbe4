import { parseIsoDate, splitList } from '../../src/common/csv-input.js';
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
 */

export const CSV_COLUMNS = [
  'id',
  'login',
  'email',
  'employee_id',
  'display_name',
  'status',
  'type',
  'created_at',
  'last_login_at',
  'privileged',
  'licenses',
  'emails',
] as const;

export const ACTIVITY_COLUMN = 'last_login_at';
export const PRIVILEGED_COLUMN = 'privileged';

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
export function toAccount(sourceName: string, row: Record<string, string>, line: number, file: string): Account {
  const refuse = (column: string, problem: string): never => {
    throw new SourceError(sourceName, `${file}:${line}: ${column}: ${problem}`, 'data');
  };
  const cell = (column: string): string => (Object.hasOwn(row, column) ? row[column]! : '');
  const optional = (column: string): string | null => cell(column) || null;
  const date = (column: string): string | null => {
    const text = cell(column);
    if (text === '') return null;
    const parsed = parseIsoDate(text, 'UTC');
    if (parsed === null) {
      return refuse(
        column,
        `"${text}" is not a valid ISO 8601 date or date-time (e.g. 2026-03-31 or 2026-03-31T17:00:00Z)`,
      );
    }
    return parsed.kind === 'date' ? `${parsed.date}T00:00:00.000Z` : parsed.instant.toISOString();
  };

  const id = cell('id');
  if (id === '') refuse('id', 'id is empty');

  const statusText = cell('status');
  const status = statusText === '' ? 'active' : statusText.toLowerCase();
  if (!Object.hasOwn(ENABLED_BY_STATUS, status)) {
    refuse('status', `unknown status "${statusText}" (accepted: ${Object.keys(ENABLED_BY_STATUS).join(', ')})`);
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
    activityKnown: Object.hasOwn(row, ACTIVITY_COLUMN),
    privileged: privilegedText !== '' && PRIVILEGED_WORDS[privilegedWord]!,
    // As for activity: the column, not the cell, says whether the export carries roles at all.
    privilegeKnown: Object.hasOwn(row, PRIVILEGED_COLUMN),
    licenses: splitList(cell('licenses')),
    builtIn: false,
    attributes: {},
  };
}
