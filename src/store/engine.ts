/**
 * The store handle both engines implement: the part of better-sqlite3's API the store modules use, synchronous. On
 * SQLite it is better-sqlite3 itself; on PostgreSQL a connection held by a worker thread that the calling thread
 * waits on (src/store/postgres.ts). Store modules keep one set of SQL; what cannot be shared comes from dialect.ts.
 */

export type Engine = 'sqlite' | 'postgres';

export interface RunResult {
  changes: number;
  lastInsertRowid: number | bigint;
}

export interface DbStatement<P extends unknown[] = unknown[], R = unknown> {
  run(...params: P): RunResult;
  get(...params: P): R | undefined;
  all(...params: P): R[];
  iterate(...params: P): IterableIterator<R>;
  pluck(toggle?: boolean): this;
  raw(toggle?: boolean): this;
}

/** A function run in one transaction; `immediate()` takes the write lock at once (SQLite) — the same on PostgreSQL. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type DbTransaction<F extends (...args: any[]) => any> = {
  (...args: Parameters<F>): ReturnType<F>;
  immediate(...args: Parameters<F>): ReturnType<F>;
};

export interface Db {
  readonly engine: Engine;
  /** The file, or the PostgreSQL URL without its password: for messages. */
  readonly name: string;
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  prepare<P extends unknown[] | {} = unknown[], R = unknown>(
    sql: string,
  ): P extends unknown[] ? DbStatement<P, R> : DbStatement<[P], R>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  transaction<F extends (...args: any[]) => any>(fn: F): DbTransaction<F>;
  exec(sql: string): this;
  close(): void;
}
