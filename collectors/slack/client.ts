import {
  ErrorCode,
  WebClient,
  type Logger as SlackLogger,
  LogLevel,
  type WebAPICallResult,
  type WebAPIHTTPError,
  type WebAPIPlatformError,
  type WebAPIRateLimitedError,
  type WebAPIRequestError,
} from '@slack/web-api';
import { SourceError } from '../../src/contract/errors.js';
import type { Logger } from '../../src/common/logger.js';
import { DEFAULT_RETRY_POLICY, type FailureClass, type RetryPolicy, withRetry } from '../../src/common/retry.js';

/**
 * The one way zombiescan talks to the Slack Web API: the official SDK for the wire (form-encoded POST, Bearer
 * token, `{ok:false}` -> errors), our retry policy (SPEC "API limits") around each call, and failures turned into
 * SourceErrors that name the method and the Slack error code but never the token.
 */

/** Requests slower than this are cut and retried as network errors; the source's own timeout still bounds it all. */
const REQUEST_TIMEOUT_MS = 60_000;

/** Slack error codes that mean "this token cannot be used at all". */
const AUTH_ERRORS: Record<string, string> = {
  invalid_auth: 'the token is not valid for this workspace',
  not_authed: 'no token was sent',
  account_inactive: 'the token belongs to a deactivated user or workspace',
  token_revoked: 'the token was revoked',
  token_expired: 'the token has expired',
  org_login_required: 'the workspace is migrating to an Enterprise org',
};

/** `{ok:false}` codes Slack documents as transient on its side: safe to retry a read. */
const TRANSIENT_ERRORS = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

export interface SlackWebClientOptions {
  token: string;
  apiUrl: string;
  /** Aborts in-flight requests as well as the waits between them. */
  signal?: AbortSignal;
  log?: Logger;
}

/**
 * A WebClient whose own retries are off: the SDK default retries ten times over ~30 minutes and would retry a 429
 * after already sleeping its Retry-After, multiplying with ours. `rejectRateLimitedCalls` hands the 429 (with its
 * Retry-After) to our policy instead.
 */
export function createSlackWebClient(options: SlackWebClientOptions): WebClient {
  const { signal } = options;
  return new WebClient(options.token, {
    slackApiUrl: options.apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: REQUEST_TIMEOUT_MS,
    // Methods are always named, never absolute URLs: a URL from a response can never receive the token.
    allowAbsoluteUrls: false,
    logger: sdkLogger(options.log),
    // The SDK has no signal option; threading ours through fetch makes an abort cut a request in flight.
    fetch: signal
      ? (url, init) => fetch(url, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal })
      : undefined,
  });
}

/** A Slack `{ok:false}` answer (or a failure reaching Slack) after retries, still a SourceError. */
export class SlackCallError extends SourceError {
  constructor(
    source: string,
    /** What went wrong, without the source name in front (for doctor details). */
    readonly reason: string,
    kind: SourceError['kind'],
    /** The Web API method called, e.g. "users.list". */
    readonly method: string,
    /** Slack's error code ("paid_only", "missing_scope"…), or "http_500", "ratelimited", "network", "timeout". */
    readonly slackError: string,
    /** For missing_scope: the scope Slack says is needed, and those the token has. */
    readonly needed: string | null = null,
    readonly provided: string | null = null,
  ) {
    super(source, reason, kind);
  }
}

/** Where our retry policy puts an SDK failure (exported so other Slack callers classify the same way). */
export function classifySlackFailure(error: unknown): FailureClass {
  switch (sdkErrorCode(error)) {
    case ErrorCode.RateLimitedError:
      return { kind: 'rate-limit', waitMs: (error as WebAPIRateLimitedError).retryAfter * 1000 };
    case ErrorCode.HTTPError: {
      const status = (error as WebAPIHTTPError).statusCode;
      return status >= 500 || status === 408 ? { kind: 'transient' } : { kind: 'fatal' };
    }
    case ErrorCode.RequestError:
      return isAbort((error as WebAPIRequestError).original) ? { kind: 'fatal' } : { kind: 'transient' };
    case ErrorCode.PlatformError: {
      const data = (error as WebAPIPlatformError).data;
      if (data.error === 'ratelimited') {
        return { kind: 'rate-limit', waitMs: (data.response_metadata?.retryAfter ?? 1) * 1000 };
      }
      return TRANSIENT_ERRORS.has(data.error ?? '') ? { kind: 'transient' } : { kind: 'fatal' };
    }
    default:
      return { kind: 'fatal' };
  }
}

export interface SourceDeadline {
  signal: AbortSignal;
  seconds: number;
}

/** `timeoutSeconds` as a signal: once it fires, every call made under it fails with a 'timeout' SourceError. */
export function sourceDeadline(seconds: number): SourceDeadline {
  return { signal: AbortSignal.timeout(seconds * 1000), seconds };
}

export interface SlackApiOptions {
  /** Source name, for messages. */
  source: string;
  token: string;
  apiUrl: string;
  /** The caller's cancellation: an abort surfaces as the caller's own abort reason. */
  signal: AbortSignal;
  /** The source's overall time budget, shared by every client of one collection. */
  deadline?: SourceDeadline;
  retryPolicy?: Partial<RetryPolicy>;
  log?: Logger;
}

export interface CallOptions {
  /**
   * Retry 5xx / network failures (default true). Turn off for calls that must not run twice (posting a message):
   * a rate-limited call never ran, so 429s are still waited out.
   */
  retryTransient?: boolean;
}

/** Web API calls with retries and SourceError mapping; `client` is the raw SDK client for anything else. */
export class SlackApi {
  readonly client: WebClient;
  readonly source: string;
  private readonly signal: AbortSignal;

  constructor(private readonly options: SlackApiOptions) {
    this.source = options.source;
    this.signal = options.deadline ? AbortSignal.any([options.signal, options.deadline.signal]) : options.signal;
    this.client = createSlackWebClient({
      token: options.token,
      apiUrl: options.apiUrl,
      signal: this.signal,
      log: options.log,
    });
  }

  async call<T extends WebAPICallResult>(
    method: string,
    args: Record<string, unknown> = {},
    callOptions: CallOptions = {},
  ): Promise<T> {
    const retryTransient = callOptions.retryTransient ?? true;
    try {
      return await withRetry(() => this.client.apiCall(method, args) as Promise<T>, {
        classify: (error) => {
          const failure = classifySlackFailure(error);
          return failure.kind === 'transient' && !retryTransient ? { kind: 'fatal' } : failure;
        },
        signal: this.signal,
        policy: this.options.retryPolicy,
        log: this.options.log,
        what: `${this.source} ${method}`,
      });
    } catch (error) {
      if (this.options.signal.aborted) throw this.options.signal.reason;
      if (this.options.deadline?.signal.aborted) {
        const reason = `${method}: gave up after ${this.options.deadline.seconds}s (timeoutSeconds)`;
        throw new SlackCallError(this.source, reason, 'timeout', method, 'timeout');
      }
      throw this.toSourceError(method, error);
    }
  }

  /**
   * Cursor paging (users.list, team.accessLogs…): each page through `call`, so each page gets the full retry
   * policy, which the SDK's own paginate() cannot give. Ends when `next_cursor` is "" or absent.
   */
  async *pages<T extends WebAPICallResult>(method: string, args: Record<string, unknown> = {}): AsyncGenerator<T> {
    let cursor: string | undefined;
    do {
      const page = await this.call<T>(method, { ...args, cursor });
      const next = page.response_metadata?.next_cursor || undefined;
      // A server repeating its cursor would page forever, reporting the same records again and again.
      if (next !== undefined && next === cursor) {
        throw new SlackCallError(this.source, `${method}: the cursor did not advance`, 'data', method, 'cursor');
      }
      cursor = next;
      yield page;
    } while (cursor !== undefined);
  }

  private toSourceError(method: string, error: unknown): SlackCallError {
    const source = this.source;
    const policy = { ...DEFAULT_RETRY_POLICY, ...this.options.retryPolicy };
    switch (sdkErrorCode(error)) {
      case ErrorCode.PlatformError: {
        const data: Record<string, unknown> = { ...(error as WebAPIPlatformError).data };
        const code = String(data.error ?? 'unknown_error');
        const needed = typeof data.needed === 'string' ? data.needed : null;
        const provided = typeof data.provided === 'string' ? data.provided : null;
        if (code in AUTH_ERRORS) {
          return new SlackCallError(source, `${method}: ${code} (${AUTH_ERRORS[code]})`, 'auth', method, code);
        }
        if (code === 'missing_scope') {
          const reason = `${method}: missing_scope: the token needs the ${needed ?? 'unknown'} scope (it has: ${provided || 'none'})`;
          return new SlackCallError(source, reason, 'auth', method, code, needed, provided);
        }
        const kind = TRANSIENT_ERRORS.has(code) ? 'server' : code === 'ratelimited' ? 'rate-limit' : 'data';
        return new SlackCallError(source, `${method}: Slack answered ${code}`, kind, method, code, needed, provided);
      }
      case ErrorCode.RateLimitedError:
        return new SlackCallError(
          source,
          `${method}: still rate limited after ${policy.rateLimitRetries} waits`,
          'rate-limit',
          method,
          'ratelimited',
        );
      case ErrorCode.HTTPError: {
        const status = (error as WebAPIHTTPError).statusCode;
        const retried = status >= 500 || status === 408 ? ` after ${policy.serverRetries} retries` : '';
        return new SlackCallError(
          source,
          `${method}: HTTP ${status} from Slack${retried}`,
          'server',
          method,
          `http_${status}`,
        );
      }
      case ErrorCode.RequestError: {
        const reason = networkReason((error as WebAPIRequestError).original);
        return new SlackCallError(source, `${method}: cannot reach Slack (${reason})`, 'network', method, 'network');
      }
      default:
        return new SlackCallError(
          source,
          `${method}: unexpected failure (${error instanceof Error ? error.name : typeof error})`,
          'server',
          method,
          'unknown',
        );
    }
  }
}

function sdkErrorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

/** The socket-level cause ("ECONNREFUSED"), never the SDK's message (which could quote a request). */
function networkReason(error: Error): string {
  const cause = (error as Error & { cause?: { code?: unknown } }).cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  return error.name === 'TimeoutError' ? `no answer within ${REQUEST_TIMEOUT_MS / 1000}s` : error.name;
}

/**
 * The SDK's warnings go to our debug log (our retry already reports failures); its debug output, whole response
 * bodies full of personal data, is dropped.
 */
function sdkLogger(log: Logger | undefined): SlackLogger {
  const write = (...parts: unknown[]) => log?.debug(`slack sdk: ${parts.map(String).join(' ')}`);
  return {
    debug: () => {},
    info: write,
    warn: write,
    error: write,
    setLevel: () => {},
    getLevel: () => LogLevel.INFO,
    setName: () => {},
  };
}
