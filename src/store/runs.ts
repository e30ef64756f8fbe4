import type { RunSummary } from '../contract/run.js';
import { BusyError } from '../contract/errors.js';
import type { Db } from './database.js';

export function listRuns(db: Db, limit = 50): RunSummary[] {
  const runs = db
    .prepare(
      `SELECT id, started_at, finished_at, status, pid, findings_open, findings_opened, findings_resolved
       FROM runs ORDER BY id DESC LIMIT ?`,
    )
    .all(limit) as {
    id: number;
    started_at: string;
    finished_at: string | null;
    status: string;
    pid: number | null;
    findings_open: number | null;
    findings_opened: number | null;
    findings_resolved: number | null;
  }[];
  const sourcesOf = db.prepare(
    'SELECT source, status, accounts, error, notices FROM run_sources WHERE run_id = ? ORDER BY source',
  );
  return runs.map((run) => {
    // A run still marked running whose process is gone was killed: say so (the next scan records it).
    const status = run.status === 'running' && !processAlive(run.pid) ? 'interrupted' : run.status;
    return {
      id: run.id,
      startedAt: run.started_at,
      finishedAt: run.finished_at,
      status,
      sources: Object.fromEntries(
        (
          sourcesOf.all(run.id) as {
            source: string;
            status: string;
            accounts: number;
            error: string | null;
            notices: string;
          }[]
        ).map((row) => [
          row.source,
          {
            // A source of an interrupted run never finished: it is not still running.
            status: status === 'interrupted' && row.status === 'running' ? 'interrupted' : row.status,
            accounts: row.accounts,
            error: row.error,
            notices: JSON.parse(row.notices) as string[],
          },
        ]),
      ),
      findingsOpen: run.findings_open,
      findingsOpened: run.findings_opened,
      findingsResolved: run.findings_resolved,
    };
  });
}

export interface FinishedRunHead {
  id: number;
  status: string;
  startedAt: string;
  finishedAt: string | null;
}

/** The last run that finished (complete or partial): what reports and the digest describe. */
export function latestFinishedRun(db: Db): FinishedRunHead | null {
  return (
    db
      .prepare<[], FinishedRunHead>(
        `SELECT id, status, started_at AS startedAt, finished_at AS finishedAt FROM runs
         WHERE status IN ('complete', 'partial') ORDER BY id DESC LIMIT 1`,
      )
      .get() ?? null
  );
}

export function processAlive(pid: number | null): boolean {
  if (pid === null) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What a scan records when it starts: the roster it read and whether a shrink was accepted. */
export interface RunStart {
  at: Date;
  rosterFile: string;
  people: number;
  rosterSha256: string;
  rosterChangeAccepted: boolean;
}

/**
 * Opens a run, refusing while another live process is scanning. A run left 'running' by a process that is gone was
 * interrupted: it is marked so first.
 */
export function beginRun(db: Db, start: RunStart): number {
  return db.transaction(() => {
    const running = db.prepare(`SELECT id, pid FROM runs WHERE status = 'running'`).all() as {
      id: number;
      pid: number | null;
    }[];
    for (const run of running) {
      if (run.pid !== null && run.pid !== process.pid && processAlive(run.pid)) {
        throw new BusyError(`another scan is running (run ${run.id}, pid ${run.pid}); try again when it has finished`);
      }
    }
    markInterrupted(db);
    return Number(
      db
        .prepare(
          `INSERT INTO runs (started_at, status, pid, roster_file, roster_people, roster_sha256, roster_change_accepted)
           VALUES (?, 'running', ?, ?, ?, ?, ?)`,
        )
        .run(
          start.at.toISOString(),
          process.pid,
          start.rosterFile,
          start.people,
          start.rosterSha256,
          start.rosterChangeAccepted ? 1 : 0,
        ).lastInsertRowid,
    );
  })();
}

/** Nothing of an abandoned run (aborted, or failed while saving) is kept but its row saying so. */
export function abandonRun(db: Db, runId: number): void {
  db.transaction(() => {
    db.prepare(`UPDATE runs SET status = 'interrupted', finished_at = ? WHERE id = ? AND status = 'running'`).run(
      new Date().toISOString(),
      runId,
    );
    db.prepare(`UPDATE run_sources SET status = 'interrupted' WHERE run_id = ? AND status = 'running'`).run(runId);
    // A run that never committed is no source's snapshot: its rows are garbage.
    db.prepare('DELETE FROM accounts WHERE run_id = ?').run(runId);
  })();
}

/** A run left 'running' by a process that is gone was interrupted: say so, and drop its invisible rows. */
export function markInterrupted(db: Db): void {
  const stale = db
    .prepare(`SELECT id FROM runs WHERE status = 'running' AND (pid IS NULL OR pid != ?)`)
    .all(process.pid) as { id: number }[];
  for (const { id } of stale) {
    db.prepare(`UPDATE runs SET status = 'interrupted' WHERE id = ?`).run(id);
    db.prepare(`UPDATE run_sources SET status = 'interrupted' WHERE run_id = ? AND status = 'running'`).run(id);
    db.prepare('DELETE FROM accounts WHERE run_id = ?').run(id);
  }
}

export function beginSourceCollection(
  db: Db,
  runId: number,
  source: { name: string; type: string; role: string },
  at: Date,
): void {
  db.prepare(
    `INSERT INTO run_sources (run_id, source, type, role, status, started_at) VALUES (?, ?, ?, ?, 'running', ?)`,
  ).run(runId, source.name, source.type, source.role, at.toISOString());
}

/** How one source's collection ended in a run. */
export interface SourceCollectionResult {
  status: 'complete' | 'failed';
  accounts: number;
  activityKnown: boolean | null;
  error: string | null;
  notices: readonly string[];
  finishedAt: Date;
}

export function finishSourceCollection(db: Db, runId: number, source: string, result: SourceCollectionResult): void {
  db.prepare(
    `UPDATE run_sources SET status = ?, accounts = ?, activity_known = ?, error = ?, notices = ?, finished_at = ?
     WHERE run_id = ? AND source = ?`,
  ).run(
    result.status,
    result.accounts,
    result.activityKnown === null ? null : result.activityKnown ? 1 : 0,
    result.error,
    JSON.stringify(result.notices),
    result.finishedAt.toISOString(),
    runId,
    source,
  );
}

/** The latest run that is not running any more (for /healthz), or null before the first scan. */
export function lastFinishedRun(
  db: Db,
): { id: number; status: string; startedAt: string; finishedAt: string | null } | null {
  const run = db
    .prepare<[], { id: number; status: string; started_at: string; finished_at: string | null }>(
      `SELECT id, status, started_at, finished_at FROM runs WHERE status != 'running' ORDER BY id DESC LIMIT 1`,
    )
    .get();
  return run ? { id: run.id, status: run.status, startedAt: run.started_at, finishedAt: run.finished_at } : null;
}
