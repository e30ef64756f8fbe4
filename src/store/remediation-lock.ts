import type { Db } from './database.js';
import { jsonField, LOCKS, serialise } from './dialect.js';
import { holderAlive, holderJson, isSelf, THIS_PROCESS, type LockHolder, type StoredHolder } from './holder.js';

/**
 * The remediation lock: one `meta` row naming the process applying remediations (a nonce, its pid, host and pid
 * namespace, since when) and a lease it renews while it works. A holder whose lease ran out, or whose pid is gone on
 * this same host and pid namespace, is taken over.
 */

const LOCK_KEY = 'remediation_lock';
/** How long a holder that stopped renewing (killed, host gone) keeps others out. */
export const REMEDIATION_LEASE_MS = 120_000;

export interface RemediationLockHolder extends StoredHolder {
  /** ISO 8601 UTC. */
  since: string;
}

function readHolder(db: Db): RemediationLockHolder | null {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(LOCK_KEY) as { value: string } | undefined;
  return row ? (JSON.parse(row.value) as RemediationLockHolder) : null;
}

/**
 * Takes (or renews) the lock for `self` in one immediate transaction, unless another live holder has it: then nothing
 * is written and that holder is returned. Null when the lock is (now, or already) `self`'s.
 */
export function claimRemediationLock(
  db: Db,
  now: Date,
  self: LockHolder = THIS_PROCESS,
  leaseMs = REMEDIATION_LEASE_MS,
): RemediationLockHolder | null {
  return db
    .transaction((): RemediationLockHolder | null => {
      serialise(db, LOCKS.remediation);
      const holder = readHolder(db);
      if (holder && !isSelf(holder, self) && holderAlive(holder, self, now)) return holder;
      const since = holder && isSelf(holder, self) ? holder.since : now.toISOString();
      db.prepare(
        `INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      ).run(LOCK_KEY, holderJson(self, new Date(now.getTime() + leaseMs), { since }));
      return null;
    })
    .immediate();
}

/** Extends `self`'s lease; false when the lock is no longer `self`'s (it expired and was taken over). */
export function renewRemediationLock(
  db: Db,
  now: Date,
  self: LockHolder = THIS_PROCESS,
  leaseMs = REMEDIATION_LEASE_MS,
): boolean {
  return db
    .transaction((): boolean => {
      serialise(db, LOCKS.remediation);
      const holder = readHolder(db);
      if (!holder || !isSelf(holder, self)) return false;
      db.prepare('UPDATE meta SET value = ? WHERE key = ?').run(
        holderJson(self, new Date(now.getTime() + leaseMs), { since: holder.since }),
        LOCK_KEY,
      );
      return true;
    })
    .immediate();
}

/** Removes the lock row if `self` holds it. */
export function releaseRemediationLock(db: Db, self: LockHolder = THIS_PROCESS): void {
  db.prepare(`DELETE FROM meta WHERE key = ? AND ${jsonField(db, 'value', 'nonce')} = ?`).run(LOCK_KEY, self.nonce);
}
