import { describeUrl } from '../common/url.js';
import { createHash } from 'node:crypto';
import type { Config } from '../config/config.js';
import { SourceError } from '../contract/errors.js';
import { Redactor, type Logger } from '../common/logger.js';
import type { Finding, Person } from '../contract/model.js';
import { DEFAULT_RETRY_POLICY, retryAfterMs, withRetry, type FailureClass, type RetryPolicy } from '../common/retry.js';
import { findingToJson } from '../contract/finding-json.js';
import type { Fallback } from './policy.js';

/**
 * Where `ticket` actions go: Jira Cloud (REST v3 create issue, basic auth with an API token, ADF description) or a
 * generic JSON webhook. One ticket per finding: Jira issues carry a stable `zombiescan-<findingId>` label, so an
 * interrupted run can find the issue it may have created; a webhook gets an `Idempotency-Key` so its receiver can
 * drop a repeat.
 */

export type TicketsConfig = NonNullable<Config['tickets']>;

export interface TicketRequest {
  /** Stable Jira label for this finding (letters, digits, `-`): how an existing issue is found again. */
  label: string;
  /** Sent as the webhook's Idempotency-Key: the same finding always sends the same key. */
  idempotencyKey: string;
  summary: string;
  /** Paragraphs of the description. */
  description: string[];
  /** The webhook body. */
  payload: Record<string, unknown>;
}

export interface OpenedTicket {
  key: string;
  url: string | null;
}

export interface TicketClient {
  readonly kind: 'jira' | 'webhook';
  /** Whether `find` can tell that a ticket was already opened (Jira can be searched; a webhook cannot be asked). */
  readonly searchable: boolean;
  /** The ticket already opened under this label, or null. */
  find(label: string, signal: AbortSignal): Promise<OpenedTicket | null>;
  open(request: TicketRequest, signal: AbortSignal): Promise<OpenedTicket>;
}

export interface TicketClientDeps {
  retryPolicy?: Partial<RetryPolicy>;
  log?: Logger;
  /** Clock for Retry-After dates. */
  now?: () => number;
}

/** A ticket call that failed for good; `status` is the HTTP status, or null when nothing answered. */
export class TicketError extends SourceError {
  constructor(
    system: 'jira' | 'webhook',
    message: string,
    kind: SourceError['kind'],
    readonly status: number | null,
  ) {
    super(system, message, kind);
  }
}

export function createTicketClient(config: TicketsConfig, deps: TicketClientDeps = {}): TicketClient {
  return config.type === 'jira' ? new JiraTickets(config, deps) : new WebhookTickets(config, deps);
}

/** The label that ties a Jira issue to one finding, across runs. */
export function findingLabel(findingId: number): string {
  return `zombiescan-${findingId}`;
}

/**
 * The finding's own key (rule, source, account id — the credential id for a credential finding, whose accountId is
 * its owner, shared by the owner's other credentials), as the webhook's Idempotency-Key.
 */
export function findingIdempotencyKey(
  finding: Pick<Finding, 'rule' | 'source' | 'accountId'> & { credentialId?: string | null },
): string {
  const key = finding.credentialId ?? finding.accountId;
  return ['zombiescan', finding.rule, finding.source, key].map(encodeURIComponent).join(':');
}

export function ticketForFinding(finding: Finding, fallbacks: readonly Fallback[]): TicketRequest {
  const account = finding.email ?? finding.login ?? finding.accountId;
  const credential = finding.credentialId
    ? `${finding.credential?.kind ?? 'credential'} ${finding.credential?.name ?? finding.credentialId}`
    : null;
  const subject = credential ?? account;
  const description = [
    finding.message,
    credential
      ? `Finding ${finding.id}: rule ${finding.rule}, severity ${finding.severity}, source ${finding.source}, ` +
        `${credential} (id ${finding.credentialId}), owner account ${account || 'none'}, owner ` +
        `${finding.personId ?? 'none'}, first seen ${finding.firstSeen}.`
      : `Finding ${finding.id}: rule ${finding.rule}, severity ${finding.severity}, source ${finding.source}, ` +
        `account ${account} (id ${finding.accountId}), owner ${finding.personId ?? 'none'}, first seen ${finding.firstSeen}.`,
    ...fallbacks.map(
      (fallback) =>
        `zombiescan could not ${fallback.action === 'revoke-credential' ? 'revoke this credential' : `${fallback.action} this account`} ` +
        `itself: ${fallback.reason}. Please do it by hand.`,
    ),
    `Opened by zombiescan. Close this ticket once the ${credential ? 'credential' : 'account'} is dealt with; the next ` +
      'scan resolves the finding.',
  ];
  return {
    label: findingLabel(finding.id),
    idempotencyKey: findingIdempotencyKey(finding),
    summary: `[zombiescan] ${finding.rule}: ${subject} in ${finding.source}`,
    description,
    payload: {
      ...findingToJson(finding),
      requestedActions: fallbacks.map((fallback) => ({ action: fallback.action, reason: fallback.reason })),
    },
  };
}

/** A ticket for one account of a person being offboarded: there may be no finding to hang it on. */
export function ticketForOffboarding(
  person: Pick<Person, 'employeeId' | 'email' | 'name'>,
  account: { source: string; id: string; login: string | null; email: string | null },
  fallbacks: readonly Fallback[],
  why: string | null,
): TicketRequest {
  const label = `zombiescan-offboard-${createHash('sha256')
    .update([person.employeeId, account.source, account.id].join('\u0000'))
    .digest('hex')
    .slice(0, 16)}`;
  const shown = account.email ?? account.login ?? account.id;
  const who = `${person.name ? `${person.name} ` : ''}${person.email} (${person.employeeId})`;
  return {
    label,
    idempotencyKey: ['zombiescan', 'offboard', person.employeeId, account.source, account.id]
      .map(encodeURIComponent)
      .join(':'),
    summary: `[zombiescan] offboarding ${person.employeeId}: disable ${shown} in ${account.source}`,
    description: [
      `${who} is being offboarded${why ? `: ${why}` : ''}.`,
      `Their ${account.source} account ${shown} (id ${account.id}) must be disabled by hand:`,
      ...fallbacks.map((fallback) => `zombiescan could not ${fallback.action} it: ${fallback.reason}.`),
      'Opened by zombiescan offboard. The termination report lists this account as unverified until a scan sees it disabled.',
    ],
    payload: {
      kind: 'offboarding',
      person: { employeeId: person.employeeId, email: person.email, name: person.name },
      account: { source: account.source, accountId: account.id, login: account.login, email: account.email },
      reason: why,
      requestedActions: fallbacks.map((fallback) => ({ action: fallback.action, reason: fallback.reason })),
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP plumbing shared by both systems

/** An HTTP error answer, thrown inside one attempt so the retry loop can classify it. */
class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly waitMs: number | null,
  ) {
    super(`HTTP ${status}`);
  }
}

/** A 2xx answer that is not what the API documents: retrying would get the same bytes. */
class UnreadableAnswer extends Error {}

const DETAIL_MAX_CHARS = 300;
const SUMMARY_MAX_CHARS = 255;
/** Without Retry-After, wait ten backoff units: the server asked us to slow down. */
const RATE_LIMIT_FALLBACK_UNITS = 10;
const REQUEST_TIMEOUT_MS = 60_000;

abstract class HttpTickets {
  protected readonly policy: RetryPolicy;
  protected readonly now: () => number;

  constructor(
    protected readonly system: 'jira' | 'webhook',
    protected readonly redactor: Redactor,
    protected readonly deps: TicketClientDeps,
  ) {
    this.policy = { ...DEFAULT_RETRY_POLICY, ...deps.retryPolicy };
    this.now = deps.now ?? Date.now;
  }

  protected async attempt(
    url: string,
    init: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: unknown },
    signal: AbortSignal,
  ): Promise<unknown> {
    const response = await fetch(url, {
      method: init.method,
      headers: init.headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.any([signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
    });
    const text = await response.text();
    if (!response.ok) {
      const waitMs = response.status === 429 ? retryAfterMs(response.headers.get('retry-after'), this.now()) : null;
      throw new HttpFailure(response.status, text, waitMs);
    }
    if (text.trim() === '') return null;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new UnreadableAnswer(
        `the answer is not JSON (${response.headers.get('content-type') ?? 'no content type'})`,
      );
    }
  }

  protected classify(error: unknown, signal: AbortSignal): FailureClass {
    if (signal.aborted) return { kind: 'fatal' };
    if (error instanceof HttpFailure) {
      if (error.status === 429) {
        return { kind: 'rate-limit', waitMs: error.waitMs ?? this.policy.baseDelayMs * RATE_LIMIT_FALLBACK_UNITS };
      }
      return error.status >= 500 || error.status === 408 ? { kind: 'transient' } : { kind: 'fatal' };
    }
    if (error instanceof UnreadableAnswer || error instanceof TicketError) return { kind: 'fatal' };
    // fetch rejects with a TypeError for refused connections, resets, DNS and TLS failures.
    return { kind: 'transient' };
  }

  protected toError(error: unknown, what: string, describeStatus: (failure: HttpFailure) => string): unknown {
    if (error instanceof TicketError) return error;
    if (error instanceof UnreadableAnswer) {
      return new TicketError(this.system, `${what}: ${error.message}`, 'data', 200);
    }
    if (error instanceof HttpFailure) {
      const kind: SourceError['kind'] =
        error.status === 401 || error.status === 403
          ? 'auth'
          : error.status === 429
            ? 'rate-limit'
            : error.status >= 500
              ? 'server'
              : 'config';
      return new TicketError(this.system, `${what}: ${this.clean(describeStatus(error))}`, kind, error.status);
    }
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    const reason = (cause as NodeJS.ErrnoException).code ?? (cause instanceof Error ? cause.name : String(cause));
    return new TicketError(
      this.system,
      `${what}: cannot reach the ${this.system} after ${this.policy.serverRetries} retries (${this.clean(reason)})`,
      'network',
      null,
    );
  }

  /** Server text goes into stored reasons: one line, bounded, never a credential. */
  protected clean(text: string): string {
    const line = this.redactor.redact(text).replace(/\s+/g, ' ').trim();
    return line.length > DETAIL_MAX_CHARS ? `${line.slice(0, DETAIL_MAX_CHARS)}…` : line;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Jira Cloud

type JiraConfig = Extract<TicketsConfig, { type: 'jira' }>;

class JiraTickets extends HttpTickets implements TicketClient {
  readonly kind = 'jira' as const;
  readonly searchable = true;
  private readonly base: string;
  private readonly authorization: string;

  constructor(
    private readonly config: JiraConfig,
    deps: TicketClientDeps,
  ) {
    const basic = Buffer.from(`${config.email}:${config.apiToken}`).toString('base64');
    super('jira', new Redactor([config.apiToken, basic]), deps);
    this.base = config.baseUrl.replace(/\/+$/, '');
    this.authorization = `Basic ${basic}`;
  }

  async find(label: string, signal: AbortSignal): Promise<OpenedTicket | null> {
    const what = 'GET /rest/api/3/search/jql';
    try {
      return await withRetry(() => this.search(label, signal), {
        classify: (error) => this.classify(error, signal),
        signal,
        policy: this.policy,
        log: this.deps.log,
        what: `jira ${what}`,
      });
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw this.toError(error, what, (failure) => this.describe(failure));
    }
  }

  async open(request: TicketRequest, signal: AbortSignal): Promise<OpenedTicket> {
    const what = 'POST /rest/api/3/issue';
    const body = {
      fields: {
        project: { key: this.config.project },
        issuetype: { name: this.config.issueType },
        summary: truncate(request.summary.replace(/[\r\n]+/g, ' '), SUMMARY_MAX_CHARS),
        description: toAdf(request.description),
        labels: [...new Set(['zombiescan', request.label, ...this.config.labels])],
      },
    };
    // A create that failed with 5xx or a dropped connection may still have created the issue: look before retrying.
    let mayHaveCreated = false;
    try {
      return await withRetry(
        async () => {
          if (mayHaveCreated) {
            const existing = await this.search(request.label, signal);
            if (existing) return existing;
          }
          try {
            return this.created(await this.attempt(`${this.base}/rest/api/3/issue`, this.post(body), signal));
          } catch (error) {
            if (!(error instanceof HttpFailure) || error.status >= 500) mayHaveCreated = true;
            throw error;
          }
        },
        {
          classify: (error) => this.classify(error, signal),
          signal,
          policy: this.policy,
          log: this.deps.log,
          what: `jira ${what}`,
        },
      );
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw this.toError(error, what, (failure) => this.describe(failure));
    }
  }

  private async search(label: string, signal: AbortSignal): Promise<OpenedTicket | null> {
    // Jira search is eventually consistent: an issue created seconds ago may not be listed yet.
    const jql = `project = ${jqlString(this.config.project)} AND labels = ${jqlString(label)} ORDER BY created ASC`;
    const url = `${this.base}/rest/api/3/search/jql?${new URLSearchParams({ jql, fields: 'summary', maxResults: '1' })}`;
    const body = await this.attempt(url, { method: 'GET', headers: this.headers() }, signal);
    if (!isObject(body) || !Array.isArray(body.issues)) {
      throw new UnreadableAnswer('the search answer has no issues list');
    }
    const first = body.issues[0] as unknown;
    if (first === undefined) return null;
    if (!isObject(first) || typeof first.key !== 'string') throw new UnreadableAnswer('a search result has no key');
    return { key: first.key, url: this.browseUrl(first.key) };
  }

  private created(body: unknown): OpenedTicket {
    if (!isObject(body) || typeof body.key !== 'string' || body.key === '') {
      throw new UnreadableAnswer('the create answer has no issue key');
    }
    return { key: body.key, url: this.browseUrl(body.key) };
  }

  private browseUrl(key: string): string {
    return `${this.base}/browse/${encodeURIComponent(key)}`;
  }

  private headers(): Record<string, string> {
    return { Authorization: this.authorization, Accept: 'application/json' };
  }

  private post(body: unknown) {
    return {
      method: 'POST' as const,
      headers: { ...this.headers(), 'Content-Type': 'application/json' },
      body,
    };
  }

  private describe(failure: HttpFailure): string {
    const detail = jiraErrorText(failure.body);
    const suffix = detail ? `: ${detail}` : '';
    switch (failure.status) {
      case 400:
        return `HTTP 400, Jira refused the request${suffix}`;
      case 401:
        return 'HTTP 401, Jira refused tickets.email / tickets.apiToken';
      case 403:
        return `HTTP 403, the Jira user may not do this in project ${this.config.project}${suffix}`;
      case 404:
        return `HTTP 404${suffix} (check tickets.baseUrl and tickets.project)`;
      case 429:
        return `still rate limited (HTTP 429) after ${this.policy.rateLimitRetries} waits`;
      default:
        return failure.status >= 500
          ? `HTTP ${failure.status} after ${this.policy.serverRetries} retries${suffix}`
          : `HTTP ${failure.status}${suffix}`;
    }
  }
}

/** Jira's error document: `{errorMessages: [...], errors: {field: message}}`. */
function jiraErrorText(body: string): string {
  try {
    const parsed = JSON.parse(body) as unknown;
    if (!isObject(parsed)) return '';
    const messages = Array.isArray(parsed.errorMessages) ? parsed.errorMessages.map(String) : [];
    const fields = isObject(parsed.errors)
      ? Object.entries(parsed.errors).map(([field, message]) => `${field}: ${String(message)}`)
      : [];
    return [...messages, ...fields].join('; ');
  } catch {
    return '';
  }
}

/** Atlassian Document Format: one paragraph per line (ADF forbids empty text nodes). */
function toAdf(paragraphs: readonly string[]): Record<string, unknown> {
  return {
    type: 'doc',
    version: 1,
    content: paragraphs
      .filter((text) => text.trim() !== '')
      .map((text) => ({ type: 'paragraph', content: [{ type: 'text', text }] })),
  };
}

function jqlString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

// ---------------------------------------------------------------------------------------------------------------
// Generic webhook

type WebhookConfig = Extract<TicketsConfig, { type: 'webhook' }>;

class WebhookTickets extends HttpTickets implements TicketClient {
  readonly kind = 'webhook' as const;
  readonly searchable = false;

  constructor(
    private readonly config: WebhookConfig,
    deps: TicketClientDeps,
  ) {
    super('webhook', new Redactor(config.token ? [config.token] : []), deps);
  }

  async find(): Promise<OpenedTicket | null> {
    return null;
  }

  async open(request: TicketRequest, signal: AbortSignal): Promise<OpenedTicket> {
    // The path of a webhook is its secret: errors (and so the journal) name it by origin and a hash only.
    const what = `POST ${describeUrl(this.config.url)}`;
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      Accept: 'application/json',
      // Every retry (and a re-run after a crash) sends the same key, so retrying a POST is safe for the receiver.
      'Idempotency-Key': request.idempotencyKey,
    };
    if (this.config.token) headers.Authorization = `Bearer ${this.config.token}`;
    try {
      const body = await withRetry(
        () => this.attempt(this.config.url, { method: 'POST', headers, body: request.payload }, signal),
        {
          classify: (error) => this.classify(error, signal),
          signal,
          policy: this.policy,
          log: this.deps.log,
          what: `webhook ${what}`,
        },
      );
      return { key: receiverKey(body) ?? request.idempotencyKey, url: receiverUrl(body) };
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw this.toError(error, what, (failure) =>
        failure.status === 401 || failure.status === 403
          ? `HTTP ${failure.status}, the webhook refused tickets.token`
          : `HTTP ${failure.status}${failure.status >= 500 ? ` after ${this.policy.serverRetries} retries` : ''}`,
      );
    }
  }
}

/** Whatever id the receiver answers with (`key`, `ticketKey`, `id`); else the idempotency key names the ticket. */
function receiverKey(body: unknown): string | null {
  if (!isObject(body)) return null;
  for (const field of ['key', 'ticketKey', 'id']) {
    const value = body[field];
    if ((typeof value === 'string' && value !== '') || typeof value === 'number') return String(value);
  }
  return null;
}

function receiverUrl(body: unknown): string | null {
  return isObject(body) && typeof body.url === 'string' ? body.url : null;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
