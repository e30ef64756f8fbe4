import type { Db } from './database.js';

/** What the OCSF export reads beyond the shared Finding shape. */

/** When each finding's status last changed; statement prepared once, asked per finding (null: no such finding). */
export function findingStatusChangeTimes(db: Db): (findingId: number) => string | null {
  const changedAt = db.prepare<[number], { status_changed_at: string }>(
    'SELECT status_changed_at FROM findings WHERE id = ?',
  );
  return (findingId) => changedAt.get(findingId)?.status_changed_at ?? null;
}
