import type { Db } from './engine.js';
import type { PostgresDb } from './postgres.js';

/**
 * The bulk path of snapshot rows (accounts, credentials, staged finding drafts): COPY on PostgreSQL, a prepared
 * statement loop on SQLite, never a round trip per row over the PostgreSQL bridge. A row whose key is already stored
 * (a source listing an account twice) replaces it, as listed last. Call inside a transaction.
 */
export interface BulkTable {
  table: string;
  columns: readonly string[];
  /** The unique key a repeated row replaces on. */
  key: readonly string[];
}

export function bulkInsert(db: Db, target: BulkTable, rows: readonly (readonly unknown[])[]): void {
  if (rows.length === 0) return;
  const upsert = db.prepare(upsertSql(target));
  if (db.engine === 'sqlite') {
    for (const row of rows) upsert.run(row);
    return;
  }
  const unique = lastOfEachKey(target, rows);
  try {
    // A savepoint: a key stored by an earlier batch fails the COPY, and only it is undone.
    db.transaction(() => (db as unknown as PostgresDb).copyRows(target.table, target.columns, unique))();
  } catch (error) {
    if ((error as { code?: string }).code !== '23505') throw error;
    for (const row of unique) upsert.run(row);
  }
}

function upsertSql(target: BulkTable): string {
  const update = target.columns.filter((column) => !target.key.includes(column));
  return `INSERT INTO ${target.table} (${target.columns.join(', ')})
    VALUES (${target.columns.map(() => '?').join(', ')})
    ON CONFLICT (${target.key.join(', ')}) DO UPDATE SET ${update.map((column) => `${column} = excluded.${column}`).join(', ')}`;
}

/** Within one batch, a repeated key keeps its last row (COPY cannot replace). */
function lastOfEachKey(target: BulkTable, rows: readonly (readonly unknown[])[]): (readonly unknown[])[] {
  const at = target.key.map((column) => target.columns.indexOf(column));
  const last = new Map<string, number>();
  rows.forEach((row, index) => last.set(at.map((i) => String(row[i])).join('\0'), index));
  if (last.size === rows.length) return [...rows];
  return rows.filter((row, index) => last.get(at.map((i) => String(row[i])).join('\0')) === index);
}
