import type { Logger } from './logger.js';
import type { Account, Credential, SignInEvent } from './model.js';

/**
 * A collector is a streaming fetch plus a pure transform. `collect` yields accounts page by page so memory stays
 * flat however large the tenant; it throws a SourceError when the source fails after retries (a failed source is
 * never "no accounts").
 */
export interface CollectContext {
  signal: AbortSignal;
  log: Logger;
  /**
   * Say a plan or permission limitation once (e.g. "sign-in activity unavailable: needs AuditLog.Read.All"): the
   * source still completes, with activity unknown; the notice goes to the scan summary, `runs` and `doctor`.
   */
  notice(message: string): void;
  now: Date;
}

/**
 * Checks without which a source cannot be collected at all. Any other failed check is a limitation: the source
 * still collects, with less data (activity unknown, nobody marked privileged).
 */
export const BLOCKING_CHECKS: readonly string[] = [
  'reachable',
  'authenticated',
  'users readable',
  'file',
  'header',
  'rows',
];

export interface DoctorCheck {
  /** e.g. "reachable", "authenticated", "sign-in activity". */
  check: string;
  ok: boolean;
  /** What was found, or exactly which permission or licence is missing. */
  detail: string;
  /** A plan or permission limitation: the source still collects, with less data (e.g. activity unknown). */
  limitation?: boolean;
}

export interface SourceCollector {
  /**
   * Reads and checks the source's local input files (e.g. a login-to-person mapping CSV) before the scan begins: an
   * InputError here stops the scan with exit 2 before anything is written, like a bad roster.
   */
  validateInput?(): Promise<void>;
  collect(context: CollectContext): AsyncIterable<Account[]>;
  doctor(context: CollectContext): Promise<DoctorCheck[]>;
  /**
   * Credentials, after the accounts were collected and matched: org-wide lists every scan, per-user lists only for
   * `atRisk` account ids (owner terminated, past end date or unknown, account disabled, or privileged), so cost does
   * not grow with the healthy population. A kind the source cannot list is said once through `notice`, never
   * reported as none. Absent when the source has no credentials to collect.
   */
  collectCredentials?(context: CollectContext, atRisk: ReadonlySet<string>): AsyncIterable<Credential[]>;
  /**
   * Sign-in events in [since, until), oldest first, streamed page by page. Absent when the source keeps no sign-in
   * log. A licence or permission limitation (Entra without P1, a token that may not read the log) throws a
   * SourceError naming what is missing: the engine says it once as a notice, keeps the cursor where it was and leaves
   * the source's sign-ins unknown — never "no sign-ins", and never a failed source.
   */
  readSignIns?(context: CollectContext, window: { since: Date; until: Date }): AsyncIterable<SignInEvent[]>;
}

/** What tests (and unusual deployments) may inject; production uses the defaults. */
export interface CollectorDeps {
  /** Shorter waits in tests; the source's own timeout still applies through the signal. */
  retryPolicy?: Partial<RetryPolicy>;
  /**
   * Multiplies the waits a vendor SDK imposes by itself (GitHub's throttling plugin: Retry-After and reset waits,
   * its 1 s pacing of GraphQL and writes). Tests use a small factor; production leaves it unset (1).
   */
  waitScale?: number;
  /** Extra trusted CA (PEM) for https endpoints, e.g. a loopback fake's test certificate. */
  caCertificate?: string;
}

export type CollectorFactory<C> = (config: C, deps?: CollectorDeps) => SourceCollector;

/**
 * The one retry policy for every source (SPEC "API limits"): rate limits are waited out as the server says
 * (Retry-After / X-Rate-Limit-Reset) up to `rateLimitRetries` times in a row; 5xx and network errors are retried
 * `serverRetries` times with exponential backoff and jitter; auth and other 4xx errors fail at once.
 */
export interface RetryPolicy {
  rateLimitRetries: number;
  serverRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
}
