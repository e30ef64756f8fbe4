/** Items passed on as they come, counted as they go: an export written as it is read can say how many it wrote. */
export class Counted<T> implements Iterable<T> {
  count = 0;

  constructor(private readonly items: Iterable<T>) {}

  *[Symbol.iterator](): Generator<T> {
    for (const item of this.items) {
      this.count++;
      yield item;
    }
  }
}
