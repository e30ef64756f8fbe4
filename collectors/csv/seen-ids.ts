/**
 * The ids an export has listed so far, kept as 63-bit hashes in a typed array rather than as the strings in a Map:
 * the duplicate check lives as long as the export is read, and 2M id strings with their line numbers were the
 * largest part of the CSV worker's heap (about 16 bytes an id here, against 60 to 100). A hash seen before only
 * says "perhaps": the caller confirms by reading the export again (two different ids share a hash about once in
 * 2^63 pairs, so in practice only a real duplicate, which fails the source, ever pays for it).
 */
export class SeenIds {
  /** Pairs (low, high) in open addressing; a zero `high` marks an empty slot (every stored `high` is odd). */
  private slots = new Uint32Array(2 * 4096);
  private count = 0;

  /** Records `id`; false when it, or an id with the same hash, was recorded before. */
  add(id: string): boolean {
    const low = fnv1a(id, FNV_OFFSET);
    const high = (fnv1a(id, SECOND_OFFSET) | 1) >>> 0;
    if (!this.insert(this.slots, low, high)) return false;
    if (++this.count * 2 > this.slots.length / 2) this.grow();
    return true;
  }

  private insert(slots: Uint32Array, low: number, high: number): boolean {
    const mask = slots.length / 2 - 1;
    for (let slot = (low ^ high) & mask; ; slot = (slot + 1) & mask) {
      const stored = slots[slot * 2 + 1]!;
      if (stored === 0) {
        slots[slot * 2] = low;
        slots[slot * 2 + 1] = high;
        return true;
      }
      if (stored === high && slots[slot * 2] === low) return false;
    }
  }

  /** Doubles the table once it is half full, so probes stay short. */
  private grow(): void {
    const old = this.slots;
    this.slots = new Uint32Array(old.length * 2);
    for (let slot = 0; slot < old.length; slot += 2) {
      if (old[slot + 1] !== 0) this.insert(this.slots, old[slot]!, old[slot + 1]!);
    }
  }
}

const FNV_OFFSET = 0x811c9dc5;
/** A second, independent start: the two 32-bit hashes together make the 63-bit one. */
const SECOND_OFFSET = 0x9747b28c;

/** FNV-1a over UTF-16 code units, then a final avalanche so nearby ids spread over the table. */
function fnv1a(text: string, offset: number): number {
  let hash = offset;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  return hash >>> 0;
}
