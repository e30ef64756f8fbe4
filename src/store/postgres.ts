import { createRequire } from 'node:module';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { Db, DbStatement, DbTransaction, RunResult } from './engine.js';
import { postgresWorkerMain, type WorkerRequest, type WorkerResponse } from './pg-worker.js';

/**
 * The PostgreSQL store handle: the same synchronous API as better-sqlite3, over ONE connection held by a worker
 * thread. Each call posts its request and blocks this thread in `Atomics.wait` until the worker has the answer — the
 * way better-sqlite3 blocks it on the disk. Transactions are BEGIN/COMMIT on that connection, nested ones savepoints.
 */

/** A PostgreSQL error as the worker reports it: `code` is the SQLSTATE (or a Node errno such as ECONNREFUSED). */
export class PostgresError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly detail: string | undefined,
  ) {
    super(message);
    this.name = 'PostgresError';
  }
}

const require = createRequire(import.meta.url);

/** The worker, as source text: see pg-worker.ts. */
const WORKER_SOURCE = `(${String(postgresWorkerMain)})();`;

/** How long a connection thread may take to start (a loaded machine takes well under a second). */
const WORKER_START_MS = 20_000;

class Bridge {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  /** [0]: an answer is waiting; [1]: the worker has started. */
  private readonly flag = new Int32Array(new SharedArrayBuffer(8));
  private readonly startedAt = Date.now();
  private closed = false;

  constructor() {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      // Not the parent's flags: `--input-type=module` (node -e) would make this CommonJS source a module.
      execArgv: [],
      workerData: {
        port: port2,
        flag: this.flag,
        pgPath: require.resolve('pg'),
        copyPath: require.resolve('pg-copy-streams'),
      },
      transferList: [port2],
    });
    // Neither keeps the process alive: a forgotten handle must not hang the CLI at exit.
    this.worker.unref();
    port1.unref();
  }

  call(request: WorkerRequest): WorkerResponse & { ok: true } {
    if (this.closed) throw new PostgresError('the PostgreSQL connection is closed', undefined, undefined);
    Atomics.store(this.flag, 0, 0);
    this.port.postMessage(request);
    for (;;) {
      const message = receiveMessageOnPort(this.port);
      if (message) {
        const response = message.message as WorkerResponse;
        if (!response.ok) throw new PostgresError(response.error.message, response.error.code, response.error.detail);
        return response;
      }
      Atomics.wait(this.flag, 0, 0, 1_000);
      Atomics.store(this.flag, 0, 0);
      if (Atomics.load(this.flag, 1) === 0 && Date.now() - this.startedAt > WORKER_START_MS) {
        this.closed = true;
        void this.worker.terminate();
        throw new PostgresError('the PostgreSQL connection thread did not start', undefined, undefined);
      }
    }
  }

  close(): void {
    if (this.closed) return;
    try {
      this.call({ op: 'close' });
    } finally {
      this.closed = true;
      void this.worker.terminate();
    }
  }
}

/** A `?`, `@name`, `:name` or `$name` placeholder: its position in the positional values, or its name. */
type Slot = number | string;

interface Translated {
  text: string;
  slots: Slot[];
}

/**
 * better-sqlite3 placeholders to PostgreSQL's `$n`: `?` in order, and named ones (one `$n` per distinct name). String
 * literals, quoted identifiers, comments and `::` casts are left alone.
 */
export function translatePlaceholders(sql: string): Translated {
  let text = '';
  const slots: Slot[] = [];
  const named = new Map<string, number>();
  let positional = 0;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      const end = closingQuote(sql, i, c);
      text += sql.slice(i, end + 1);
      i = end;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end === -1 ? sql.length : end;
      text += sql.slice(i, stop);
      i = stop - 1;
    } else if (c === '?') {
      slots.push(positional++);
      text += `$${slots.length}`;
    } else if (
      (c === '@' || c === '$' || (c === ':' && sql[i + 1] !== ':' && sql[i - 1] !== ':')) &&
      /[A-Za-z_]/.test(sql[i + 1] ?? '')
    ) {
      let end = i + 1;
      while (end < sql.length && /[A-Za-z0-9_]/.test(sql[end]!)) end++;
      const name = sql.slice(i + 1, end);
      let index = named.get(name);
      if (index === undefined) {
        slots.push(name);
        index = slots.length;
        named.set(name, index);
      }
      text += `$${index}`;
      i = end - 1;
    } else {
      text += c;
    }
  }
  return { text, slots };
}

function closingQuote(sql: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === quote) {
      if (sql[i + 1] === quote) i += 2;
      else return i;
    } else i++;
  }
  return sql.length - 1;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    !(value instanceof Date) &&
    !Buffer.isBuffer(value)
  );
}

/** better-sqlite3's binding rules: arrays spread into the positional values, a plain object carries named ones. */
function bind(slots: readonly Slot[], args: readonly unknown[]): unknown[] {
  const positional: unknown[] = [];
  let named: Record<string, unknown> | null = null;
  for (const arg of args) {
    if (Array.isArray(arg)) positional.push(...(arg as unknown[]));
    else if (isPlainObject(arg)) named = { ...(named ?? {}), ...arg };
    else positional.push(arg);
  }
  const expected = slots.filter((slot) => typeof slot === 'number').length;
  if (positional.length !== expected) {
    throw new RangeError(`expected ${expected} positional parameter values, got ${positional.length}`);
  }
  return slots.map((slot) => {
    if (typeof slot === 'number') return normalise(positional[slot]);
    if (!named || !(slot in named)) throw new RangeError(`Missing named parameter "${slot}"`);
    return normalise(named[slot]);
  });
}

function normalise(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value;
}

/** Rows per round trip of `iterate()`. */
export const CURSOR_BATCH = 5_000;
/** Statements a cursor can run: a query (not INSERT … RETURNING, not a data-modifying WITH). */
const STREAMABLE = /^\s*(SELECT|VALUES|WITH)\b/i;
const WRITES = /\b(INSERT|UPDATE|DELETE|MERGE)\b/i;
let cursorCount = 0;

class PgStatement implements DbStatement<unknown[], unknown> {
  private arrayMode = false;
  private plucked = false;
  private readonly translated: Translated;

  constructor(
    private readonly db: PostgresDb,
    sql: string,
  ) {
    this.translated = translatePlaceholders(sql);
  }

  private query(args: unknown[]): { rows: unknown[]; rowCount: number } {
    const response = this.db.bridge.call({
      op: 'query',
      sql: this.translated.text,
      params: bind(this.translated.slots, args),
      arrayMode: this.arrayMode || this.plucked,
    });
    return { rows: response.rows ?? [], rowCount: response.rowCount ?? 0 };
  }

  private shape(rows: unknown[]): unknown[] {
    return this.plucked ? rows.map((row) => (row as unknown[])[0]) : rows;
  }

  run(...args: unknown[]): RunResult {
    return { changes: this.query(args).rowCount, lastInsertRowid: 0 };
  }

  get(...args: unknown[]): unknown {
    return this.shape(this.query(args).rows)[0];
  }

  all(...args: unknown[]): unknown[] {
    return this.shape(this.query(args).rows);
  }

  /**
   * Streams through a server-side cursor, CURSOR_BATCH rows per round trip, so a read of a million rows keeps this
   * process's memory flat. WITH HOLD: it outlives the transaction it was opened in (or, outside one, the server keeps
   * the result for it), and other statements may run on the connection between batches. Closed when read to the end
   * or left early (`return()`, which `for … of` calls on break and throw).
   */
  iterate(...args: unknown[]): IterableIterator<unknown> {
    if (!STREAMABLE.test(this.translated.text) || WRITES.test(this.translated.text)) {
      return this.all(...args)[Symbol.iterator]();
    }
    return this.stream(bind(this.translated.slots, args));
  }

  private *stream(params: unknown[]): Generator<unknown, void, undefined> {
    const bridge = this.db.bridge;
    const cursor = `zs_cursor_${++cursorCount}`;
    const arrayMode = this.arrayMode || this.plucked;
    let done = false;
    let failed = false;
    try {
      let response = bridge.call({
        op: 'declare',
        cursor,
        sql: this.translated.text,
        params,
        arrayMode,
        rows: CURSOR_BATCH,
      });
      for (;;) {
        done = response.done === true;
        yield* this.shape(response.rows ?? []);
        if (done) return;
        response = bridge.call({ op: 'fetch', cursor, arrayMode, rows: CURSOR_BATCH });
      }
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      if (!done) {
        try {
          bridge.call({ op: 'closeCursor', cursor });
        } catch (error) {
          // After a failure the transaction may be aborted: the first error is the one to report.
          // eslint-disable-next-line no-unsafe-finally -- otherwise a cursor that cannot be closed is an error
          if (!failed) throw error;
        }
      }
    }
  }

  pluck(toggle = true): this {
    this.plucked = toggle;
    return this;
  }

  raw(toggle = true): this {
    this.arrayMode = toggle;
    return this;
  }
}

export class PostgresDb {
  readonly engine = 'postgres' as const;
  readonly bridge = new Bridge();
  private depth = 0;

  /** `name`: the URL without its password, for messages. */
  constructor(readonly name: string) {}

  connect(connectionString: string): void {
    this.bridge.call({ op: 'connect', connectionString, applicationName: 'zombiescan' });
  }

  prepare(sql: string): PgStatement {
    return new PgStatement(this, sql);
  }

  exec(sql: string): this {
    this.bridge.call({ op: 'exec', sql });
    return this;
  }

  /** COPY rows into a table: the bulk path of snapshots. */
  copyRows(table: string, columns: readonly string[], rows: readonly (readonly unknown[])[]): void {
    if (rows.length === 0) return;
    this.bridge.call({
      op: 'copy',
      sql: `COPY ${table} (${columns.join(', ')}) FROM STDIN`,
      rows: rows.map((row) => row.map(normalise)),
    });
  }

  get inTransaction(): boolean {
    return this.depth > 0;
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  transaction<F extends (...args: any[]) => any>(fn: F): DbTransaction<F> {
    const run = (...args: Parameters<F>): ReturnType<F> => {
      const savepoint = this.depth > 0 ? `zs_sp${this.depth}` : null;
      this.exec(savepoint ? `SAVEPOINT ${savepoint}` : 'BEGIN');
      this.depth++;
      let result: ReturnType<F>;
      try {
        result = fn(...args) as ReturnType<F>;
      } catch (error) {
        this.depth--;
        this.rollback(savepoint);
        throw error;
      }
      this.depth--;
      try {
        this.exec(savepoint ? `RELEASE SAVEPOINT ${savepoint}` : 'COMMIT');
      } catch (error) {
        if (!savepoint) this.rollback(null);
        throw error;
      }
      return result;
    };
    return Object.assign(run, { immediate: run }) as DbTransaction<F>;
  }

  private rollback(savepoint: string | null): void {
    try {
      this.exec(savepoint ? `ROLLBACK TO SAVEPOINT ${savepoint}; RELEASE SAVEPOINT ${savepoint}` : 'ROLLBACK');
    } catch {
      // The connection is gone: the server has rolled back already.
    }
  }

  close(): void {
    this.bridge.close();
  }
}

/** Typed as the store handle (the class implements it structurally; statements are generic only in their types). */
export function asDb(db: PostgresDb): Db {
  return db as unknown as Db;
}
