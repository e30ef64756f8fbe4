import type { Db } from './database.js';

/**
 * The replay cache of signed HTTP requests (Slack button clicks, HR events): a signature accepted once is refused
 * while its window is open, even across a restart of `serve`. Rows past their expiry are pruned on each call.
 */

/**
 * Records a request's signature hash in `scope` until `expiresAt` (the end of its signature window). True when it
 * was not seen before (act on it); false for a replay (refuse it). Atomic: of two identical requests racing, one wins.
 */
export function rememberRequest(
  db: Db,
  scope: string,
  signatureHash: string,
  expiresAt: Date,
  now: Date = new Date(),
): boolean {
  return db
    .transaction((): boolean => {
      db.prepare('DELETE FROM request_replay WHERE expires_at <= ?').run(now.toISOString());
      const inserted = db
        .prepare(
          `INSERT INTO request_replay (scope, signature_hash, expires_at) VALUES (?, ?, ?)
           ON CONFLICT (scope, signature_hash) DO NOTHING`,
        )
        .run(scope, signatureHash, expiresAt.toISOString());
      return inserted.changes === 1;
    })
    .immediate();
}
