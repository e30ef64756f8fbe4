import type { Db } from './engine.js';

/**
 * The few SQL fragments the two engines cannot share. Everything else in src/store is written once, in SQL both
 * accept (ON CONFLICT upserts, RETURNING, CASE instead of two-argument max, double-quoted camelCase aliases).
 */

/** The column giving a snapshot table's arrival order: SQLite's rowid, PostgreSQL's identity column `seq`. */
export function arrivalOrder(db: Db): string {
  return db.engine === 'postgres' ? 'seq' : 'rowid';
}

/** SQLite: read the table in stored order rather than through the key index. PostgreSQL plans that itself. */
export function notIndexed(db: Db): string {
  return db.engine === 'postgres' ? '' : 'NOT INDEXED';
}

/** The text of one top-level field of a JSON object held in a text column. */
export function jsonField(db: Db, expression: string, field: string): string {
  return db.engine === 'postgres'
    ? `(CAST(${expression} AS jsonb) ->> '${field}')`
    : `json_extract(${expression}, '$.${field}')`;
}

/** Whether one top-level field of a JSON object held in a text column is JSON `true` (not 1, not "true"). */
export function jsonFieldIsTrue(db: Db, expression: string, field: string): string {
  return db.engine === 'postgres'
    ? `((CAST(${expression} AS jsonb) -> '${field}') = 'true'::jsonb)`
    : `(json_type(${expression}, '$.${field}') = 'true')`;
}

/** A subquery of the elements (as text, column `value`) of a JSON array held in a text column. */
export function jsonArrayElements(db: Db, expression: string): string {
  return db.engine === 'postgres'
    ? `SELECT jsonb_array_elements_text(CAST(${expression} AS jsonb)) AS value`
    : `SELECT value FROM json_each(${expression})`;
}

/** LIKE ignoring the case of ASCII letters: SQLite's LIKE does, PostgreSQL's needs ILIKE. */
export function caseInsensitiveLike(db: Db): string {
  return db.engine === 'postgres' ? 'ILIKE' : 'LIKE';
}

/** Whether a text expression holds any character outside printable ASCII. */
export function outsidePrintableAscii(db: Db, expression: string): string {
  return db.engine === 'postgres' ? `(${expression}) ~ '[^ -~]'` : `(${expression}) GLOB '*[^ -~]*'`;
}

/** Advisory lock keys: one per thing two processes on one PostgreSQL database must do one at a time. */
export const LOCKS = {
  journal: 0x7a5c_0002,
  remediation: 0x7a5c_0003,
  runs: 0x7a5c_0004,
  scanCommit: 0x7a5c_0005,
} as const;

/**
 * Inside a transaction: waits until no other connection holds `lock` in its transaction, and holds it until this one
 * ends. SQLite needs nothing: its write transactions (`immediate()`) are already one at a time.
 */
export function serialise(db: Db, lock: number): void {
  if (db.engine === 'postgres') db.prepare(`SELECT pg_advisory_xact_lock(${lock})`).get();
}
