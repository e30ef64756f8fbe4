import { describe, expect, it } from 'vitest';
import { HEAP_GROWING_PERCENT, heapGrowthFlag } from '../../src/common/heap.js';

describe('heapGrowthFlag', () => {
  it('limits heap growth unless the operator chose a value', () => {
    expect(heapGrowthFlag([], undefined)).toBe(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
    expect(heapGrowthFlag(['--max-old-space-size=4096'], '--enable-source-maps')).not.toBeNull();
    expect(heapGrowthFlag(['--heap-growing-percent=200'], undefined)).toBeNull();
    expect(heapGrowthFlag([], '--enable-source-maps --heap_growing_percent=30')).toBeNull();
  });
});
