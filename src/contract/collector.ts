import type { SourceConfig } from '../config/config.js';
import type { Logger } from '../common/logger.js';
import type { Account } from './model.js';
import type { RetryPolicy } from '../common/retry.js';

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

export type CollectorFactory<C extends SourceConfig = SourceConfig> = (
  config: C,
  deps?: CollectorDeps,
) => SourceCollector;
