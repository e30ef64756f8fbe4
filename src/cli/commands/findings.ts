import { userInfo } from 'node:os';
import {
  getFinding,
  listFindings,
  suppressFinding,
  unsuppressFinding,
  type FindingFilter,
} from '../../store/findings.js';
import { UsageError } from '../../contract/errors.js';
import { findingToJson } from '../../contract/finding-json.js';
import { describeTypedTime } from '../../contract/model.js';
import { renderFindingsTable } from '../../../reports/findings-table.js';
import { endOfLocalDay } from '../../common/time.js';
import type { CliContext } from '../context.js';
import { parseFindingId, sortAndLimit, validateFindingFilter, type FindingSort } from './findings-more.js';
import { existsSync } from 'node:fs';

export function findingsCommand(
  ctx: CliContext,
  filter: FindingFilter & { sort?: FindingSort; limit?: number },
): number {
  validateFindingFilter(ctx, filter);
  const findings = sortAndLimit(listFindings(ctx.db(), filter), filter);
  if (ctx.json) ctx.outJson(findings.map(findingToJson));
  else
    ctx.out(renderFindingsTable(findings, { color: ctx.color, width: ctx.width, showStatus: filter.status === 'all' }));
  return 0;
}

export function suppressCommand(
  ctx: CliContext,
  idText: string,
  options: { reason: string; until: string; by?: string },
): number {
  const id = parseFindingId(idText);
  const timezone = timezoneOf(ctx);
  const finding = suppressFinding(ctx.db(), {
    id,
    reason: options.reason,
    until: parseUntil(options.until, timezone),
    untilAsTyped: { value: options.until, timezone },
    by: options.by ?? actor(ctx),
    now: ctx.io.now(),
  });
  if (ctx.json) ctx.outJson(findingToJson(finding));
  else {
    const until = describeTypedTime(finding.suppressedUntilAsTyped, finding.suppressedUntil);
    ctx.out(`Finding ${id} suppressed until ${until} by ${finding.suppressedBy}.\n`);
  }
  return 0;
}

export function unsuppressCommand(ctx: CliContext, idText: string, options: { by?: string }): number {
  const id = parseFindingId(idText);
  getFinding(ctx.db(), id);
  const finding = unsuppressFinding(ctx.db(), { id, by: options.by ?? actor(ctx), now: ctx.io.now() });
  if (ctx.json) ctx.outJson(findingToJson(finding));
  else ctx.out(`Finding ${id} is open again.\n`);
  return 0;
}

export { parseFindingId };

/** A date means "through the end of that day" in the configured timezone; a date-time is taken as given. */
function parseUntil(text: string, timezone: string): Date {
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    const date = endOfLocalDay(text, timezone);
    const [year, month, day] = text.split('-').map(Number);
    const check = new Date(Date.UTC(year!, month! - 1, day!));
    if (check.getUTCMonth() !== month! - 1 || check.getUTCDate() !== day) {
      throw new UsageError(`--until ${text}: not a real date`);
    }
    return date;
  }
  const instant = Date.parse(text);
  if (Number.isNaN(instant) || !/^\d{4}-\d{2}-\d{2}T/.test(text)) {
    throw new UsageError(`--until ${text}: expected a date (YYYY-MM-DD) or an ISO 8601 date-time`);
  }
  return new Date(instant);
}

function timezoneOf(ctx: CliContext): string {
  return existsSync(ctx.configPath()) ? ctx.config().timezone : 'UTC';
}

function actor(ctx: CliContext): string {
  return ctx.io.env.ZOMBIESCAN_ACTOR ?? ctx.io.env.USER ?? userInfo().username;
}
