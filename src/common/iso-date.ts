/**
 * The fast path for the two ISO 8601 shapes exports nearly always use, a UTC date-time `2026-03-31T17:00:00Z` (with
 * optional fraction) and a calendar date `2026-03-31`: checked character by character and turned into the stored
 * form (`2026-03-31T17:00:00.000Z`) without a regular expression or a Date. Anything else returns null and goes
 * through parseDateCell + startInstant (offsets, local times, a space instead of T, odd fractions, a date-only value
 * in a zone other than UTC), which also gives every error. Same rules as parseIsoDate: a real calendar date, years
 * from 1900, hours 0-23, minutes and seconds 0-59.
 */

const ZERO = 48;

function digits(text: string, from: number, count: number): number {
  let value = 0;
  for (let index = from; index < from + count; index++) {
    const digit = text.charCodeAt(index) - ZERO;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** `yyyy-MM-dd` at index 0 is a real calendar date from 1900 on. */
function isCalendarDatePrefix(text: string): boolean {
  if (text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45) return false;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  return year >= 1900 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

/**
 * The instant a date cell stands for, as stored (`toISOString()` form), when the cell is a UTC date-time, or a
 * calendar date read in UTC (its midnight UTC); null when the fast path cannot tell. It never accepts a value
 * parseIsoDate refuses, and never gives another instant than startInstant(parseIsoDate(text, timezone), timezone).
 */
export function fastIsoInstant(text: string, timezone: string): string | null {
  const length = text.length;
  // A date-only value is the start of the day in the source's zone: only in UTC is that midnight Z.
  if (length === 10) return timezone === 'UTC' && isCalendarDatePrefix(text) ? `${text}T00:00:00.000Z` : null;
  // yyyy-MM-ddTHH:mm:ssZ (20) or with a fraction of 1-9 digits: yyyy-MM-ddTHH:mm:ss.fffZ (22-30).
  if (length !== 20 && (length < 22 || length > 30)) return null;
  if (text.charCodeAt(length - 1) !== 90 /* Z */ || text.charCodeAt(10) !== 84 /* T */) return null;
  if (text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return null;
  if (!isCalendarDatePrefix(text)) return null;
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return null;
  const head = text.slice(0, 19);
  if (length === 20) return `${head}.000Z`;
  if (text.charCodeAt(19) !== 46 /* . */) return null;
  const fraction = length - 21;
  if (digits(text, 20, fraction) < 0) return null;
  // Computed exactly as parseIsoDate does, float rounding included (".291" gives 290 ms there): results stay identical.
  const millis = Math.floor(Number(`0.${text.slice(20, length - 1)}`) * 1000);
  return `${head}.${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`;
}
