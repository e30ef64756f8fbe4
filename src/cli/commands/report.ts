import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TZDate } from '@date-fns/tz';
import { loadConfig, type Config } from '../../config/config.js';
import { UsageError } from '../../contract/errors.js';
import { eachFinding, listFindings, type FindingFilter } from '../../store/findings.js';
import { Counted } from '../../common/counted.js';
import { gatherAuditData } from '../../reporting/audit.js';
import { gatherOcsfFindings } from '../../reporting/ocsf.js';
import { gatherTerminationData } from '../../reporting/termination.js';
import { renderAuditHtml } from '../../../reports/audit.js';
import { findingsCsvChunks, renderFindingsCsv } from '../../../reports/findings-csv.js';
import { renderFindingsJson } from '../../../reports/findings-json.js';
import { renderFindingsOcsf } from '../../../reports/ocsf.js';
import { renderTerminationHtml, renderTerminationJson } from '../../../reports/termination.js';
import type { CliContext } from '../context.js';
import { validateFindingFilter } from './findings-more.js';
import { datedReportName, refuseHtmlOnTerminal, toStdout } from '../report-output.js';

export type FindingsFormat = 'csv' | 'json' | 'ocsf';

/** Renders, then delivers: to stdout, or to a file in --out (written whole, then renamed: never half a report). */
export function reportFindingsCommand(
  ctx: CliContext,
  options: FindingFilter & { format: FindingsFormat; out?: string },
): number {
  validateFindingFilter(ctx, options);
  if (toStdout(options.out)) {
    ctx.out(renderFindings(ctx, options).text);
    return 0;
  }
  const timezone = optionalConfig(ctx)?.timezone ?? 'UTC';
  const extension = options.format === 'ocsf' ? 'ocsf.json' : options.format;
  const name = datedReportName('findings', { now: ctx.io.now(), timezone, extension });
  let file: string;
  let count: number;
  if (options.format === 'csv') {
    // Written as read: a large organisation's findings never sit in memory whole, as objects or as text.
    const findings = new Counted(eachFinding(ctx.db(), options));
    file = writeReport(options.out!, name, findingsCsvChunks(findings));
    count = findings.count;
  } else {
    const rendered = renderFindings(ctx, options);
    file = writeReport(options.out!, name, rendered.text);
    count = rendered.count;
  }
  ctx.log.info(`wrote ${count} findings to ${file}`);
  if (ctx.json) ctx.outJson({ file, findings: count });
  return 0;
}

function renderFindings(
  ctx: CliContext,
  options: FindingFilter & { format: FindingsFormat },
): { text: string; count: number } {
  if (options.format === 'ocsf') {
    const findings = gatherOcsfFindings(ctx.db(), options);
    return { text: renderFindingsOcsf(findings, { version: zombiescanVersion() }), count: findings.length };
  }
  const findings = listFindings(ctx.db(), options);
  const text = options.format === 'csv' ? renderFindingsCsv(findings) : renderFindingsJson(findings);
  return { text, count: findings.length };
}

/** `report audit`: one self-contained HTML file, written into --out (default: the current folder; `-`: stdout). */
export function reportAuditCommand(ctx: CliContext, options: { out?: string; since?: string }): number {
  const config = optionalConfig(ctx);
  const timezone = config?.timezone ?? 'UTC';
  const now = ctx.io.now();
  const data = gatherAuditData(ctx.db(), {
    now,
    timezone,
    configFile: config?.file ?? null,
    since: options.since ? parseSince(options.since, timezone) : null,
    licensePrices: config?.licenses.prices ?? {},
    currency: config?.licenses.currency ?? 'USD',
    configuredSources: (config?.sources ?? []).map((source) => ({
      name: source.name,
      type: source.type,
      role: source.role,
    })),
  });
  return deliver(ctx, options.out, {
    name: datedReportName('audit', { now, timezone, extension: 'html' }),
    content: renderAuditHtml(data),
    html: 'audit',
  });
}

/** `report termination --person ID`: the offboarding evidence for one person, HTML or JSON. */
export function reportTerminationCommand(
  ctx: CliContext,
  options: { person: string; out?: string; format: 'html' | 'json' },
): number {
  const config = optionalConfig(ctx);
  const now = ctx.io.now();
  const timezone = config?.timezone ?? 'UTC';
  const data = gatherTerminationData(ctx.db(), { person: options.person, now, timezone });
  const html = options.format === 'html';
  return deliver(ctx, options.out, {
    name: datedReportName('termination', { now, timezone, extension: options.format, subject: data.person.employeeId }),
    content: html ? renderTerminationHtml(data) : renderTerminationJson(data),
    html: html ? 'termination' : null,
  });
}

/** stdout, or a dated file in --out (README "Reports"); HTML is not printed on a terminal. */
function deliver(
  ctx: CliContext,
  out: string | undefined,
  report: { name: string; content: string; html: string | null },
): number {
  if (toStdout(out)) {
    if (report.html) refuseHtmlOnTerminal(report.html, Boolean(ctx.io.stdout.isTTY));
    ctx.out(report.content);
    return 0;
  }
  const { name, content } = report;
  const file = writeReport(out!, name, content);
  ctx.log.info(`wrote ${file}`);
  if (ctx.json) ctx.outJson({ file });
  return 0;
}

/**
 * Reports read the database; the config (timezone, licence prices) is used when there is one. A report never calls a
 * source, so an unset credential variable does not stop it: the machine that writes reports (or the demo's folder
 * after its throwaway tenants are gone) need not hold the scan's tokens.
 */
function optionalConfig(ctx: CliContext): Config | null {
  if (!existsSync(ctx.configPath())) return null;
  const config = loadConfig(ctx.configPath(), ctx.io.env, { allowMissingEnv: true });
  ctx.useConfig(config);
  return config;
}

/** A date is the start of that day in the config timezone; a date-time is taken as given. */
export function parseSince(text: string, timezone: string): Date {
  const day = text.match(/^(\d{4})-(\d{2})-(\d{2})$/);
  if (day) {
    const [year, month, date] = [Number(day[1]), Number(day[2]), Number(day[3])];
    const check = new Date(Date.UTC(year, month - 1, date));
    if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== date) {
      throw new UsageError(`--since ${text}: not a real date`);
    }
    return new Date(new TZDate(year, month - 1, date, 0, 0, 0, 0, timezone).getTime());
  }
  const instant = Date.parse(text);
  if (Number.isNaN(instant) || !/^\d{4}-\d{2}-\d{2}T/.test(text)) {
    throw new UsageError(`--since ${text}: expected a date (YYYY-MM-DD) or an ISO 8601 date-time`);
  }
  return new Date(instant);
}

let cachedVersion: string | undefined;

/** The package version, for report metadata: read from the package.json above this file (src or dist). */
function zombiescanVersion(): string {
  if (cachedVersion) return cachedVersion;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'package.json');
    if (existsSync(candidate)) {
      cachedVersion = String((JSON.parse(readFileSync(candidate, 'utf8')) as { version?: string }).version ?? '0.0.0');
      return cachedVersion;
    }
    const parent = path.dirname(dir);
    if (parent === dir) return (cachedVersion = '0.0.0');
    dir = parent;
  }
}

/**
 * Writes `content` to `dir/name` whole: first to a temporary file created exclusively (`wx`: never through a symlink or
 * over a file someone planted, and its name is random so it cannot be planted in advance), then renamed into place.
 */
export function writeReport(dir: string, name: string, content: string | Iterable<string>): string {
  mkdirSync(dir, { recursive: true });
  const file = path.resolve(dir, name);
  const temporary = `${file}.${randomBytes(12).toString('hex')}.tmp`;
  try {
    const fd = openSync(temporary, 'wx', 0o600);
    try {
      // writeFileSync on a descriptor writes all of a chunk where it is, after the one before.
      for (const chunk of typeof content === 'string' ? [content] : content) writeFileSync(fd, chunk);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, file);
  } catch (error) {
    // Half a report is never left behind, under its name or the temporary one.
    rmSync(temporary, { force: true });
    throw error;
  }
  return file;
}
