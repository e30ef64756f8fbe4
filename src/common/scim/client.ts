import { SourceError } from '../../contract/errors.js';
import { Redactor, type Logger } from '../logger.js';
import { DEFAULT_RETRY_POLICY, retryAfterMs, withRetry, type FailureClass, type RetryPolicy } from '../retry.js';
import {
  SCIM_MEDIA_TYPE,
  SCIM_SCHEMAS,
  type ScimListResponse,
  type ScimPatchOperation,
  type ScimServiceProviderConfig,
  type ScimUser,
} from './types.js';

/**
 * A small SCIM 2.0 client on Node's global fetch: bearer auth, the SCIM media type, the shared retry policy
 * (Retry-After on 429, backoff on 5xx and network errors) and one error type for every failure. Collection uses the
 * list call; remediation reuses getUser / setActive / deleteUser.
 */

export interface ScimClientOptions {
  /** Source name: prefixes every error message. */
  source: string;
  /** The SCIM root, e.g. https://api.example.com/scim/v2 (a trailing slash is optional). */
  baseUrl: string;
  token: string;
  retryPolicy?: Partial<RetryPolicy>;
  log?: Logger;
  /** Clock for X-Rate-Limit-Reset (epoch seconds). */
  now?: () => number;
}

export type ScimMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ScimRequest {
  method: ScimMethod;
  /** Relative to baseUrl, e.g. "Users" or "Users/2819c223". */
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  signal: AbortSignal;
}

/** A SCIM call that failed for good. `status` is the HTTP status, or null when no answer came back. */
export class ScimRequestError extends SourceError {
  constructor(
    source: string,
    message: string,
    kind: SourceError['kind'],
    readonly status: number | null,
    readonly scimType: string | null = null,
  ) {
    super(source, message, kind);
  }
}

/** An HTTP error answer, thrown inside one attempt so the retry loop can classify it. */
class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly detail: string | null,
    readonly scimType: string | null,
    readonly waitMs: number | null,
  ) {
    super(`HTTP ${status}`);
  }
}

/** A 2xx answer we cannot read: retrying would get the same bytes. */
class UnreadableAnswer extends Error {}

const DETAIL_MAX_CHARS = 300;
/** Without Retry-After, wait ten backoff units (5 s by default): the server asked us to slow down. */
const RATE_LIMIT_FALLBACK_UNITS = 10;
/** X-Rate-Limit-Reset values below this are seconds from now rather than an epoch time. */
const EPOCH_SECONDS_THRESHOLD = 1_000_000_000;

export class ScimClient {
  private readonly root: URL;
  private readonly policy: RetryPolicy;
  private readonly redactor: Redactor;
  private readonly now: () => number;

  constructor(private readonly options: ScimClientOptions) {
    this.root = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`);
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retryPolicy };
    // Some servers echo the Authorization header in their error detail; the token must never reach our messages.
    this.redactor = new Redactor([options.token]);
    this.now = options.now ?? Date.now;
  }

  /** One page of users (RFC 7644 §3.4.2): startIndex is 1-based; the server may return fewer than `count`. */
  async listUsers(
    page: { startIndex: number; count: number; filter?: string },
    signal: AbortSignal,
  ): Promise<ScimListResponse> {
    const body = await this.request({
      method: 'GET',
      path: 'Users',
      query: { startIndex: page.startIndex, count: page.count, filter: page.filter },
      signal,
    });
    return this.readListResponse(body, page.startIndex);
  }

  /** The user, or null when the server no longer has it (404). */
  async getUser(id: string, signal: AbortSignal): Promise<ScimUser | null> {
    return this.orNullWhenGone(() => this.request({ method: 'GET', path: userPath(id), signal }) as Promise<ScimUser>);
  }

  /** Exact userName lookup (RFC 7644 §3.4.2.2 `eq`; userName is case-insensitive per RFC 7643 §4.1.1). */
  async findUserByUserName(userName: string, signal: AbortSignal): Promise<ScimUser | null> {
    const escaped = userName.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
    const page = await this.listUsers({ startIndex: 1, count: 2, filter: `userName eq "${escaped}"` }, signal);
    return page.Resources[0] ?? null;
  }

  /** PATCH with a PatchOp message; returns the updated user when the server sends it back (it may answer 204). */
  async patchUser(id: string, operations: ScimPatchOperation[], signal: AbortSignal): Promise<ScimUser | null> {
    const body = await this.request({
      method: 'PATCH',
      path: userPath(id),
      body: { schemas: [SCIM_SCHEMAS.patchOp], Operations: operations },
      signal,
    });
    return isObject(body) ? (body as ScimUser) : null;
  }

  /** `replace active`: the SPEC's SCIM `disable` (and its undo). */
  async setActive(id: string, active: boolean, signal: AbortSignal): Promise<ScimUser | null> {
    return this.patchUser(id, [{ op: 'replace', path: 'active', value: active }], signal);
  }

  /** Deletes the user; false when it was already gone (404), so a repeated call reports "already done". */
  async deleteUser(id: string, signal: AbortSignal): Promise<boolean> {
    const result = await this.orNullWhenGone(async () => {
      await this.request({ method: 'DELETE', path: userPath(id), signal });
      return true;
    });
    return result ?? false;
  }

  async getServiceProviderConfig(signal: AbortSignal): Promise<ScimServiceProviderConfig> {
    const body = await this.request({ method: 'GET', path: 'ServiceProviderConfig', signal });
    if (!isObject(body)) throw this.dataError('GET /ServiceProviderConfig: the answer is not a JSON object', 200);
    return body as ScimServiceProviderConfig;
  }

  /**
   * One call with retries. Resolves to the parsed JSON body, or null for an empty answer (204). Throws a
   * ScimRequestError, or the signal's reason when it was aborted.
   */
  async request(request: ScimRequest): Promise<unknown> {
    const url = this.url(request);
    const what = `${request.method} /${request.path}`;
    try {
      return await withRetry(() => this.attempt(url, request, what), {
        classify: (error) => this.classify(error, request.signal),
        signal: request.signal,
        policy: this.policy,
        log: this.options.log,
        what: `${this.options.source} ${what}`,
      });
    } catch (error) {
      // fetch and the retry sleep each reject in their own way; callers get the reason they aborted with.
      if (request.signal.aborted) throw request.signal.reason;
      throw this.toRequestError(error, what);
    }
  }

  private async attempt(url: URL, request: ScimRequest, what: string): Promise<unknown> {
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.options.token}`,
      Accept: SCIM_MEDIA_TYPE,
    };
    if (request.body !== undefined) headers['Content-Type'] = SCIM_MEDIA_TYPE;
    const response = await fetch(url, {
      method: request.method,
      headers,
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      signal: request.signal,
    });
    const text = await response.text();
    if (!response.ok) throw this.httpFailure(response, text);
    if (text.trim() === '') return null;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      const type = response.headers.get('content-type') ?? 'no content type';
      throw new UnreadableAnswer(`${what}: the answer is not JSON (${type})`);
    }
  }

  private httpFailure(response: Response, text: string): HttpFailure {
    let detail: string | null = null;
    let scimType: string | null = null;
    try {
      const body = JSON.parse(text) as unknown;
      if (isObject(body)) {
        if (typeof body.detail === 'string') detail = body.detail;
        if (typeof body.scimType === 'string') scimType = body.scimType;
      }
    } catch {
      // Not a SCIM error document (an HTML error page, a proxy's text): the status says enough.
    }
    let waitMs: number | null = null;
    if (response.status === 429) {
      waitMs =
        retryAfterMs(response.headers.get('retry-after'), this.now()) ??
        this.rateLimitResetMs(response.headers.get('x-rate-limit-reset'));
    }
    return new HttpFailure(response.status, detail, scimType, waitMs);
  }

  private rateLimitResetMs(value: string | null): number | null {
    if (!value) return null;
    const seconds = Number(value);
    if (!Number.isFinite(seconds)) return null;
    return Math.max(0, seconds < EPOCH_SECONDS_THRESHOLD ? seconds * 1000 : seconds * 1000 - this.now());
  }

  private classify(error: unknown, signal: AbortSignal): FailureClass {
    if (signal.aborted) return { kind: 'fatal' };
    if (error instanceof HttpFailure) {
      if (error.status === 429) {
        return { kind: 'rate-limit', waitMs: error.waitMs ?? this.policy.baseDelayMs * RATE_LIMIT_FALLBACK_UNITS };
      }
      return error.status >= 500 || error.status === 408 ? { kind: 'transient' } : { kind: 'fatal' };
    }
    if (error instanceof UnreadableAnswer) return { kind: 'fatal' };
    // fetch rejects with a TypeError for refused connections, resets, DNS and TLS failures.
    return { kind: 'transient' };
  }

  private toRequestError(error: unknown, what: string): ScimRequestError {
    if (error instanceof UnreadableAnswer) return this.dataError(error.message, 200);
    if (!(error instanceof HttpFailure)) {
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
      const reason = (cause as NodeJS.ErrnoException).code ?? (cause instanceof Error ? cause.message : String(cause));
      const message = `${what}: cannot reach ${this.root.host} after ${this.policy.serverRetries} retries: ${this.clean(reason)}`;
      return new ScimRequestError(this.options.source, message, 'network', null);
    }
    const { status, scimType } = error;
    const detail = error.detail ? `: ${this.clean(error.detail)}` : '';
    const fail = (kind: SourceError['kind'], message: string) =>
      new ScimRequestError(this.options.source, `${what}: ${message}`, kind, status, scimType);
    if (status === 401) return fail('auth', `HTTP 401, the token was refused${detail}`);
    if (status === 403) return fail('auth', `HTTP 403, the token is not allowed to do this${detail}`);
    if (status === 429) {
      return fail('rate-limit', `still rate limited (HTTP 429) after ${this.policy.rateLimitRetries} waits`);
    }
    if (status >= 500) return fail('server', `HTTP ${status} after ${this.policy.serverRetries} retries${detail}`);
    if (status === 404) {
      return fail('config', `HTTP 404${detail} (is baseUrl the SCIM root, usually ending in /scim/v2?)`);
    }
    return fail('server', `HTTP ${status}${detail}`);
  }

  private readListResponse(body: unknown, askedStartIndex: number): ScimListResponse {
    const where = `GET /Users?startIndex=${askedStartIndex}`;
    if (!isObject(body)) throw this.dataError(`${where}: the answer is not a SCIM ListResponse`, 200);
    const totalResults = toCount(body.totalResults);
    if (totalResults === null) {
      throw this.dataError(`${where}: the ListResponse has no valid totalResults`, 200);
    }
    const resources = body.Resources ?? [];
    if (!Array.isArray(resources) || !resources.every(isObject)) {
      throw this.dataError(`${where}: Resources is not a list of users`, 200);
    }
    return {
      totalResults,
      startIndex: toCount(body.startIndex),
      itemsPerPage: toCount(body.itemsPerPage),
      Resources: resources as ScimUser[],
    };
  }

  private async orNullWhenGone<T>(call: () => Promise<T>): Promise<T | null> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof ScimRequestError && error.status === 404) return null;
      throw error;
    }
  }

  private dataError(message: string, status: number | null): ScimRequestError {
    return new ScimRequestError(this.options.source, message, 'data', status);
  }

  private url(request: ScimRequest): URL {
    const url = new URL(request.path.replace(/^\/+/, ''), this.root);
    for (const [key, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url;
  }

  /** Server-supplied text goes into errors that are stored: one line, bounded, never the token. */
  private clean(text: string): string {
    const line = this.redactor.redact(text).replace(/\s+/g, ' ').trim();
    return line.length > DETAIL_MAX_CHARS ? `${line.slice(0, DETAIL_MAX_CHARS)}…` : line;
  }
}

function userPath(id: string): string {
  return `Users/${encodeURIComponent(id)}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A non-negative integer; some servers send numbers as strings. */
function toCount(value: unknown): number | null {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof number === 'number' && Number.isInteger(number) && number >= 0 ? number : null;
}
