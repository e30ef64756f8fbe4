import v8 from 'node:v8';

/**
 * How far V8 lets its heap grow past what the last full collection kept alive, in percent. Left to itself V8 picks
 * up to 300% from its own measure of collection speed, and a scan, which makes a million short-lived accounts, got
 * the most: the scanner's heaps peaked at 3-4x their live set, 1.7 GiB of RSS for 2M accounts. At 75% the same scan
 * peaks under 0.9 GiB and grows 1.3x from 1M to 2M accounts, for about 8% more CPU in more frequent collections
 * (README, Performance). Set for the whole process at start, so the CSV worker threads' heaps follow it too.
 */
export const HEAP_GROWING_PERCENT = 75;

/** The V8 flag to set, or null when the operator set their own (in the command line or NODE_OPTIONS). */
export function heapGrowthFlag(execArgv: readonly string[], nodeOptions: string | undefined): string | null {
  const given = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)];
  if (given.some((flag) => /^--heap[-_]growing[-_]percent\b/.test(flag))) return null;
  return `--heap-growing-percent=${HEAP_GROWING_PERCENT}`;
}

/**
 * Applies HEAP_GROWING_PERCENT unless the operator chose otherwise. V8 reads this flag each time it sets the next
 * heap limit, so setting it once the process runs takes effect (Node's caveat about changing flags late is about
 * flags read only at start); call it before any work, from the command's entry point.
 */
export function limitHeapGrowth(): void {
  const flag = heapGrowthFlag(process.execArgv, process.env.NODE_OPTIONS);
  if (flag !== null) v8.setFlagsFromString(flag);
}
