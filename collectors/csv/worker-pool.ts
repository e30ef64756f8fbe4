import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { CollectContext } from '../../src/contract/collector.js';
import type { CsvSourceConfig } from '../../src/config/config.js';
import { SourceError } from '../../src/contract/errors.js';
import type { Account } from '../../src/contract/model.js';

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
 * Pages a worker may send ahead of the consumer, per source. A page waiting for the main thread outlives V8's young
 * generation: with four, fourteen sources kept ~56,000 accounts waiting and the heap peaked 230 MB higher (1M accounts).
 */
export const PAGES_IN_FLIGHT = 2;

export type ToWorker =
  | { type: 'start'; id: number; config: CsvSourceConfig; now: string }
  | { type: 'credit'; id: number }
  | { type: 'stop'; id: number };

export interface SerializedError {
  message: string;
  /** Set for a SourceError: rebuilt as one, with its kind. */
  source?: string;
  kind?: SourceError['kind'];
}

export type FromWorker =
  | { type: 'page'; id: number; accounts: Account[] }
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

type Settled = { type: 'page'; accounts: Account[] } | { type: 'done' } | { type: 'failed'; error: unknown };

interface Stream {
  worker: PooledWorker;
  context: CollectContext;
  queue: Settled[];
  wake: (() => void) | null;
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

  async *collect(config: CsvSourceConfig, context: CollectContext): AsyncGenerator<Account[]> {
    const id = this.nextId++;
    const worker = this.pick();
    const stream: Stream = { worker, context, queue: [], wake: null };
    this.streams.set(id, stream);
    worker.streams++;
    const onAbort = () => this.settle(id, { type: 'failed', error: context.signal.reason });
    context.signal.addEventListener('abort', onAbort);
    let finished = false;
    try {
      context.signal.throwIfAborted();
      this.post(worker, { type: 'start', id, config, now: context.now.toISOString() });
      for (;;) {
        while (stream.queue.length === 0) await new Promise<void>((resolve) => (stream.wake = resolve));
        const next = stream.queue.shift()!;
        if (next.type === 'done') {
          finished = true;
          return;
        }
        if (next.type === 'failed') {
          finished = true;
          throw next.error;
        }
        yield next.accounts;
        this.post(worker, { type: 'credit', id });
      }
    } finally {
      context.signal.removeEventListener('abort', onAbort);
      if (!finished || context.signal.aborted) this.post(worker, { type: 'stop', id });
      this.streams.delete(id);
      worker.streams--;
      this.retireIdle();
    }
  }

  private pick(): PooledWorker {
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
    else if (message.type === 'page') this.settle(message.id, { type: 'page', accounts: message.accounts });
    else if (message.type === 'done') this.settle(message.id, { type: 'done' });
    else this.settle(message.id, { type: 'failed', error: deserializeError(message.error) });
  }

  private settle(id: number, settled: Settled): void {
    const stream = this.streams.get(id);
    if (!stream) return;
    stream.queue.push(settled);
    stream.wake?.();
    stream.wake = null;
  }

  /** A worker that died takes its sources with it: each fails (never "no accounts"). */
  private fail(pooled: PooledWorker, error: Error): void {
    const index = this.workers.indexOf(pooled);
    if (index !== -1) this.workers.splice(index, 1);
    for (const [id, stream] of this.streams) {
      if (stream.worker === pooled) this.settle(id, { type: 'failed', error });
    }
  }

  private post(pooled: PooledWorker, message: ToWorker): void {
    if (this.workers.includes(pooled)) pooled.worker.postMessage(message);
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
  collect(config: CsvSourceConfig, context: CollectContext): AsyncGenerator<Account[]>;
} | null {
  if (pool === undefined) {
    const cores = availableParallelism();
    pool = existsSync(fileURLToPath(WORKER_SCRIPT)) && cores > 1 ? new CsvWorkerPool(Math.min(cores - 1, 4)) : null;
  }
  return pool;
}
