import type { Db } from './database.js';
import { appendEntryWith, type JournalEntry, type JournalRow } from './journal.js';

/**
 * What remediation and its reviewers change on findings outside a scan: the ticket opened for a finding, the move to
 * `remediated` once the source confirms it, and an acknowledgement. Every status change also writes its
 * `finding_events` row, in the same transaction.
 */

/** The ticket already open for this finding, or null. */
export function findingTicketKey(db: Db, findingId: number): string | null {
  const row = db.prepare('SELECT ticket_key FROM findings WHERE id = ?').get(findingId) as
    { ticket_key: string | null } | undefined;
  return row?.ticket_key ?? null;
}

/**
 * Records the ticket opened for a finding (unless it already has one) and appends the journal row saying so, in one
 * transaction: a crash cannot leave a ticket journaled but not on its finding, or the other way round.
 */
export function recordFindingTicket(
  db: Db,
  ticket: { findingId: number; ticketKey: string },
  entry: JournalEntry,
): JournalRow {
  return appendEntryWith(
    db,
    () =>
      db
        .prepare('UPDATE findings SET ticket_key = ? WHERE id = ? AND ticket_key IS NULL')
        .run(ticket.ticketKey, ticket.findingId),
    () => entry,
  ).row;
}

/** open/acknowledged -> remediated, with a finding event; false when the finding was in another state. */
export function markFindingRemediated(
  db: Db,
  change: { findingId: number; actor: string; at: Date; reason: string },
): boolean {
  return db.transaction(() => {
    const row = db.prepare('SELECT status FROM findings WHERE id = ?').get(change.findingId) as
      { status: string } | undefined;
    if (!row || (row.status !== 'open' && row.status !== 'acknowledged')) return false;
    const iso = change.at.toISOString();
    db.prepare(`UPDATE findings SET status = 'remediated', status_changed_at = ? WHERE id = ?`).run(
      iso,
      change.findingId,
    );
    db.prepare(
      `INSERT INTO finding_events (finding_id, run_id, at, from_status, to_status, actor, reason)
       VALUES (?, NULL, ?, ?, 'remediated', ?, ?)`,
    ).run(change.findingId, iso, row.status, change.actor, change.reason);
    return true;
  })();
}

/** open -> acknowledged, with a finding event. The caller has checked that the finding is open. */
export function markFindingAcknowledged(
  db: Db,
  change: { findingId: number; by: string; at: Date; reason: string },
): void {
  const iso = change.at.toISOString();
  db.transaction(() => {
    db.prepare(`UPDATE findings SET status = 'acknowledged', status_changed_at = ? WHERE id = ?`).run(
      iso,
      change.findingId,
    );
    db.prepare(
      `INSERT INTO finding_events (finding_id, run_id, at, from_status, to_status, actor, reason)
       VALUES (?, NULL, ?, 'open', 'acknowledged', ?, ?)`,
    ).run(change.findingId, iso, change.by, change.reason);
  })();
}

/** The open or acknowledged findings of one account (the ones remediating it closes). */
export function actionableFindingIds(db: Db, source: string, accountId: string): number[] {
  return (
    db
      .prepare(`SELECT id FROM findings WHERE source = ? AND account_id = ? AND status IN ('open', 'acknowledged')`)
      .all(source, accountId) as { id: number }[]
  ).map((row) => row.id);
}
