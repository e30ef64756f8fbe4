import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import type { Severity } from '../contract/model.js';

/**
 * The bundled demo organisation (Northwind Labs). Its files describe one day, the anchor; `prepareDemo` copies them
 * with every date moved by the days between the anchor and today, so the demo shows the same picture (who left a
 * month ago, who has been dormant for four months) whatever day it runs.
 */

/** Files the demo scan reads, in the order they are written: the config, CSV exports, and the tenants it serves. */
export const DEMO_DATA_FILES = [
  'zombiescan.yaml',
  'hr.csv',
  'okta.csv',
  'slack.csv',
  'box.csv',
  'google.json',
  'github.json',
  'aws.json',
  'entra.json',
] as const;
export const DEMO_CONFIG_FILE = 'zombiescan.yaml';
export const DEMO_EXPECTED_FILE = 'expected.json';
export const DEMO_ANCHOR_FILE = 'anchor.txt';

/** CSV columns (roster and account exports) whose values start with an ISO date; every other cell is left alone. */
export const DEMO_DATE_COLUMNS: readonly string[] = ['hire_date', 'termination_date', 'created_at', 'last_login_at'];
/** Keys of the tenant files (google, github, aws, entra .json) whose string values are ISO times; nothing else moves. */
export const DEMO_JSON_DATE_KEYS: readonly string[] = [
  'creationTime',
  'lastLoginTime',
  'created_at',
  'created',
  'lastUsed',
  'passwordLastUsed',
  'lastRotated',
  'credential_authorized_at',
  'credential_accessed_at',
  'createdDateTime',
  'lastSignInDateTime',
  'lastNonInteractiveSignInDateTime',
  'lastSuccessfulSignInDateTime',
  'startDateTime',
  'endDateTime',
];

/** One account the demo plan says a rule must report (or, when excepted, must stay quiet about). */
export interface DemoExpectedAccount {
  source: string;
  accountId: string;
  login: string | null;
  /** Severity after the privileged bump (open findings only). */
  severity?: Severity;
  /** The owner the finding names: HR employee id, the declared owner of a service account, or null. */
  personId: string | null;
  /** The planted story, for whoever reads a failing comparison. */
  why: string;
}

/** The planted truth of the demo data, written by the generator from its plan (never by running the scanner). */
export interface DemoExpected {
  anchor: string;
  /** Every rule id, sorted; `open` must fire, `excepted` would fire but an unexpired exception covers it. */
  rules: Record<string, { open: DemoExpectedAccount[]; excepted: DemoExpectedAccount[] }>;
  /** Tempting accounts that must raise no finding at all (leave, future dates, aliases, unknown activity...). */
  clean: DemoExpectedAccount[];
}

export interface PreparedDemo {
  configPath: string;
  expected: DemoExpected;
  /** Days every date was moved by (today minus the anchor). */
  shiftDays: number;
}

const DAY_MS = 86_400_000;
const ISO_DATE_PREFIX = /^(\d{4})-(\d{2})-(\d{2})(.*)$/s;
// Only the exceptions' `expires` holds a date in the config; comments are written without dates.
const CONFIG_EXPIRES_DATE = /(\bexpires:[ \t]*['"]?)(\d{4}-\d{2}-\d{2})\b/g;

/** The one CSV dialect of the demo files: the generator writes it and `prepareDemo` rewrites it byte for byte. */
export function formatCsv(rows: readonly (readonly string[])[]): string {
  return stringify(rows as string[][], { record_delimiter: '\n' });
}

/** Walks up from this module to the package root, so it works from src/ (vitest) and from dist/src/ (built). */
export function demoDataDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('demo data not found: no package.json above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
  return path.join(dir, 'src', 'demo', 'data');
}

export function readDemoAnchor(dataDir = demoDataDir()): string {
  return readFileSync(path.join(dataDir, DEMO_ANCHOR_FILE), 'utf8').trim();
}

/** Calendar date `YYYY-MM-DD` moved by whole days; whatever follows the date (a time, a zone) is kept as is. */
export function shiftIsoDate(value: string, days: number): string {
  const match = ISO_DATE_PREFIX.exec(value);
  if (!match) throw new Error(`not an ISO date: "${value}"`);
  const [, year, month, day, rest] = match as unknown as [string, string, string, string, string];
  const shifted = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day) + days));
  return shifted.toISOString().slice(0, 10) + rest;
}

/** Whole days from the anchor date to today's UTC calendar date. */
export function daysSinceAnchor(anchor: string, today: Date): number {
  const anchorMs = Date.parse(`${anchor}T00:00:00Z`);
  if (Number.isNaN(anchorMs)) throw new Error(`bad demo anchor date: "${anchor}"`);
  const todayMs = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  return Math.round((todayMs - anchorMs) / DAY_MS);
}

/** A demo CSV with every non-empty cell of a date column moved by `days`. */
export function shiftCsvDates(text: string, days: number): string {
  const rows = parse(text, { relax_column_count: false }) as string[][];
  const header = rows[0] ?? [];
  const dateColumns = header.flatMap((name, index) => (DEMO_DATE_COLUMNS.includes(name) ? [index] : []));
  const shifted = rows.map((row, rowIndex) =>
    rowIndex === 0
      ? row
      : row.map((cell, index) => (cell !== '' && dateColumns.includes(index) ? shiftIsoDate(cell, days) : cell)),
  );
  return formatCsv(shifted);
}

/** The demo config with each exception's `expires` moved by `days`; every other byte unchanged. */
export function shiftConfigDates(text: string, days: number): string {
  return text.replace(CONFIG_EXPIRES_DATE, (_, key: string, date: string) => key + shiftIsoDate(date, days));
}

/** A tenant file with the value of every date key moved by `days`, written back as the generator writes it. */
export function shiftJsonDates(text: string, days: number): string {
  const shift = (value: unknown, key: string | null): unknown => {
    if (Array.isArray(value)) return value.map((item) => shift(item, null));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, shift(item, name)]));
    }
    return typeof value === 'string' && key !== null && DEMO_JSON_DATE_KEYS.includes(key)
      ? shiftIsoDate(value, days)
      : value;
  };
  return JSON.stringify(shift(JSON.parse(text), null), null, 2) + '\n';
}

export function shiftDemoFile(name: string, text: string, days: number): string {
  if (name.endsWith('.csv')) return shiftCsvDates(text, days);
  if (name.endsWith('.json')) return shiftJsonDates(text, days);
  if (name === DEMO_CONFIG_FILE) return shiftConfigDates(text, days);
  return text;
}

/**
 * Copies the bundled demo files into `targetDir` with every date moved so that the anchor becomes `today`, and
 * returns the config to scan plus the planted truth (which holds no dates, so it needs no shifting).
 */
export function prepareDemo(targetDir: string, today: Date, dataDir = demoDataDir()): PreparedDemo {
  const shiftDays = daysSinceAnchor(readDemoAnchor(dataDir), today);
  mkdirSync(targetDir, { recursive: true });
  for (const name of DEMO_DATA_FILES) {
    const text = readFileSync(path.join(dataDir, name), 'utf8');
    writeFileSync(path.join(targetDir, name), shiftDemoFile(name, text, shiftDays));
  }
  const expected = JSON.parse(readFileSync(path.join(dataDir, DEMO_EXPECTED_FILE), 'utf8')) as DemoExpected;
  return { configPath: path.join(targetDir, DEMO_CONFIG_FILE), expected, shiftDays };
}
