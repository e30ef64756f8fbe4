import { parentPort } from 'node:worker_threads';
import { silentLogger } from '../../src/common/logger.js';
import { collectCsvHere } from './index.js';
import { PAGES_IN_FLIGHT, serializeError, type FromWorker, type ToWorker } from './worker-pool.js';

/**
 * A CSV collection worker (see worker-pool.ts): runs the CSV collections the main thread starts, sending each page
 * of accounts back as it is mapped, never more than PAGES_IN_FLIGHT ahead of the consumer.
 */

interface Collection {
  abort: AbortController;
  credit: number;
  wake: (() => void) | null;
}

const port = parentPort!;
const collections = new Map<number, Collection>();
const send = (message: FromWorker) => port.postMessage(message);

port.on('message', (message: ToWorker) => {
  if (message.type === 'start') {
    void run(message);
    return;
  }
  const collection = collections.get(message.id);
  if (!collection) return;
  if (message.type === 'credit') collection.credit++;
  else collection.abort.abort();
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
    for await (const accounts of collectCsvHere(config, context)) {
      while (collection.credit === 0 && !signal.aborted) {
        await new Promise<void>((resolve) => (collection.wake = resolve));
      }
      if (signal.aborted) return;
      collection.credit--;
      send({ type: 'page', id, accounts });
    }
    send({ type: 'done', id });
  } catch (error) {
    if (!signal.aborted) send({ type: 'error', id, error: serializeError(error) });
  } finally {
    collections.delete(id);
  }
}
