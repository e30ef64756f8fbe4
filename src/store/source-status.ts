import type { Db } from './database.js';

/** How each source's latest collection ended (the `sources` table), as remediation checks it before acting. */

export interface SourceCollectionStatus {
  /** null before the first collection. */
  lastStatus: string | null;
  lastError: string | null;
}

/** Per source name. */
export function sourceCollectionStatuses(db: Db): Map<string, SourceCollectionStatus> {
  const rows = db.prepare('SELECT name, last_status, last_error FROM sources').all() as {
    name: string;
    last_status: string | null;
    last_error: string | null;
  }[];
  return new Map(rows.map((row) => [row.name, { lastStatus: row.last_status, lastError: row.last_error }]));
}
