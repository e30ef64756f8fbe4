import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { admin_directory_v1, admin_reports_v1 } from '@googleapis/admin';
import type { JWT } from 'google-auth-library';
import { GOOGLE_SCOPES, serviceAccountKeyProblem, type GoogleSourceConfig } from '../../src/config/config.js';
import { SourceError } from '../../src/contract/errors.js';
import type { Logger } from '../../src/common/logger.js';
import { withRetry, type FailureClass, type RetryPolicy } from '../../src/common/retry.js';

/**
 * The Admin SDK Directory client for one google source: a service account key, a JWT client per scope set
 * impersonating `subject` (domain-wide delegation), and the one retry and error vocabulary its calls share.
 *
 * google-auth-library 10.9.1 posts every token request to https://oauth2.googleapis.com/token (and signs that URL
 * as the JWT audience, which is what Google checks); `tokenUrl` is honoured by rewriting the request's URL in the
 * JWT client's transporter, leaving the audience alone. The Directory client keeps only the path of each method's
 * URL and puts it under `apiUrl`.
 */

/** The Google's own token endpoint, which the auth library hard-codes. */
const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
/** Google gives no Retry-After on quota errors: these are waited out with exponential backoff. */
const QUOTA_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'quotaExceeded']);

export type GoogleScope = keyof typeof GOOGLE_SCOPES;

export interface ServiceAccountKey {
  clientEmail: string;
  /** The numeric OAuth client id the Admin console authorises for domain-wide delegation. */
  clientId: string | null;
  privateKey: string;
}

const KEY_HELP =
  'create a JSON key for the service account (Google Cloud console > IAM & Admin > Service accounts > Keys > Add key > JSON)';

/** Reads and checks the key. Messages name the file, never its content. */
export function loadServiceAccountKey(config: GoogleSourceConfig): ServiceAccountKey {
  const fail = (message: string) => new SourceError(config.name, message, 'config');
  let text: string;
  const where = config.keyFile ? `key file ${config.keyFile}` : 'key (from the environment)';
  if (config.keyFile) {
    try {
      text = readFileSync(config.keyFile, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why =
        code === 'ENOENT'
          ? 'does not exist'
          : code === 'EISDIR'
            ? 'is a directory'
            : code === 'EACCES'
              ? 'is not readable by this user'
              : `cannot be read (${code ?? 'error'})`;
      throw fail(`${where} ${why}: ${KEY_HELP}, and point keyFile at it`);
    }
  } else {
    text = config.key ?? '';
  }
  const problem = serviceAccountKeyProblem(text);
  if (problem) throw fail(`${where}: ${problem}`);
  const parsed = JSON.parse(text) as Record<string, unknown>;
  const privateKey = String(parsed.private_key);
  try {
    createPrivateKey(privateKey);
  } catch {
    throw fail(`${where}: its private_key is not a PEM private key: ${KEY_HELP}`);
  }
  return {
    clientEmail: String(parsed.client_email),
    clientId: typeof parsed.client_id === 'string' && parsed.client_id ? parsed.client_id : null,
    privateKey,
  };
}

/** The Admin console steps that fix a delegation problem, naming the client id and the scopes. */
export function delegationFix(key: ServiceAccountKey | null, scopes: readonly GoogleScope[]): string {
  const client = key?.clientId ? `client ID ${key.clientId}` : "the service account's client ID";
  return (
    'as a super admin, in the Google Admin console open Security > Access and data control > API controls > ' +
    `Domain-wide delegation > Add new (or edit), enter ${client} and authorise the OAuth scopes ` +
    `${scopes.map((scope) => GOOGLE_SCOPES[scope]).join(',')}`
  );
}

export const SUBJECT_FIX =
  '`subject` must be a Google Workspace admin: a super admin, or an admin role with the Users privileges ' +
  '(Read to scan; Update and Security settings to act) — Admin console > Account > Admin roles';

export interface DirectorySession {
  key: ServiceAccountKey;
  /** The Directory client whose token carries these scopes. */
  directory(scopes: readonly GoogleScope[]): admin_directory_v1.Admin;
  /** The Reports client whose token carries these scopes. */
  reports(scopes: readonly GoogleScope[]): admin_reports_v1.Admin;
  /** Fetches (or reuses) the access token for these scopes: proves delegation works for them. */
  authorise(scopes: readonly GoogleScope[]): Promise<void>;
  /** Customer or domain for users.list. */
  scope: { customer: string } | { domain: string };
  /** One call with the source's retry policy (quota backoff, 5xx, network), as a SourceError when it fails. */
  call<T>(what: string, scopes: readonly GoogleScope[], operation: () => Promise<T>): Promise<T>;
  toSourceError(error: unknown, what: string, scopes: readonly GoogleScope[]): SourceError;
}

export interface SessionOptions {
  signal: AbortSignal;
  log?: Logger;
  retryPolicy?: Partial<RetryPolicy>;
}

/** JWT and Directory clients per scope set, each caching its own access token: share one across calls. */
export interface DirectoryClients {
  key: ServiceAccountKey;
  clientFor(scopes: readonly GoogleScope[]): {
    jwt: JWT;
    directory: admin_directory_v1.Admin;
    reports: admin_reports_v1.Admin;
  };
}

type GoogleSdk = { admin: typeof import('@googleapis/admin').admin; JWT: typeof JWT };
let sdk: Promise<GoogleSdk> | null = null;

/**
 * The SDK is loaded on first use: the generated Directory client and the auth library take most of a second to
 * import, which every CLI command would otherwise pay whether or not a google source is configured.
 */
function loadGoogleSdk(): Promise<GoogleSdk> {
  sdk ??= Promise.all([import('@googleapis/admin'), import('google-auth-library')]).then(([adminModule, auth]) => ({
    admin: adminModule.admin,
    JWT: auth.JWT,
  }));
  return sdk;
}

/** Loads the key (throws a SourceError naming the fix) and prepares clients, made on first use per scope set. */
export async function createDirectoryClients(config: GoogleSourceConfig): Promise<DirectoryClients> {
  const key = loadServiceAccountKey(config);
  const { admin, JWT } = await loadGoogleSdk();
  const clients = new Map<string, { jwt: JWT; directory: admin_directory_v1.Admin; reports: admin_reports_v1.Admin }>();
  const timeout = config.timeoutSeconds * 1000;
  const clientFor = (scopes: readonly GoogleScope[]) => {
    const id = [...scopes].sort().join(' ');
    let entry = clients.get(id);
    if (!entry) {
      const jwt = new JWT({
        email: key.clientEmail,
        key: key.privateKey,
        scopes: scopes.map((scope) => GOOGLE_SCOPES[scope]),
        subject: config.subject,
        transporterOptions: { timeout },
      });
      if (config.tokenUrl !== GOOGLE_TOKEN_URL) {
        jwt.transporter.interceptors.request.add({
          resolved: (request) => {
            if (String(request.url) === GOOGLE_TOKEN_URL) request.url = new URL(config.tokenUrl);
            return Promise.resolve(request);
          },
        });
      }
      // Retries are ours (withRetry): the client's own would multiply them and ignore 403 quota errors.
      const directory = admin({
        version: 'directory_v1',
        // googleapis-common nests its own older google-auth-library; the client only calls auth.request(), which
        // our 10.9.1 JWT provides through the transporter that carries the tokenUrl rewrite.
        auth: jwt as unknown as admin_directory_v1.Options['auth'],
        rootUrl: config.apiUrl,
        retry: false,
        timeout,
      });
      const reports = admin({
        version: 'reports_v1',
        auth: jwt as unknown as admin_reports_v1.Options['auth'],
        rootUrl: config.apiUrl,
        retry: false,
        timeout,
      });
      entry = { jwt, directory, reports };
      clients.set(id, entry);
    }
    return entry;
  };
  return { key, clientFor };
}

export async function openDirectorySession(
  config: GoogleSourceConfig,
  options: SessionOptions,
  shared?: DirectoryClients,
): Promise<DirectorySession> {
  const { key, clientFor } = shared ?? (await createDirectoryClients(config));

  const toSourceError = (error: unknown, what: string, scopes: readonly GoogleScope[]): SourceError =>
    describeFailure(config, key, error, what, scopes);

  return {
    key,
    scope: config.domain ? { domain: config.domain } : { customer: config.customer ?? 'my_customer' },
    directory: (scopes) => clientFor(scopes).directory,
    reports: (scopes) => clientFor(scopes).reports,
    async authorise(scopes) {
      const { jwt } = clientFor(scopes);
      try {
        await retrying(() => jwt.getAccessToken(), `${config.name} token`, options);
      } catch (error) {
        if (options.signal.aborted) throw error;
        throw toSourceError(error, 'token', scopes);
      }
    },
    async call(what, scopes, operation) {
      try {
        return await retrying(operation, `google ${config.name} ${what}`, options);
      } catch (error) {
        if (options.signal.aborted) throw error;
        throw toSourceError(error, what, scopes);
      }
    },
    toSourceError,
  };
}

function retrying<T>(operation: () => Promise<T>, what: string, options: SessionOptions): Promise<T> {
  let quotaHits = 0;
  const policy = options.retryPolicy ?? {};
  const base = policy.baseDelayMs ?? 500;
  const max = policy.maxDelayMs ?? 60_000;
  return withRetry(operation, {
    what,
    signal: options.signal,
    policy,
    log: options.log,
    classify(error): FailureClass {
      const failure = classifyGoogleError(error);
      if (failure === 'quota') {
        // Truncated exponential backoff with jitter, as Google's limits page asks for.
        const backoff = Math.min(base * 2 ** quotaHits++, max);
        return { kind: 'rate-limit', waitMs: backoff + Math.random() * Math.min(backoff, 1000) };
      }
      return { kind: failure };
    },
  });
}

export interface GoogleErrorFacts {
  status: number | null;
  /** Google's error reason (`userRateLimitExceeded`, `forbidden`, `notFound`) or the OAuth error code. */
  reason: string | null;
  message: string;
  /** True when the token endpoint answered. */
  token: boolean;
  /** A transport failure: no HTTP answer. */
  network: boolean;
}

/** What a Gaxios (or transport) error says, without any request detail (headers, body, assertion). */
export function googleErrorFacts(error: unknown): GoogleErrorFacts {
  const candidate = error as {
    status?: number;
    code?: string | number;
    message?: string;
    response?: { status?: number; data?: unknown };
  };
  const status = candidate.response?.status ?? (typeof candidate.status === 'number' ? candidate.status : null);
  const data = candidate.response?.data as
    { error?: string | { message?: string; errors?: { reason?: string }[] }; error_description?: string } | undefined;
  if (data && typeof data.error === 'string') {
    return {
      status,
      reason: data.error,
      message: `${data.error}${data.error_description ? `: ${data.error_description}` : ''}`,
      token: true,
      network: false,
    };
  }
  if (data && typeof data.error === 'object' && data.error) {
    return {
      status,
      reason: data.error.errors?.[0]?.reason ?? null,
      message: data.error.message ?? `HTTP ${status}`,
      token: false,
      network: false,
    };
  }
  if (status !== null) return { status, reason: null, message: `HTTP ${status}`, token: false, network: false };
  const code = typeof candidate.code === 'string' ? candidate.code : null;
  const text = error instanceof Error ? error.message : String(error);
  return { status: null, reason: code, message: code ?? text, token: false, network: true };
}

export function classifyGoogleError(error: unknown): 'quota' | 'transient' | 'fatal' {
  const facts = googleErrorFacts(error);
  if (facts.network) return facts.reason === 'ERR_INVALID_URL' ? 'fatal' : 'transient';
  if (facts.status === 429) return 'quota';
  if (facts.status === 403 && facts.reason !== null && QUOTA_REASONS.has(facts.reason)) return 'quota';
  if (facts.status !== null && facts.status >= 500) return 'transient';
  return 'fatal';
}

/** A failed Google call, with what Google said (status, reason) but none of the request. */
export class GoogleSourceError extends SourceError {
  constructor(
    source: string,
    message: string,
    kind: SourceError['kind'],
    readonly facts: GoogleErrorFacts,
  ) {
    super(source, message, kind);
  }
}

/** Status and reason of a failure, whether still raw or already a GoogleSourceError. */
export function factsOf(error: unknown): GoogleErrorFacts {
  return error instanceof GoogleSourceError ? error.facts : googleErrorFacts(error);
}

/** The one place a failed call becomes a SourceError with the exact fix. */
function describeFailure(
  config: GoogleSourceConfig,
  key: ServiceAccountKey,
  error: unknown,
  what: string,
  scopes: readonly GoogleScope[],
): SourceError {
  if (error instanceof SourceError) return error;
  const facts = googleErrorFacts(error);
  const fail = (message: string, kind: SourceError['kind']) =>
    new GoogleSourceError(config.name, redactKey(`${what}: ${message}`, key), kind, facts);
  if (facts.network) {
    const url = what === 'token' ? config.tokenUrl : config.apiUrl;
    return fail(`no answer from ${url} (${facts.message})`, 'network');
  }
  if (facts.token) {
    if (facts.reason === 'unauthorized_client') {
      return fail(
        `${facts.message}: domain-wide delegation is not set up for these scopes; ${delegationFix(key, scopes)}`,
        'auth',
      );
    }
    if (facts.reason === 'invalid_grant' && /email or user id/i.test(facts.message)) {
      return fail(
        `${facts.message}: subject ${config.subject} is not a user of the Google Workspace account; ${SUBJECT_FIX}`,
        'auth',
      );
    }
    if (facts.reason === 'invalid_grant' || facts.reason === 'invalid_client') {
      return fail(
        `${facts.message}: the service account key was refused (deleted or disabled key, or another project's key); ${KEY_HELP}`,
        'auth',
      );
    }
    return fail(`token endpoint: ${facts.message}`, facts.status !== null && facts.status >= 500 ? 'server' : 'auth');
  }
  const described = `HTTP ${facts.status}${facts.reason ? ` ${facts.reason}` : ''}: ${facts.message}`;
  if (classifyGoogleError(error) === 'quota') {
    return fail(
      `${described}: still over the Admin SDK quota after backing off (raise "Queries per minute per user" on the Admin SDK API quotas page of the Google Cloud project, or scan less often)`,
      'rate-limit',
    );
  }
  if (facts.status === 401) return fail(`${described}: the access token was refused`, 'auth');
  if (facts.status === 403 && facts.reason === 'insufficientPermissions') {
    return fail(`${described}; ${delegationFix(key, scopes)}`, 'auth');
  }
  if (facts.status === 403 && what !== 'users.list') return fail(`${described}: ${SUBJECT_FIX}`, 'auth');
  if (facts.status === 403) {
    const target =
      'domain' in scopeOf(config) ? `domain ${config.domain}` : `customer ${config.customer ?? 'my_customer'}`;
    return fail(
      `${described}: ${SUBJECT_FIX}; and ${target} must belong to the subject's Google Workspace account ` +
        '(customer: my_customer or the id under Admin console > Account > Account settings; domain: one of its domains)',
      'auth',
    );
  }
  if (facts.status === 404) return fail(`${described} from ${config.apiUrl}: is apiUrl the Admin SDK root?`, 'config');
  if (facts.status === 400) return fail(described, 'config');
  return fail(described, facts.status !== null && facts.status >= 500 ? 'server' : 'data');
}

function scopeOf(config: GoogleSourceConfig): { customer: string } | { domain: string } {
  return config.domain ? { domain: config.domain } : { customer: config.customer ?? 'my_customer' };
}

/** Belt and braces: nothing from the key ever leaves in a message. */
export function redactKey(text: string, key: ServiceAccountKey): string {
  let result = text.split(key.privateKey).join('[redacted]');
  for (const line of key.privateKey.split('\n')) if (line.length > 40) result = result.split(line).join('[redacted]');
  return result;
}
