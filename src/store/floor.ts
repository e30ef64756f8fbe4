import Database from 'better-sqlite3';

/**
 * The floor a scan is compared with: the cheapest way to store exactly the account rows the scan stored. The rows of
 * the scan's run are copied, byte for byte, into a fresh database whose `accounts` table (and its indexes) is created
 * from the scanned database's own schema, with the same pragmas as the scanner's database, by one prepared INSERT in
 * one transaction, in primary-key order (the friendliest order a B-tree can get). Only the inserts and the commit
 * are timed; reading the rows back is not. Used by the benchmark (bench/child.ts), never by zombiescan itself.
 */

export interface FloorResult {
  rows: number;
  ms: number;
  rowsPerSecond: number;
}

const BATCH = 10_000;

export function measureInsertFloor(databaseFile: string, runId: number, floorFile: string): FloorResult {
  const source = new Database(databaseFile, { readonly: true });
  const floor = new Database(floorFile);
  try {
    floor.pragma('journal_mode = WAL');
    floor.pragma('synchronous = NORMAL');
    const schema = source
      .prepare(
        `SELECT sql FROM sqlite_master WHERE tbl_name = 'accounts' AND type IN ('table', 'index') AND sql IS NOT NULL
         ORDER BY type DESC`,
      )
      .pluck()
      .all() as string[];
    for (const sql of schema) floor.exec(sql);
    const columns = (source.prepare(`SELECT name FROM pragma_table_info('accounts')`).pluck().all() as string[]).map(
      (name) => `"${name}"`,
    );
    const insert = floor.prepare(
      `INSERT INTO accounts (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
    );
    const read = source.prepare(`SELECT ${columns.join(', ')} FROM accounts WHERE run_id = ?`).raw(true);

    let rows = 0;
    let ms = 0;
    let batch: unknown[][] = [];
    const flush = () => {
      const started = performance.now();
      for (const row of batch) insert.run(row);
      ms += performance.now() - started;
      rows += batch.length;
      batch = [];
    };
    let started = performance.now();
    floor.exec('BEGIN');
    ms += performance.now() - started;
    for (const row of read.iterate(runId) as Iterable<unknown[]>) {
      batch.push(row);
      if (batch.length === BATCH) flush();
    }
    flush();
    started = performance.now();
    floor.exec('COMMIT');
    ms += performance.now() - started;
    return { rows, ms: Math.round(ms), rowsPerSecond: Math.round(rows / (ms / 1000)) };
  } finally {
    source.close();
    floor.close();
  }
}
