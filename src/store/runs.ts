import type { RunSummary } from '../contract/run.js';
import { BusyError } from '../contract/errors.js';
import type { Db } from './database.js';
import { jsonField, LOCKS, serialise } from './dialect.js';
import { describeHolder, holderAlive, isSelf, THIS_PROCESS, type LockHolder, type StoredHolder } from './holder.js';

export { processAlive } from './holder.js';

/** How long a scan that stopped renewing its lease (killed, host gone) keeps other scans out. */
export const SCAN_LEASE_MS = 10 * 60_000;

interface RunHolderRow {
  pid: number | null;
  holder: string | null;
  lease_expires_at: string | null;
}

/** The stored holder of a run: rows from before leases carry only a pid. */
function runHolder(row: RunHolderRow): StoredHolder {
  if (!row.holder) return { pid: row.pid };
  const holder = JSON.parse(row.holder) as StoredHolder;
  return { ...holder, expiresAt: row.lease_expires_at ?? holder.expiresAt };
}

export function listRuns(db: Db, limit = 50, now: Date = new Date()): RunSummary[] {
  const runs = db
    .prepare(
      `SELECT id, started_at, finished_at, status, pid, holder, lease_expires_at, findings_open, findings_opened,
       findings_resolved FROM runs ORDER BY id DESC LIMIT ?`,
    )
    .all(limit) as {
    id: number;
    started_at: string;
    finished_at: string | null;
    status: string;
    pid: number | null;
    holder: string | null;
    lease_expires_at: string | null;
    findings_open: number | null;
    findings_opened: number | null;
    findings_resolved: number | null;
  }[];
  const sourcesOf = db.prepare(
    'SELECT source, status, accounts, error, notices FROM run_sources WHERE run_id = ? ORDER BY source',
  );
  return runs.map((run) => {
    // A run still marked running whose process is gone was killed: say so (the next scan records it).
    const status =
      run.status === 'running' &&
      !isSelf(runHolder(run), THIS_PROCESS) &&
      !holderAlive(runHolder(run), THIS_PROCESS, now)
        ? 'interrupted'
        : run.status;
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
        `SELECT id, status, started_at AS "startedAt", finished_at AS "finishedAt" FROM runs
         WHERE status IN ('complete', 'partial') ORDER BY id DESC LIMIT 1`,
      )
      .get() ?? null
  );
}

/** What a scan records when it starts: the roster it read and whether a shrink was accepted. */
export interface RunStart {
  at: Date;
  rosterFile: string;
  people: number;
  rosterSha256: string;
  rosterChangeAccepted: boolean;
  /**
   * The sources this run collects. Another live scan blocks it only when their sources overlap (or either names
   * none: all), so scanners of different sources can feed one shared database at once.
   */
  sources?: readonly string[];
}

/**
 * Opens a run, refusing while another live holder is scanning (its lease unexpired; on this host and pid namespace,
 * its pid alive). A run left 'running' by a holder that is gone was interrupted: it is marked so first.
 */
export function beginRun(
  db: Db,
  start: RunStart,
  self: LockHolder = THIS_PROCESS,
  leaseNow: Date = new Date(),
): number {
  return db.transaction(() => {
    serialise(db, LOCKS.runs);
    const running = db
      .prepare(`SELECT id, pid, holder, lease_expires_at, sources FROM runs WHERE status = 'running'`)
      .all() as (RunHolderRow & { id: number; sources: string | null })[];
    const mine = start.sources ? new Set(start.sources) : null;
    for (const run of running) {
      const holder = runHolder(run);
      const theirs = run.sources === null ? null : (JSON.parse(run.sources) as string[]);
      const overlap = mine === null || theirs === null || theirs.some((source) => mine.has(source));
      if (overlap && !isSelf(holder, self) && holderAlive(holder, self, leaseNow)) {
        throw new BusyError(
          `another scan is running (run ${run.id}, ${describeHolder(holder)}); try again when it has finished`,
        );
      }
    }
    markInterrupted(db, self, leaseNow);
    return Number(
      (
        db
          .prepare(
            `INSERT INTO runs (started_at, status, pid, holder, lease_expires_at, roster_file, roster_people,
             roster_sha256, roster_change_accepted, sources)
           VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
          )
          .get(
            start.at.toISOString(),
            self.pid,
            JSON.stringify(self),
            new Date(leaseNow.getTime() + SCAN_LEASE_MS).toISOString(),
            start.rosterFile,
            start.people,
            start.rosterSha256,
            start.rosterChangeAccepted ? 1 : 0,
            start.sources ? JSON.stringify(start.sources) : null,
          ) as { id: number }
      ).id,
    );
  })();
}

/** Extends a running scan's lease (its heartbeat); false when the run is no longer running as ours. */
export function renewRunLease(db: Db, runId: number, self: LockHolder = THIS_PROCESS, now: Date = new Date()): boolean {
  return (
    db
      .prepare(
        `UPDATE runs SET lease_expires_at = ? WHERE id = ? AND status = 'running'
         AND ${jsonField(db, 'holder', 'nonce')} = ?`,
      )
      .run(new Date(now.getTime() + SCAN_LEASE_MS).toISOString(), runId, self.nonce).changes === 1
  );
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

/** A run left 'running' by a holder that is gone was interrupted: say so, and drop its invisible rows. */
export function markInterrupted(db: Db, self: LockHolder = THIS_PROCESS, now: Date = new Date()): void {
  const running = db
    .prepare(`SELECT id, pid, holder, lease_expires_at FROM runs WHERE status = 'running'`)
    .all() as (RunHolderRow & { id: number })[];
  for (const run of running) {
    const holder = runHolder(run);
    if (isSelf(holder, self) || holderAlive(holder, self, now)) continue;
    db.prepare(`UPDATE runs SET status = 'interrupted' WHERE id = ?`).run(run.id);
    db.prepare(`UPDATE run_sources SET status = 'interrupted' WHERE run_id = ? AND status = 'running'`).run(run.id);
    db.prepare('DELETE FROM accounts WHERE run_id = ?').run(run.id);
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
  /** Credentials stored for the source in this run; absent when it collects none. */
  credentials?: number;
  /** Notices said while listing credentials (kinds unknown, not none); absent when it collects none. */
  credentialNotices?: readonly string[];
}

export function finishSourceCollection(db: Db, runId: number, source: string, result: SourceCollectionResult): void {
  db.prepare(
    `UPDATE run_sources SET status = ?, accounts = ?, activity_known = ?, error = ?, notices = ?, finished_at = ?,
       credentials = ?, credential_notices = ?
     WHERE run_id = ? AND source = ?`,
  ).run(
    result.status,
    result.accounts,
    result.activityKnown === null ? null : result.activityKnown ? 1 : 0,
    result.error,
    JSON.stringify(result.notices),
    result.finishedAt.toISOString(),
    result.credentials ?? null,
    result.credentialNotices ? JSON.stringify(result.credentialNotices) : null,
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
