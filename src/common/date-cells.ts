import { tz, TZDate } from '@date-fns/tz';
import { format, isValid, parse } from 'date-fns';
import { parseIsoDate, type DateCell } from './csv-input.js';

/**
 * One rule for dates read from files (HR roster and app exports alike): ISO 8601 by default, or exactly
 * `dateFormat` (a date-fns pattern) when set; a date-only value is a calendar day in `timezone`, and a wall-clock
 * date-time without an offset is read in `timezone` too. So `2026-11-20` means the same day in every file.
 */
export function parseDateCell(value: string, timezone: string, dateFormat: string | undefined): DateCell | null {
  return dateFormat === undefined ? parseIsoDate(value, timezone) : parseWithPattern(value, dateFormat, timezone);
}

/** The instant a date cell stands for when it says when something happened: a date-only value is its local midnight. */
export function startInstant(cell: DateCell, timezone: string): Date {
  if (cell.kind === 'instant') return cell.instant;
  const [year, month, day] = cell.date.split('-').map(Number) as [number, number, number];
  return new Date(new TZDate(year, month - 1, day, 0, 0, 0, 0, timezone).getTime());
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
