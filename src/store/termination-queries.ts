import type { Db } from './database.js';

/**
 * What `report termination --person` reads: the person, their latest stored offboarding report, their accounts in
 * the current snapshots with the findings still standing on them, and sources whose latest collection failed.
 */

export interface RosterPersonRow {
  employeeId: string;
  email: string;
  name: string | null;
  status: string;
  terminationDate: string | null;
  terminationEffectiveAt: string | null;
}

/** The roster person with this employee id or, failing that, this email (any case). */
export function findRosterPerson(db: Db, idOrEmail: string): RosterPersonRow | null {
  return (
    db
      .prepare<{ id: string }, RosterPersonRow>(
        `SELECT employee_id AS "employeeId", email, name, status, termination_date AS "terminationDate",
           termination_effective_at AS "terminationEffectiveAt" FROM people
         WHERE employee_id = @id OR lower(email) = lower(@id) ORDER BY employee_id = @id DESC LIMIT 1`,
      )
      .get({ id: idOrEmail }) ?? null
  );
}

export interface StoredTerminationReportRow {
  id: number;
  /** The offboarding report as `zombiescan offboard` wrote it (JSON text, not checked here). */
  json: string;
}

/** The latest offboarding report stored for the person. */
export function latestTerminationReport(db: Db, employeeId: string): StoredTerminationReportRow | null {
  return (
    db
      .prepare<[string], StoredTerminationReportRow>(
        'SELECT id, json FROM termination_reports WHERE person_id = ? ORDER BY started_at DESC, id DESC LIMIT 1',
      )
      .get(employeeId) ?? null
  );
}

export interface StandingFindingRow {
  id: number;
  rule: string;
  severity: string;
  status: string;
  message: string;
}

export interface MatchedAccountRow {
  source: string;
  id: string;
  login: string | null;
  email: string | null;
  displayName: string | null;
  enabled: boolean;
  rawStatus: string | null;
  privileged: boolean;
  lastActivityAt: string | null;
  activityKnown: boolean;
  /** Open, acknowledged or suppressed findings on the account, oldest first. */
  standingFindings: StandingFindingRow[];
}

/** The person's accounts in the current snapshots (service accounts they own excluded), by source and id. */
export function listMatchedAccounts(db: Db, employeeId: string): MatchedAccountRow[] {
  const findingsOf = db.prepare<[string, string], StandingFindingRow>(
    `SELECT id, rule, severity, status, message FROM findings
     WHERE source = ? AND account_id = ? AND status IN ('open', 'acknowledged', 'suppressed') ORDER BY id`,
  );
  return db
    .prepare<
      [string],
      {
        source: string;
        id: string;
        login: string | null;
        email: string | null;
        display_name: string | null;
        enabled: number;
        raw_status: string | null;
        privileged: number;
        last_activity_at: string | null;
        activity_known: number;
      }
    >(
      `SELECT source, id, login, email, display_name, enabled, raw_status, privileged, last_activity_at, activity_known
       FROM current_accounts WHERE person_id = ? AND match_method != 'service-account' ORDER BY source, id`,
    )
    .all(employeeId)
    .map((row) => ({
      source: row.source,
      id: row.id,
      login: row.login,
      email: row.email,
      displayName: row.display_name,
      enabled: row.enabled === 1,
      rawStatus: row.raw_status,
      privileged: row.privileged === 1,
      lastActivityAt: row.last_activity_at,
      activityKnown: row.activity_known === 1,
      standingFindings: findingsOf.all(row.source, row.id),
    }));
}

export interface IncompleteSourceRow {
  name: string;
  lastError: string | null;
}

/** Sources whose latest collection did not complete, by name. */
export function listSourcesNotComplete(db: Db): IncompleteSourceRow[] {
  return db
    .prepare<[], IncompleteSourceRow>(
      `SELECT name, last_error AS "lastError" FROM sources
       WHERE last_status IS NOT NULL AND last_status != 'complete' ORDER BY name`,
    )
    .all();
}
