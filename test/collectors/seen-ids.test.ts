import { describe, expect, it } from 'vitest';
import { SeenIds } from '../../collectors/csv/seen-ids.js';

describe('SeenIds', () => {
  it('tells every new id from one recorded before, through many growths of its table', () => {
    const seen = new SeenIds();
    const ids = Array.from({ length: 200_000 }, (_, index) => `00u${index.toString(36)}`);
    expect(ids.every((id) => seen.add(id))).toBe(true);
    expect(ids.filter((_, index) => index % 997 === 0).some((id) => seen.add(id))).toBe(false);
    // Ids that differ in one code unit, in case, or in a character outside Latin-1 are all different.
    expect(['u-1', 'U-1', 'u-1 ', 'ü-1', '😀-1'].map((id) => seen.add(id))).toEqual([true, true, true, true, true]);
    expect(seen.add('😀-1')).toBe(false);
  });
});
