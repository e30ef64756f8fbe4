import type { Person } from '../contract/model.js';
import type { Db } from './database.js';
import { LOCKS, serialise } from './dialect.js';
import { replaceExceptions, type StandingException } from './exceptions.js';
import type { ReconcileResult } from '../contract/run.js';
import { countOpenFindings, reconcileFindings, type ReconcileScope } from './findings.js';
import { replacePeople } from './people.js';
import { commitSignInStage, type SignInRead } from './sign-ins.js';
import { recordSourceOutcomes, type SourceRunOutcome } from './sources.js';

/** Everything a scan makes visible at once. */
export interface ScanCommit {
  runId: number;
  people: readonly Person[];
  /** When rules were evaluated: findings' lastSeen and status changes. */
  evaluatedAt: Date;
  finishedAt: Date;
  scope: ReconcileScope;
  sources: readonly SourceRunOutcome[];
  exceptions: readonly StandingException[];
  status: 'complete' | 'partial';
  /** Sign-in logs read completely in this scan: their staged events and cursors become visible with it. */
  signIns?: readonly SignInRead[];
}

/**
 * One transaction: the roster, the staged findings, each source's snapshot pointer, the standing exceptions and the
 * run's own row. Killed at any moment, the database holds either the state before the scan or the state after it.
 */
export function commitScan(db: Db, commit: ScanCommit): ReconcileResult {
  return db.transaction(() => {
    // Scanners of other sources commit into the same database: one commit at a time (the roster and the standing
    // exceptions are replaced whole, and the open count is the database's).
    serialise(db, LOCKS.scanCommit);
    replacePeople(db, commit.people, commit.runId);
    const result = reconcileFindings(db, { runId: commit.runId, now: commit.evaluatedAt, scope: commit.scope });
    recordSourceOutcomes(db, commit.runId, commit.sources);
    replaceExceptions(db, commit.exceptions);
    if (commit.signIns) commitSignInStage(db, commit.signIns, commit.finishedAt);
    db.prepare(
      `UPDATE runs SET finished_at = ?, status = ?, findings_opened = ?, findings_resolved = ?, findings_open = ?
       WHERE id = ?`,
    ).run(
      commit.finishedAt.toISOString(),
      commit.status,
      result.opened + result.reopened,
      result.resolved,
      countOpenFindings(db),
      commit.runId,
    );
    return result;
  })();
}
