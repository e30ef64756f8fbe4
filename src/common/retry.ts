import { setTimeout as sleep } from 'node:timers/promises';
import type { RetryPolicy } from '../contract/collector.js';
import type { Logger } from '../contract/logger.js';

export type { RetryPolicy } from '../contract/collector.js';

/**
 * The one retry policy for every source (SPEC "API limits"): rate limits are waited out as the server says
 * (Retry-After / X-Rate-Limit-Reset) up to `rateLimitRetries` times in a row; 5xx and network errors are retried
 * `serverRetries` times with exponential backoff and jitter; auth and other 4xx errors fail at once. The source's
 * overall timeout is the AbortSignal.
 */

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  rateLimitRetries: 10,
  serverRetries: 3,
  baseDelayMs: 500,
  maxDelayMs: 60_000,
};

export type FailureClass = { kind: 'rate-limit'; waitMs: number } | { kind: 'transient' } | { kind: 'fatal' };

export interface RetryOptions {
  classify(error: unknown): FailureClass;
  signal?: AbortSignal;
  policy?: Partial<RetryPolicy>;
  log?: Logger;
  /** What is being done, for the log line ("okta GET /api/v1/users"). */
  what: string;
}

export async function withRetry<T>(operation: () => Promise<T>, options: RetryOptions): Promise<T> {
  const policy = { ...DEFAULT_RETRY_POLICY, ...options.policy };
  let rateLimited = 0;
  let transient = 0;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      return await operation();
    } catch (error) {
      const failure = options.classify(error);
      let waitMs: number;
      if (failure.kind === 'rate-limit' && rateLimited < policy.rateLimitRetries) {
        rateLimited++;
        waitMs = Math.min(Math.max(failure.waitMs, 0), policy.maxDelayMs);
        options.log?.info(`${options.what}: rate limited, waiting ${Math.ceil(waitMs / 1000)}s`, {
          attempt: rateLimited,
        });
      } else if (failure.kind === 'transient' && transient < policy.serverRetries) {
        transient++;
        const backoff = policy.baseDelayMs * 2 ** (transient - 1);
        waitMs = Math.min(backoff + Math.random() * backoff * 0.2, policy.maxDelayMs);
        options.log?.warn(`${options.what}: transient failure, retry ${transient}/${policy.serverRetries}`, {
          error: error instanceof Error ? error.message : String(error),
        });
      } else {
        throw error;
      }
      await sleep(waitMs, undefined, { signal: options.signal });
    }
  }
}

/** Parses a Retry-After header: delta-seconds or an HTTP date. */
export function retryAfterMs(value: string | null | undefined, now = Date.now()): number | null {
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}
