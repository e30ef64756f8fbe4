import { describeTypedTime, SEVERITIES, type Severity } from '../contract/model.js';
import { endOfLocalDay } from '../common/time.js';
import { readJournal, verifyJournal } from '../store/journal.js';
import type { Db } from '../store/database.js';
import {
  countRosterPeople,
  countUnansweredIntents,
  departureHistory,
  findingCountsAsOf,
  listFindingStatuses,
  listLicencesOfFlaggedAccounts,
  listRecentFinishedRuns,
  listSourceCoverage,
  listStoredExceptions,
  listSuppressedFindings,
  listTerminatedPeople,
} from '../store/audit-queries.js';
import { latestFinishedRun } from '../store/runs.js';
import { listFindings } from '../store/findings.js';
import type { Finding } from '../contract/model.js';
import {
  accountSearchLabel,
  accountsUsedAfterTermination,
  headlineMessage,
  severityRaisedForPrivilege,
  usedAfterTermination,
} from '../contract/finding-facts.js';
import { ALL_RULES as RULES } from '../../rules/index.js';
import {
  AGE_BUCKETS,
  RECLAIM_RULES,
  UNRESOLVED_STATUSES,
  type AuditData,
  type CoverageRow,
  type ExceptionRow,
  type JournalCheck,
  type LicenseRow,
  type SuppressionRow,
  type TerminationAccount,
  type TerminationRow,
  type TrendPoint,
  type UsedAfterTerminationRow,
} from '../../reports/audit.js';

/**
 * Gathers the model `report audit` renders (reports/audit.ts) from the store: the report's definitions (which
 * statuses are unresolved, which rules mean a licence can be reclaimed, the age buckets) applied to stored rows.
 */

export interface AuditOptions {
  now: Date;
  /** The config's timezone: how dates are shown, and when a date-only exception expiry ends. */
  timezone: string;
  configFile: string | null;
  /** Start of the audit period: limits the trend, the remediation history and the departures listed. */
  since: Date | null;
  licensePrices: Record<string, number>;
  currency: string;
  /** Sources named in the config: one that was never collected is a coverage gap too. */
  configuredSources: readonly { name: string; type: string; role: string }[];
  /** How many past scans the trend chart shows. */
  trendRuns?: number;
}

const DAY_MS = 86_400_000;

function emptyCounts(): Record<Severity, number> {
  return { critical: 0, high: 0, medium: 0, low: 0 };
}

function isSeverity(value: string): value is Severity {
  return (SEVERITIES as readonly string[]).includes(value);
}

export function gatherAuditData(db: Db, options: AuditOptions): AuditData {
  const sinceIso = options.since?.toISOString() ?? null;
  const latest = latestFinishedRun(db);
  const rosterPeople = countRosterPeople(db);
  const unresolved = UNRESOLVED_STATUSES.flatMap((status) => listFindings(db, { status }));
  const used = unresolved.filter(usedAfterTermination);
  const usedAccounts = new Set(used.map((finding) => `${finding.source}\u0000${finding.accountId}`));
  const terminations = gatherTerminations(db, options.now, sinceIso).map((person) => ({
    ...person,
    accounts: person.accounts.map((account) => ({
      ...account,
      usedAfterTermination: usedAccounts.has(`${account.source}\u0000${account.accountId}`),
    })),
  }));
  return {
    generatedAt: options.now.toISOString(),
    timezone: options.timezone,
    configFile: options.configFile,
    since: sinceIso,
    rosterPeople: latest ? rosterPeople : null,
    latestRun: latest
      ? { id: latest.id, startedAt: latest.startedAt, finishedAt: latest.finishedAt, status: latest.status }
      : null,
    coverage: gatherCoverage(db, options.configuredSources),
    findings: gatherFindingCounts(db, options.now),
    terminations,
    suppressions: gatherSuppressions(db),
    exceptions: gatherExceptions(db, options.now, options.timezone),
    remediation: gatherRemediation(db, sinceIso),
    licenses: gatherLicenses(db, options.licensePrices, options.currency),
    trend: gatherTrend(db, sinceIso, options.trendRuns ?? 30),
    usedAfterTermination: { accounts: accountsUsedAfterTermination(used), findings: used.map(usedRow) },
  };
}

function usedRow(finding: Finding): UsedAfterTerminationRow {
  return {
    findingId: finding.id,
    rule: finding.rule,
    severity: finding.severity,
    severityRaisedForPrivilege: severityRaisedForPrivilege(finding),
    source: finding.source,
    account: accountSearchLabel(finding),
    personId: finding.personId,
    message: headlineMessage(finding),
  };
}

function gatherCoverage(db: Db, configured: AuditOptions['configuredSources']): CoverageRow[] {
  const rows = listSourceCoverage(db);
  const configuredNames = new Set(configured.map((source) => source.name));
  const coverage: CoverageRow[] = rows.map((row) => ({
    source: row.name,
    type: row.type,
    role: row.role,
    status: row.runStatus ?? row.lastStatus ?? 'unknown',
    lastRunId: row.lastRunId,
    lastRunAt: row.lastFinishedAt ?? row.lastStartedAt,
    accounts: row.snapshotAccounts,
    activityKnown: row.snapshotActivityKnown,
    notices: row.notices ? (JSON.parse(row.notices) as string[]) : [],
    error: row.runError ?? row.lastError,
    lastCompleteAt: row.snapshotFinishedAt,
    inConfig: configuredNames.size === 0 || configuredNames.has(row.name),
  }));
  const collected = new Set(rows.map((row) => row.name));
  for (const source of configured) {
    if (collected.has(source.name)) continue;
    coverage.push({
      source: source.name,
      type: source.type,
      role: source.role,
      status: 'never collected',
      lastRunId: null,
      lastRunAt: null,
      accounts: null,
      activityKnown: null,
      notices: [],
      error: null,
      lastCompleteAt: null,
      inConfig: true,
    });
  }
  return coverage;
}

function gatherFindingCounts(db: Db, now: Date): AuditData['findings'] {
  const bySeverity = emptyCounts();
  const byStatus: Record<string, number> = {};
  const byRule = new Map<string, Record<Severity, number>>();
  const byAge = AGE_BUCKETS.map(() => emptyCounts());
  let unresolved = 0;
  for (const row of listFindingStatuses(db)) {
    byStatus[row.status] = (byStatus[row.status] ?? 0) + 1;
    if (!(UNRESOLVED_STATUSES as readonly string[]).includes(row.status) || !isSeverity(row.severity)) continue;
    unresolved++;
    bySeverity[row.severity]++;
    const ruleCounts = byRule.get(row.rule) ?? emptyCounts();
    ruleCounts[row.severity]++;
    byRule.set(row.rule, ruleCounts);
    const age = Math.floor((now.getTime() - Date.parse(row.firstSeen)) / DAY_MS);
    const bucket = AGE_BUCKETS.findIndex((candidate) => age <= candidate.max);
    byAge[bucket === -1 ? AGE_BUCKETS.length - 1 : bucket]![row.severity]++;
  }
  const order = RULES.map((rule) => rule.id);
  const rank = (id: string) => (order.includes(id) ? order.indexOf(id) : order.length);
  return {
    bySeverity,
    byStatus,
    unresolved,
    byRule: [...byRule.entries()]
      .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
      .map(([rule, counts]) => ({
        rule,
        title: RULES.find((candidate) => candidate.id === rule)?.title ?? rule,
        counts,
        total: SEVERITIES.reduce((sum, severity) => sum + counts[severity], 0),
      })),
    byAge: AGE_BUCKETS.map((bucket, index) => ({
      label: bucket.label,
      counts: byAge[index]!,
      total: SEVERITIES.reduce((sum, severity) => sum + byAge[index]![severity], 0),
    })),
  };
}

/**
 * Time from termination to access removal, per departed person (SOC 2 CC6.2). Snapshots only keep each source's
 * latest collection, so the moment an account was disabled is derived from the findings history: the scan that
 * resolved (or remediated) the account's terminated-still-active finding saw it gone first. An account that was
 * already disabled when the first scan after the termination looked at its source never had a finding: that scan
 * is when access was seen gone, provided the source was collected before the termination too (otherwise the account
 * was disabled before monitoring began and no delay is claimed). Both are upper bounds; the true moment lies after
 * the scan before.
 */
function gatherTerminations(db: Db, now: Date, sinceIso: string | null): TerminationRow[] {
  const history = departureHistory(db);
  const closingMethod = (toStatus: 'resolved' | 'remediated') =>
    toStatus === 'remediated' ? 'finding-remediated' : 'finding-resolved';

  return listTerminatedPeople(db, sinceIso).map((person) => {
    const effective = person.terminationEffectiveAt;
    const inEffect = effective === null || Date.parse(effective) <= now.getTime();
    const findings = new Map(
      history
        .terminatedStillActiveFindingsOf(person.employeeId)
        .map((finding) => [`${finding.source}\u0000${finding.accountId}`, finding]),
    );
    const lag = (at: string | null) => (at && effective ? Date.parse(at) - Date.parse(effective) : null);

    const accounts: TerminationAccount[] = [];
    for (const account of history.accountsOf(person.employeeId)) {
      const key = `${account.source}\u0000${account.id}`;
      const finding = findings.get(key);
      findings.delete(key);
      const base = {
        source: account.source,
        accountId: account.id,
        login: account.login ?? account.email,
        displayName: account.displayName,
        privileged: account.privileged,
      };
      if (account.enabled) {
        accounts.push({
          ...base,
          state: 'enabled',
          removedSeenAt: null,
          method: inEffect ? 'still-enabled' : 'not-due',
          lagMs: inEffect && effective ? now.getTime() - Date.parse(effective) : null,
          stillOpen: inEffect,
        });
        continue;
      }
      const closed = finding ? history.closingOf(finding.id) : undefined;
      if (closed) {
        accounts.push({
          ...base,
          state: 'disabled',
          removedSeenAt: closed.at,
          method: closingMethod(closed.toStatus),
          lagMs: lag(closed.at),
          stillOpen: false,
        });
        continue;
      }
      const firstScan = effective ? history.firstCompleteCollectionAfter(account.source, effective) : null;
      // Without a collection of the source before the termination, "disabled at the first scan" only says it
      // happened before monitoring began: no delay can be claimed.
      const monitoredBefore = effective !== null && history.collectedBefore(account.source, effective);
      accounts.push({
        ...base,
        state: 'disabled',
        removedSeenAt: firstScan,
        method: firstScan ? (monitoredBefore ? 'first-scan-after-termination' : 'before-monitoring') : 'unknown',
        lagMs: monitoredBefore ? lag(firstScan) : null,
        stillOpen: false,
      });
    }
    // Accounts that were flagged once and have since left their source's snapshot altogether (deleted).
    for (const finding of findings.values()) {
      const closed = history.closingOf(finding.id);
      const active = (UNRESOLVED_STATUSES as readonly string[]).includes(finding.status);
      accounts.push({
        source: finding.source,
        accountId: finding.accountId,
        login: finding.login ?? finding.email,
        displayName: finding.displayName,
        privileged: false,
        state: 'removed',
        removedSeenAt: closed?.at ?? null,
        method: closed ? closingMethod(closed.toStatus) : 'unknown',
        lagMs: lag(closed?.at ?? null),
        stillOpen: active,
      });
    }
    accounts.sort((a, b) => a.source.localeCompare(b.source) || a.accountId.localeCompare(b.accountId));
    const stillOpen = accounts.some((account) => account.stillOpen);
    const lags = accounts.map((account) => account.lagMs);
    return {
      employeeId: person.employeeId,
      name: person.name,
      email: person.email,
      terminationDate: person.terminationDate,
      effectiveAt: effective,
      inEffect,
      accounts,
      stillOpen,
      allRemovedLagMs:
        stillOpen || lags.length === 0 || lags.some((value) => value === null)
          ? null
          : Math.max(0, ...(lags as number[])),
    };
  });
}

function gatherSuppressions(db: Db): SuppressionRow[] {
  const raised = new Set(
    listFindings(db, { status: 'suppressed' })
      .filter(severityRaisedForPrivilege)
      .map((finding) => finding.id),
  );
  return listSuppressedFindings(db).map((row) => ({
    findingId: row.id,
    rule: row.rule,
    severity: row.severity,
    severityRaisedForPrivilege: raised.has(row.id),
    source: row.source,
    account: row.email ?? row.login ?? row.accountId,
    displayName: row.displayName,
    reason: row.suppressReason,
    owner: row.suppressedBy,
    until: row.suppressedUntil,
    untilAsTyped: row.suppressedUntilTyped
      ? describeTypedTime({ value: row.suppressedUntilTyped, timezone: row.suppressedUntilZone ?? 'UTC' })
      : null,
    origin: row.suppressionOrigin,
  }));
}

function gatherExceptions(db: Db, now: Date, timezone: string): ExceptionRow[] {
  return listStoredExceptions(db).map((row) => ({
    source: row.source,
    login: row.login,
    reason: row.reason,
    owner: row.owner,
    expires: row.expires,
    expiresAsTyped: describeTypedTime({ value: row.expires, timezone }),
    rules: row.rules,
    expired: /^\d{4}-\d{2}-\d{2}$/.test(row.expires)
      ? endOfLocalDay(row.expires, timezone).getTime() <= now.getTime()
      : Date.parse(row.expires) <= now.getTime(),
  }));
}

function gatherRemediation(db: Db, sinceIso: string | null): AuditData['remediation'] {
  const results = readJournal(db, { kind: 'result', since: sinceIso }).map((row) => ({
    id: row.id,
    at: row.at,
    actor: row.actor,
    findingId: row.findingId,
    personId: row.personId,
    source: row.source,
    accountId: row.accountId,
    action: row.action,
    status: row.status,
    reason: row.reason,
  }));
  // An intent with no result is an action that was started and never confirmed (a crash mid-call): worth a look.
  const unfinishedIntents = countUnansweredIntents(db, sinceIso);
  // The whole chain is recomputed, whatever the period: a break before it would invalidate what follows.
  const check = verifyJournal(db);
  const journal: JournalCheck = check.ok
    ? { ok: true, rows: check.rows }
    : { ok: false, rows: check.rows, firstBadId: check.firstBadId ?? 0, reason: check.problem ?? 'chain broken' };
  return { results, unfinishedIntents, journal };
}

function gatherLicenses(db: Db, prices: Record<string, number>, currency: string): AuditData['licenses'] {
  const accounts = listLicencesOfFlaggedAccounts(db, { rules: RECLAIM_RULES, statuses: UNRESOLVED_STATUSES });
  const bySku = new Map<string, number>();
  let seats = 0;
  for (const account of accounts) {
    for (const sku of new Set(account.licenses)) {
      bySku.set(sku, (bySku.get(sku) ?? 0) + 1);
      seats++;
    }
  }
  const rows: LicenseRow[] = [...bySku.entries()]
    .map(([sku, count]) => {
      const unitPrice = Object.hasOwn(prices, sku) ? prices[sku]! : null;
      return { sku, accounts: count, unitPrice, monthlyCost: unitPrice === null ? null : unitPrice * count };
    })
    .sort(
      (a, b) => (b.monthlyCost ?? -1) - (a.monthlyCost ?? -1) || b.accounts - a.accounts || a.sku.localeCompare(b.sku),
    );
  return {
    rows,
    seats,
    monthlyTotal: rows.reduce((sum, row) => sum + (row.monthlyCost ?? 0), 0),
    unpricedSkus: rows.filter((row) => row.unitPrice === null).length,
    currency,
  };
}

/**
 * Unresolved findings per severity as each past scan left them, replayed from finding_events: a finding counts at a
 * run when its latest status change up to the run's end is open or acknowledged. Severity is the finding's current
 * one (severity changes are not journaled).
 */
function gatherTrend(db: Db, sinceIso: string | null, limit: number): TrendPoint[] {
  const countsAt = findingCountsAsOf(db, UNRESOLVED_STATUSES);
  return listRecentFinishedRuns(db, { since: sinceIso, limit }).map((run) => {
    const counts = emptyCounts();
    for (const row of countsAt(run.finishedAt)) {
      if (isSeverity(row.severity)) counts[row.severity] = row.n;
    }
    return { runId: run.id, at: run.finishedAt, status: run.status, counts };
  });
}
