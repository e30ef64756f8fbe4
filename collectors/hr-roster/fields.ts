import { tz, TZDate } from '@date-fns/tz';
import { format, isValid, parse } from 'date-fns';
import { parseIsoDate, type DateCell } from '../../src/common/csv-input.js';
import type { HrStatus } from '../../src/contract/model.js';

/**
 * How roster cells are read: HR status words and dates. Kept apart from the loader so the accepted vocabulary is
 * listed in one place (it is quoted back to the user when a value is refused).
 */

/**
 * Every status word accepted, after lowercasing and treating runs of spaces, `_` and `-` as one space. Anything
 * else is refused: guessing what "Terminated - Pending" means could hide a leaver.
 */
export const STATUS_WORDS: Readonly<Record<string, HrStatus>> = {
  active: 'active',
  current: 'active',
  leave: 'leave',
  'on leave': 'leave',
  loa: 'leave',
  'leave of absence': 'leave',
  terminated: 'terminated',
  term: 'terminated',
  inactive: 'terminated',
  separated: 'terminated',
};

export function parseStatus(value: string): HrStatus | null {
  const word = value
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, ' ');
  return Object.hasOwn(STATUS_WORDS, word) ? STATUS_WORDS[word]! : null;
}

export function describeStatusWords(): string {
  return Object.keys(STATUS_WORDS).join(', ');
}

/**
 * A roster date: ISO 8601 by default, or exactly `dateFormat` (a date-fns pattern) when set. A value given as a
 * wall-clock date-time without an offset is read in `timezone`.
 */
export function parseRosterDate(value: string, timezone: string, dateFormat: string | undefined): DateCell | null {
  return dateFormat === undefined ? parseIsoDate(value, timezone) : parseWithPattern(value, dateFormat, timezone);
}

/** Two-digit years resolve against this: 00-49 -> 20xx, 50-99 -> 19xx, whatever today's date is. */
const TWO_DIGIT_YEAR_PIVOT = { year: 2000, month: 0, day: 1 };
const EARLIEST_YEAR = 1900;

function parseWithPattern(value: string, pattern: string, timezone: string): DateCell | null {
  const zone = tz(timezone);
  const { year, month, day } = TWO_DIGIT_YEAR_PIVOT;
  const parsed = parse(value, pattern, new TZDate(year, month, day, timezone), { in: zone });
  if (!isValid(parsed) || parsed.getFullYear() < EARLIEST_YEAR) return null;
  const tokens = pattern.replace(/'[^']*'/g, '');
  // Strict: the value must be exactly what the pattern writes (01/04/2026, not 1/4/2026, not 01/04/26 for yyyy).
  // A value with its own offset is written back in `timezone` with a different offset, so it cannot round-trip;
  // parse() has already refused impossible dates for it.
  const carriesOffset = /[XxOzTt]/.test(tokens);
  if (!carriesOffset && format(parsed, pattern, { in: zone }) !== value) return null;
  const hasTime = /[HhKkmsSaBbpXxOzTt]/.test(tokens);
  if (!hasTime) return { kind: 'date', date: format(parsed, 'yyyy-MM-dd', { in: zone }) };
  return { kind: 'instant', instant: new Date(parsed.getTime()) };
}
