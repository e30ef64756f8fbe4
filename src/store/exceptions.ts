import type { Db } from './database.js';

/** The standing exceptions of the config, as the last scan applied them (for the audit report). */
export interface StandingException {
  source: string;
  login: string;
  reason: string;
  owner: string;
  expires: string;
  rules?: readonly string[] | undefined;
  /** Covers one credential instead of an account's findings. */
  credential?: string | undefined;
}

/** Replaces the recorded exceptions; runs inside the scan's commit. */
export function replaceExceptions(db: Db, exceptions: readonly StandingException[]): void {
  db.prepare('DELETE FROM exceptions').run();
  const insert = db.prepare(
    'INSERT INTO exceptions (source, login, reason, owner, expires, rules, credential) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  for (const entry of exceptions) {
    insert.run(
      entry.source,
      entry.login,
      entry.reason,
      entry.owner,
      entry.expires,
      JSON.stringify(entry.rules ?? null),
      entry.credential ?? null,
    );
  }
}
