/**
 * `for await` over pages that lets go of each page before waiting for the next. A suspended `for await` (like a
 * suspended async generator) keeps its last value alive: with fourteen sources taking turns, a page of accounts
 * outlived V8's young generation and was copied into the old one only to die there. Like `for await`, it stops the
 * iterator when `handle` throws.
 */
export async function forEachPage<T>(pages: AsyncIterable<T>, handle: (page: T) => void): Promise<void> {
  const iterator = pages[Symbol.asyncIterator]();
  let done = false;
  try {
    for (;;) {
      let next: IteratorResult<T> | null = await iterator.next();
      if (next.done) {
        done = true;
        return;
      }
      handle(next.value);
      next = null;
    }
  } finally {
    if (!done) await iterator.return?.();
  }
}
