import { RequestExecutor } from './sdk.js';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../src/common/logger.js';
import { DEFAULT_RETRY_POLICY, withRetry, type FailureClass, type RetryPolicy } from '../../src/common/retry.js';

/**
 * Every HTTP call the Okta SDK makes goes through `OktaRequestExecutor` (the SDK's `requestExecutor` hook, which
 * sees each raw response with its headers). It replaces the SDK's DefaultRequestExecutor, whose own 429 retry
 * (2 attempts, no abort, no pacing) would otherwise multiply with ours. Here, per call:
 * - pace: when X-Rate-Limit-Remaining for the endpoint falls to a reserve, wait for X-Rate-Limit-Reset first, so a
 *   scan never drains the org's bucket that SSO and provisioning share;
 * - 429: wait until X-Rate-Limit-Reset (measured against the server's Date header, as the SDK does), then retry;
 * - 5xx and network errors: retried with backoff (src/retry.ts); the final failure surfaces as OktaCallFailure;
 * - other 4xx answers go back to the SDK, which throws its OktaApiError (status, errorCode, errorSummary).
 */

/** The part of node-fetch's Response this module reads. */
export interface FetchResponse {
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}

/** What the SDK passes: node-fetch options plus url (its typings lack node-fetch's, so method is spelled out). */
type SdkRequest = Parameters<RequestExecutor['fetch']>[0] & { method?: string };

/** Part of each endpoint's rate-limit window left untouched for everything else that uses the org. */
const RESERVE_FRACTION = 0.1;
/** Okta always sends X-Rate-Limit-Reset with a 429; should it ever be missing, wait this long. */
const MISSING_RESET_WAIT_MS = 1_000;
/** A request that hangs this long is treated as a network failure and retried. */
const MAX_REQUEST_TIMEOUT_MS = 60_000;

/** A call that still failed after retries (or a 429/5xx on the last attempt): safe to show, never has the token. */
export class OktaCallFailure extends Error {
  constructor(
    readonly kind: 'rate-limit' | 'server' | 'network',
    message: string,
    readonly status: number | null = null,
    /** For a 429: how long the server asked us to wait. */
    readonly waitMs = 0,
  ) {
    super(message);
    this.name = 'OktaCallFailure';
  }
}

export interface RateLimitWindow {
  limit: number;
  remaining: number;
  /** When the window resets, on the local clock. */
  resetAtMs: number;
}

/**
 * Milliseconds until X-Rate-Limit-Reset (epoch seconds), measured against the response's Date header so a skewed
 * local clock does not matter. Date has whole seconds only: when the local clock falls inside that second it is the
 * finer reading and is used instead. Duplicate headers (OKTA-112507) arrive comma-joined: the latest reset wins.
 */
export function msUntilReset(resetHeader: string | null, dateHeader: string | null, localNowMs: number): number | null {
  if (!resetHeader) return null;
  const resets = resetHeader
    .split(',')
    .map((part) => Number(part.trim()))
    .filter(Number.isFinite);
  if (resets.length === 0) return null;
  const serverDate = dateHeader ? Date.parse(dateHeader) : Number.NaN;
  const localAgrees = localNowMs >= serverDate && localNowMs < serverDate + 1000;
  const serverNowMs = Number.isNaN(serverDate) || localAgrees ? localNowMs : serverDate;
  return Math.max(0, Math.max(...resets) * 1000 - serverNowMs);
}

/**
 * Okta counts rate limits per endpoint template, not per URL: GET /api/v1/users/{id} is one bucket for every user.
 * Pacing per concrete path would never see a bucket running low while remediating many users.
 */
export function rateLimitBucket(pathname: string): string {
  return pathname.replace(/^(\/api\/v1\/users\/)[^/]+/, '$1{id}');
}

/** Smallest X-Rate-Limit-Remaining at which we stop and wait for the reset. */
export function rateLimitReserve(limit: number): number {
  return Math.max(1, Math.floor(limit * RESERVE_FRACTION));
}

/** Tracks each endpoint's rate-limit window from the headers Okta sends on every response. */
export class RateLimitGovernor {
  private readonly windows = new Map<string, RateLimitWindow>();

  constructor(private readonly now: () => number = Date.now) {}

  observe(bucket: string, headers: FetchResponse['headers']): void {
    const limit = Number(headers.get('x-rate-limit-limit'));
    const remaining = Number(headers.get('x-rate-limit-remaining'));
    const localNow = this.now();
    const untilReset = msUntilReset(headers.get('x-rate-limit-reset'), headers.get('date'), localNow);
    if (!Number.isFinite(limit) || !Number.isFinite(remaining) || untilReset === null || limit <= 0) return;
    this.windows.set(bucket, { limit, remaining, resetAtMs: localNow + untilReset });
  }

  /** How long to wait before the next call on this endpoint so its reserve stays untouched (0: go ahead). */
  delayBefore(bucket: string): number {
    const window = this.windows.get(bucket);
    if (!window || window.remaining > rateLimitReserve(window.limit)) return 0;
    return Math.max(0, window.resetAtMs - this.now());
  }

  /** After waiting out a window its numbers are stale; the next response brings fresh ones. */
  forget(bucket: string): void {
    this.windows.delete(bucket);
  }

  window(bucket: string): RateLimitWindow | undefined {
    return this.windows.get(bucket);
  }
}

export interface OktaRequestExecutorOptions {
  signal: AbortSignal;
  log: Logger;
  policy?: Partial<RetryPolicy>;
  /** Per-request timeout; capped at one minute. */
  requestTimeoutMs: number;
  governor?: RateLimitGovernor;
}

export class OktaRequestExecutor extends RequestExecutor {
  readonly governor: RateLimitGovernor;
  private readonly policy: RetryPolicy;
  /**
   * Extra wait after a computed reset: Date has one-second resolution and Okta's Date and reset may come from
   * different clocks (the SDK adds a full second). Tied to the retry base delay so tests can shorten it.
   */
  private readonly clockMarginMs: number;

  constructor(private readonly options: OktaRequestExecutorOptions) {
    super();
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.policy };
    this.clockMarginMs = Math.min(1_000, this.policy.baseDelayMs);
    this.governor = options.governor ?? new RateLimitGovernor();
  }

  override fetch(request: SdkRequest): Promise<FetchResponse> {
    const url = new URL(String(request.url));
    const bucket = rateLimitBucket(url.pathname);
    const what = `okta ${String(request.method ?? 'GET').toUpperCase()} ${url.pathname}`;
    return withRetry(() => this.attempt(request, bucket, what), {
      classify: classifyFailure,
      signal: this.options.signal,
      policy: this.policy,
      log: this.options.log,
      what,
    });
  }

  private async attempt(request: SdkRequest, bucket: string, what: string): Promise<FetchResponse> {
    await this.paceBefore(bucket, what);
    const { signal } = this.options;
    let response: FetchResponse;
    try {
      response = (await super.fetch({
        ...request,
        signal,
        timeout: Math.min(this.options.requestTimeoutMs, MAX_REQUEST_TIMEOUT_MS),
      } as SdkRequest)) as FetchResponse;
    } catch (error) {
      if (signal.aborted) throw error;
      throw new OktaCallFailure('network', `network error: ${describeNetworkError(error)}`);
    }
    this.governor.observe(bucket, response.headers);
    if (response.status === 429) {
      const untilReset = msUntilReset(
        response.headers.get('x-rate-limit-reset'),
        response.headers.get('date'),
        Date.now(),
      );
      const waitMs = untilReset === null ? MISSING_RESET_WAIT_MS : untilReset + this.clockMarginMs;
      // The window we just observed is spent; the wait below covers it, so pacing must not wait again.
      this.governor.forget(bucket);
      throw new OktaCallFailure('rate-limit', await describeErrorResponse(response), 429, waitMs);
    }
    if (response.status >= 500) {
      throw new OktaCallFailure('server', await describeErrorResponse(response), response.status);
    }
    return response;
  }

  private async paceBefore(bucket: string, what: string): Promise<void> {
    const delay = this.governor.delayBefore(bucket);
    if (delay <= 0) return;
    const window = this.governor.window(bucket);
    const waitMs = Math.min(delay + this.clockMarginMs, this.policy.maxDelayMs);
    this.options.log.info(
      `${what}: ${window?.remaining ?? 0} of ${window?.limit ?? '?'} calls left in this rate-limit window, ` +
        `pausing ${(waitMs / 1000).toFixed(1)}s until it resets`,
    );
    await sleep(waitMs, undefined, { signal: this.options.signal });
    this.governor.forget(bucket);
  }
}

function classifyFailure(error: unknown): FailureClass {
  if (error instanceof OktaCallFailure) {
    return error.kind === 'rate-limit' ? { kind: 'rate-limit', waitMs: error.waitMs } : { kind: 'transient' };
  }
  return { kind: 'fatal' };
}

/** "HTTP 503" or "HTTP 429 E0000047 API call exceeded rate limit due to too many requests." */
export async function describeErrorResponse(response: FetchResponse): Promise<string> {
  let body = '';
  try {
    body = await response.text();
  } catch {
    // The status alone still says what happened.
  }
  return describeOktaError(response.status, parseOktaErrorBody(body));
}

export interface OktaErrorBody {
  errorCode?: string;
  errorSummary?: string;
}

export function parseOktaErrorBody(body: string): OktaErrorBody {
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === 'object') {
      const { errorCode, errorSummary } = parsed as Record<string, unknown>;
      return {
        errorCode: typeof errorCode === 'string' ? errorCode : undefined,
        errorSummary: typeof errorSummary === 'string' ? errorSummary : undefined,
      };
    }
  } catch {
    // Gateways answer with HTML; the status is what matters then.
  }
  return {};
}

export function describeOktaError(status: number, body: OktaErrorBody): string {
  return ['HTTP', String(status), body.errorCode, body.errorSummary].filter(Boolean).join(' ');
}

function describeNetworkError(error: unknown): string {
  if (error && typeof error === 'object') {
    const { code, type, message } = error as { code?: unknown; type?: unknown; message?: unknown };
    if (type === 'request-timeout' || type === 'body-timeout') return 'request timed out';
    if (typeof code === 'string') return code;
    if (typeof message === 'string') return message;
  }
  return String(error);
}
