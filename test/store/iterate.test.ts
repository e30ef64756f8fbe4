import { describe, expect, it } from 'vitest';
import { closeDatabase, type Db } from '../../src/store/database.js';
import { CURSOR_BATCH } from '../../src/store/postgres.js';
import { ENGINES, freshDatabase, useEngines } from './engines.js';

useEngines();

/** More than two cursor batches, and not a multiple of one. */
const ROWS = CURSOR_BATCH * 2 + 345;

function fill(db: Db, rows: number, payload = `'row ' || i`): void {
  db.exec(`CREATE TABLE stream_rows (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)`);
  db.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${rows})
    INSERT INTO stream_rows (id, payload) SELECT i, ${payload} FROM n`);
}

/** The PostgreSQL cursors this connection has open (none on SQLite). */
function openCursors(db: Db): number {
  if (db.engine !== 'postgres') return 0;
  return (db.prepare(`SELECT count(*) AS n FROM pg_cursors WHERE name LIKE 'zs_cursor_%'`).get() as { n: number }).n;
}

describe.each(ENGINES)('iterate() on %s', (engine) => {
  it('streams every row, in order, across batches, with other statements run in between', () => {
    const db = freshDatabase(engine);
    fill(db, ROWS);
    const count = db.prepare('SELECT count(*) AS n FROM stream_rows WHERE id > ?');
    let seen = 0;
    let expected = 0;
    let cursorsWhileReading = -1;
    for (const row of db
      .prepare('SELECT id, payload FROM stream_rows WHERE id > ? ORDER BY id')
      .iterate(0) as Iterable<{
      id: number;
      payload: string;
    }>) {
      expected++;
      if (row.id !== expected || row.payload !== `row ${expected}`) throw new Error(`row ${expected}: ${row.id}`);
      seen++;
      if (seen === CURSOR_BATCH + 1) {
        cursorsWhileReading = openCursors(db);
        expect(count.get(CURSOR_BATCH)).toEqual({ n: ROWS - CURSOR_BATCH });
      }
    }
    expect(seen).toBe(ROWS);
    expect(cursorsWhileReading).toBe(engine === 'postgres' ? 1 : 0);
    expect(openCursors(db)).toBe(0);
    // raw() and pluck() shape streamed rows as they do all()'s.
    const ids = db.prepare('SELECT id FROM stream_rows ORDER BY id').pluck().iterate() as Iterable<number>;
    let sum = 0;
    for (const id of ids) sum += id;
    expect(sum).toBe((ROWS * (ROWS + 1)) / 2);
    const last = [
      ...(db.prepare('SELECT id, payload FROM stream_rows ORDER BY id DESC').raw().iterate() as Iterable<unknown[]>),
    ];
    expect(last[0]).toEqual([ROWS, `row ${ROWS}`]);
    expect(last).toHaveLength(ROWS);
    closeDatabase(db);
  });

  it('closes the cursor when the reader leaves early, in and out of a transaction, and on an error', () => {
    const db = freshDatabase(engine);
    fill(db, ROWS);
    const read = db.prepare('SELECT id FROM stream_rows ORDER BY id').pluck();
    let taken = 0;
    for (const id of read.iterate() as Iterable<number>) {
      taken = id;
      if (id === CURSOR_BATCH + 10) break;
    }
    expect(taken).toBe(CURSOR_BATCH + 10);
    expect(openCursors(db)).toBe(0);
    expect(db.prepare('SELECT count(*) AS n FROM stream_rows').get()).toEqual({ n: ROWS });

    const inTransaction = db.transaction(() => {
      for (const id of read.iterate() as Iterable<number>) if (id === 3) break;
      db.prepare('DELETE FROM stream_rows WHERE id = ?').run(1);
      return openCursors(db);
    });
    expect(inTransaction()).toBe(0);

    expect(() => {
      for (const id of read.iterate() as Iterable<number>) if (id === 7) throw new Error('reader failed');
    }).toThrow('reader failed');
    expect(openCursors(db)).toBe(0);
    expect(db.prepare('SELECT min(id) AS first FROM stream_rows').get()).toEqual({ first: 2 });

    // An iterator never read from opens nothing.
    const unread = read.iterate();
    expect(openCursors(db)).toBe(0);
    unread.return?.();
    closeDatabase(db);
  });
});

describe('iterate() on postgres keeps memory flat', () => {
  it('reads 250,000 rows of ~450 bytes holding about one batch at a time', () => {
    const db = freshDatabase('postgres');
    const rows = 250_000;
    fill(db, rows, `repeat('x', 440) || i`);
    const before = process.memoryUsage();
    let peakHeap = before.heapUsed;
    let peakRss = before.rss;
    let bytes = 0;
    let seen = 0;
    for (const payload of db
      .prepare('SELECT payload FROM stream_rows ORDER BY id')
      .pluck()
      .iterate() as Iterable<string>) {
      bytes += payload.length;
      if (++seen % CURSOR_BATCH === 0) {
        const now = process.memoryUsage();
        peakHeap = Math.max(peakHeap, now.heapUsed);
        peakRss = Math.max(peakRss, now.rss);
      }
    }
    expect(seen).toBe(rows);
    const mib = (n: number) => Math.round((n / 2 ** 20) * 10) / 10;
    process.stderr.write(
      `iterate: ${rows} rows, ${mib(bytes)} MiB of payload; heap +${mib(peakHeap - before.heapUsed)} MiB, ` +
        `rss +${mib(peakRss - before.rss)} MiB (peak rss ${mib(peakRss)} MiB)\n`,
    );
    // The whole result would be over 100 MiB of strings: a streaming read stays far below it.
    expect(peakHeap - before.heapUsed).toBeLessThan(48 * 2 ** 20);
    closeDatabase(db);
  }, 60_000);
});
