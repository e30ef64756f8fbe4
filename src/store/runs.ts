import type { Db } from './database.js';

/** `runs --json`: SPEC shape plus the finding counts. */
export interface RunSummary {
  id: number;
  startedAt: string;
  finishedAt: string | null;
  status: string;
  sources: Record<string, { status: string; accounts: number; error: string | null; notices: string[] }>;
  findingsOpen: number | null;
  findingsOpened: number | null;
  findingsResolved: number | null;
}

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
  return runs.map((run) => ({
    id: run.id,
    startedAt: run.started_at,
    finishedAt: run.finished_at,
    // A run still marked running whose process is gone was killed: say so (the next scan records it).
    status: run.status === 'running' && !processAlive(run.pid) ? 'interrupted' : run.status,
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
        { status: row.status, accounts: row.accounts, error: row.error, notices: JSON.parse(row.notices) as string[] },
      ]),
    ),
    findingsOpen: run.findings_open,
    findingsOpened: run.findings_opened,
    findingsResolved: run.findings_resolved,
  }));
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
