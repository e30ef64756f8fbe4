import { SourceError } from '../../src/contract/errors.js';
import type { Logger } from '../../src/common/logger.js';
import {
  DEFAULT_RETRY_POLICY,
  retryAfterMs,
  withRetry,
  type FailureClass,
  type RetryPolicy,
} from '../../src/common/retry.js';
import { networkReason, redact, type HttpOptions } from './http.js';

/**
 * OAuth 2.0 client credentials against the Microsoft identity platform:
 * POST {authority}/{tenant}/oauth2/v2.0/token with scope {graphUrl}/.default. The token is cached until shortly
 * before it expires; `invalidate()` forces a new one after Graph answers 401.
 */
export interface TokenProviderOptions {
  source: string;
  authorityUrl: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  graphUrl: string;
  http: HttpOptions;
  retryPolicy?: Partial<RetryPolicy>;
  log: Logger;
  now?: () => number;
}

/** The token endpoint answered with an error; kept internal, callers get a SourceError. */
class TokenEndpointError extends Error {
  constructor(
    readonly status: number,
    readonly oauthError: string | null,
    readonly description: string | null,
    readonly retryAfter: string | null,
  ) {
    super(`token endpoint HTTP ${status}`);
  }
}

/** Tokens are renewed this long before expiry so a request never leaves with one about to lapse. */
const EXPIRY_MARGIN_MS = 60_000;

export class ClientCredentialsTokenProvider {
  private cached: { token: string; expiresAt: number } | null = null;
  private pending: Promise<string> | null = null;
  private readonly now: () => number;

  constructor(private readonly options: TokenProviderOptions) {
    this.now = options.now ?? Date.now;
  }

  get tokenEndpoint(): string {
    return `${this.options.authorityUrl.replace(/\/+$/, '')}/${encodeURIComponent(this.options.tenantId)}/oauth2/v2.0/token`;
  }

  /** The cached token, if still valid (what the Graph SDK's auth provider hands out). */
  current(): string | null {
    return this.cached !== null && this.now() < this.cached.expiresAt ? this.cached.token : null;
  }

  invalidate(): void {
    this.cached = null;
  }

  /** A valid token; throws SourceError ('auth' for refused credentials, else network/server/rate-limit). */
  async get(signal: AbortSignal): Promise<string> {
    const token = this.current();
    if (token !== null) return token;
    this.pending ??= this.request(signal).finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  private async request(signal: AbortSignal): Promise<string> {
    const policy = { ...DEFAULT_RETRY_POLICY, ...this.options.retryPolicy };
    try {
      const { token, expiresInSeconds } = await withRetry(() => this.post(signal), {
        classify: (error) => classifyTokenFailure(error, policy, signal),
        signal,
        policy,
        log: this.options.log,
        what: `${this.options.source} token request`,
      });
      const lifetimeMs = expiresInSeconds * 1000;
      this.cached = { token, expiresAt: this.now() + Math.max(lifetimeMs - EXPIRY_MARGIN_MS, lifetimeMs / 2) };
      return token;
    } catch (error) {
      if (signal.aborted) throw error;
      throw this.toSourceError(error);
    }
  }

  private async post(signal: AbortSignal): Promise<{ token: string; expiresInSeconds: number }> {
    const { clientId, clientSecret, graphUrl } = this.options;
    const response = await fetch(this.tokenEndpoint, {
      ...this.options.http,
      method: 'POST',
      headers: { accept: 'application/json' },
      body: new URLSearchParams({
        client_id: clientId,
        client_secret: clientSecret,
        grant_type: 'client_credentials',
        scope: `${graphUrl.replace(/\/+$/, '')}/.default`,
      }),
      signal,
    } as RequestInit);
    const body = (await response.json().catch(() => null)) as Record<string, unknown> | null;
    if (!response.ok) {
      throw new TokenEndpointError(
        response.status,
        typeof body?.error === 'string' ? body.error : null,
        typeof body?.error_description === 'string' ? body.error_description : null,
        response.headers.get('retry-after'),
      );
    }
    const token = body?.access_token;
    // v2.0 sends expires_in as a number; the older v1.0 endpoint sent a string.
    const expiresInSeconds = Number(body?.expires_in);
    if (typeof token !== 'string' || token === '' || !Number.isFinite(expiresInSeconds) || expiresInSeconds <= 0) {
      throw new SourceError(this.options.source, 'the token endpoint answered without an access token', 'auth');
    }
    return { token, expiresInSeconds };
  }

  private toSourceError(error: unknown): SourceError {
    const { source, clientSecret } = this.options;
    if (error instanceof SourceError) return error;
    if (error instanceof TokenEndpointError) {
      // AAD puts the reason on the first line of error_description ("AADSTS7000215: Invalid client secret
      // provided. ..."); the rest is trace and correlation ids.
      const reason = error.description?.split(/\r?\n/)[0]?.trim() || 'no error description';
      const what = `token request refused (HTTP ${error.status}${error.oauthError ? ` ${error.oauthError}` : ''}): `;
      const kind = error.status === 429 ? 'rate-limit' : error.status >= 500 ? 'server' : 'auth';
      return new SourceError(source, redact(what + reason, [clientSecret]), kind);
    }
    return new SourceError(
      source,
      redact(`cannot reach the token endpoint ${this.tokenEndpoint}: ${networkReason(error)}`, [clientSecret]),
      'network',
    );
  }
}

function classifyTokenFailure(error: unknown, policy: RetryPolicy, signal: AbortSignal): FailureClass {
  if (signal.aborted || error instanceof SourceError) return { kind: 'fatal' };
  if (error instanceof TokenEndpointError) {
    if (error.status === 429)
      return { kind: 'rate-limit', waitMs: retryAfterMs(error.retryAfter) ?? policy.baseDelayMs };
    return error.status >= 500 ? { kind: 'transient' } : { kind: 'fatal' };
  }
  // No HTTP answer at all: connection refused, reset, TLS failure.
  return { kind: 'transient' };
}
