import type { Db } from './database.js';

/** The termination reports `offboard --apply` keeps (`termination_reports`), stored as their JSON. */

/** Stores one report; returns its id. */
export function saveTerminationReport(db: Db, report: { personId: string; startedAt: string; report: object }): number {
  return Number(
    db
      .prepare('INSERT INTO termination_reports (person_id, started_at, json) VALUES (?, ?, ?)')
      .run(report.personId, report.startedAt, JSON.stringify(report.report)).lastInsertRowid,
  );
}
