import { Client } from './sdk.js';
import type { CollectorDeps } from '../../src/contract/collector.js';
import type { OktaSourceConfig } from '../../src/config/config.js';
import { SourceError } from '../../src/contract/errors.js';
import type { Logger } from '../../src/common/logger.js';
import { describeOktaError, OktaCallFailure, OktaRequestExecutor, type RateLimitGovernor } from './http.js';

/**
 * The one way the collector and the remediator talk to Okta: the official SDK over our OktaRequestExecutor (pacing,
 * 429 waits, 5xx retries), bounded by the source's timeoutSeconds, plus the error helpers both sides share.
 */

export const USERS_READ_PERMISSION_HINT =
  "the API token's admin needs a role that can view users (Read-Only Administrator or higher; OAuth: okta.users.read)";

export interface OktaClientOptions {
  /** The caller's signal: aborting it stops every call in flight. */
  signal: AbortSignal;
  log: Logger;
  /** Share one across connections so rate-limit pacing spans them (e.g. every action of a remediation run). */
  governor?: RateLimitGovernor;
}

export interface OktaConnection {
  client: Client;
  executor: OktaRequestExecutor;
  /** The caller's own signal, to tell its abort apart from our deadline. */
  callerSignal: AbortSignal;
  /** Fires after the source's timeoutSeconds. */
  deadline: AbortSignal;
}

export function createOktaClient(
  config: OktaSourceConfig,
  deps: CollectorDeps,
  options: OktaClientOptions,
): OktaConnection {
  const deadline = AbortSignal.timeout(config.timeoutSeconds * 1000);
  const executor = new OktaRequestExecutor({
    signal: AbortSignal.any([options.signal, deadline]),
    log: options.log,
    policy: deps.retryPolicy,
    requestTimeoutMs: config.timeoutSeconds * 1000,
    governor: options.governor,
  });
  const client = new Client({
    orgUrl: config.orgUrl.replace(/\/+$/, ''),
    token: config.token,
    // Set explicitly: the SDK would otherwise take OKTA_CLIENT_AUTHORIZATIONMODE from the environment.
    authorizationMode: 'SSWS',
    // The default cache middleware would serve stale reads (a re-read right after a suspend must see SUSPENDED).
    cacheMiddleware: null,
    requestExecutor: executor,
  });
  return { client, executor, callerSignal: options.signal, deadline };
}

/**
 * The failures that are the same whatever was being done: the caller's abort (its own reason is thrown back, not
 * called a source failure), our deadline, a call that still failed after retries, and a rejected token. Null for
 * anything else (403, 404, other 4xx), which each caller words for its own purpose. `what` names the work
 * ("collection", "disable") for the timeout message.
 */
export function transportFailure(
  error: unknown,
  config: OktaSourceConfig,
  connection: OktaConnection,
  what: string,
): SourceError | null {
  const fail = (message: string, kind: SourceError['kind']) =>
    new SourceError(config.name, redact(message, config.token), kind);
  if (error instanceof SourceError) return error;
  if (connection.callerSignal.aborted) {
    const reason: unknown = connection.callerSignal.reason;
    if (reason instanceof DOMException && reason.name === 'TimeoutError') return fail(`${what} timed out`, 'timeout');
    throw reason;
  }
  if (connection.deadline.aborted) return fail(`gave up after ${config.timeoutSeconds}s (timeoutSeconds)`, 'timeout');
  if (error instanceof OktaCallFailure) {
    const retried = error.kind === 'rate-limit' ? 'still rate limited after waiting' : 'failed after retries';
    return fail(`${retried}: ${error.message}`, error.kind);
  }
  if (httpStatusOf(error) === 401) {
    return fail(
      `authentication failed (${describeError(error)}): the API token is wrong or revoked, or its admin is deactivated`,
      'auth',
    );
  }
  return null;
}

/** The HTTP status of an SDK error (OktaApiError, HttpError) or of our own final failure; null for anything else. */
export function httpStatusOf(error: unknown): number | null {
  if (error instanceof OktaCallFailure) return error.status;
  if (error && typeof error === 'object' && 'status' in error && typeof error.status === 'number') {
    return error.status;
  }
  return null;
}

/** Okta's error code (E0000006...) of an SDK error, when it has one. */
export function oktaErrorCode(error: unknown): string | undefined {
  if (!error || typeof error !== 'object' || !('errorCode' in error)) return undefined;
  return typeof error.errorCode === 'string' ? error.errorCode : undefined;
}

/** "HTTP 400 E0000001 Api validation failed (Cannot suspend a user that is not active)", or the error's message. */
export function describeError(error: unknown): string {
  if (error instanceof OktaCallFailure) return error.message;
  const status = httpStatusOf(error);
  if (status === null) return error instanceof Error ? error.message : String(error);
  const { errorSummary, errorCauses } = error as { errorSummary?: unknown; errorCauses?: unknown };
  const summary = typeof errorSummary === 'string' ? errorSummary : undefined;
  // Okta puts the specific reason of a validation error (E0000001) in errorCauses.
  const causes = (Array.isArray(errorCauses) ? errorCauses : [])
    .map((cause: unknown) => (cause as { errorSummary?: unknown } | null)?.errorSummary)
    .filter((cause): cause is string => typeof cause === 'string' && cause !== '' && cause !== summary);
  const described = describeOktaError(status, { errorCode: oktaErrorCode(error), errorSummary: summary });
  return causes.length > 0 ? `${described} (${causes.join('; ')})` : described;
}

export function redact(message: string, token: string): string {
  return token.length >= 4 ? message.split(token).join('[redacted]') : message;
}
