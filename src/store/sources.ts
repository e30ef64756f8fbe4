import type { Db } from './database.js';

/** Per configured source: the run holding its current snapshot and how its latest collection went. */

/** Source name -> the run whose accounts are its current snapshot (sources that never completed are absent). */
export function snapshotRuns(db: Db): Map<string, number> {
  const rows = db.prepare('SELECT name, snapshot_run_id FROM sources WHERE snapshot_run_id IS NOT NULL').all() as {
    name: string;
    snapshot_run_id: number;
  }[];
  return new Map(rows.map((row) => [row.name, row.snapshot_run_id]));
}

export interface SourceRunOutcome {
  name: string;
  type: string;
  role: string;
  status: 'complete' | 'failed';
  error: string | null;
}

/** A complete collection becomes the source's snapshot; a failed one keeps the last complete snapshot. */
export function recordSourceOutcomes(db: Db, runId: number, outcomes: readonly SourceRunOutcome[]): void {
  const upsert = db.prepare(`
    INSERT INTO sources (name, type, role, snapshot_run_id, last_run_id, last_status, last_error)
    VALUES (@name, @type, @role, @snapshot, @runId, @status, @error)
    ON CONFLICT (name) DO UPDATE SET type = excluded.type, role = excluded.role,
      snapshot_run_id = COALESCE(excluded.snapshot_run_id, sources.snapshot_run_id),
      last_run_id = excluded.last_run_id, last_status = excluded.last_status, last_error = excluded.last_error`);
  for (const outcome of outcomes) {
    upsert.run({
      name: outcome.name,
      type: outcome.type,
      role: outcome.role,
      snapshot: outcome.status === 'complete' ? runId : null,
      runId,
      status: outcome.status,
      error: outcome.error,
    });
  }
}

/** How each source's latest collection ended (the `sources` table), as remediation checks it before acting. */

export interface SourceCollectionStatus {
  /** null before the first collection. */
  lastStatus: string | null;
  lastError: string | null;
  /** When the scan holding the source's current snapshot finished; null when it never completed. */
  lastCompletedAt: string | null;
}

/** Per source name. */
export function sourceCollectionStatuses(db: Db): Map<string, SourceCollectionStatus> {
  const rows = db
    .prepare(
      `SELECT sources.name, sources.last_status, sources.last_error, runs.finished_at AS last_completed_at
       FROM sources LEFT JOIN runs ON runs.id = sources.snapshot_run_id`,
    )
    .all() as {
    name: string;
    last_status: string | null;
    last_error: string | null;
    last_completed_at: string | null;
  }[];
  return new Map(
    rows.map((row) => [
      row.name,
      { lastStatus: row.last_status, lastError: row.last_error, lastCompletedAt: row.last_completed_at },
    ]),
  );
}

/**
 * Rows of a snapshot table (accounts, credentials) that no source points at any more, and this run's rows of sources
 * that failed in it, are garbage: removed after the commit so the scan stays atomic. Rows of a run still running (a
 * scanner of other sources beside this one) are not garbage yet.
 */
export function pruneSnapshotRows(db: Db, table: 'accounts' | 'credentials', runId: number): number {
  const stale = db
    .prepare(
      `DELETE FROM ${table} WHERE run_id < ? AND NOT EXISTS (
       SELECT 1 FROM sources WHERE sources.name = ${table}.source AND sources.snapshot_run_id = ${table}.run_id)
       AND run_id NOT IN (SELECT id FROM runs WHERE status = 'running')`,
    )
    .run(runId).changes;
  const failed = db
    .prepare(
      `DELETE FROM ${table} WHERE run_id = ? AND source IN (
      SELECT source FROM run_sources WHERE run_id = ? AND status = 'failed')`,
    )
    .run(runId, runId).changes;
  return stale + failed;
}
