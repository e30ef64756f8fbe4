import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { UsageError } from '../../contract/errors.js';
import { findingToJson } from '../../contract/finding-json.js';
import { severityRank, type Finding } from '../../contract/model.js';
import { getFinding, type FindingFilter } from '../../store/findings.js';
import { employeeIdsLike, knownSources, personKnown } from '../../store/finding-facets.js';
import { acknowledgeFinding } from '../../slack/interactivity.js';
import { RULES, ruleById } from '../../../rules/index.js';
import { renderFindingDetail } from '../../../reports/finding-detail.js';
import type { CliContext } from '../context.js';
import { suggest } from '../../common/closest.js';
import type { FindingSort } from './finding-options.js';

export { FINDING_SORTS, parseLimit, type FindingSort } from './finding-options.js';

/**
 * A filter naming a rule, source or person nobody knows is a mistake, not "no findings": a CI gate reading an
 * empty list would count zero zombies. Refused with exit 2 and the known values.
 */
export function validateFindingFilter(ctx: CliContext, filter: FindingFilter): void {
  if (filter.rule !== undefined && ruleById(filter.rule) === undefined) {
    throw new UsageError(
      `--rule ${filter.rule}: no such rule${suggest(
        filter.rule,
        RULES.map((r) => r.id),
      )} (known: ${RULES.map((r) => r.id).join(', ')})`,
    );
  }
  if (filter.source !== undefined) {
    const configured = existsSync(ctx.configPath()) && !ctx.globals.db ? configuredSources(ctx) : [];
    const known = [...new Set([...configured, ...knownSources(ctx.db())])].sort();
    if (!known.includes(filter.source)) {
      throw new UsageError(
        `--source ${filter.source}: no such source${suggest(filter.source, known)} (known: ${known.join(', ') || 'none yet: run a scan'})`,
      );
    }
  }
  if (filter.person !== undefined && !personKnown(ctx.db(), filter.person)) {
    const like = employeeIdsLike(ctx.db(), filter.person);
    throw new UsageError(
      `--person ${filter.person}: no such person in the roster or the findings (an employee id or email${
        like.length > 0 ? `; similar ids: ${like.join(', ')}` : ''
      })`,
    );
  }
}

function configuredSources(ctx: CliContext): string[] {
  try {
    return ctx.config().sources.map((source) => source.name);
  } catch {
    return [];
  }
}

export function sortAndLimit(findings: Finding[], options: { sort?: FindingSort; limit?: number }): Finding[] {
  const sort = options.sort ?? 'severity';
  const by: Record<FindingSort, (a: Finding, b: Finding) => number> = {
    severity: (a, b) => severityRank(b.severity) - severityRank(a.severity) || a.firstSeen.localeCompare(b.firstSeen),
    'first-seen': (a, b) => a.firstSeen.localeCompare(b.firstSeen),
    'last-seen': (a, b) => b.lastSeen.localeCompare(a.lastSeen),
    rule: (a, b) => a.rule.localeCompare(b.rule),
    source: (a, b) => a.source.localeCompare(b.source),
    id: () => 0,
  };
  const sorted = [...findings].sort((a, b) => by[sort](a, b) || a.id - b.id);
  return options.limit === undefined ? sorted : sorted.slice(0, options.limit);
}

export function parseFindingId(text: string): number {
  const id = Number(text);
  if (!Number.isInteger(id) || id <= 0) throw new UsageError(`"${text}" is not a finding id (a positive number)`);
  return id;
}

export function findingShowCommand(ctx: CliContext, idText: string): number {
  const finding = getFinding(ctx.db(), parseFindingId(idText));
  const rule = ruleById(finding.rule) ?? null;
  if (ctx.json) {
    ctx.outJson({
      ...findingToJson(finding),
      ruleInfo: rule ? { title: rule.title, risk: rule.risk, remediation: rule.remediation } : null,
    });
  } else {
    ctx.out(renderFindingDetail(finding, rule));
  }
  return 0;
}

export function acknowledgeCommand(ctx: CliContext, idText: string, options: { reason?: string; by?: string }): number {
  const id = parseFindingId(idText);
  const by = options.by ?? ctx.io.env.ZOMBIESCAN_ACTOR ?? ctx.io.env.USER ?? userInfo().username;
  const finding = acknowledgeFinding(ctx.db(), {
    id,
    by,
    now: ctx.io.now(),
    reason: options.reason ?? 'acknowledged from the CLI',
  });
  if (ctx.json) ctx.outJson(findingToJson(finding));
  else ctx.out(`Finding ${id} acknowledged by ${by}.\n`);
  return 0;
}
