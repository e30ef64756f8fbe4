import Table from 'cli-table3';
import pc from 'picocolors';
import type { Severity } from '../src/contract/model.js';

/** Shared bits of the terminal views: colours only when asked for, tables sized to the terminal. */
export type Colors = ReturnType<typeof pc.createColors>;

export function colors(enabled: boolean): Colors {
  return pc.createColors(enabled);
}

export function paintSeverity(c: Colors, severity: Severity): string {
  switch (severity) {
    case 'critical':
      return c.bold(c.red(severity));
    case 'high':
      return c.red(severity);
    case 'medium':
      return c.yellow(severity);
    case 'low':
      return c.dim(severity);
  }
}

export function table(head: string[], colWidths?: (number | null)[]): Table.Table {
  return new Table({
    head,
    style: { head: [], border: [], compact: true },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
    wordWrap: true,
    wrapOnWordBoundary: true,
    ...(colWidths ? { colWidths } : {}),
  });
}

export function shortDate(iso: string | null): string {
  return iso ? iso.slice(0, 10) : '';
}

const COUNT = new Intl.NumberFormat('en-US');

/** 12,345: counts a person reads, with thousands separators. */
export function formatCount(count: number): string {
  return COUNT.format(count);
}

export function formatDuration(ms: number): string {
  return ms < 1000
    ? `${Math.round(ms)} ms`
    : ms < 60_000
      ? `${(ms / 1000).toFixed(1)} s`
      : `${Math.round(ms / 1000)} s`;
}

// SGR colour sequences are what picocolors writes; they take no room on screen.
// eslint-disable-next-line no-control-regex
const SGR = /\u001b\[[0-9;]*m/g;

/** Columns a cell's widest line takes on screen (colour codes take none). */
export function displayWidth(text: string): number {
  return Math.max(0, ...text.split('\n').map((line) => [...line.replace(SGR, '')].length));
}

/**
 * Column widths (cli-table3 `colWidths`, padding included) from the content and the terminal width: every column
 * first gets what its widest cell needs; while the table is wider than the terminal, the `giveWay` columns shrink in
 * that order, each down to its `min` characters of content. Columns not listed never shrink.
 */
export function fitColumns(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  terminalWidth: number,
  options: { giveWay: readonly { column: number; min: number }[] },
): number[] {
  const padding = 2;
  const widths = head.map(
    (title, column) => Math.max(displayWidth(title), ...rows.map((row) => displayWidth(row[column] ?? ''))) + padding,
  );
  const available = terminalWidth - (head.length + 1);
  for (const { column, min } of options.giveWay) {
    if (column < 0) continue;
    const over = widths.reduce((sum, width) => sum + width, 0) - available;
    if (over <= 0) break;
    const room = widths[column]! - (min + padding);
    if (room > 0) widths[column] = widths[column]! - Math.min(over, room);
  }
  return widths;
}
