import type { Db } from './database.js';
import { processAlive } from './runs.js';

/**
 * The remediation lock: one `meta` row naming the process applying remediations (its pid, and since when). A row
 * left by a process that died is taken over.
 */

const LOCK_KEY = 'remediation_lock';

export interface RemediationLockHolder {
  pid: number;
  /** ISO 8601 UTC. */
  since: string;
}

/**
 * Takes the lock for this process in one immediate transaction, unless another live process holds it: then nothing
 * is written and that holder is returned. Null when the lock is (now, or already) this process's.
 */
export function claimRemediationLock(db: Db, now: Date): RemediationLockHolder | null {
  return db
    .transaction((): RemediationLockHolder | null => {
      const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(LOCK_KEY) as { value: string } | undefined;
      const holder = row ? (JSON.parse(row.value) as RemediationLockHolder) : null;
      if (holder && holder.pid !== process.pid && processAlive(holder.pid)) return holder;
      if (!holder || holder.pid !== process.pid) {
        db.prepare(
          `INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
        ).run(LOCK_KEY, JSON.stringify({ pid: process.pid, since: now.toISOString() }));
      }
      return null;
    })
    .immediate();
}

/** Removes the lock row if this process holds it. */
export function releaseRemediationLock(db: Db): void {
  db.prepare(`DELETE FROM meta WHERE key = ? AND json_extract(value, '$.pid') = ?`).run(LOCK_KEY, process.pid);
}
