import type { Db } from './database.js';

/** The termination reports `offboard --apply` keeps (`termination_reports`), stored as their JSON. */

/** Stores one report; returns its id. */
export function saveTerminationReport(db: Db, report: { personId: string; startedAt: string; report: object }): number {
  const row = db
    .prepare('INSERT INTO termination_reports (person_id, started_at, json) VALUES (?, ?, ?) RETURNING id')
    .get(report.personId, report.startedAt, JSON.stringify(report.report)) as { id: number };
  return Number(row.id);
}
