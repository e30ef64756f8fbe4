import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { forEachPage } from '../../src/common/pages.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Pages as a plain async iterator (a collector's pages) that records whether it was stopped. */
function pages(count: number, make: (index: number) => object = (index) => ({ index })) {
  let index = 0;
  const seen: WeakRef<object>[] = [];
  const iterator = {
    returned: false,
    seen,
    [Symbol.asyncIterator]() {
      return this;
    },
    async next(): Promise<IteratorResult<object>> {
      await new Promise((resolve) => setTimeout(resolve, 1));
      if (index === count) return { done: true, value: undefined };
      const page = make(index++);
      seen.push(new WeakRef(page));
      return { done: false, value: page };
    },
    async return(): Promise<IteratorResult<object>> {
      iterator.returned = true;
      return { done: true, value: undefined };
    },
  };
  return iterator;
}

describe('forEachPage', () => {
  it('hands every page over in order', async () => {
    const handled: number[] = [];
    const source = pages(5);
    await forEachPage(source, (page) => handled.push((page as { index: number }).index));
    expect(handled).toEqual([0, 1, 2, 3, 4]);
    expect(source.returned).toBe(false);
  });

  it('stops the pages when handling one fails, as for await does', async () => {
    const source = pages(5);
    await expect(
      forEachPage(source, (page) => {
        if ((page as { index: number }).index === 2) throw new Error('bad page');
      }),
    ).rejects.toThrow('bad page');
    expect(source.returned).toBe(true);
  });

  it('lets go of a page before waiting for the next one (for await keeps it alive)', async () => {
    const alive = async (loop: (source: ReturnType<typeof pages>) => Promise<void>) => {
      const source = pages(2, () => new Array(1000).fill('x'));
      const during: boolean[] = [];
      await loop({
        ...source,
        returned: false,
        seen: source.seen,
        [Symbol.asyncIterator]() {
          return this;
        },
        next: async () => {
          // The consumer is waiting for its next page: is the page it was last given still reachable? (After a turn
          // of the event loop: a WeakRef keeps its target for the rest of the turn it was made in.)
          await new Promise((resolve) => setTimeout(resolve, 1));
          gc();
          const last = source.seen.at(-1);
          if (last) during.push(last.deref() !== undefined);
          return source.next();
        },
      });
      return during;
    };
    // Asked after page 0 and after page 1 were handled.
    expect(await alive((source) => forEachPage(source, () => {}))).toEqual([false, false]);
    expect(
      await alive(async (source) => {
        for await (const page of source) void page;
      }),
    ).toEqual([true, true]);
  });
});
