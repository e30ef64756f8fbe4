import { createAppAuth } from '@octokit/auth-app';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import { setTimeout as sleep } from 'node:timers/promises';
import type { GitHubSourceConfig } from '../../src/config/config.js';
import type { CollectorDeps } from '../../src/contract/collector.js';
import { SourceError } from '../../src/contract/errors.js';
import type { Logger } from '../../src/common/logger.js';
import { DEFAULT_RETRY_POLICY } from '../../src/common/retry.js';

/**
 * The one way zombiescan talks to GitHub: Octokit (REST + GraphQL) with the throttling plugin (primary limits waited
 * out until `x-ratelimit-reset`, secondary limits for their `retry-after`, GraphQL and writes paced at 1 s) and the
 * retry plugin (5xx and network errors, 3 times with growing waits). Every failure after that becomes a SourceError
 * naming what was asked and what GitHub said, never the token.
 */

export const GitHubOctokit = Octokit.plugin(throttling, retry);
export type GitHubClient = InstanceType<typeof GitHubOctokit>;

/** GitHub caps every REST page at 100 and every GraphQL connection at first: 100. */
export const PAGE_SIZE = 100;

/** The retry plugin's list plus 429: rate limits belong to the throttling plugin alone, which bounds its retries. */
const DO_NOT_RETRY = [400, 401, 403, 404, 410, 422, 429, 451];
/** GitHub: after a secondary limit, wait, back off, and give up after a few tries (hammering risks a ban). */
const SECONDARY_LIMIT_RETRIES = 3;

export interface ConnectOptions {
  /** Cancels requests in flight (the scan's timeout or abort). */
  signal: AbortSignal;
  /** Wall-clock moment after which waiting for a rate-limit reset is pointless (the source's timeout). */
  deadline: number;
  log?: Logger;
}

/** What the throttling plugin last refused to wait for: turns the bare 403 into a sentence. */
export interface RateLimitState {
  refused: string | null;
}

export interface GitHubConnection {
  octokit: GitHubClient;
  rateLimit: RateLimitState;
  config: GitHubSourceConfig;
}

/**
 * Stands in for the plugin's Bottleneck pacing groups (`write`, `notifications`) when a test scales waits down:
 * jobs run one after another, `minTime` apart. Production never uses it: the plugin keeps its own groups.
 */
class ScaledPacer {
  private nextStart = 0;
  private chain: Promise<unknown> = Promise.resolve();
  constructor(private readonly minTimeMs: number) {}

  key(): ScaledPacer {
    return this;
  }

  schedule<T>(_options: unknown, job: (...args: unknown[]) => Promise<T>, ...args: unknown[]): Promise<T> {
    const turn = this.chain.then(async () => {
      const wait = this.nextStart - Date.now();
      if (wait > 0) await sleep(wait);
      this.nextStart = Date.now() + this.minTimeMs;
    });
    this.chain = turn.catch(() => {});
    return turn.then(() => job(...args));
  }
}

const scaledPacers = new Map<number, { write: ScaledPacer; notifications: ScaledPacer }>();

/** The plugin paces GraphQL and writes 1 s apart, notification-sending writes 3 s apart; a test scales both. */
function scaledPacing(scale: number) {
  let pacers = scaledPacers.get(scale);
  if (!pacers) {
    pacers = { write: new ScaledPacer(1000 * scale), notifications: new ScaledPacer(3000 * scale) };
    scaledPacers.set(scale, pacers);
  }
  return pacers;
}

export function connectGitHub(
  config: GitHubSourceConfig,
  deps: CollectorDeps,
  options: ConnectOptions,
): GitHubConnection {
  const scale = deps.waitScale ?? 1;
  const policy = { ...DEFAULT_RETRY_POLICY, ...deps.retryPolicy };
  const rateLimit: RateLimitState = { refused: null };
  const log = options.log;
  const describeRequest = (request: { method?: string; url?: string }) =>
    `${request.method ?? 'GET'} ${(request.url ?? '').replace(/\?.*$/, '')}`;

  const auth = config.app
    ? {
        authStrategy: createAppAuth,
        auth: {
          appId: config.app.appId,
          privateKey: config.app.privateKey,
          installationId: config.app.installationId,
        },
      }
    : { auth: config.token };

  const octokit = new GitHubOctokit({
    ...auth,
    baseUrl: config.apiUrl.replace(/\/+$/, ''),
    userAgent: 'zombiescan',
    request: { signal: options.signal },
    // Octokit's own warnings (deprecations) go to our logger at debug; errors reach us as exceptions.
    log: {
      debug: () => {},
      info: () => {},
      warn: (message: string) => log?.debug(`${config.name}: octokit: ${message}`),
      error: (message: string) => log?.debug(`${config.name}: octokit: ${message}`),
    },
    throttle: {
      id: `zombiescan:${config.name}`,
      retryAfterBaseValue: 1000 * scale,
      // Duck-typed stand-ins for Bottleneck groups (only `key().schedule()` is used by the plugin).
      ...(scale === 1 ? {} : (scaledPacing(scale) as object)),
      onRateLimit: (
        retryAfter: number,
        request: { method?: string; url?: string },
        _octokit: unknown,
        count: number,
      ) => {
        const waitMs = retryAfter * 1000 * scale;
        const resetAt = new Date(Date.now() + retryAfter * 1000).toISOString();
        if (count >= policy.rateLimitRetries) {
          rateLimit.refused = `primary rate limit still exhausted after ${count} waits (resets ${resetAt})`;
          return false;
        }
        if (Date.now() + waitMs > options.deadline) {
          rateLimit.refused =
            `primary rate limit exhausted (x-ratelimit-remaining 0) until ${resetAt}, after this source's ` +
            `timeoutSeconds (${config.timeoutSeconds}s): try later, or use a GitHub App (higher limit)`;
          return false;
        }
        log?.info(`${config.name}: ${describeRequest(request)}: primary rate limit, waiting ${retryAfter}s`);
        return true;
      },
      onSecondaryRateLimit: (
        retryAfter: number,
        request: { method?: string; url?: string },
        _octokit: unknown,
        count: number,
      ) => {
        if (count >= SECONDARY_LIMIT_RETRIES || Date.now() + retryAfter * 1000 * scale > options.deadline) {
          rateLimit.refused = `secondary rate limit hit ${count + 1} times (retry-after ${retryAfter}s); gave up`;
          return false;
        }
        log?.warn(`${config.name}: ${describeRequest(request)}: secondary rate limit, waiting ${retryAfter}s`);
        return true;
      },
    },
    retry: { retries: policy.serverRetries, doNotRetry: DO_NOT_RETRY, retryAfterBaseValue: 1000 * scale },
  });
  return { octokit, rateLimit, config };
}

/** The HTTP status of an Octokit RequestError, or null for anything else. */
export function statusOf(error: unknown): number | null {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : null;
}

export function headerOf(error: unknown, name: string): string | null {
  const headers = (error as { response?: { headers?: Record<string, unknown> } } | null)?.response?.headers;
  const value = headers?.[name];
  return value === undefined || value === null ? null : String(value);
}

/** GitHub's own words ("Bad credentials"), without Octokit's " - https://docs.github.com/…" tail. */
export function gitHubMessage(error: unknown): string {
  const data = (error as { response?: { data?: unknown } } | null)?.response?.data;
  const message =
    data && typeof data === 'object' && typeof (data as { message?: unknown }).message === 'string'
      ? (data as { message: string }).message
      : error instanceof Error
        ? error.message
        : String(error);
  return message.replace(/ - https:\/\/docs\.github\.com\S*$/, '');
}

export function isRateLimited(error: unknown): boolean {
  const status = statusOf(error);
  if (status !== 403 && status !== 429) return false;
  return headerOf(error, 'x-ratelimit-remaining') === '0' || /\bsecondary rate\b/i.test(gitHubMessage(error));
}

/** How the token or App lacks access, for messages. */
export function permissionHint(config: GitHubSourceConfig, write = false): string {
  if (config.app) {
    return write
      ? 'the GitHub App needs the organization permission Members: read and write'
      : 'the GitHub App needs the organization permission Members: read, and must be installed on the org';
  }
  return write
    ? "a classic token needs admin:org and an organization owner's account (fine-grained: Members read and write)"
    : "a classic token needs read:org and an organization owner's account (fine-grained: Members read); " +
        'on an org with SAML SSO the token must also be authorized for SSO';
}

/**
 * A failure after the plugins' retries as a SourceError. `what` names the call ("GET /orgs/acme/members").
 * `signals` tell a timeout (the source's deadline) from the caller's own abort.
 */
export function toSourceError(
  connection: GitHubConnection,
  what: string,
  error: unknown,
  deadline?: { signal: AbortSignal; seconds: number },
): SourceError {
  const { config } = connection;
  if (error instanceof SourceError) return error;
  if (deadline?.signal.aborted) {
    return new SourceError(config.name, `${what}: gave up after ${deadline.seconds}s (timeoutSeconds)`, 'timeout');
  }
  const status = statusOf(error);
  const message = gitHubMessage(error);
  if (isRateLimited(error)) {
    const why = connection.rateLimit.refused ?? `rate limited (HTTP ${status}): ${message}`;
    return new SourceError(config.name, `${what}: ${why}`, 'rate-limit');
  }
  if (status === 401) {
    const who = config.app ? 'the GitHub App credentials were refused' : 'the token is not valid (expired or revoked)';
    return new SourceError(config.name, `${what}: HTTP 401 ${message}: ${who}`, 'auth');
  }
  if (status === 403) {
    return new SourceError(config.name, `${what}: HTTP 403 ${message}: ${permissionHint(config)}`, 'auth');
  }
  if (status === 404) {
    // GitHub answers 404, not 403, for an org the caller may not see.
    return new SourceError(
      config.name,
      `${what}: HTTP 404: organization "${config.org}" not found, or the credentials cannot see it`,
      'config',
    );
  }
  // @octokit/request reports a failed fetch (DNS, refused connection, TLS) as status 500 without a response.
  const answered = (error as { response?: unknown } | null)?.response !== undefined;
  if (status === null || !answered) {
    return new SourceError(config.name, `${what}: cannot reach ${config.apiUrl}: ${message}`, 'network');
  }
  if (status >= 500) {
    return new SourceError(config.name, `${what}: HTTP ${status} from GitHub after retries: ${message}`, 'server');
  }
  return new SourceError(config.name, `${what}: HTTP ${status}: ${message}`, 'server');
}
