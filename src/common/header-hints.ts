import { columnKey } from './csv-input.js';

/**
 * When a required column is missing, the header usually says why: the file uses another delimiter (a whole header
 * read as one column), or names the column with a common alias. The hint names the setting that fixes it.
 */

const DELIMITERS: readonly string[] = [',', ';', '\t', '|'];

/** Header words people's exports use for our fields (compared lowercase, with spaces, `_` and `-` alike). */
export const COLUMN_ALIASES: Readonly<Record<string, readonly string[]>> = {
  id: ['user id', 'userid', 'account id', 'member id', 'uid', 'user key'],
  login: ['username', 'user name', 'handle', 'login name'],
  email: ['email address', 'e mail', 'mail', 'work email', 'primary email', 'user email'],
  employee_id: ['employee id', 'employee number', 'emp id', 'worker id', 'personnel number', 'employeeid'],
  status: ['employment status', 'worker status', 'user status', 'account status', 'state', 'active'],
  last_login_at: ['last login', 'last login date', 'last active', 'last seen', 'last sign in', 'last seen in'],
  display_name: ['name', 'full name', 'display name'],
};

const normalise = (name: string) => columnKey(name).replace(/[\s_-]+/g, ' ');

export interface HeaderHintInput {
  names: readonly string[];
  delimiter: string;
  /** The header looked for, e.g. `id` or `employee_id`. */
  expected: string;
  /** The alias table key for it, e.g. `id` (the roster's employeeId is `employee_id`). */
  field: string;
  /** How to write the fix, e.g. (header) => `columns: { id: "${header}" }`. */
  mapWith: (header: string) => string;
  /** e.g. `delimiter` or `roster.delimiter`. */
  delimiterSetting: string;
}

/** A sentence naming the setting that would make this header work, or null when nothing obvious fits. */
export function headerHint(input: HeaderHintInput): string | null {
  const present = input.names.filter((name) => name !== '');
  if (present.length === 1) {
    const other = DELIMITERS.find((d) => d !== input.delimiter && present[0]!.includes(d));
    if (other !== undefined) {
      return `the header looks ${describeDelimiter(other)}-separated: set ${input.delimiterSetting}: ${JSON.stringify(other)}`;
    }
  }
  const wanted = new Set([input.field, input.expected, ...(COLUMN_ALIASES[input.field] ?? [])].map(normalise));
  const alias = present.find((name) => wanted.has(normalise(name)));
  if (alias !== undefined) return `"${alias}" looks like it: set ${input.mapWith(alias)}`;
  return null;
}

function describeDelimiter(delimiter: string): string {
  return delimiter === '\t' ? 'tab' : `"${delimiter}"`;
}
