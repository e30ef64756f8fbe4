import type { DateCell } from '../../src/common/csv-input.js';
import { parseDateCell } from '../../src/common/date-cells.js';
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

/** How a status word is compared: lowercased, runs of spaces, `_` and `-` as one space ("Terminated - Voluntary"). */
export function normalizeStatusWord(value: string): string {
  return value
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, ' ');
}

/** `roster.statusMap` (your HR word -> active/leave/terminated) is consulted first, then the built-in words. */
export function parseStatus(value: string, statusMap: Readonly<Record<string, HrStatus>> = {}): HrStatus | null {
  const word = normalizeStatusWord(value);
  for (const [theirs, ours] of Object.entries(statusMap)) {
    if (normalizeStatusWord(theirs) === word) return ours;
  }
  return Object.hasOwn(STATUS_WORDS, word) ? STATUS_WORDS[word]! : null;
}

export function describeStatusWords(statusMap: Readonly<Record<string, HrStatus>> = {}): string {
  return [...Object.keys(statusMap), ...Object.keys(STATUS_WORDS)].join(', ');
}

/**
 * A roster date: ISO 8601 by default, or exactly `dateFormat` (a date-fns pattern) when set. A value given as a
 * wall-clock date-time without an offset is read in `timezone` (the same rule as app exports: src/common/date-cells).
 */
export function parseRosterDate(value: string, timezone: string, dateFormat: string | undefined): DateCell | null {
  return parseDateCell(value, timezone, dateFormat);
}
