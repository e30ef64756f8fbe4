import type { Db } from './database.js';

/**
 * What `report audit` reads: coverage per source, finding counts and history, departures, suppressions, standing
 * exceptions, unfinished journal intents, licences of flagged accounts and the trend. Plain rows, as stored; turning
 * them into the report's model is src/reporting/audit.ts.
 */

export function countRosterPeople(db: Db): number {
  return db.prepare<[], { n: number }>('SELECT count(*) AS n FROM people').get()!.n;
}

/** A source as the `sources` table knows it, with its latest collection and its last complete snapshot. */
export interface SourceCoverageRow {
  name: string;
  type: string;
  role: string;
  lastRunId: number | null;
  lastStatus: string | null;
  lastError: string | null;
  /** The run_sources row of the latest collection. */
  runStatus: string | null;
  runError: string | null;
  /** JSON array of notices, as stored. */
  notices: string | null;
  lastFinishedAt: string | null;
  lastStartedAt: string | null;
  /** The run_sources row of the snapshot in use (the last complete collection). */
  snapshotAccounts: number | null;
  snapshotActivityKnown: boolean | null;
  snapshotFinishedAt: string | null;
}

/** Identity providers first, then by name. */
export function listSourceCoverage(db: Db): SourceCoverageRow[] {
  const rows = db
    .prepare<
      [],
      {
        name: string;
        type: string;
        role: string;
        last_run_id: number | null;
        last_status: string | null;
        last_error: string | null;
        run_status: string | null;
        run_error: string | null;
        notices: string | null;
        last_at: string | null;
        last_started: string | null;
        snap_accounts: number | null;
        snap_activity: number | null;
        snap_at: string | null;
      }
    >(
      `SELECT s.name, s.type, s.role, s.last_run_id, s.last_status, s.last_error,
         last.status AS run_status, last.error AS run_error, last.notices, last.finished_at AS last_at,
         last.started_at AS last_started, snap.accounts AS snap_accounts, snap.activity_known AS snap_activity,
         snap.finished_at AS snap_at
       FROM sources s
       LEFT JOIN run_sources last ON last.run_id = s.last_run_id AND last.source = s.name
       LEFT JOIN run_sources snap ON snap.run_id = s.snapshot_run_id AND snap.source = s.name
       ORDER BY s.role = 'idp' DESC, s.name`,
    )
    .all();
  return rows.map((row) => ({
    name: row.name,
    type: row.type,
    role: row.role,
    lastRunId: row.last_run_id,
    lastStatus: row.last_status,
    lastError: row.last_error,
    runStatus: row.run_status,
    runError: row.run_error,
    notices: row.notices,
    lastFinishedAt: row.last_at,
    lastStartedAt: row.last_started,
    snapshotAccounts: row.snap_accounts,
    snapshotActivityKnown: row.snap_activity === null ? null : row.snap_activity === 1,
    snapshotFinishedAt: row.snap_at,
  }));
}

export interface FindingStatusRow {
  rule: string;
  severity: string;
  status: string;
  firstSeen: string;
}

/** Every finding ever recorded, reduced to what counting by rule, severity, status and age needs. */
export function listFindingStatuses(db: Db): FindingStatusRow[] {
  return db
    .prepare<[], FindingStatusRow>('SELECT rule, severity, status, first_seen AS "firstSeen" FROM findings')
    .all();
}

export interface TerminatedPersonRow {
  employeeId: string;
  name: string | null;
  email: string;
  terminationDate: string | null;
  terminationEffectiveAt: string | null;
}

/** People the roster marks terminated, latest termination first; with `since`, those terminated from then on. */
export function listTerminatedPeople(db: Db, since: string | null): TerminatedPersonRow[] {
  return db
    .prepare<{ since: string | null }, TerminatedPersonRow>(
      `SELECT employee_id AS "employeeId", name, email, termination_date AS "terminationDate",
         termination_effective_at AS "terminationEffectiveAt" FROM people
       WHERE status = 'terminated' AND (CAST(@since AS TEXT) IS NULL OR termination_effective_at IS NULL
         OR termination_effective_at >= @since)
       ORDER BY termination_effective_at DESC, employee_id`,
    )
    .all({ since });
}

export interface PersonAccountRow {
  source: string;
  id: string;
  login: string | null;
  email: string | null;
  displayName: string | null;
  enabled: boolean;
  privileged: boolean;
}

export interface TerminatedStillActiveFindingRow {
  id: number;
  source: string;
  accountId: string;
  status: string;
  login: string | null;
  email: string | null;
  displayName: string | null;
}

/** The status change that closed a finding. */
export interface FindingClosingRow {
  at: string;
  toStatus: 'resolved' | 'remediated';
}

/** Questions asked once per departed person or account: statements prepared once, answered per call. */
export interface DepartureHistory {
  /** The person's accounts in the current snapshots (service accounts excluded), by source and id. */
  accountsOf(employeeId: string): PersonAccountRow[];
  /** The person's terminated-still-active findings, whatever their status. */
  terminatedStillActiveFindingsOf(employeeId: string): TerminatedStillActiveFindingRow[];
  /** The latest change of the finding to resolved or remediated, if any. */
  closingOf(findingId: number): FindingClosingRow | undefined;
  /** When the first complete collection of the source started at or after `at` finished, if there was one. */
  firstCompleteCollectionAfter(source: string, at: string): string | null;
  /** Whether the source was collected completely at least once before `at`. */
  collectedBefore(source: string, at: string): boolean;
}

export function departureHistory(db: Db): DepartureHistory {
  const accountsOf = db.prepare<
    [string],
    {
      source: string;
      id: string;
      login: string | null;
      email: string | null;
      display_name: string | null;
      enabled: number;
      privileged: number;
    }
  >(
    `SELECT source, id, login, email, display_name, enabled, privileged FROM current_accounts
     WHERE person_id = ? AND match_method != 'service-account' ORDER BY source, id`,
  );
  const findingsOf = db.prepare<[string], TerminatedStillActiveFindingRow>(
    `SELECT id, source, account_id AS "accountId", status, login, email, display_name AS "displayName" FROM findings
     WHERE rule = 'terminated-still-active' AND person_id = ?`,
  );
  const closedAt = db.prepare<[number], FindingClosingRow>(
    `SELECT at, to_status AS "toStatus" FROM finding_events WHERE finding_id = ? AND to_status IN ('resolved', 'remediated')
     ORDER BY at DESC, id DESC LIMIT 1`,
  );
  const firstScanAfter = db.prepare<[string, string], { at: string | null }>(
    `SELECT min(finished_at) AS at FROM run_sources
     WHERE source = ? AND status = 'complete' AND started_at >= ?`,
  );
  const scannedBefore = db.prepare<[string, string], 1>(
    `SELECT 1 FROM run_sources WHERE source = ? AND status = 'complete' AND started_at < ? LIMIT 1`,
  );
  return {
    accountsOf: (employeeId) =>
      accountsOf.all(employeeId).map((row) => ({
        source: row.source,
        id: row.id,
        login: row.login,
        email: row.email,
        displayName: row.display_name,
        enabled: row.enabled === 1,
        privileged: row.privileged === 1,
      })),
    terminatedStillActiveFindingsOf: (employeeId) => findingsOf.all(employeeId),
    closingOf: (findingId) => closedAt.get(findingId),
    firstCompleteCollectionAfter: (source, at) => firstScanAfter.get(source, at)?.at ?? null,
    collectedBefore: (source, at) => scannedBefore.get(source, at) !== undefined,
  };
}

export interface SuppressedFindingRow {
  id: number;
  rule: string;
  severity: string;
  source: string;
  accountId: string;
  login: string | null;
  email: string | null;
  displayName: string | null;
  suppressReason: string | null;
  suppressedBy: string | null;
  suppressedUntil: string | null;
  suppressedUntilTyped: string | null;
  suppressedUntilZone: string | null;
  suppressionOrigin: string | null;
}

/** Suppressed findings, soonest expiry first, those without an expiry last. */
export function listSuppressedFindings(db: Db): SuppressedFindingRow[] {
  return db
    .prepare<[], SuppressedFindingRow>(
      `SELECT id, rule, severity, source, account_id AS "accountId", login, email, display_name AS "displayName",
         suppress_reason AS "suppressReason", suppressed_by AS "suppressedBy", suppressed_until AS "suppressedUntil",
         suppression_origin AS "suppressionOrigin", suppressed_until_typed AS "suppressedUntilTyped",
         suppressed_until_zone AS "suppressedUntilZone"
       FROM findings WHERE status = 'suppressed' ORDER BY suppressed_until IS NULL, suppressed_until, id`,
    )
    .all();
}

export interface StoredExceptionRow {
  source: string;
  login: string;
  reason: string;
  owner: string;
  /** A date (YYYY-MM-DD) or an instant, as written in the config. */
  expires: string;
  /** The rules the exception covers; null for all. */
  rules: string[] | null;
}

/** The config's standing exceptions as the last scan stored them, by expiry. */
export function listStoredExceptions(db: Db): StoredExceptionRow[] {
  return db
    .prepare<
      [],
      { source: string; login: string; reason: string; owner: string; expires: string; rules: string | null }
    >('SELECT source, login, reason, owner, expires, rules FROM exceptions ORDER BY expires, source')
    .all()
    .map((row) => ({ ...row, rules: row.rules ? (JSON.parse(row.rules) as string[] | null) : null }));
}

/** Journaled intents (from `since` on) that no result row answers: actions started and never confirmed. */
export function countUnansweredIntents(db: Db, since: string | null): number {
  return db
    .prepare<{ since: string | null }, { n: number }>(
      `SELECT count(*) AS n FROM audit_log i WHERE i.kind = 'intent' AND (CAST(@since AS TEXT) IS NULL OR i.at >= @since)
       AND NOT EXISTS (SELECT 1 FROM audit_log r WHERE r.kind = 'result' AND r.intent_id = i.id)`,
    )
    .get({ since })!.n;
}

export interface AccountLicencesRow {
  source: string;
  id: string;
  licenses: string[];
}

/** Current accounts with a finding of one of `rules` in one of `statuses`, each once, with their licences. */
export function listLicencesOfFlaggedAccounts(
  db: Db,
  filter: { rules: readonly string[]; statuses: readonly string[] },
): AccountLicencesRow[] {
  const rules = filter.rules.map(() => '?').join(', ');
  const statuses = filter.statuses.map(() => '?').join(', ');
  return db
    .prepare<string[], { source: string; id: string; licenses: string }>(
      `SELECT DISTINCT a.source, a.id, a.licenses FROM current_accounts a
       JOIN findings f ON f.source = a.source AND f.account_id = a.id
       WHERE f.rule IN (${rules}) AND f.status IN (${statuses})`,
    )
    .all(...filter.rules, ...filter.statuses)
    .map((row) => ({ source: row.source, id: row.id, licenses: JSON.parse(row.licenses) as string[] }));
}

export interface FinishedRunRow {
  id: number;
  finishedAt: string;
  status: string;
}

/** The last `limit` complete or partial runs (finished from `since` on), oldest first. */
export function listRecentFinishedRuns(db: Db, options: { since: string | null; limit: number }): FinishedRunRow[] {
  return db
    .prepare<{ since: string | null; limit: number }, FinishedRunRow>(
      `SELECT id, finished_at AS "finishedAt", status FROM runs
       WHERE status IN ('complete', 'partial') AND finished_at IS NOT NULL AND (CAST(@since AS TEXT) IS NULL OR finished_at >= @since)
       ORDER BY id DESC LIMIT @limit`,
    )
    .all(options)
    .reverse();
}

export interface SeverityCountRow {
  severity: string;
  n: number;
}

/**
 * Findings per current severity whose latest status change up to an instant was to one of `statuses`, replayed from
 * finding_events. Prepared once, asked per instant.
 */
export function findingCountsAsOf(db: Db, statuses: readonly string[]): (at: string) => SeverityCountRow[] {
  const placeholders = statuses.map(() => '?').join(', ');
  const countsAt = db.prepare<[...string[], { at: string }], SeverityCountRow>(
    `SELECT f.severity, count(*) AS n FROM findings f
     WHERE f.first_seen <= @at AND (
       SELECT e.to_status FROM finding_events e WHERE e.finding_id = f.id AND e.at <= @at
       ORDER BY e.at DESC, e.id DESC LIMIT 1) IN (${placeholders})
     GROUP BY f.severity`,
  );
  return (at) => countsAt.all(...statuses, { at });
}
