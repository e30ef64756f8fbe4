import {
  Client,
  GraphError,
  RetryHandlerOptions,
  type FetchOptions,
  type GraphRequest,
} from '@microsoft/microsoft-graph-client';
import type { CollectorDeps } from '../../src/contract/collector.js';
import type { EntraSourceConfig } from '../../src/config/config.js';
import { SourceError } from '../../src/contract/errors.js';
import type { Logger } from '../../src/common/logger.js';
import { DEFAULT_RETRY_POLICY, retryAfterMs, withRetry, type RetryPolicy } from '../../src/common/retry.js';
import { httpOptionsFor, networkReason, redact, type HttpOptions } from './http.js';
import { ClientCredentialsTokenProvider } from './token.js';

/** One page of a Graph collection. */
export interface GraphPage<T> {
  value: T[];
  '@odata.nextLink'?: string;
}

export interface GraphSessionOptions {
  source: string;
  graphUrl: string;
  tokens: ClientCredentialsTokenProvider;
  http: HttpOptions;
  retryPolicy?: Partial<RetryPolicy>;
  log: Logger;
}

/**
 * The Graph SDK client with our retry policy. The SDK builds URLs, attaches the bearer token and parses absolute
 * `@odata.nextLink` URLs; it does both only for https hosts that are Graph's own or listed in `customHosts` (ports
 * ignored), which is why the graph host is listed and http is refused. Its RetryHandler is switched off per request
 * (maxRetries 0): it would retry 429/503/504 on its own, with waits that ignore our abort signal, multiplying our
 * retries (src/retry.ts, which also covers 500 and network errors).
 */
export class GraphSession {
  readonly tokens: ClientCredentialsTokenProvider;
  private readonly client: Client;
  private readonly policy: RetryPolicy;

  constructor(private readonly options: GraphSessionOptions) {
    this.tokens = options.tokens;
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retryPolicy };
    this.client = Client.init({
      // The token is fetched (and its errors typed) before each request; the SDK would wrap them into GraphErrors.
      authProvider: (done) => {
        const token = options.tokens.current();
        if (token === null) done(new Error('no access token'), null);
        else done(null, token);
      },
      baseUrl: options.graphUrl.replace(/\/+$/, ''),
      defaultVersion: 'v1.0',
      customHosts: new Set([new URL(options.graphUrl).hostname]),
      fetchOptions: options.http as FetchOptions,
    });
  }

  /** Starts a request: `/users` (relative to graphUrl/v1.0) or an absolute nextLink. */
  api(pathOrUrl: string): GraphRequest {
    return this.client.api(pathOrUrl);
  }

  /**
   * GET with retries (429 waits as told, 5xx and network errors with backoff) and one token refresh on 401.
   * Throws the SDK's GraphError for an HTTP failure that outlived the retries (see `describeGraphFailure`), a
   * SourceError for token failures, or the abort reason.
   */
  get<T>(what: string, build: (session: GraphSession) => GraphRequest, signal: AbortSignal): Promise<T> {
    return this.send<T>(what, build, (request) => request.get(), signal);
  }

  /**
   * POST, retried like `get`. Only for calls that are safe to repeat: a retried write may have taken effect the
   * first time (the answer was lost), so the caller must accept that outcome on the second attempt.
   */
  post<T>(
    what: string,
    build: (session: GraphSession) => GraphRequest,
    body: unknown,
    signal: AbortSignal,
  ): Promise<T> {
    return this.send<T>(what, build, (request) => request.post(body), signal);
  }

  /** PATCH, retried like `get` (a PATCH that sets a value is idempotent). Graph answers 204: resolves undefined. */
  patch<T>(
    what: string,
    build: (session: GraphSession) => GraphRequest,
    body: unknown,
    signal: AbortSignal,
  ): Promise<T> {
    return this.send<T>(what, build, (request) => request.patch(body), signal);
  }

  /** DELETE, retried like `get` (deleting twice ends the same way: the second answers 404). Resolves undefined. */
  delete(what: string, build: (session: GraphSession) => GraphRequest, signal: AbortSignal): Promise<void> {
    return this.send<void>(what, build, (request) => request.delete(), signal);
  }

  private async send<T>(
    what: string,
    build: (session: GraphSession) => GraphRequest,
    call: (request: GraphRequest) => Promise<unknown>,
    signal: AbortSignal,
  ): Promise<T> {
    const attempt = async (): Promise<T> => {
      await this.tokens.get(signal);
      return (await call(
        build(this)
          .middlewareOptions([new RetryHandlerOptions(0, 0)])
          .option('signal', signal),
      )) as T;
    };
    return withRetry(
      async () => {
        try {
          return await attempt();
        } catch (error) {
          if (!(error instanceof GraphError) || error.statusCode !== 401 || signal.aborted) throw error;
          // The cached token was revoked or expired early: a fresh one, once.
          this.options.log.debug(`${this.options.source}: Graph answered 401, fetching a new token`);
          this.tokens.invalidate();
          return await attempt();
        }
      },
      {
        classify: (error) => {
          if (signal.aborted || !(error instanceof GraphError)) return { kind: 'fatal' };
          if (error.statusCode === 429) {
            const waitMs = retryAfterMs(error.headers?.get('retry-after')) ?? this.policy.baseDelayMs;
            return { kind: 'rate-limit', waitMs };
          }
          // -1: no HTTP answer (the SDK's code for a failed fetch).
          if (error.statusCode >= 500 || error.statusCode === -1) return { kind: 'transient' };
          return { kind: 'fatal' };
        },
        signal,
        policy: this.policy,
        log: this.options.log,
        what: `${this.options.source} ${what}`,
      },
    );
  }

  /**
   * A SourceError for a failure that `get`, `post` or `patch` threw, never carrying a token or a query string. `forbidden` says which
   * permission a 403 means for this request.
   */
  toSourceError(error: unknown, what: string, forbidden?: string): SourceError {
    const { source, graphUrl } = this.options;
    if (error instanceof SourceError) return error;
    const secrets = [this.tokens.current()];
    if (!(error instanceof GraphError)) {
      return new SourceError(
        source,
        redact(`${what}: ${error instanceof Error ? error.message : String(error)}`, secrets),
      );
    }
    const status = error.statusCode;
    if (status === -1) {
      return new SourceError(
        source,
        redact(`${what}: cannot reach ${graphUrl}: ${networkReason(error)}`, secrets),
        'network',
      );
    }
    const failure = describeGraphFailure(error);
    let message: string;
    let kind: SourceError['kind'];
    if (status === 401) {
      [message, kind] = [`${what}: ${failure} (even with a freshly issued token)`, 'auth'];
    } else if (status === 403) {
      [message, kind] = [`${what}: ${forbidden ? `${forbidden} — ` : ''}${failure}`, 'auth'];
    } else if (status === 429) {
      [message, kind] = [
        `${what}: ${failure} (still throttled after ${this.policy.rateLimitRetries} waits)`,
        'rate-limit',
      ];
    } else if (status >= 500) {
      [message, kind] = [`${what}: ${failure} (after ${this.policy.serverRetries} retries)`, 'server'];
    } else {
      [message, kind] = [`${what}: ${failure}`, 'data'];
    }
    return new SourceError(source, redact(message, secrets), kind);
  }
}

/**
 * The token provider and SDK client for one Entra source, shared by its collector and its remediator. Both URLs must
 * be https: the SDK sends the token only over https (over http it silently drops it, and paging breaks), and the
 * client secret must never cross the network in clear. Throws a 'config' SourceError otherwise.
 */
export async function openGraphSession(
  config: EntraSourceConfig,
  deps: CollectorDeps,
  log: Logger,
): Promise<GraphSession> {
  const { name, graphUrl, authorityUrl } = config;
  for (const [field, url] of [
    ['graphUrl', graphUrl],
    ['authorityUrl', authorityUrl],
  ] as const) {
    if (new URL(url).protocol !== 'https:') {
      throw new SourceError(name, `${field} must be an https URL (got ${url})`, 'config');
    }
  }
  const http = await httpOptionsFor(name, deps.caCertificate);
  const tokens = new ClientCredentialsTokenProvider({
    source: name,
    authorityUrl,
    tenantId: config.tenantId,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    graphUrl,
    http,
    retryPolicy: deps.retryPolicy,
    log,
  });
  return new GraphSession({ source: name, graphUrl, tokens, http, retryPolicy: deps.retryPolicy, log });
}

/** "HTTP 403 Authorization_RequestDenied: Insufficient privileges to complete the operation." */
export function describeGraphFailure(error: GraphError): string {
  const code = error.code && error.code !== 'TypeError' ? ` ${error.code}` : '';
  const message = typeof error.message === 'string' && error.message !== '' ? `: ${error.message}` : '';
  return `HTTP ${error.statusCode}${code}${message}`;
}

export function isGraphError(error: unknown, status: number, codes?: readonly string[]): error is GraphError {
  return (
    error instanceof GraphError &&
    error.statusCode === status &&
    (codes === undefined || (error.code !== null && codes.includes(error.code)))
  );
}
