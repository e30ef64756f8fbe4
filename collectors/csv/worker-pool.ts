import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { CollectContext } from '../../src/contract/collector.js';
import type { CsvSourceConfig } from '../../src/config/config.js';
import { SourceError } from '../../src/contract/errors.js';
import type { Account } from '../../src/contract/model.js';
import { decodePage, type PageBytes } from './page-codec.js';

/**
 * Reading, parsing and mapping CSV exports runs on worker threads, so the main thread of a scan only matches and
 * writes. A few workers serve every CSV source (one fewer than the cores, at most four: each worker is a V8 heap of
 * its own, and the main thread needs a core); a worker collects several sources at once. Pages come back with flow
 * control (a few pages in flight per source), so a fast parser never piles a whole export up in memory.
 *
 * Only when running compiled: from the TypeScript sources (tests) there is no worker script, and collection stays
 * on the calling thread. The worker runs the very same collection code, so rows, notices and errors are identical.
 */

const WORKER_SCRIPT = new URL('./collect-worker.js', import.meta.url);

/**
 * Pages a worker may send ahead of the consumer, per source. A waiting page is bytes outside the JS heap (see
 * PageBytes), so a few more in flight cost little memory and keep the worker busy while the main thread writes.
 */
export const PAGES_IN_FLIGHT = 3;

export type ToWorker =
  | { type: 'start'; id: number; config: CsvSourceConfig; now: string }
  /** One more page may be sent; `buffer` is a page's memory handed back for the next one. */
  | { type: 'credit'; id: number; buffer?: ArrayBuffer }
  | { type: 'stop'; id: number };

export interface SerializedError {
  message: string;
  /** Set for a SourceError: rebuilt as one, with its kind. */
  source?: string;
  kind?: SourceError['kind'];
}

export type FromWorker =
  | ({ type: 'page'; id: number } & PageBytes)
  | { type: 'notice'; id: number; message: string }
  | { type: 'done'; id: number }
  | { type: 'error'; id: number; error: SerializedError };

export function serializeError(error: unknown): SerializedError {
  if (error instanceof SourceError) {
    return { message: error.message.slice(error.source.length + 2), source: error.source, kind: error.kind };
  }
  return { message: error instanceof Error ? error.message : String(error) };
}

function deserializeError(error: SerializedError): Error {
  return error.source === undefined
    ? new Error(error.message)
    : new SourceError(error.source, error.message, error.kind);
}

type Settled = ({ type: 'page' } & PageBytes) | { type: 'done' } | { type: 'failed'; error: unknown };

/** What the pool knows of one collection: where its messages go. */
interface Stream {
  worker: PooledWorker;
  context: CollectContext;
  settle(settled: Settled): void;
}

/**
 * One source's pages from a worker. Not an async generator: a suspended generator keeps the last page it yielded
 * alive until it yields again, so a source's page outlived its turn behind the other sources and was promoted out of
 * V8's young generation. Here a page is objects only from the consumer's next() until the consumer lets go of it.
 */
class PageStream implements AsyncIterableIterator<Account[]> {
  private stream: Stream | null = null;
  private id = 0;
  private finished = false;
  private readonly queue: Settled[] = [];
  private wake: (() => void) | null = null;
  private readonly onAbort = () => this.settle({ type: 'failed', error: this.context.signal.reason });

  constructor(
    private readonly pool: CsvWorkerPool,
    private readonly config: CsvSourceConfig,
    private readonly context: CollectContext,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<Account[]>> {
    if (this.finished) return { done: true, value: undefined };
    try {
      if (this.stream === null) {
        this.context.signal.throwIfAborted();
        this.context.signal.addEventListener('abort', this.onAbort);
        this.stream = { worker: this.pool.pick(), context: this.context, settle: (settled) => this.settle(settled) };
        this.id = this.pool.open(this.stream, this.config);
      }
      while (this.queue.length === 0) await new Promise<void>((resolve) => (this.wake = resolve));
      const next = this.queue.shift()!;
      if (next.type === 'done') {
        this.end(false);
        return { done: true, value: undefined };
      }
      if (next.type === 'failed') throw next.error;
      const accounts = decodePage(next);
      this.pool.credit(this.stream, this.id, next.bytes.buffer as ArrayBuffer);
      return { done: false, value: accounts };
    } catch (error) {
      this.end(true);
      throw error;
    }
  }

  async return(): Promise<IteratorResult<Account[]>> {
    this.end(true);
    return { done: true, value: undefined };
  }

  private settle(settled: Settled): void {
    this.queue.push(settled);
    this.wake?.();
    this.wake = null;
  }

  private end(stop: boolean): void {
    if (this.finished) return;
    this.finished = true;
    this.context.signal.removeEventListener('abort', this.onAbort);
    if (this.stream) this.pool.close(this.stream, this.id, stop || this.context.signal.aborted);
  }
}

interface PooledWorker {
  worker: Worker;
  streams: number;
}

class CsvWorkerPool {
  private readonly workers: PooledWorker[] = [];
  private readonly streams = new Map<number, Stream>();
  private nextId = 1;

  constructor(private readonly size: number) {}

  collect(config: CsvSourceConfig, context: CollectContext): AsyncIterableIterator<Account[]> {
    return new PageStream(this, config, context);
  }

  /** Starts a collection on the worker pick() chose for `stream`; its messages go to `stream`. */
  open(stream: Stream, config: CsvSourceConfig): number {
    const id = this.nextId++;
    this.streams.set(id, stream);
    stream.worker.streams++;
    this.post(stream.worker, { type: 'start', id, config, now: stream.context.now.toISOString() });
    return id;
  }

  /** One more page may come; the last page's buffer goes back with the credit, for the worker to fill again. */
  credit(stream: Stream, id: number, buffer: ArrayBuffer): void {
    this.post(stream.worker, { type: 'credit', id, buffer }, [buffer]);
  }

  close(stream: Stream, id: number, stop: boolean): void {
    if (stop) this.post(stream.worker, { type: 'stop', id });
    this.streams.delete(id);
    stream.worker.streams--;
    this.retireIdle();
  }

  /** The worker a new collection goes to: a new one while there are fewer than `size`, else the least busy. */
  pick(): PooledWorker {
    const idle =
      this.workers.length < this.size ? null : this.workers.reduce((a, b) => (b.streams < a.streams ? b : a));
    if (idle) return idle;
    const pooled: PooledWorker = { worker: new Worker(WORKER_SCRIPT), streams: 0 };
    pooled.worker.on('message', (message: FromWorker) => this.receive(message));
    pooled.worker.on('error', (error) => this.fail(pooled, error));
    pooled.worker.on('exit', (code) => this.fail(pooled, new Error(`CSV worker stopped (exit code ${code})`)));
    this.workers.push(pooled);
    return pooled;
  }

  private receive(message: FromWorker): void {
    const stream = this.streams.get(message.id);
    if (!stream) return;
    if (message.type === 'notice') stream.context.notice(message.message);
    else if (message.type === 'page') stream.settle({ type: 'page', bytes: message.bytes });
    else if (message.type === 'done') stream.settle({ type: 'done' });
    else stream.settle({ type: 'failed', error: deserializeError(message.error) });
  }

  /** A worker that died takes its sources with it: each fails (never "no accounts"). */
  private fail(pooled: PooledWorker, error: Error): void {
    const index = this.workers.indexOf(pooled);
    if (index !== -1) this.workers.splice(index, 1);
    for (const stream of this.streams.values()) {
      if (stream.worker === pooled) stream.settle({ type: 'failed', error });
    }
  }

  private post(pooled: PooledWorker, message: ToWorker, transfer: ArrayBuffer[] = []): void {
    if (this.workers.includes(pooled)) pooled.worker.postMessage(message, transfer);
  }

  /** Workers are let go as soon as no source needs them: a finished scan keeps no threads or heaps around. */
  private retireIdle(): void {
    if ([...this.streams.values()].length > 0) return;
    for (const pooled of this.workers.splice(0)) {
      pooled.worker.removeAllListeners('exit');
      void pooled.worker.terminate();
    }
  }
}

/** Below this a file is read faster than a thread starts (its modules load in some tens of ms). */
const WORKER_MIN_BYTES = 1024 * 1024;

/** Whether a file is large enough to be read on a worker; a file that cannot be read is left to the error path. */
export function worthAWorker(file: string): boolean {
  try {
    return statSync(file).size >= WORKER_MIN_BYTES;
  } catch {
    return false;
  }
}

let pool: CsvWorkerPool | null | undefined;

/** The shared pool, or null where workers cannot run (TypeScript sources, or a single core). */
export function csvWorkerPool(): {
  collect(config: CsvSourceConfig, context: CollectContext): AsyncIterableIterator<Account[]>;
} | null {
  if (pool === undefined) {
    const cores = availableParallelism();
    pool = existsSync(fileURLToPath(WORKER_SCRIPT)) && cores > 1 ? new CsvWorkerPool(Math.min(cores - 1, 4)) : null;
  }
  return pool;
}
