import { createHash, createPublicKey, generateKeyPairSync, randomBytes, verify, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback fake of Google's OAuth token endpoint and the Admin SDK Directory API (users), as much as the google
 * source uses, behaving like the real ones (discovery doc admin/directory_v1, "Using OAuth 2.0 for server to server
 * applications", Directory API limits):
 * - POST /token: the JWT-bearer grant. The assertion is verified like Google does: RS256 signature against the
 *   public half of the service account key (a fresh RSA pair made at start), `iss` = the key's client_email, `aud`
 *   = https://oauth2.googleapis.com/token (Google's own, whatever URL the request went to), `exp` in the future and
 *   at most an hour after `iat`. A bad assertion answers 400 `invalid_grant` (as Google does: "Invalid JWT
 *   Signature.", "Invalid JWT: Token must be a short-lived token..."); an unknown `sub` 400 `invalid_grant` "Invalid
 *   email or User ID"; scopes the client id is not authorised for in the Admin console (domain-wide delegation) 401
 *   `unauthorized_client`. Tokens live an hour (`expires_in` 3599).
 * - API calls: 401 `authError` "Invalid Credentials" for a missing, unknown or expired bearer token; 403
 *   `insufficientPermissions` when the token lacks the method's scope; 403 `forbidden` "Not Authorized to access
 *   this resource/api" when the impersonated subject is not an admin (or there is no subject at all), for another
 *   customer's id and for a domain the customer does not own.
 * - GET /admin/directory/v1/users: `customer` (`my_customer` or the customer id) or `domain` (one of the customer's
 *   domains; 400 when neither), `maxResults` (default 100, values above 500 served as 500, below 1 a 400),
 *   opaque `pageToken`/`nextPageToken` (bound to the query; a foreign one is a 400), `projection` basic (default:
 *   no customSchemas) | custom (customSchemas named in `customFieldMask`) | full. Suspended and archived users are
 *   listed like any other.
 * - GET /admin/directory/v1/users/{userKey} (id, primary email or alias): 404 `notFound` "Resource Not Found:
 *   userKey"; PUT and PATCH (patch semantics: `suspended`, `archived`, `orgUnitPath`; suspending sets
 *   `suspensionReason` ADMIN); POST .../{userKey}/signOut: 204, recorded. Writes need `admin.directory.user`,
 *   signOut `admin.directory.user.security`; a delegated admin (not super admin) may not modify a super admin.
 * - Third-party access (discovery doc tokens.*, asps.*; scope `admin.directory.user.security` for all): GET
 *   .../users/{userKey}/tokens -> `{kind: admin#directory#tokens, etag, items}` (no paging; `items` left out when
 *   there are none), each `{kind, etag, clientId, displayText, anonymous, nativeApp, userKey, scopes}`; GET/DELETE
 *   .../tokens/{clientId} (DELETE: 204, every token of that client is gone; 404 when there is none); GET
 *   .../users/{userKey}/asps -> `{kind: admin#directory#asps, etag, items}`, each `{kind, etag, codeId (int), name,
 *   creationTime, lastTimeUsed (int64 ms as strings; 0 = never used), userKey}`; GET/DELETE .../asps/{codeId}.
 * - Quota: `queriesPerMinute` per project answers 403 `userRateLimitExceeded` (domain usageLimits) past the limit,
 *   with no Retry-After, as Google does; injectable faults (403/429 quota reasons, 5xx, 401, dropped connections).
 * - GET /admin/reports/v1/activity/users/{userKey}/applications/{applicationName} (Reports API activities.list):
 *   scope admin.reports.audit.readonly; `userKey` all, an id or an email; applicationName `login` (other known
 *   applications have no activities here, an unknown one is a 400); `startTime`/`endTime` RFC 3339 (inclusive
 *   bounds, a bad value is a 400); `maxResults` 1..1000 (default 1000); newest first; opaque `pageToken`/
 *   `nextPageToken` bound to the query.
 * Error bodies have Google's JSON shape: `{error: {code, message, errors: [{message, domain, reason}], status}}`.
 */

export const GOOGLE_TOKEN_AUDIENCE = 'https://oauth2.googleapis.com/token';
export const GOOGLE_SCOPE = {
  read: 'https://www.googleapis.com/auth/admin.directory.user.readonly',
  act: 'https://www.googleapis.com/auth/admin.directory.user',
  security: 'https://www.googleapis.com/auth/admin.directory.user.security',
  reports: 'https://www.googleapis.com/auth/admin.reports.audit.readonly',
} as const;
const ALL_SCOPES = Object.values(GOOGLE_SCOPE);
const USERS_PATH = '/admin/directory/v1/users';
const ACTIVITIES_ROUTE = /^\/admin\/reports\/v1\/activity\/users\/([^/]+)\/applications\/([^/]+)$/;
const REPORT_APPLICATIONS = ['login', 'admin', 'drive', 'token', 'saml', 'user_accounts', 'groups', 'mobile'];
const MAX_ACTIVITIES = 1000;
const MAX_RESULTS = 500;
const DEFAULT_MAX_RESULTS = 100;
const TOKEN_LIFETIME_SECONDS = 3599;

/** Plain user data: what a demo organisation or a test says about a user. Everything else gets a default. */
export interface GoogleUserData {
  primaryEmail?: string;
  id?: string;
  givenName?: string;
  familyName?: string;
  suspended?: boolean;
  suspensionReason?: string;
  archived?: boolean;
  isAdmin?: boolean;
  isDelegatedAdmin?: boolean;
  isGuestUser?: boolean;
  /** ISO time; `1970-01-01T00:00:00.000Z` (the default) is how Google says "never". */
  lastLoginTime?: string;
  creationTime?: string;
  orgUnitPath?: string;
  /** Shorthand for `externalIds: [{type: 'organization', value}]`. */
  employeeId?: string;
  externalIds?: { type?: string; customType?: string; value?: string }[];
  aliases?: string[];
  nonEditableAliases?: string[];
  emails?: { address?: string; primary?: boolean; type?: string }[];
  customSchemas?: Record<string, Record<string, unknown>>;
}

/** A user as the Directory API returns it with projection=full. */
export type GoogleFakeUser = Record<string, unknown> & { id: string; primaryEmail?: string };

export interface GoogleFakeFault {
  /** 403, 429, 500, 503, 401...; 0 drops the connection without an answer. */
  status: number;
  /** Google's error reason, e.g. userRateLimitExceeded, rateLimitExceeded, quotaExceeded, backendError. */
  reason?: string;
  times?: number;
  /** Only calls to paths starting with this (default any API call; the token endpoint is never faulted). */
  path?: string;
  method?: string;
}

export interface GoogleFakeOptions {
  users?: GoogleUserData[];
  customerId?: string;
  /** The customer's domains; default every domain of the users' primary emails, and example.com. */
  domains?: string[];
  /** Scopes the service account's client id is authorised for (Admin console, domain-wide delegation). */
  authorizedScopes?: string[];
  /** Queries per minute before 403 userRateLimitExceeded (default: unlimited). */
  queriesPerMinute?: number;
  latencyMs?: number;
  /** Activities of the `login` application (Reports API), any order. */
  loginActivities?: GoogleLoginActivityData[];
  /** Third-party OAuth tokens per user id. */
  tokens?: Record<string, GoogleFakeToken[]>;
  /** App passwords per user id. */
  asps?: Record<string, GoogleFakeAsp[]>;
}

/** A Reports API activity as Google returns it. */
export interface GoogleLoginActivityData {
  kind: 'admin#reports#activity';
  id: { time: string; uniqueQualifier: string; applicationName: 'login'; customerId: string };
  actor: { callerType?: string; email: string; profileId: string };
  ipAddress?: string;
  events: { type: string; name: string; parameters?: { name: string; value?: string; boolValue?: boolean }[] }[];
}

/** A login activity: `login_success`, or `login_failure` with its failure type. */
export function makeLoginActivity(
  index: number,
  time: string,
  actor: { email: string; profileId: string },
  options: { name?: string; failureType?: string; ip?: string; loginType?: string } = {},
): GoogleLoginActivityData {
  const name = options.name ?? 'login_success';
  return {
    kind: 'admin#reports#activity',
    id: { time, uniqueQualifier: String(-(1e15 + index)), applicationName: 'login', customerId: 'C01fake00' },
    actor: { callerType: 'USER', ...actor },
    ipAddress: options.ip ?? '203.0.113.30',
    events: [
      {
        type: name === 'logout' ? 'logout' : 'login',
        name,
        parameters: [
          { name: 'login_type', value: options.loginType ?? 'google_password' },
          ...(name === 'login_failure'
            ? [{ name: 'login_failure_type', value: options.failureType ?? 'login_failure_invalid_password' }]
            : []),
          { name: 'is_suspicious', boolValue: false },
        ],
      },
    ],
  };
}

/** A token a user issued to a third-party app (tokens.list item, without kind/etag/userKey). */
export interface GoogleFakeToken {
  clientId: string;
  displayText: string;
  anonymous: boolean;
  nativeApp: boolean;
  scopes: string[];
}

/** An app password (asps.list item, without kind/etag/userKey). */
export interface GoogleFakeAsp {
  codeId: number;
  name: string;
  /** Epoch ms as a string, as the API sends int64. */
  creationTime: string;
  /** Epoch ms as a string; "0" = never used. */
  lastTimeUsed: string;
}

export interface GoogleFakeRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  at: number;
  /** Scopes of the access token used, for API calls. */
  scopes?: string[];
}

export interface GoogleServiceAccountKey {
  type: 'service_account';
  project_id: string;
  private_key_id: string;
  private_key: string;
  client_email: string;
  client_id: string;
  auth_uri: string;
  token_uri: string;
  auth_provider_x509_cert_url: string;
  client_x509_cert_url: string;
  universe_domain: string;
}

export interface GoogleFakeState {
  users: GoogleFakeUser[];
  /** The login application's activities; tests may push more between reads. */
  loginActivities: GoogleLoginActivityData[];
  customerId: string;
  domains: string[];
  authorizedScopes: Set<string>;
  requests: GoogleFakeRequest[];
  /** Every signOut that succeeded. */
  signOuts: { userId: string; at: number }[];
  /** Token grants: who was impersonated, with which scopes. */
  tokenGrants: { sub: string | null; scopes: string[] }[];
  /** Bugs in the fake itself, answered with a 500; tests can assert there were none. */
  serverErrors: unknown[];
  queriesPerMinute: number | null;
  tokens: Map<string, GoogleFakeToken[]>;
  asps: Map<string, GoogleFakeAsp[]>;
  inject(fault: GoogleFakeFault): void;
  user(key: string): GoogleFakeUser | undefined;
}

export interface GoogleFake {
  /** Root URL for `apiUrl`. */
  apiUrl: string;
  tokenUrl: string;
  /** A service account key whose public half the token endpoint trusts. */
  serviceAccountKey: GoogleServiceAccountKey;
  keyJson: string;
  /** The same service account with another private key: every assertion it signs is refused. */
  foreignKeyJson: string;
  state: GoogleFakeState;
  close(): Promise<void>;
}

interface AccessToken {
  sub: string | null;
  scopes: string[];
  expiresAt: number;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly domain = 'global',
  ) {
    super(message);
  }
}

const STATUS_WORDS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

/** Builds the full Directory user from plain data; `index` makes stable ids for users without one. */
export function makeGoogleUser(data: GoogleUserData, index: number, customerId = 'C01fake00'): GoogleFakeUser {
  const id = data.id ?? String(100_000_000_000_000_000_000n + BigInt(index));
  const email = data.primaryEmail;
  const local = email?.split('@')[0] ?? `user${index}`;
  const givenName = data.givenName ?? local.split('.')[0] ?? local;
  const familyName = data.familyName ?? local.split('.')[1] ?? 'User';
  const user: GoogleFakeUser = {
    kind: 'admin#directory#user',
    id,
    etag: `"etag-${id}"`,
    ...(email === undefined ? {} : { primaryEmail: email }),
    name: { givenName, familyName, fullName: `${givenName} ${familyName}` },
    isAdmin: data.isAdmin ?? false,
    isDelegatedAdmin: data.isDelegatedAdmin ?? false,
    lastLoginTime: data.lastLoginTime ?? '1970-01-01T00:00:00.000Z',
    creationTime: data.creationTime ?? '2024-01-15T09:00:00.000Z',
    agreedToTerms: (data.lastLoginTime ?? '1970') > '1970-01-02',
    suspended: data.suspended ?? false,
    archived: data.archived ?? false,
    changePasswordAtNextLogin: false,
    ipWhitelisted: false,
    emails: data.emails ?? (email === undefined ? [] : [{ address: email, primary: true }]),
    customerId,
    orgUnitPath: data.orgUnitPath ?? '/',
    isMailboxSetup: true,
    isEnrolledIn2Sv: false,
    isEnforcedIn2Sv: false,
    includeInGlobalAddressList: true,
  };
  if (user.suspended) user.suspensionReason = data.suspensionReason ?? 'ADMIN';
  if (data.isGuestUser) user.isGuestUser = true;
  const externalIds = data.externalIds ?? (data.employeeId ? [{ type: 'organization', value: data.employeeId }] : null);
  if (externalIds) user.externalIds = externalIds;
  if (data.aliases) user.aliases = data.aliases;
  if (data.nonEditableAliases) user.nonEditableAliases = data.nonEditableAliases;
  if (data.customSchemas) user.customSchemas = data.customSchemas;
  return user;
}

function makeServiceAccountKey(privateKeyPem: string, clientEmail: string, clientId: string): GoogleServiceAccountKey {
  return {
    type: 'service_account',
    project_id: 'zombiescan-test',
    private_key_id: createHash('sha1').update(privateKeyPem).digest('hex'),
    private_key: privateKeyPem,
    client_email: clientEmail,
    client_id: clientId,
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: GOOGLE_TOKEN_AUDIENCE,
    auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
    client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(clientEmail)}`,
    universe_domain: 'googleapis.com',
  };
}

/** Generated when the first fake starts, then shared by every fake of the process (2048-bit generation is slow). */
let trustedKeyPair: { privateKey: string; publicKey: KeyObject } | null = null;

function newRsaPrivateKeyPem(): { privateKey: string; publicKey: KeyObject } {
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKey: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: createPublicKey(pair.privateKey),
  };
}

export async function startFakeGoogle(options: GoogleFakeOptions = {}): Promise<GoogleFake> {
  const customerId = options.customerId ?? 'C01fake00';
  const users = (options.users ?? []).map((data, index) => makeGoogleUser(data, index, customerId));
  const domains = options.domains ?? [
    ...new Set(['example.com', ...users.map((user) => user.primaryEmail?.split('@')[1]).filter(isString)]),
  ];
  trustedKeyPair ??= newRsaPrivateKeyPem();
  const trusted = trustedKeyPair;
  const clientEmail = 'zombiescan@zombiescan-test.iam.gserviceaccount.com';
  const clientId = '109876543210987654321';
  const serviceAccountKey = makeServiceAccountKey(trusted.privateKey, clientEmail, clientId);
  let foreignKeyJson: string | null = null;

  const byKey = new Map<string, GoogleFakeUser>();
  const index = (user: GoogleFakeUser) => {
    byKey.set(user.id, user);
    for (const email of userEmails(user)) byKey.set(email.toLowerCase(), user);
  };
  users.forEach(index);

  const tokens = new Map<string, AccessToken>();
  const faults: (GoogleFakeFault & { left: number })[] = [];
  const minuteCounts = new Map<number, number>();
  const pageSecret = randomBytes(8).toString('hex');

  const state: GoogleFakeState = {
    users,
    loginActivities: [...(options.loginActivities ?? [])],
    customerId,
    domains,
    authorizedScopes: new Set(options.authorizedScopes ?? ALL_SCOPES),
    requests: [],
    signOuts: [],
    tokenGrants: [],
    serverErrors: [],
    queriesPerMinute: options.queriesPerMinute ?? null,
    tokens: new Map(Object.entries(options.tokens ?? {}).map(([id, list]) => [id, [...list]])),
    asps: new Map(Object.entries(options.asps ?? {}).map(([id, list]) => [id, [...list]])),
    inject(fault) {
      faults.push({ ...fault, left: fault.times ?? 1 });
    },
    user(key) {
      return byKey.get(key.toLowerCase()) ?? byKey.get(key);
    },
  };

  function record(req: IncomingMessage, url: URL, status: number, scopes?: string[]) {
    state.requests.push({
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      status,
      at: Date.now(),
      ...(scopes ? { scopes } : {}),
    });
  }

  function send(res: ServerResponse, status: number, body: unknown) {
    const delay = options.latencyMs ?? 0;
    const write = () => {
      if (body === null) {
        res.writeHead(status).end();
        return;
      }
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', vary: 'Origin' }).end(text);
    };
    if (delay > 0) setTimeout(write, delay);
    else write();
  }

  function sendApiError(res: ServerResponse, error: ApiError) {
    send(res, error.status, {
      error: {
        code: error.status,
        message: error.message,
        errors: [{ message: error.message, domain: error.domain, reason: error.reason }],
        status: STATUS_WORDS[error.status] ?? 'UNKNOWN',
      },
    });
  }

  function token(req: IncomingMessage, body: string): { status: number; body: unknown } {
    const form = new URLSearchParams(body);
    const invalidGrant = (description: string) => ({
      status: 400,
      body: { error: 'invalid_grant', error_description: description },
    });
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      return { status: 400, body: { error: 'unsupported_grant_type', error_description: 'Invalid grant_type: ' } };
    }
    const parts = (form.get('assertion') ?? '').split('.');
    if (parts.length !== 3) return invalidGrant('Invalid JWT: not a JWS');
    const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
    let header: Record<string, unknown>;
    let claims: Record<string, unknown>;
    try {
      header = JSON.parse(Buffer.from(headerPart, 'base64url').toString('utf8')) as Record<string, unknown>;
      claims = JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8')) as Record<string, unknown>;
    } catch {
      return invalidGrant('Invalid JWT: not a JWS');
    }
    if (header.alg !== 'RS256') return invalidGrant('Invalid JWT: only RS256 is accepted');
    if (claims.iss !== clientEmail) return invalidGrant('Invalid grant: account not found');
    const signed = verify(
      'RSA-SHA256',
      Buffer.from(`${headerPart}.${payloadPart}`),
      trusted.publicKey,
      Buffer.from(signaturePart, 'base64url'),
    );
    if (!signed) return invalidGrant('Invalid JWT Signature.');
    if (claims.aud !== GOOGLE_TOKEN_AUDIENCE) {
      return invalidGrant(`Invalid JWT: Failed audience check. The right audience is ${GOOGLE_TOKEN_AUDIENCE}`);
    }
    const now = Math.floor(Date.now() / 1000);
    const iat = Number(claims.iat);
    const exp = Number(claims.exp);
    if (!Number.isFinite(iat) || !Number.isFinite(exp) || exp <= now || exp - iat > 3600 || iat > now + 300) {
      return invalidGrant(
        'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.',
      );
    }
    const scopes = typeof claims.scope === 'string' ? claims.scope.split(/\s+/).filter(Boolean) : [];
    if (scopes.length === 0) return invalidGrant('Invalid OAuth scope or ID token audience provided.');
    const sub = typeof claims.sub === 'string' ? claims.sub : null;
    if (sub !== null && !state.user(sub)) return invalidGrant('Invalid email or User ID');
    if (sub !== null && scopes.some((scope) => !state.authorizedScopes.has(scope))) {
      return {
        status: 401,
        body: {
          error: 'unauthorized_client',
          error_description:
            'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.',
        },
      };
    }
    const accessToken = `ya29.fake-${randomBytes(24).toString('base64url')}`;
    tokens.set(accessToken, { sub, scopes, expiresAt: Date.now() + TOKEN_LIFETIME_SECONDS * 1000 });
    state.tokenGrants.push({ sub, scopes });
    return {
      status: 200,
      body: { access_token: accessToken, expires_in: TOKEN_LIFETIME_SECONDS, token_type: 'Bearer' },
    };
  }

  function authorise(req: IncomingMessage, accepted: readonly string[]): AccessToken {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer (.+)$/.exec(header);
    const grant = match ? tokens.get(match[1]!) : undefined;
    if (!grant || grant.expiresAt < Date.now()) {
      throw new ApiError(
        401,
        'authError',
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
      );
    }
    if (!grant.scopes.some((scope) => accepted.includes(scope))) {
      throw new ApiError(403, 'insufficientPermissions', 'Request had insufficient authentication scopes.');
    }
    const subject = grant.sub === null ? undefined : state.user(grant.sub);
    if (!subject || (subject.isAdmin !== true && subject.isDelegatedAdmin !== true) || subject.suspended === true) {
      throw new ApiError(403, 'forbidden', 'Not Authorized to access this resource/api');
    }
    return grant;
  }

  function quota() {
    if (state.queriesPerMinute === null) return;
    const minute = Math.floor(Date.now() / 60_000);
    const count = (minuteCounts.get(minute) ?? 0) + 1;
    minuteCounts.set(minute, count);
    if (count > state.queriesPerMinute) {
      throw new ApiError(
        403,
        'userRateLimitExceeded',
        "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' of service 'admin.googleapis.com'",
        'usageLimits',
      );
    }
  }

  function takeFault(method: string, path: string): GoogleFakeFault | null {
    const fault = faults.find(
      (f) => f.left > 0 && (!f.path || path.startsWith(f.path)) && (!f.method || f.method === method),
    );
    if (!fault) return null;
    fault.left--;
    return fault;
  }

  function pageTokenFor(scope: string, offset: number): string {
    const mac = createHash('sha256').update(`${pageSecret}|${scope}|${offset}`).digest('base64url').slice(0, 12);
    return Buffer.from(JSON.stringify({ o: offset, m: mac })).toString('base64url');
  }

  function offsetOf(scope: string, pageToken: string): number {
    try {
      const { o, m } = JSON.parse(Buffer.from(pageToken, 'base64url').toString('utf8')) as { o: number; m: string };
      if (Number.isInteger(o) && o >= 0 && pageTokenFor(scope, o) === pageToken && typeof m === 'string') return o;
    } catch {
      // fall through
    }
    throw new ApiError(400, 'invalid', 'Invalid Input: pageToken');
  }

  function projected(user: GoogleFakeUser, projection: string, mask: string[]): GoogleFakeUser {
    if (projection === 'full') return user;
    const { customSchemas, ...rest } = user;
    if (projection === 'custom' && customSchemas) {
      const chosen = Object.fromEntries(
        Object.entries(customSchemas as Record<string, unknown>).filter(([name]) => mask.includes(name)),
      );
      return Object.keys(chosen).length > 0 ? { ...rest, customSchemas: chosen } : (rest as GoogleFakeUser);
    }
    return rest as GoogleFakeUser;
  }

  function projectionOf(url: URL): { projection: string; mask: string[] } {
    const projection = url.searchParams.get('projection') ?? 'basic';
    if (!['basic', 'custom', 'full'].includes(projection)) {
      throw new ApiError(400, 'invalidParameter', `Invalid value for projection: ${projection}`);
    }
    const mask = (url.searchParams.get('customFieldMask') ?? '').split(',').filter(Boolean);
    if (projection === 'custom' && mask.length === 0) {
      throw new ApiError(400, 'invalid', 'Invalid Input: customFieldMask is required with projection=custom');
    }
    return { projection, mask };
  }

  function listUsers(url: URL): unknown {
    const customer = url.searchParams.get('customer');
    const domain = url.searchParams.get('domain');
    let members: GoogleFakeUser[];
    let scope: string;
    if (customer) {
      if (customer !== 'my_customer' && customer !== state.customerId) {
        throw new ApiError(403, 'forbidden', 'Not Authorized to access this resource/api');
      }
      members = state.users;
      scope = `customer:${state.customerId}`;
    } else if (domain) {
      if (!state.domains.includes(domain.toLowerCase())) {
        throw new ApiError(403, 'forbidden', 'Not Authorized to access this resource/api');
      }
      members = state.users.filter((user) => user.primaryEmail?.toLowerCase().endsWith(`@${domain.toLowerCase()}`));
      scope = `domain:${domain.toLowerCase()}`;
    } else {
      throw new ApiError(400, 'badRequest', 'Bad Request');
    }
    const rawMax = url.searchParams.get('maxResults');
    const max = rawMax === null ? DEFAULT_MAX_RESULTS : Number(rawMax);
    if (!Number.isInteger(max) || max < 1) {
      throw new ApiError(400, 'invalidParameter', `Invalid value for maxResults: ${rawMax}`);
    }
    const pageSize = Math.min(max, MAX_RESULTS);
    const { projection, mask } = projectionOf(url);
    const pageToken = url.searchParams.get('pageToken');
    const offset = pageToken ? offsetOf(scope, pageToken) : 0;
    const page = members.slice(offset, offset + pageSize);
    const next = offset + pageSize < members.length ? pageTokenFor(scope, offset + pageSize) : undefined;
    return {
      kind: 'admin#directory#users',
      etag: `"users-${offset}"`,
      users: page.map((user) => projected(user, projection, mask)),
      ...(next ? { nextPageToken: next } : {}),
    };
  }

  function listActivities(url: URL, userKey: string, application: string): unknown {
    if (!REPORT_APPLICATIONS.includes(application)) {
      throw new ApiError(400, 'invalid', `Invalid value for applicationName: ${application}`);
    }
    const bound = (name: string) => {
      const raw = url.searchParams.get(name);
      if (raw === null) return null;
      const parsed = Date.parse(raw);
      if (Number.isNaN(parsed) || !/^\d{4}-\d{2}-\d{2}T/.test(raw)) {
        throw new ApiError(400, 'invalid', `Invalid value for ${name}: ${raw}`);
      }
      return parsed;
    };
    const start = bound('startTime');
    const end = bound('endTime');
    const rawMax = url.searchParams.get('maxResults');
    const max = rawMax === null ? MAX_ACTIVITIES : Number(rawMax);
    if (!Number.isInteger(max) || max < 1 || max > MAX_ACTIVITIES) {
      throw new ApiError(400, 'invalid', `Invalid value for maxResults: ${rawMax}`);
    }
    const key = decodeURIComponent(userKey).toLowerCase();
    const matching = (application === 'login' ? state.loginActivities : [])
      .filter((activity) => {
        const time = Date.parse(activity.id.time);
        if (start !== null && time < start) return false;
        if (end !== null && time > end) return false;
        return key === 'all' || activity.actor.profileId === key || activity.actor.email.toLowerCase() === key;
      })
      .sort(
        (a, b) =>
          Date.parse(b.id.time) - Date.parse(a.id.time) || a.id.uniqueQualifier.localeCompare(b.id.uniqueQualifier),
      );
    const scope = `activities:${key}:${application}:${start}:${end}`;
    const pageToken = url.searchParams.get('pageToken');
    const offset = pageToken ? offsetOf(scope, pageToken) : 0;
    const items = matching.slice(offset, offset + max);
    const next = offset + max < matching.length ? pageTokenFor(scope, offset + max) : undefined;
    return {
      kind: 'admin#reports#activities',
      etag: `"activities-${offset}"`,
      ...(items.length > 0 ? { items } : {}),
      ...(next ? { nextPageToken: next } : {}),
    };
  }

  function target(userKey: string): GoogleFakeUser {
    const user = state.user(decodeURIComponent(userKey));
    if (!user) throw new ApiError(404, 'notFound', 'Resource Not Found: userKey');
    return user;
  }

  function mayModify(grant: AccessToken, user: GoogleFakeUser) {
    const subject = grant.sub === null ? undefined : state.user(grant.sub);
    if (user.isAdmin === true && subject?.isAdmin !== true) {
      throw new ApiError(403, 'forbidden', 'Not Authorized to access this resource/api');
    }
  }

  function thirdPartyAccess(
    method: string,
    user: GoogleFakeUser,
    kind: 'tokens' | 'asps',
    itemKey: string | undefined,
  ): { status: number; body: unknown } {
    const etag = `"${randomBytes(6).toString('hex')}"`;
    const userKey = user.id;
    if (kind === 'tokens') {
      const list = state.tokens.get(user.id) ?? [];
      const shaped = (token: GoogleFakeToken) => ({ kind: 'admin#directory#token', etag, userKey, ...token });
      if (itemKey === undefined && method === 'GET') {
        return {
          status: 200,
          body: { kind: 'admin#directory#tokens', etag, ...(list.length ? { items: list.map(shaped) } : {}) },
        };
      }
      const index = list.findIndex((token) => token.clientId === decodeURIComponent(itemKey ?? ''));
      if (index < 0) throw new ApiError(404, 'notFound', 'Resource Not Found: clientId');
      if (method === 'GET') return { status: 200, body: shaped(list[index]!) };
      if (method === 'DELETE') {
        list.splice(index, 1);
        return { status: 204, body: null };
      }
    } else {
      const list = state.asps.get(user.id) ?? [];
      const shaped = (asp: GoogleFakeAsp) => ({ kind: 'admin#directory#asp', etag, userKey, ...asp });
      if (itemKey === undefined && method === 'GET') {
        return {
          status: 200,
          body: { kind: 'admin#directory#asps', etag, ...(list.length ? { items: list.map(shaped) } : {}) },
        };
      }
      if (!/^\d+$/.test(itemKey ?? '')) throw new ApiError(400, 'invalid', 'Invalid value for: codeId');
      const index = list.findIndex((asp) => asp.codeId === Number(itemKey));
      if (index < 0) throw new ApiError(404, 'notFound', 'Resource Not Found: codeId');
      if (method === 'GET') return { status: 200, body: shaped(list[index]!) };
      if (method === 'DELETE') {
        list.splice(index, 1);
        return { status: 204, body: null };
      }
    }
    throw new ApiError(404, 'notFound', `Not Found: ${method}`);
  }

  async function handle(req: IncomingMessage, res: ServerResponse, body: string) {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    if (url.pathname === '/token' && method === 'POST') {
      const answer = token(req, body);
      record(req, url, answer.status);
      send(res, answer.status, answer.body);
      return;
    }
    let grantScopes: string[] | undefined;
    try {
      const fault = takeFault(method, url.pathname);
      if (fault) {
        if (fault.status === 0) {
          record(req, url, 0);
          req.socket.destroy();
          return;
        }
        const reason = fault.reason ?? (fault.status >= 500 ? 'backendError' : 'rateLimitExceeded');
        throw new ApiError(
          fault.status,
          reason,
          fault.status >= 500 ? 'Backend Error' : `Injected ${reason}`,
          /RateLimit|quota/i.test(reason) ? 'usageLimits' : 'global',
        );
      }
      quota();
      const activitiesMatch = ACTIVITIES_ROUTE.exec(url.pathname);
      if (activitiesMatch && method === 'GET') {
        grantScopes = authorise(req, [GOOGLE_SCOPE.reports]).scopes;
        const answer = listActivities(url, activitiesMatch[1]!, activitiesMatch[2]!);
        record(req, url, 200, grantScopes);
        send(res, 200, answer);
        return;
      }
      const access = /^\/admin\/directory\/v1\/users\/([^/]+)\/(tokens|asps)(?:\/([^/]+))?$/.exec(url.pathname);
      if (access) {
        const grant = authorise(req, [GOOGLE_SCOPE.security]);
        grantScopes = grant.scopes;
        const user = target(access[1]!);
        const answer = thirdPartyAccess(method, user, access[2] as 'tokens' | 'asps', access[3]);
        record(req, url, answer.status, grantScopes);
        send(res, answer.status, answer.body);
        return;
      }
      const userMatch = /^\/admin\/directory\/v1\/users\/([^/]+)(\/signOut)?$/.exec(url.pathname);
      if (url.pathname === USERS_PATH && method === 'GET') {
        grantScopes = authorise(req, [GOOGLE_SCOPE.read, GOOGLE_SCOPE.act]).scopes;
        const answer = listUsers(url);
        record(req, url, 200, grantScopes);
        send(res, 200, answer);
        return;
      }
      if (userMatch && !userMatch[2] && method === 'GET') {
        grantScopes = authorise(req, [GOOGLE_SCOPE.read, GOOGLE_SCOPE.act]).scopes;
        const { projection, mask } = projectionOf(url);
        const user = target(userMatch[1]!);
        record(req, url, 200, grantScopes);
        send(res, 200, projected(user, projection, mask));
        return;
      }
      if (userMatch && !userMatch[2] && (method === 'PUT' || method === 'PATCH')) {
        const grant = authorise(req, [GOOGLE_SCOPE.act]);
        grantScopes = grant.scopes;
        const user = target(userMatch[1]!);
        mayModify(grant, user);
        let patch: Record<string, unknown>;
        try {
          patch = JSON.parse(body || '{}') as Record<string, unknown>;
        } catch {
          throw new ApiError(400, 'parseError', 'Parse Error');
        }
        if (typeof patch.suspended === 'boolean') {
          user.suspended = patch.suspended;
          if (patch.suspended) user.suspensionReason = 'ADMIN';
          else delete user.suspensionReason;
        }
        if (typeof patch.archived === 'boolean') user.archived = patch.archived;
        if (typeof patch.orgUnitPath === 'string') user.orgUnitPath = patch.orgUnitPath;
        record(req, url, 200, grantScopes);
        send(res, 200, user);
        return;
      }
      if (userMatch && userMatch[2] && method === 'POST') {
        const grant = authorise(req, [GOOGLE_SCOPE.security]);
        grantScopes = grant.scopes;
        const user = target(userMatch[1]!);
        mayModify(grant, user);
        state.signOuts.push({ userId: user.id, at: Date.now() });
        record(req, url, 204, grantScopes);
        send(res, 204, null);
        return;
      }
      throw new ApiError(404, 'notFound', `Not Found: ${method} ${url.pathname}`);
    } catch (error) {
      if (error instanceof ApiError) {
        record(req, url, error.status, grantScopes);
        sendApiError(res, error);
        return;
      }
      state.serverErrors.push(error);
      record(req, url, 500);
      sendApiError(res, new ApiError(500, 'backendError', 'Backend Error'));
    }
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks).toString('utf8')).catch((error: unknown) => {
        state.serverErrors.push(error);
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    apiUrl: `${origin}/`,
    tokenUrl: `${origin}/token`,
    serviceAccountKey,
    keyJson: JSON.stringify(serviceAccountKey, null, 2),
    // Made on first use: RSA key generation is the slowest part of starting the fake.
    get foreignKeyJson() {
      foreignKeyJson ??= JSON.stringify(
        makeServiceAccountKey(newRsaPrivateKeyPem().privateKey, clientEmail, clientId),
        null,
        2,
      );
      return foreignKeyJson;
    },
    state,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function userEmails(user: GoogleFakeUser): string[] {
  const emails = [user.primaryEmail, ...((user.aliases as string[] | undefined) ?? [])];
  for (const entry of (user.emails as { address?: string }[] | undefined) ?? []) emails.push(entry.address);
  for (const alias of (user.nonEditableAliases as string[] | undefined) ?? []) emails.push(alias);
  return emails.filter(isString);
}

function isString(value: string | undefined | null): value is string {
  return typeof value === 'string' && value.length > 0;
}
