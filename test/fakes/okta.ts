import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback fake of the Okta Management API, as much as the collector uses, behaving like the real one:
 * - SSWS auth: anything but `Authorization: SSWS <token>` gets 401 E0000011;
 * - GET /api/v1/users: `limit` (default and maximum 200), opaque `after` cursor, absolute Link headers
 *   (rel="self" and, after a full page, rel="next" — which may lead to an empty last page, as Okta's does);
 *   the plain list hides DEPROVISIONED users; `filter` and `search` accept `status eq "X"` terms joined by `or`
 *   (filter values are case-sensitive, search values are not) and then include DEPROVISIONED matches;
 * - GET /api/v1/iam/assignees/users: users holding an admin role, `{ value: [{id, orn, _links}], _links: {next} }`,
 *   cursor in the body's next link; 403 E0000006 when the token may not read roles;
 * - GET /api/v1/users/{id} (id or login); 404 E0000007 for an unknown user;
 * - POST /api/v1/users/{id}/lifecycle/{suspend,unsuspend,unlock,deactivate} with Okta's status rules: suspend only
 *   ACTIVE, unsuspend only SUSPENDED, unlock LOCKED_OUT (or ACTIVE, a no-op), deactivate anything not yet
 *   DEPROVISIONED; otherwise 400 E0000001 with the reason in errorCauses. Suspend and deactivate end the user's
 *   sessions, as Okta's do;
 * - DELETE /api/v1/users/{id}/sessions[?oauthTokens=true]: 204, recorded in `sessionRevocations`;
 * - DELETE /api/v1/users/{id}: 204; a user not yet DEPROVISIONED is deactivated by it, a DEPROVISIONED one removed;
 * - GET /api/v1/api-tokens: the metadata of active API tokens (id, name, userId, clientName, created, lastUpdated,
 *   expiresAt, tokenWindow, network), `limit` default 20 (max 200), opaque `after` cursor in the Link header;
 *   GET/DELETE /api/v1/api-tokens/{id} (DELETE = revoke: 204, then 404 E0000007); 403 E0000006 when
 *   `apiTokensForbidden` (the admin lacks okta.apiTokens.read);
 * - GET /api/v1/users/{id}/grants: the user's OAuth scope consent grants (id, userId, clientId, scopeId, issuer,
 *   status, source, created, createdBy, lastUpdated), `limit` default 20 (max 200), `after`; GET/DELETE
 *   /api/v1/users/{id}/grants/{grantId} (DELETE: 204, the grant is gone); 403 E0000006 when `grantsForbidden`;
 * - `writesForbidden`: the token's admin may only read (Read-Only Admin): every write answers 403 E0000006;
 * - every response carries Date, X-Okta-Request-Id and X-Rate-Limit-Limit/Remaining/Reset (epoch seconds) for its
 *   endpoint's fixed window (per endpoint template: /api/v1/users/{id} is one bucket for every user, as in Okta);
 *   past the window's limit: 429 E0000047;
 * - GET /api/v1/logs (System Log): `since` (default 7 days before `until`; more than 90 days back is 400 E0000001)
 *   and `until` (default now) bound `published`, since inclusive, until exclusive; `filter` accepts `eventType eq "x"`
 *   and `eventType sw "x"` terms joined by `or` (anything else 400 E0000031); `limit` default 100, maximum 1000;
 *   `sortOrder` ASCENDING (default) or DESCENDING; an opaque `after` cursor in a Link rel="next" while a bounded
 *   request has more events; its own rate-limit bucket like every endpoint; 403 E0000006 when `logsForbidden`;
 * - `latencyMs`: every answer is delayed that long (benchmarks of parallel remediation);
 * - injectable faults (429, 401, 403, 5xx, dropped connections) for the next N matching calls, and a request log.
 */

export const OKTA_FAKE_TOKEN = '00FakeOktaApiToken-s3cr3t-0123456789';

export interface OktaFakeUser {
  id: string;
  status: string;
  created: string;
  activated: string | null;
  statusChanged: string | null;
  lastLogin: string | null;
  lastUpdated: string;
  passwordChanged: string | null;
  type: { id: string };
  profile: Record<string, string | null>;
  credentials: Record<string, unknown>;
  _links: Record<string, { href: string }>;
}

/** GET /api/v1/api-tokens item (ApiToken). */
export interface OktaFakeApiToken {
  id: string;
  name: string;
  userId: string;
  clientName: string;
  created: string;
  lastUpdated: string;
  expiresAt: string;
  tokenWindow: string;
  network: { connection: string };
}

/** GET /api/v1/users/{id}/grants item (OAuth2ScopeConsentGrant). */
export interface OktaFakeGrant {
  id: string;
  userId: string;
  clientId: string;
  scopeId: string;
  issuer: string;
  status: 'ACTIVE' | 'REVOKED';
  source: 'END_USER' | 'ADMIN';
  created: string;
  createdBy: { id: string; type: string };
  lastUpdated: string;
}

/** A System Log event as the API returns it (the fields the sign-in reader uses, and Okta's others optional). */
export interface OktaFakeLogEvent {
  uuid: string;
  published: string;
  eventType: string;
  displayMessage?: string;
  severity?: string;
  actor: { id: string; type: string; alternateId: string; displayName: string | null };
  client: { ipAddress: string | null; userAgent?: { rawUserAgent: string } | null } | null;
  outcome: { result: string; reason: string | null };
  target?: { id: string; type: string; alternateId: string; displayName: string }[] | null;
}

export interface OktaFakeRateLimit {
  /** Calls allowed per window, per endpoint. */
  requests: number;
  windowSeconds: number;
}

export interface OktaFakeOptions {
  token?: string;
  /** The org's users, or a function making them from the fake's orgUrl (their _links are absolute). */
  users?: OktaFakeUser[] | ((orgUrl: string) => OktaFakeUser[]);
  /** Ids of users holding an admin role. */
  adminIds?: string[];
  /** The token's admin may not read role assignments: 403 on /api/v1/iam/assignees/users. */
  adminsForbidden?: boolean;
  /** Default: 10,000 calls a minute, never reached by tests that do not set it. */
  rateLimit?: OktaFakeRateLimit;
  /** The token's admin may only read: every POST/DELETE answers 403 E0000006. */
  writesForbidden?: boolean;
  /** Every answer (faults included) is sent this many milliseconds after the request arrived. */
  latencyMs?: number;
  /** The System Log, any order (served sorted by `published`). */
  logEvents?: OktaFakeLogEvent[];
  /** The token's admin may not read the System Log: 403 E0000006 on /api/v1/logs. */
  logsForbidden?: boolean;
  apiTokens?: OktaFakeApiToken[];
  /** Grants per user id. */
  grants?: Record<string, OktaFakeGrant[]>;
  /** 403 E0000006 on the API tokens API. */
  apiTokensForbidden?: boolean;
  /** 403 E0000006 on users' grants. */
  grantsForbidden?: boolean;
}

export interface OktaFakeFault {
  /** 429, 401, 403, 500, 502, 503...; 0 drops the connection without an answer. */
  status: number;
  /** How many matching calls fail (default 1). */
  times?: number;
  /** Only calls to this path (default: any). */
  path?: string;
  /** For 429: X-Rate-Limit-Reset this many seconds after the current second (default 1). */
  resetInSeconds?: number;
  /** Only calls with this method (default: any). */
  method?: string;
  /** Replaces the Okta error's errorSummary (e.g. a proxy echoing the request back). */
  errorSummary?: string;
}

export interface OktaFakeRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  /** Local time the request arrived, epoch ms. */
  at: number;
  /** X-Rate-Limit-Reset sent with a 429, epoch seconds. */
  rateLimitReset?: number;
  /** The answer came from an injected fault. */
  injected: boolean;
}

export interface OktaSessionRevocation {
  userId: string;
  /** The `oauthTokens` query parameter as sent ('true', 'false'), or null when absent. */
  oauthTokens: string | null;
  at: number;
}

export interface OktaFakeState {
  users: OktaFakeUser[];
  /** The System Log; tests may push events between reads. */
  logEvents: OktaFakeLogEvent[];
  logsForbidden: boolean;
  adminIds: Set<string>;
  adminsForbidden: boolean;
  writesForbidden: boolean;
  latencyMs: number;
  apiTokens: OktaFakeApiToken[];
  grants: Map<string, OktaFakeGrant[]>;
  apiTokensForbidden: boolean;
  grantsForbidden: boolean;
  requests: OktaFakeRequest[];
  /** Every DELETE /api/v1/users/{id}/sessions that succeeded. */
  sessionRevocations: OktaSessionRevocation[];
  /** Bugs in the fake itself, answered with a 500; tests can assert there were none. */
  serverErrors: unknown[];
  inject(fault: OktaFakeFault): void;
  setStatus(userId: string, status: string): void;
  /** The user's current status (throws for an unknown id). */
  statusOf(userId: string): string;
}

export interface OktaFake {
  orgUrl: string;
  state: OktaFakeState;
  close(): Promise<void>;
}

const USERS_PATH = '/api/v1/users';
const LOGS_PATH = '/api/v1/logs';
const LOGS_DEFAULT_LIMIT = 100;
const LOGS_MAX_LIMIT = 1000;
/** /api/v1/users/{id or login}[/rest] */
const USER_ROUTE = /^\/api\/v1\/users\/([^/]+)(\/.*)?$/;
const ASSIGNEES_PATH = '/api/v1/iam/assignees/users';
const USERS_MAX_LIMIT = 200;
const ASSIGNEES_DEFAULT_LIMIT = 100;
const API_TOKENS_PATH = '/api/v1/api-tokens';
/** API tokens and grants: Okta's documented default page size. */
const SMALL_LIST_DEFAULT_LIMIT = 20;
const ORG_ID = '00o1fakeorg0000000000';

const ERRORS = {
  E0000011: { status: 401, summary: 'Invalid token provided' },
  E0000006: { status: 403, summary: 'You do not have permission to perform the requested action' },
  E0000047: { status: 429, summary: 'API call exceeded rate limit due to too many requests.' },
  E0000009: { status: 500, summary: 'Internal Server Error' },
  E0000031: { status: 400, summary: 'Invalid search criteria.' },
  E0000007: { status: 404, summary: 'Not found: Resource not found' },
  E0000001: { status: 400, summary: 'Api validation failed' },
} as const;
type ErrorCode = keyof typeof ERRORS;

export async function startOktaFake(options: OktaFakeOptions = {}): Promise<OktaFake> {
  const token = options.token ?? OKTA_FAKE_TOKEN;
  const rateLimit = options.rateLimit ?? { requests: 10_000, windowSeconds: 60 };
  const faults: Required<OktaFakeFault>[] = [];
  const windows = new Map<string, { resetAt: number; used: number }>();
  let orgUrl = '';
  // Sorted once per users array, not per page: sorting the whole org for every page made listing N users O(N²)
  // (npm run bench: 200,000 users cost the fake minutes of CPU). Ids never change; a new array or length re-sorts.
  let sortedUsers: { of: OktaFakeUser[]; length: number; sorted: OktaFakeUser[] } | null = null;
  const usersById = (): OktaFakeUser[] => {
    if (sortedUsers?.of !== state.users || sortedUsers.length !== state.users.length) {
      const sorted = [...state.users].sort((a, b) => compareIds(a.id, b.id));
      sortedUsers = { of: state.users, length: state.users.length, sorted };
    }
    return sortedUsers.sorted;
  };

  let sortedTokens: { of: OktaFakeApiToken[]; length: number; sorted: OktaFakeApiToken[] } | null = null;
  const state: OktaFakeState = {
    users: [],
    adminIds: new Set(options.adminIds ?? []),
    adminsForbidden: options.adminsForbidden ?? false,
    logEvents: [...(options.logEvents ?? [])],
    logsForbidden: options.logsForbidden ?? false,
    writesForbidden: options.writesForbidden ?? false,
    latencyMs: options.latencyMs ?? 0,
    apiTokens: [...(options.apiTokens ?? [])],
    grants: new Map(Object.entries(options.grants ?? {}).map(([userId, grants]) => [userId, [...grants]])),
    apiTokensForbidden: options.apiTokensForbidden ?? false,
    grantsForbidden: options.grantsForbidden ?? false,
    requests: [],
    sessionRevocations: [],
    serverErrors: [],
    inject(fault) {
      faults.push({ times: 1, path: '', resetInSeconds: 1, method: '', errorSummary: '', ...fault });
    },
    setStatus(userId, status) {
      const user = state.users.find((candidate) => candidate.id === userId);
      if (!user) throw new Error(`no user ${userId}`);
      changeStatus(user, status);
    },
    statusOf(userId) {
      const user = state.users.find((candidate) => candidate.id === userId);
      if (!user) throw new Error(`no user ${userId}`);
      return user.status;
    },
  };

  const server = createServer((request, response) => {
    const arrivedAt = Date.now();
    const run = () => {
      try {
        handle(request, response, arrivedAt);
      } catch (error) {
        state.serverErrors.push(error);
        if (!response.headersSent) sendError(response, 'E0000009');
      }
    };
    if (state.latencyMs > 0) setTimeout(run, state.latencyMs);
    else run();
  });

  function handle(request: IncomingMessage, response: ServerResponse, arrivedAt: number): void {
    const url = new URL(request.url ?? '/', orgUrl);
    const now = Date.now();
    const logged: OktaFakeRequest = {
      method: request.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      status: 0,
      at: arrivedAt,
      injected: false,
    };
    state.requests.push(logged);
    response.on('finish', () => (logged.status = response.statusCode));
    response.setHeader('Date', new Date(now).toUTCString());
    response.setHeader('X-Okta-Request-Id', randomUUID());

    const fault = takeFault(request.method ?? 'GET', url.pathname);
    if (fault) {
      logged.injected = true;
      if (fault.status === 0) {
        request.socket.destroy();
        return;
      }
      if (fault.status === 429) {
        const reset = Math.floor(now / 1000) + fault.resetInSeconds;
        logged.rateLimitReset = reset;
        setRateLimitHeaders(response, rateLimit.requests, 0, reset);
        return sendError(response, 'E0000047');
      }
      const code = (Object.keys(ERRORS) as ErrorCode[]).find((key) => ERRORS[key].status === fault.status);
      if (code) return sendError(response, code, fault.errorSummary || undefined);
      // Gateways in front of Okta answer 502/503 with HTML, not an Okta error body.
      response.writeHead(fault.status, { 'Content-Type': 'text/html' });
      response.end(`<html><body><h1>${fault.status} Service Unavailable</h1></body></html>`);
      return;
    }

    const window = countCall(endpointTemplate(url.pathname), now);
    const remaining = Math.max(0, rateLimit.requests - window.used);
    setRateLimitHeaders(response, rateLimit.requests, remaining, window.resetAt);
    if (window.used > rateLimit.requests) {
      logged.rateLimitReset = window.resetAt;
      return sendError(response, 'E0000047');
    }

    if (request.headers.authorization !== `SSWS ${token}`) return sendError(response, 'E0000011');
    const method = request.method ?? 'GET';
    if (method === 'GET' && url.pathname === LOGS_PATH) return listLogEvents(url, response, now);
    if (method === 'GET' && url.pathname === USERS_PATH) return listUsers(url, response);
    if (method === 'GET' && url.pathname === ASSIGNEES_PATH) return listAssignees(url, response);
    if (url.pathname === API_TOKENS_PATH || url.pathname.startsWith(`${API_TOKENS_PATH}/`)) {
      return apiTokens(method, url, response);
    }
    const route = USER_ROUTE.exec(url.pathname);
    if (!route) return sendError(response, 'E0000007');
    const [, userKey, rest] = route;
    const user = findUser(decodeURIComponent(userKey!));
    if (method !== 'GET' && state.writesForbidden) return sendError(response, 'E0000006');
    if (!user) return sendError(response, 'E0000007', `Not found: Resource not found: ${userKey} (User)`);
    if (method === 'GET' && rest === undefined) return sendJson(response, 200, user);
    if (method === 'POST' && rest?.startsWith('/lifecycle/')) {
      return lifecycle(user, rest.slice('/lifecycle/'.length), response);
    }
    if (method === 'DELETE' && rest === undefined) {
      // Okta deletes only DEPROVISIONED users; on any other status the first DELETE deactivates instead.
      if (user.status !== 'DEPROVISIONED') changeStatus(user, 'DEPROVISIONED');
      else state.users.splice(state.users.indexOf(user), 1);
      response.writeHead(204);
      response.end();
      return;
    }
    const grantRoute = rest === undefined ? null : /^\/grants(?:\/([^/]+))?$/.exec(rest);
    if (grantRoute) return userGrants(method, user, grantRoute[1], url, response);
    if (method === 'DELETE' && rest === '/sessions') {
      state.sessionRevocations.push({ userId: user.id, oauthTokens: url.searchParams.get('oauthTokens'), at: now });
      response.writeHead(204);
      response.end();
      return;
    }
    return sendError(response, 'E0000007');
  }

  function apiTokens(method: string, url: URL, response: ServerResponse): void {
    if (state.apiTokensForbidden) return sendError(response, 'E0000006');
    if (method === 'GET' && url.pathname === API_TOKENS_PATH) {
      // Sorted once per tokens array (a big org pages through tens of thousands, 20 at a time).
      if (sortedTokens?.of !== state.apiTokens || sortedTokens.length !== state.apiTokens.length) {
        const sorted = [...state.apiTokens].sort((a, b) => compareIds(a.id, b.id));
        sortedTokens = { of: state.apiTokens, length: state.apiTokens.length, sorted };
      }
      return sendPage(url, response, sortedTokens.sorted, API_TOKENS_PATH);
    }
    const id = decodeURIComponent(url.pathname.slice(API_TOKENS_PATH.length + 1));
    const index = state.apiTokens.findIndex((token) => token.id === id);
    if (index < 0) return sendError(response, 'E0000007', `Not found: Resource not found: ${id} (ApiToken)`);
    if (method === 'GET') return sendJson(response, 200, state.apiTokens[index]);
    if (method === 'DELETE') {
      if (state.writesForbidden) return sendError(response, 'E0000006');
      state.apiTokens.splice(index, 1);
      response.writeHead(204);
      response.end();
      return;
    }
    return sendError(response, 'E0000007');
  }

  function userGrants(
    method: string,
    user: OktaFakeUser,
    grantId: string | undefined,
    url: URL,
    response: ServerResponse,
  ): void {
    if (state.grantsForbidden) return sendError(response, 'E0000006');
    const grants = state.grants.get(user.id) ?? [];
    if (grantId === undefined) {
      if (method !== 'GET') return sendError(response, 'E0000007');
      const sorted = grants.filter((grant) => grant.status === 'ACTIVE').sort((a, b) => compareIds(a.id, b.id));
      return sendPage(url, response, sorted, `${USERS_PATH}/${user.id}/grants`);
    }
    const index = grants.findIndex((grant) => grant.id === decodeURIComponent(grantId));
    if (index < 0) return sendError(response, 'E0000007', `Not found: Resource not found: ${grantId} (Grant)`);
    if (method === 'GET') return sendJson(response, 200, grants[index]);
    if (method === 'DELETE') {
      grants.splice(index, 1);
      response.writeHead(204);
      response.end();
      return;
    }
    return sendError(response, 'E0000007');
  }

  /** Okta's cursor paging for the smaller lists: `limit` default 20 (max 200), `after` in the next Link. */
  function sendPage<T extends { id: string }>(url: URL, response: ServerResponse, sorted: T[], path: string): void {
    const limit = pageLimit(url.searchParams.get('limit'), SMALL_LIST_DEFAULT_LIMIT, USERS_MAX_LIMIT);
    const after = url.searchParams.get('after');
    const afterId = after === null ? null : decodeCursor(after);
    const start = afterId === null ? 0 : sorted.findIndex((item) => compareIds(item.id, afterId) > 0);
    const page = start < 0 ? [] : sorted.slice(start, start + limit);
    const links = [`<${orgUrl}${path}${url.search}>; rel="self"`];
    if (page.length === limit) {
      const next = new URLSearchParams(url.searchParams);
      next.set('after', encodeCursor(page[page.length - 1]!.id));
      links.push(`<${orgUrl}${path}?${next.toString()}>; rel="next"`);
    }
    response.setHeader('Link', links);
    sendJson(response, 200, page);
  }

  function findUser(key: string): OktaFakeUser | undefined {
    return state.users.find((user) => user.id === key || user.profile.login?.toLowerCase() === key.toLowerCase());
  }

  function changeStatus(user: OktaFakeUser, status: string): void {
    user.status = status;
    user.statusChanged = new Date().toISOString();
    user.lastUpdated = user.statusChanged;
  }

  /** Okta's lifecycle state machine for the operations remediation uses. */
  function lifecycle(user: OktaFakeUser, operation: string, response: ServerResponse): void {
    const refuse = (cause: string) => sendError(response, 'E0000001', undefined, cause);
    switch (operation) {
      case 'suspend':
        if (user.status !== 'ACTIVE') return refuse('Cannot suspend a user that is not active');
        changeStatus(user, 'SUSPENDED');
        break;
      case 'unsuspend':
        if (user.status !== 'SUSPENDED') return refuse('Cannot unsuspend a user that is not suspended');
        changeStatus(user, 'ACTIVE');
        break;
      case 'unlock':
        // Okta also accepts ACTIVE users (it clears an unknown-device block), leaving them ACTIVE.
        if (user.status !== 'LOCKED_OUT' && user.status !== 'ACTIVE') {
          return refuse('Cannot unlock a user that is not locked out');
        }
        changeStatus(user, 'ACTIVE');
        break;
      case 'deactivate':
        if (user.status === 'DEPROVISIONED') return refuse('Cannot deactivate a user that is already deactivated');
        changeStatus(user, 'DEPROVISIONED');
        break;
      default:
        return sendError(response, 'E0000007');
    }
    sendJson(response, 200, {});
  }

  function takeFault(method: string, path: string): Required<OktaFakeFault> | undefined {
    const index = faults.findIndex(
      (fault) => (fault.path === '' || fault.path === path) && (fault.method === '' || fault.method === method),
    );
    if (index < 0) return undefined;
    const fault = faults[index]!;
    fault.times--;
    if (fault.times <= 0) faults.splice(index, 1);
    return fault;
  }

  /** Fixed windows per endpoint, starting at the first call; a window ends at the whole second it announces. */
  function countCall(path: string, now: number): { resetAt: number; used: number } {
    let window = windows.get(path);
    if (!window || now >= window.resetAt * 1000) {
      window = { resetAt: Math.ceil((now + rateLimit.windowSeconds * 1000) / 1000), used: 0 };
      windows.set(path, window);
    }
    window.used++;
    return window;
  }

  function listUsers(url: URL, response: ServerResponse): void {
    const filter = url.searchParams.get('filter');
    const search = url.searchParams.get('search');
    if (filter !== null && search !== null) return sendError(response, 'E0000031');
    let matches: (user: OktaFakeUser) => boolean = (user) => user.status !== 'DEPROVISIONED';
    const expression = filter ?? search;
    if (expression !== null) {
      const statuses = parseStatusExpression(expression);
      if (!statuses) return sendError(response, 'E0000031');
      matches =
        filter !== null
          ? (user) => statuses.includes(user.status)
          : (user) => statuses.some((status) => status.toUpperCase() === user.status.toUpperCase());
    }
    const limit = pageLimit(url.searchParams.get('limit'), USERS_MAX_LIMIT, USERS_MAX_LIMIT);
    const after = url.searchParams.get('after');
    const sorted = usersById();
    const page: OktaFakeUser[] = [];
    const afterId = after === null ? null : decodeCursor(after);
    for (let index = afterId === null ? 0 : firstAfter(sorted, afterId); index < sorted.length; index++) {
      if (page.length === limit) break;
      if (matches(sorted[index]!)) page.push(sorted[index]!);
    }
    const links = [`<${orgUrl}${USERS_PATH}${url.search}>; rel="self"`];
    if (page.length === limit) {
      const next = new URLSearchParams(url.searchParams);
      next.set('after', encodeCursor(page[page.length - 1]!.id));
      links.push(`<${orgUrl}${USERS_PATH}?${next.toString()}>; rel="next"`);
    }
    // Okta sends each link in a header of its own.
    response.setHeader('Link', links);
    sendJson(response, 200, page);
  }

  // Sorted once per change of the log (tests push events between reads), not on every page: benchmarks page
  // through hundreds of thousands of events.
  let logCache: { source: OktaFakeLogEvent[]; length: number; sorted: LogEntry[] } | null = null;
  function sortedLog(): LogEntry[] {
    if (logCache?.source !== state.logEvents || logCache.length !== state.logEvents.length) {
      const sorted = state.logEvents
        .map((event) => ({ event, key: logKey(event), published: Date.parse(event.published) }))
        .sort((a, b) => compareIds(a.key, b.key));
      logCache = { source: state.logEvents, length: state.logEvents.length, sorted };
    }
    return logCache.sorted;
  }

  function listLogEvents(url: URL, response: ServerResponse, now: number): void {
    if (state.logsForbidden) return sendError(response, 'E0000006');
    const until = parseLogTime(url.searchParams.get('until')) ?? now;
    const since = parseLogTime(url.searchParams.get('since')) ?? until - 7 * 86_400_000;
    if (Number.isNaN(since) || Number.isNaN(until)) {
      return sendError(response, 'E0000001', undefined, 'since/until: not an ISO 8601 date-time');
    }
    if (since < now - 90 * 86_400_000) {
      return sendError(response, 'E0000001', undefined, 'since: The since parameter is over 90 days prior to now');
    }
    const filter = url.searchParams.get('filter');
    const matches = filter === null ? () => true : parseEventTypeFilter(filter);
    if (!matches) return sendError(response, 'E0000031');
    const descending = url.searchParams.get('sortOrder') === 'DESCENDING';
    const limit = pageLimit(url.searchParams.get('limit'), LOGS_DEFAULT_LIMIT, LOGS_MAX_LIMIT);
    const after = url.searchParams.get('after');
    const afterKey = after === null ? null : decodeCursor(after);
    const ascending = sortedLog().filter(
      (entry) => entry.published >= since && entry.published < until && matches(entry.event.eventType),
    );
    const ordered = descending ? ascending.reverse() : ascending;
    const start =
      afterKey === null ? 0 : ordered.findIndex((entry) => (descending ? entry.key < afterKey : entry.key > afterKey));
    const rest = start < 0 ? [] : ordered.slice(start);
    const page = rest.slice(0, limit);
    const links = [`<${orgUrl}${LOGS_PATH}${url.search}>; rel="self"`];
    if (rest.length > page.length) {
      const next = new URLSearchParams(url.searchParams);
      next.set('after', encodeCursor(page[page.length - 1]!.key));
      links.push(`<${orgUrl}${LOGS_PATH}?${next.toString()}>; rel="next"`);
    }
    response.setHeader('Link', links);
    sendJson(
      response,
      200,
      page.map((entry) => entry.event),
    );
  }

  function listAssignees(url: URL, response: ServerResponse): void {
    if (state.adminsForbidden) return sendError(response, 'E0000006');
    const limit = pageLimit(url.searchParams.get('limit'), ASSIGNEES_DEFAULT_LIMIT, ASSIGNEES_DEFAULT_LIMIT);
    const after = url.searchParams.get('after');
    const ids = [...state.adminIds].sort(compareIds).filter((id) => after === null || compareIds(id, after) > 0);
    const page = ids.slice(0, limit);
    const body: Record<string, unknown> = {
      value: page.map((id) => ({
        id,
        orn: `orn:okta:directory:${ORG_ID}:users:${id}`,
        _links: {
          self: { href: `${orgUrl}${USERS_PATH}/${id}` },
          roles: { href: `${orgUrl}${USERS_PATH}/${id}/roles` },
        },
      })),
      _links: {},
    };
    if (ids.length > page.length) {
      body._links = { next: { href: `${orgUrl}${ASSIGNEES_PATH}?after=${page[page.length - 1]}&limit=${limit}` } };
    }
    sendJson(response, 200, body);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  orgUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.users = typeof options.users === 'function' ? options.users(orgUrl) : [...(options.users ?? [])];

  return {
    orgUrl,
    state,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

interface LogEntry {
  event: OktaFakeLogEvent;
  key: string;
  published: number;
}

/** Events sort by `published`, then by uuid (several events share a millisecond). */
function logKey(event: OktaFakeLogEvent): string {
  return `${new Date(event.published).toISOString()}|${event.uuid}`;
}

function parseLogTime(raw: string | null): number | null {
  return raw === null ? null : Date.parse(raw);
}

/** `eventType eq "a" or eventType sw "b."` -> a predicate; anything else -> null (400 E0000031). */
export function parseEventTypeFilter(expression: string): ((eventType: string) => boolean) | null {
  const terms: ((eventType: string) => boolean)[] = [];
  for (const term of expression.trim().split(/\s+or\s+/i)) {
    const match = /^\(?\s*eventType\s+(eq|sw)\s+"([A-Za-z0-9_.]+)"\s*\)?$/.exec(term.trim());
    if (!match) return null;
    const [, operator, value] = match;
    terms.push(operator === 'eq' ? (type) => type === value : (type) => type.startsWith(value!));
  }
  return (eventType) => terms.some((term) => term(eventType));
}

/** `status eq "A" or status eq "B"` -> ['A', 'B']; anything else -> null (400 E0000031, as Okta answers). */
export function parseStatusExpression(expression: string): string[] | null {
  const statuses: string[] = [];
  for (const term of expression.trim().split(/\s+or\s+/i)) {
    const match = /^\(?\s*status\s+eq\s+"([A-Za-z_]+)"\s*\)?$/i.exec(term.trim());
    if (!match) return null;
    statuses.push(match[1]!);
  }
  return statuses;
}

function pageLimit(raw: string | null, fallback: number, maximum: number): number {
  const parsed = raw === null ? fallback : Number.parseInt(raw, 10);
  return Number.isFinite(parsed) && parsed > 0 ? Math.min(parsed, maximum) : fallback;
}

/** Index of the first user whose id sorts after `id` (binary search). */
function firstAfter(sorted: readonly OktaFakeUser[], id: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareIds(sorted[middle]!.id, id) <= 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Okta's cursors are opaque; so are the fake's, so a client that builds its own cannot pass. */
function encodeCursor(id: string): string {
  return Buffer.from(id).toString('base64url');
}

function decodeCursor(cursor: string): string {
  return Buffer.from(cursor, 'base64url').toString();
}

function setRateLimitHeaders(response: ServerResponse, limit: number, remaining: number, reset: number): void {
  response.setHeader('X-Rate-Limit-Limit', String(limit));
  response.setHeader('X-Rate-Limit-Remaining', String(remaining));
  response.setHeader('X-Rate-Limit-Reset', String(reset));
}

function sendError(response: ServerResponse, code: ErrorCode, summary?: string, cause?: string): void {
  sendJson(response, ERRORS[code].status, {
    errorCode: code,
    errorSummary: summary ?? ERRORS[code].summary,
    errorLink: code,
    errorId: `oae${randomUUID().replace(/-/g, '').slice(0, 19)}`,
    errorCauses: cause ? [{ errorSummary: cause }] : [],
  });
}

/** /api/v1/users/00u123.../lifecycle/suspend -> /api/v1/users/{id}/lifecycle/suspend: Okta's rate-limit bucket. */
export function endpointTemplate(path: string): string {
  return path
    .replace(/^(\/api\/v1\/users\/)[^/]+/, '$1{id}')
    .replace(/^(\/api\/v1\/users\/\{id\}\/grants\/)[^/]+/, '$1{grantId}')
    .replace(/^(\/api\/v1\/api-tokens\/)[^/]+/, '$1{id}');
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  response.end(text);
}

export interface MakeOktaUserOptions {
  status?: string;
  profile?: Record<string, string | null>;
  created?: string;
  lastLogin?: string | null;
}

/** A user shaped like the Users API returns it; ids look like Okta's (00u + 17 characters) and sort by index. */
export function makeOktaUser(orgUrl: string, index: number, options: MakeOktaUserOptions = {}): OktaFakeUser {
  const id = `00u${String(index).padStart(10, '0')}FAKE0a7`;
  const created = options.created ?? '2023-01-15T09:30:00.000Z';
  const status = options.status ?? 'ACTIVE';
  const login = `user${index}@example.com`;
  return {
    id,
    status,
    created,
    activated: status === 'STAGED' ? null : created,
    statusChanged: created,
    lastLogin: options.lastLogin === undefined ? '2026-10-01T08:00:00.000Z' : options.lastLogin,
    lastUpdated: created,
    passwordChanged: status === 'STAGED' ? null : created,
    type: { id: 'oty1fakeusertype0000' },
    profile: {
      firstName: 'User',
      lastName: String(index),
      mobilePhone: null,
      secondEmail: null,
      login,
      email: login,
      ...options.profile,
    },
    credentials: {
      password: {},
      emails: [{ value: login, status: 'VERIFIED', type: 'PRIMARY' }],
      provider: { type: 'OKTA', name: 'OKTA' },
    },
    _links: { self: { href: `${orgUrl}${USERS_PATH}/${id}` } },
  };
}

/** An API token shaped like GET /api/v1/api-tokens returns it (no secret: Okta never lists one). */
export function makeOktaApiToken(
  index: number,
  userId: string,
  options: Partial<OktaFakeApiToken> = {},
): OktaFakeApiToken {
  return {
    id: `00T${String(index).padStart(10, '0')}FAKE0a7`,
    name: `token-${index}`,
    userId,
    clientName: 'Okta API',
    created: '2025-06-01T10:00:00.000Z',
    lastUpdated: '2025-06-01T10:00:00.000Z',
    expiresAt: '2026-12-31T10:00:00.000Z',
    tokenWindow: 'P30D',
    network: { connection: 'ANYWHERE' },
    ...options,
  };
}

/** A user's OAuth scope consent grant as GET /api/v1/users/{id}/grants returns it. */
export function makeOktaGrant(index: number, userId: string, options: Partial<OktaFakeGrant> = {}): OktaFakeGrant {
  return {
    id: `oag${String(index).padStart(10, '0')}FAKE0a7`,
    userId,
    clientId: '0oa1fakeclient000000',
    scopeId: 'okta.users.read',
    issuer: 'https://example.okta.com',
    status: 'ACTIVE',
    source: 'END_USER',
    created: '2025-03-01T10:00:00.000Z',
    createdBy: { id: userId, type: 'User' },
    lastUpdated: '2025-03-01T10:00:00.000Z',
    ...options,
  };
}

/** A System Log sign-in event of a user (`actorId` null: a user Okta does not know, logged as actor "unknown"). */
export function makeOktaLogEvent(
  index: number,
  published: string,
  options: {
    actorId?: string | null;
    login?: string;
    eventType?: string;
    result?: string;
    reason?: string | null;
    ip?: string;
    app?: string;
  } = {},
): OktaFakeLogEvent {
  const eventType = options.eventType ?? 'user.session.start';
  return {
    uuid: `${String(index).padStart(8, '0')}-5b2c-11ee-9f3a-${published.replace(/\D/g, '').slice(0, 12)}`,
    published,
    eventType,
    displayMessage: eventType === 'user.session.start' ? 'User login to Okta' : 'User single sign on to app',
    severity: options.result === 'FAILURE' ? 'WARN' : 'INFO',
    actor: {
      id: options.actorId === null ? 'unknown' : (options.actorId ?? `00u${String(index).padStart(10, '0')}FAKE0a7`),
      type: 'User',
      alternateId: options.login ?? `user${index}@example.com`,
      displayName: options.actorId === null ? 'unknown' : `User ${index}`,
    },
    client: { ipAddress: options.ip ?? '203.0.113.10', userAgent: { rawUserAgent: 'Mozilla/5.0' } },
    outcome: { result: options.result ?? 'SUCCESS', reason: options.reason ?? null },
    target: options.app
      ? [{ id: '0oa1fake', type: 'AppInstance', alternateId: options.app, displayName: options.app }]
      : null,
  };
}
