import type { Db } from './database.js';

/** What the Slack findings digest reads about one run, beyond the findings list itself. */

export interface FailedSourceRow {
  name: string;
  error: string | null;
}

/** Sources whose collection failed in the run, by name. */
export function listFailedSourcesOfRun(db: Db, runId: number): FailedSourceRow[] {
  return db
    .prepare<[number], FailedSourceRow>(
      `SELECT source AS name, error FROM run_sources WHERE run_id = ? AND status = 'failed' ORDER BY source`,
    )
    .all(runId);
}

/** Ids of findings the run opened or reopened that are still open. */
export function listFindingsOpenedByRun(db: Db, runId: number): number[] {
  return db
    .prepare<[number], { id: number }>(
      `SELECT DISTINCT findings.id AS id FROM findings
       JOIN finding_events ON finding_events.finding_id = findings.id
       WHERE finding_events.run_id = ? AND finding_events.to_status = 'open' AND findings.status = 'open'`,
    )
    .all(runId)
    .map((row) => row.id);
}

/** How many findings the run resolved. */
export function countFindingsResolvedByRun(db: Db, runId: number): number {
  return db
    .prepare<[number], { n: number }>(
      `SELECT count(DISTINCT finding_id) AS n FROM finding_events WHERE run_id = ? AND to_status = 'resolved'`,
    )
    .get(runId)!.n;
}

export interface PersonContactRow {
  name: string | null;
  email: string;
}

/** Name and email of roster people by employee id; statement prepared once, asked per person. */
export function rosterContacts(db: Db): (employeeId: string) => PersonContactRow | undefined {
  const owners = db.prepare<[string], PersonContactRow>('SELECT name, email FROM people WHERE employee_id = ?');
  return (employeeId) => owners.get(employeeId);
}
