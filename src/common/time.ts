import { TZDate } from '@date-fns/tz';

export function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * The instant a date-only "last day" ends in `zone`: access must be gone by the end of that day, so the
 * termination takes effect at the following midnight local time.
 */
export function endOfLocalDay(isoDate: string, zone: string): Date {
  const [year, month, day] = isoDate.split('-').map(Number) as [number, number, number];
  return new Date(new TZDate(year, month - 1, day + 1, 0, 0, 0, 0, zone).getTime());
}

/** Whole days between two instants, rounded down. */
export function daysBetween(earlier: Date | string, later: Date): number {
  const from = typeof earlier === 'string' ? Date.parse(earlier) : earlier.getTime();
  return Math.floor((later.getTime() - from) / 86_400_000);
}

/**
 * The calendar day an instant falls on in `zone`: how a date is shown to a reviewer, so an export's `2026-11-20`
 * read in the config's timezone is shown as 2026-11-20 again, never the UTC day before or after.
 */
export function localDay(iso: string, zone = 'UTC'): string {
  return dayFormat(zone).format(new Date(iso));
}

// Building an Intl.DateTimeFormat costs far more than formatting with one: rules show a day in every finding.
const dayFormats = new Map<string, Intl.DateTimeFormat>();

function dayFormat(zone: string): Intl.DateTimeFormat {
  let format = dayFormats.get(zone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dayFormats.set(zone, format);
  }
  return format;
}

export function toIso(date: Date): string {
  return date.toISOString();
}
