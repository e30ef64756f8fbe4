import { UsageError } from '../contract/errors.js';
import { localDay } from '../common/time.js';

/**
 * Where every report goes (README "Reports"), one rule for all of them: stdout, or with `--out DIR` a file in DIR
 * (created if missing) named `zombiescan-<kind>[-<subject>]-<YYYY-MM-DD>.<ext>`, the day in the config timezone —
 * so a folder of reports sorts by kind and date, and the name says what is inside. `--out -` is stdout too.
 */
export function datedReportName(
  kind: string,
  options: { now: Date; timezone: string; extension: string; subject?: string },
): string {
  const subject = options.subject ? `-${safeNamePart(options.subject)}` : '';
  return `zombiescan-${kind}${subject}-${localDay(options.now.toISOString(), options.timezone)}.${options.extension}`;
}

/**
 * The offboarding evidence is written once per run and must never replace an earlier run's file of the same day:
 * its name carries the UTC start time too (`zombiescan-termination-E1042-2026-12-06T151200Z.json`).
 */
export function offboardReportName(employeeId: string, startedAt: string): string {
  const stamp = startedAt.replace(/\.\d+Z$/, 'Z').replace(/:/g, '');
  return `zombiescan-termination-${safeNamePart(employeeId)}-${stamp}.json`;
}

/** `--out` absent or `-`: the report is printed. */
export function toStdout(out: string | undefined): boolean {
  return out === undefined || out === '-';
}

/**
 * An HTML report printed on a terminal is a screenful of markup nobody asked for: say how to get the file instead.
 * Piped or redirected, stdout is what was asked for.
 */
export function refuseHtmlOnTerminal(report: string, stdoutIsTerminal: boolean): void {
  if (!stdoutIsTerminal) return;
  throw new UsageError(
    `the ${report} report is HTML: add --out DIR to write a dated file into DIR, or redirect stdout (> report.html)`,
  );
}

function safeNamePart(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]/g, '_');
}
