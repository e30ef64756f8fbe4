/** Seeded randomness for the synthetic organisation: the same seed always builds the same company. */

/** mulberry32: a small, well-known 32-bit PRNG; plenty for repeatable filler. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  /** Integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
}

/**
 * A bijection on 32-bit integers (xor-shift and odd multipliers are each invertible): distinct counters give distinct,
 * random-looking ids, so sources hand out ids in no particular order, as real ones do.
 */
export function scramble(value: number, salt: number): number {
  let x = (value ^ salt) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d) >>> 0;
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

export function hex(value: number, width: number): string {
  return value.toString(16).padStart(width, '0');
}
