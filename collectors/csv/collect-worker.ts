import { parentPort } from 'node:worker_threads';
import { silentLogger } from '../../src/common/logger.js';
import type { Account } from '../../src/contract/model.js';
import { collectCsvAccountsHere, CSV_PAGE_SIZE } from './index.js';
import { PageEncoder } from './page-codec.js';
import { PAGES_IN_FLIGHT, serializeError, type FromWorker, type ToWorker } from './worker-pool.js';

/**
 * A CSV collection worker (see worker-pool.ts): runs the CSV collections the main thread starts, sending each page
 * of accounts back as it is mapped, never more than PAGES_IN_FLIGHT ahead of the consumer. A page is read only once
 * it may be sent, and its accounts go into its bytes as they are mapped (see PageEncoder), so no page waits as
 * objects: they die young, in this heap as in the main thread's.
 */

interface Collection {
  abort: AbortController;
  credit: number;
  wake: (() => void) | null;
}

const port = parentPort!;
const collections = new Map<number, Collection>();
const send = (message: FromWorker) => port.postMessage(message);
/** Page buffers the main thread handed back, to fill again. */
const spareBuffers: ArrayBuffer[] = [];

port.on('message', (message: ToWorker) => {
  if (message.type === 'start') {
    void run(message);
    return;
  }
  const collection = collections.get(message.id);
  if (!collection) return;
  if (message.type === 'credit') {
    collection.credit++;
    if (message.buffer) spareBuffers.push(message.buffer);
  } else collection.abort.abort();
  collection.wake?.();
  collection.wake = null;
});

async function run({ id, config, now }: Extract<ToWorker, { type: 'start' }>): Promise<void> {
  const collection: Collection = { abort: new AbortController(), credit: PAGES_IN_FLIGHT, wake: null };
  collections.set(id, collection);
  const signal = collection.abort.signal;
  try {
    const context = {
      signal,
      log: silentLogger,
      notice: (text: string) => send({ type: 'notice', id, message: text }),
      now: new Date(now),
    };
    const accounts = collectCsvAccountsHere(config, context);
    try {
      await sendPages(id, collection, accounts);
    } finally {
      await accounts.return(undefined);
    }
    if (!signal.aborted) send({ type: 'done', id });
  } catch (error) {
    if (!signal.aborted) send({ type: 'error', id, error: serializeError(error) });
  } finally {
    collections.delete(id);
  }
}

async function sendPages(id: number, collection: Collection, accounts: AsyncGenerator<Account>): Promise<void> {
  const signal = collection.abort.signal;
  for (let done = false; !done;) {
    while (collection.credit === 0 && !signal.aborted) {
      await new Promise<void>((resolve) => (collection.wake = resolve));
    }
    if (signal.aborted) return;
    const page = new PageEncoder(spareBuffers.pop());
    while (page.size < CSV_PAGE_SIZE) {
      const next = await accounts.next();
      if (next.done) {
        done = true;
        break;
      }
      page.add(next.value);
      if (signal.aborted) return;
    }
    if (page.size === 0) return;
    collection.credit--;
    const { bytes } = page.finish();
    port.postMessage({ type: 'page', id, bytes } satisfies FromWorker, [bytes.buffer as ArrayBuffer]);
  }
}
