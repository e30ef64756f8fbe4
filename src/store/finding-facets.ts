import type { Db } from './database.js';

/**
 * The closed sets a findings filter can name, so a mistyped `--source` or `--person` is an error listing the known
 * values instead of "No findings match" (which a CI gate would read as zero zombies).
 */

/** Sources that have findings or were ever collected. */
export function knownSources(db: Db): string[] {
  return (
    db.prepare(`SELECT source FROM findings UNION SELECT source FROM run_sources ORDER BY source`).all() as {
      source: string;
    }[]
  ).map((row) => row.source);
}

/** Whether the roster or any finding knows this person, by employee id or email (case-insensitive). */
export function personKnown(db: Db, person: string): boolean {
  return (
    db
      .prepare(
        `SELECT 1 FROM people WHERE employee_id = @p OR lower(email) = lower(@p)
         UNION ALL SELECT 1 FROM findings WHERE person_id = @p OR lower(email) = lower(@p) LIMIT 1`,
      )
      .get({ p: person }) !== undefined
  );
}

/** Employee ids closest to a mistyped one, for the error message. */
export function employeeIdsLike(db: Db, person: string, limit = 5): string[] {
  const prefix = person.slice(0, Math.max(1, Math.floor(person.length / 2)));
  return (
    db
      .prepare(
        `SELECT employee_id AS id FROM people WHERE employee_id LIKE CAST(@prefix AS TEXT) || '%' ORDER BY employee_id LIMIT @limit`,
      )
      .all({ prefix, limit }) as { id: string }[]
  ).map((row) => row.id);
}
