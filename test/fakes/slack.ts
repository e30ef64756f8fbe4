import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A loopback fake of the Slack Web API that behaves like the real one where zombiescan depends on it:
 * every method is `POST {apiUrl}{method}` (form-encoded; JSON only where Slack accepts it), the token comes as
 * `Authorization: Bearer` (or a `token` form field), errors are HTTP 200 `{ok:false, error}` except 429 with
 * Retry-After, users.list pages by opaque cursor with `next_cursor: ""` at the end and leaves out emails without
 * `users:read.email`, and team.accessLogs needs a paid plan and an admin user token. team.integrationLogs (apps and
 * custom integrations members added, removed, enabled, disabled or updated) needs an admin user token and pages the
 * classic way (`count`, default 100; `page`, default 1; `paging: {count, total, page, pages}`), newest first, with the
 * documented filters (app_id, service_id, user, change_type).
 *
 * Methods live in a table (`METHODS`): add one with its tier, scopes, token types and handler.
 *
 * Beside the Web API, Slack's SCIM v2 API (`{scimUrl}Users/{id}`, GET and DELETE = deactivate): REST verbs, SCIM
 * error documents whose `detail` is Slack's error code, Business+ / Enterprise only, an admin-scoped user token,
 * and no way to deactivate an owner or a bot.
 *
 * `latencyMs` holds every answer (SCIM and injected failures included) that long after the request arrived, like a
 * distant API: for benchmarks of concurrent remediation.
 */

export const FAKE_BOT_TOKEN = 'xoxb-fake-bot-token-0000';
export const FAKE_ADMIN_TOKEN = 'xoxp-fake-admin-token-0000';
export const FAKE_TEAM_ID = 'T0FAKETEAM';

export type SlackPlan = 'free' | 'pro' | 'business+' | 'enterprise';
export type RateTier = 1 | 2 | 3 | 4 | 'special';

/** A users.list member, as Slack sends it (fields zombiescan reads plus a few for realism). */
export interface SlackMember {
  id: string;
  team_id: string;
  name: string;
  deleted: boolean;
  real_name?: string;
  tz?: string;
  profile: {
    real_name?: string;
    display_name?: string;
    email?: string;
    bot_id?: string;
    team?: string;
    [field: string]: unknown;
  };
  is_admin?: boolean;
  is_owner?: boolean;
  is_primary_owner?: boolean;
  is_restricted?: boolean;
  is_ultra_restricted?: boolean;
  is_bot: boolean;
  is_app_user: boolean;
  is_workflow_bot?: boolean;
  is_invited_user?: boolean;
  updated: number;
}

/** One team.accessLogs row: one per user + IP + user agent combination. */
export interface SlackAccessLogRow {
  user_id: string;
  username: string;
  date_first: number;
  date_last: number;
  count: number;
  ip: string;
  user_agent: string;
  isp: string;
  country: string;
  region: string;
}

/** One team.integrationLogs row: an app (app_id/app_type) or a legacy service (service_id/service_type). */
export interface SlackIntegrationLogRow {
  app_id?: string;
  app_type?: string;
  service_id?: number;
  service_type?: string;
  user_id: string;
  user_name: string;
  channel?: string;
  /** Unix seconds, as a string (Slack sends it so). */
  date: string;
  change_type: 'added' | 'removed' | 'enabled' | 'disabled' | 'updated' | 'expanded';
  reason?: string;
  scope?: string;
}

export interface FakeToken {
  type: 'bot' | 'user';
  scopes: string[];
  /** The user the token acts as (auth.test `user_id`). */
  userId: string;
}

/** Something the next matching calls get instead of the normal answer. */
export type InjectedFailure =
  | { kind: 'rate-limit'; retryAfterSeconds: number }
  | { kind: 'http'; status: number }
  | { kind: 'error'; error: string; extra?: Record<string, unknown> }
  /** The connection is cut before any response: a network error for the client. */
  | { kind: 'network' }
  /** The answer is held back this long, then given normally (an in-flight request to abort). */
  | { kind: 'stall'; ms: number };

export interface RecordedRequest {
  httpMethod: string;
  method: string;
  contentType: string | null;
  /** Arguments from the form or JSON body, `token` left out. */
  params: Record<string, unknown>;
  token: string | null;
  /** Epoch milliseconds when the request arrived. */
  at: number;
  status: number;
  /** The Slack `error` answered (for SCIM: the error document's `detail`), if any. */
  error: string | null;
}

export interface SlackFakeOptions {
  users?: SlackMember[];
  accessLogs?: SlackAccessLogRow[];
  integrationLogs?: SlackIntegrationLogRow[];
  /**
   * `free` answers team.accessLogs with `paid_only`; `free` and `pro` have no SCIM API; only `enterprise` has
   * admin.users.session.reset. Default `business+`.
   */
  plan?: SlackPlan;
  /** Token value -> what it may do. Default: FAKE_BOT_TOKEN (users:read, users:read.email, chat:write) and
   * FAKE_ADMIN_TOKEN (a user token with admin scope, plus admin.users:write on `enterprise`, where it exists). */
  tokens?: Record<string, FakeToken>;
  /** Largest page the server hands out whatever `limit` asks (Slack: 1000). */
  maxPageSize?: number;
  /**
   * Per-method, per-token rate limiting by Slack tier (Tier 1: 1, Tier 2: 20, Tier 3: 50, Tier 4: 100 per minute).
   * Off by default; `windowMs` shrinks the minute for tests.
   */
  throttle?: { windowMs?: number; perWindow?: Partial<Record<RateTier, number>> };
  /** Every answer is sent this many milliseconds after the request arrived (default 0). */
  latencyMs?: number;
}

export interface SlackFakeState {
  users: SlackMember[];
  accessLogs: SlackAccessLogRow[];
  integrationLogs: SlackIntegrationLogRow[];
  plan: SlackPlan;
  tokens: Record<string, FakeToken>;
  requests: RecordedRequest[];
  messages: Array<{ channel: string; text: string | null; blocks: unknown; token: string; ts: string }>;
  /** User ids whose sessions admin.users.session.reset ended, in call order. */
  sessionResets: string[];
  injected: Array<{ method: string; failure: InjectedFailure; remaining: number }>;
  /** Delay before every answer, in milliseconds; may be changed while the fake runs. */
  latencyMs: number;
}

export interface SlackFake {
  /** Ends in `/api/`, like https://slack.com/api/. */
  apiUrl: string;
  /** Ends in `/scim/v2/`, like https://api.slack.com/scim/v2/. */
  scimUrl: string;
  state: SlackFakeState;
  /**
   * The next `times` calls to `method` (`*` for any) get `failure`. SCIM calls are named `scim <VERB> Users`
   * (e.g. `scim DELETE Users`); an `error` failure there answers a SCIM error document with `extra.status`
   * (default 400) and `detail` = the error.
   */
  inject(method: string, failure: InjectedFailure, times?: number): void;
  /** Recorded requests to one method. */
  calls(method: string): RecordedRequest[];
  close(): Promise<void>;
}

const DEFAULT_TIER_LIMITS: Record<RateTier, number> = { 1: 1, 2: 20, 3: 50, 4: 100, special: 60 };

const SCIM_PREFIX = '/scim/v2/';
const SCIM_PLANS: readonly SlackPlan[] = ['business+', 'enterprise'];
const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

class SlackMethodError extends Error {
  constructor(
    readonly error: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(error);
  }
}

interface MethodCall {
  params: Record<string, unknown>;
  token: FakeToken;
  tokenValue: string;
  state: SlackFakeState;
  maxPageSize: number;
}

interface FakeMethod {
  tier: RateTier;
  /** Every scope the token must hold; the first missing one is reported as `needed`. */
  scopes: string[];
  tokenTypes: Array<FakeToken['type']>;
  /** Slack documents application/json as a content type for this method. */
  acceptsJson: boolean;
  handle(call: MethodCall): Record<string, unknown>;
}

const METHODS: Record<string, FakeMethod> = {
  'auth.test': {
    tier: 'special',
    scopes: [],
    tokenTypes: ['bot', 'user'],
    acceptsJson: true,
    handle: ({ token, state }) => {
      const user = state.users.find((member) => member.id === token.userId);
      return {
        url: 'https://fake-team.slack.com/',
        team: 'Fake Team',
        user: user?.name ?? 'unknown',
        team_id: FAKE_TEAM_ID,
        user_id: token.userId,
        ...(token.type === 'bot' ? { bot_id: 'B0FAKEBOT' } : {}),
        is_enterprise_install: false,
      };
    },
  },
  'users.list': {
    tier: 2,
    scopes: ['users:read'],
    tokenTypes: ['bot', 'user'],
    acceptsJson: true,
    handle: ({ params, token, state, maxPageSize }) => {
      const limit = optionalInteger(params.limit) ?? 0;
      // "Providing no limit value will result in Slack attempting to deliver you the entire result set. If the
      // collection is too large you may experience limit_required or HTTP 500 errors."
      if (limit <= 0 && state.users.length > maxPageSize) throw new SlackMethodError('limit_required');
      const pageSize = limit <= 0 ? state.users.length : Math.min(limit, maxPageSize);
      const start = startOfCursor(params.cursor, (id) => indexOfMember(state.users, id), 'user');
      const page = state.users.slice(start, start + pageSize);
      const next = state.users[start + pageSize];
      const canReadEmail = token.scopes.includes('users:read.email');
      return {
        members: page.map((member) => (canReadEmail ? member : withoutEmail(member))),
        cache_ts: Math.floor(Date.now() / 1000),
        response_metadata: { next_cursor: next ? encodeCursor('user', next.id) : '' },
      };
    },
  },
  'team.accessLogs': {
    tier: 2,
    scopes: ['admin'],
    tokenTypes: ['user'],
    acceptsJson: false,
    handle: ({ params, state }) => {
      if (state.plan === 'free') throw new SlackMethodError('paid_only');
      const before = optionalInteger(params.before);
      const rows = accessLogsNewestFirst(state.accessLogs, before);
      const limit = optionalInteger(params.limit);
      // "If [limit is] specified, result is returned using a cursor-based approach instead of a classic one."
      if (limit !== undefined && limit > 0) {
        const start = startOfCursor(params.cursor, (offset) => Number(offset), 'offset');
        const end = start + Math.min(limit, 1000);
        return {
          logins: rows.slice(start, end),
          response_metadata: { next_cursor: end < rows.length ? encodeCursor('offset', String(end)) : '' },
        };
      }
      const count = optionalInteger(params.count) ?? 100;
      const page = optionalInteger(params.page) ?? 1;
      if (count > 1000 || page > 100) throw new SlackMethodError('over_pagination_limit');
      return {
        logins: rows.slice((page - 1) * count, page * count),
        paging: { count, total: rows.length, page, pages: Math.max(1, Math.ceil(rows.length / count)) },
      };
    },
  },
  'team.integrationLogs': {
    tier: 2,
    scopes: ['admin'],
    tokenTypes: ['user'],
    acceptsJson: false,
    handle: ({ params, state }) => {
      const count = optionalInteger(params.count) ?? 100;
      const page = optionalInteger(params.page) ?? 1;
      if (count < 1 || page < 1) throw new SlackMethodError('invalid_arguments');
      if (count > 1000 || page > 100) throw new SlackMethodError('over_pagination_limit');
      const rows = state.integrationLogs
        .filter(
          (row) =>
            (params.app_id === undefined || row.app_id === params.app_id) &&
            (params.service_id === undefined || String(row.service_id) === params.service_id) &&
            (params.user === undefined || row.user_id === params.user) &&
            (params.change_type === undefined || row.change_type === params.change_type),
        )
        .sort((a, b) => Number(b.date) - Number(a.date));
      return {
        logs: rows.slice((page - 1) * count, page * count),
        paging: { count, total: rows.length, page, pages: Math.max(1, Math.ceil(rows.length / count)) },
      };
    },
  },
  'users.info': {
    tier: 4,
    scopes: ['users:read'],
    tokenTypes: ['bot', 'user'],
    acceptsJson: false,
    handle: ({ params, token, state }) => {
      const member = state.users.find((candidate) => candidate.id === params.user);
      if (!member) throw new SlackMethodError('user_not_found');
      return { user: token.scopes.includes('users:read.email') ? member : withoutEmail(member) };
    },
  },
  'admin.users.session.reset': {
    tier: 2,
    scopes: ['admin.users:write'],
    tokenTypes: ['user'],
    acceptsJson: true,
    handle: ({ params, token, state }) => {
      // "This method is not available for this product level": every plan below Enterprise Grid.
      if (state.plan !== 'enterprise') throw new SlackMethodError('feature_not_enabled');
      const member = state.users.find((candidate) => candidate.id === params.user_id);
      if (!member) throw new SlackMethodError('user_not_found');
      if (member.is_bot || member.is_app_user) throw new SlackMethodError('cannot_reset_bot');
      if (member.is_primary_owner && member.id !== token.userId) {
        throw new SlackMethodError('cannot_reset_primary_owner');
      }
      state.sessionResets.push(member.id);
      return {};
    },
  },
  'chat.postMessage': {
    tier: 'special',
    scopes: ['chat:write'],
    tokenTypes: ['bot', 'user'],
    acceptsJson: true,
    handle: ({ params, tokenValue, state }) => {
      const channel = typeof params.channel === 'string' ? params.channel : '';
      if (channel === '') throw new SlackMethodError('channel_not_found');
      const text = typeof params.text === 'string' && params.text !== '' ? params.text : null;
      const blocks = typeof params.blocks === 'string' ? JSON.parse(params.blocks) : (params.blocks ?? null);
      if (text === null && blocks === null) throw new SlackMethodError('no_text');
      const ts = `${Math.floor(Date.now() / 1000)}.${String(state.messages.length + 1).padStart(6, '0')}`;
      state.messages.push({ channel, text, blocks, token: tokenValue, ts });
      return { channel, ts, message: { type: 'message', text: text ?? '', ts, blocks: blocks ?? undefined } };
    },
  },
};

export async function startSlackFake(options: SlackFakeOptions = {}): Promise<SlackFake> {
  const state: SlackFakeState = {
    users: options.users ?? [],
    accessLogs: options.accessLogs ?? [],
    integrationLogs: options.integrationLogs ?? [],
    plan: options.plan ?? 'business+',
    tokens: options.tokens ?? defaultTokens(options.users ?? [], options.plan ?? 'business+'),
    requests: [],
    messages: [],
    sessionResets: [],
    injected: [],
    latencyMs: options.latencyMs ?? 0,
  };
  const maxPageSize = options.maxPageSize ?? 1000;
  const throttleWindowMs = options.throttle?.windowMs ?? 60_000;
  const tierLimits = { ...DEFAULT_TIER_LIMITS, ...options.throttle?.perWindow };
  const recentCalls = new Map<string, number[]>();

  const retryAfterIfThrottled = (method: string, tier: RateTier, token: string): number | null => {
    if (!options.throttle) return null;
    const key = `${method} ${token}`;
    const now = Date.now();
    const calls = (recentCalls.get(key) ?? []).filter((at) => at > now - throttleWindowMs);
    recentCalls.set(key, calls);
    if (calls.length >= tierLimits[tier]) return Math.max(1, Math.ceil((calls[0]! + throttleWindowMs - now) / 1000));
    calls.push(now);
    return null;
  };

  /** The failure injected for the next call to `method`, consumed; null when none is pending. */
  const takeInjected = (method: string): InjectedFailure | null => {
    const injected = state.injected.find((entry) => entry.remaining > 0 && [method, '*'].includes(entry.method));
    if (!injected) return null;
    injected.remaining--;
    return injected.failure;
  };

  const handleScim = async (
    request: IncomingMessage,
    response: ServerResponse,
    route: string,
    at: number,
  ): Promise<void> => {
    await readBody(request);
    const httpMethod = request.method ?? '';
    const [resource = '', rawId, ...rest] = route.split('/');
    const id = rawId === undefined || rawId === '' ? undefined : decodeURIComponent(rawId);
    const tokenValue = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? null;
    const record: RecordedRequest = {
      httpMethod,
      method: `scim ${httpMethod} ${resource}`,
      contentType: request.headers['content-type'] ?? null,
      params: id === undefined ? {} : { id },
      token: tokenValue,
      at,
      status: 200,
      error: null,
    };
    state.requests.push(record);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      if (body === null) {
        response.writeHead(status, headers);
        response.end();
        return;
      }
      response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      response.end(JSON.stringify(body));
    };
    // Slack's SCIM v2 errors: `{"schemas": [...Error], "detail": "<slack error code>", "status": 400}`.
    const fail = (status: number, detail: string, headers: Record<string, string> = {}) => {
      record.error = detail;
      send(status, { schemas: [SCIM_ERROR_SCHEMA], detail, status }, headers);
    };

    const failure = takeInjected(record.method);
    if (failure?.kind === 'network') {
      record.status = 0;
      request.socket.destroy();
      return;
    }
    if (failure?.kind === 'rate-limit') {
      return fail(429, 'too_many_requests', { 'retry-after': String(failure.retryAfterSeconds) });
    }
    if (failure?.kind === 'http') {
      record.status = failure.status;
      response.writeHead(failure.status, { 'content-type': 'text/html' });
      response.end(`<html><body>${failure.status} fake upstream failure</body></html>`);
      return;
    }
    if (failure?.kind === 'error') return fail(Number(failure.extra?.status ?? 400), failure.error);
    if (failure?.kind === 'stall') await sleep(failure.ms);

    if (tokenValue === null) return fail(401, 'missing_authentication');
    const token = state.tokens[tokenValue];
    // "It may not have been granted the proper admin scope or may not have been installed by an administrator."
    if (!token || token.type !== 'user' || !token.scopes.includes('admin')) {
      return fail(401, 'invalid_authentication');
    }
    if (!SCIM_PLANS.includes(state.plan)) return fail(403, 'plus_teams_only');
    if (resource !== 'Users' || id === undefined || rest.length > 0) return fail(404, 'bad_endpoint');
    if (httpMethod !== 'GET' && httpMethod !== 'DELETE') return fail(405, 'method_not_allowed');
    const index = state.users.findIndex((member) => member.id === id);
    const member = state.users[index];
    if (!member) return fail(404, 'no_such_user');
    if (httpMethod === 'GET') return send(200, toScimUser(member));

    if (member.is_bot || member.is_app_user || member.id === 'USLACKBOT') {
      return fail(400, 'cannot_disable_bot_user_with_scim');
    }
    if (member.is_primary_owner) return fail(403, 'cannot_disable_primary_owner');
    // Workspace ownership cannot be changed through SCIM: an owner must be demoted in Slack's admin pages first.
    if (member.is_owner) return fail(403, 'cannot_modify_owner');
    // Deactivating an already deactivated member succeeds again.
    state.users[index] = { ...member, deleted: true, updated: Math.floor(Date.now() / 1000) };
    return send(204, null);
  };

  const handle = async (request: IncomingMessage, response: ServerResponse, at: number): Promise<void> => {
    const pathname = new URL(request.url ?? '/', 'http://fake').pathname;
    if (pathname.startsWith(SCIM_PREFIX)) {
      return handleScim(request, response, pathname.slice(SCIM_PREFIX.length), at);
    }
    const method = decodeURIComponent(pathname.replace(/^\/api\//, ''));
    const contentType = request.headers['content-type'] ?? null;
    const body = await readBody(request);
    const record: RecordedRequest = {
      httpMethod: request.method ?? '',
      method,
      contentType,
      params: {},
      token: null,
      at,
      status: 200,
      error: null,
    };
    state.requests.push(record);
    const send = (status: number, payload: Record<string, unknown>, headers: Record<string, string> = {}) => {
      record.status = status;
      record.error = payload.ok === false ? String(payload.error) : null;
      response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      response.end(JSON.stringify(payload));
    };

    const definition = METHODS[method];
    if (!definition) return send(404, { ok: false, error: 'unknown_method', req_method: method });
    // Slack also takes GET with a query string; zombiescan (through the SDK) always POSTs, so the fake refuses
    // anything else rather than model it.
    if (request.method !== 'POST') return send(405, { ok: false, error: 'fake_supports_post_only' });

    let params: Record<string, unknown>;
    const mediaType = contentType?.split(';')[0]?.trim().toLowerCase() ?? null;
    if (body.length > 0 && mediaType === null) return send(200, { ok: false, error: 'missing_post_type' });
    if (mediaType === 'application/json') {
      try {
        params = JSON.parse(body) as Record<string, unknown>;
      } catch {
        return send(200, { ok: false, error: 'invalid_json' });
      }
      // Methods without JSON support ignore a JSON body's arguments.
      if (!definition.acceptsJson) params = {};
    } else if (mediaType === 'application/x-www-form-urlencoded' || mediaType === null) {
      params = Object.fromEntries(new URLSearchParams(body));
    } else {
      return send(200, { ok: false, error: 'invalid_post_type' });
    }
    const bearer = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? null;
    // A JSON body cannot carry the token: Slack requires the Authorization header then.
    const formToken = mediaType !== 'application/json' && typeof params.token === 'string' ? params.token : null;
    const tokenValue = bearer ?? formToken;
    delete params.token;
    record.params = params;
    record.token = tokenValue;

    const failure = takeInjected(method);
    if (failure) {
      if (failure.kind === 'network') {
        record.status = 0;
        request.socket.destroy();
        return;
      }
      if (failure.kind === 'rate-limit') {
        return send(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(failure.retryAfterSeconds) });
      }
      if (failure.kind === 'http') {
        record.status = failure.status;
        response.writeHead(failure.status, { 'content-type': 'text/html' });
        response.end(`<html><body>${failure.status} fake upstream failure</body></html>`);
        return;
      }
      if (failure.kind === 'error') return send(200, { ok: false, error: failure.error, ...failure.extra });
      await sleep(failure.ms);
    }

    if (tokenValue === null) return send(200, { ok: false, error: 'not_authed' });
    const token = state.tokens[tokenValue];
    if (!token) return send(200, { ok: false, error: 'invalid_auth' });
    const scopeHeaders = {
      'x-oauth-scopes': token.scopes.join(','),
      'x-accepted-oauth-scopes': definition.scopes.join(','),
    };
    const retryAfter = retryAfterIfThrottled(method, definition.tier, tokenValue);
    if (retryAfter !== null) {
      return send(429, { ok: false, error: 'ratelimited' }, { ...scopeHeaders, 'retry-after': String(retryAfter) });
    }
    if (!definition.tokenTypes.includes(token.type)) {
      return send(200, { ok: false, error: 'not_allowed_token_type' }, scopeHeaders);
    }
    const missing = definition.scopes.find((scope) => !token.scopes.includes(scope));
    if (missing) {
      return send(
        200,
        { ok: false, error: 'missing_scope', needed: missing, provided: token.scopes.join(',') },
        scopeHeaders,
      );
    }
    try {
      send(200, { ok: true, ...definition.handle({ params, token, tokenValue, state, maxPageSize }) }, scopeHeaders);
    } catch (error) {
      if (!(error instanceof SlackMethodError)) throw error;
      send(200, { ok: false, error: error.error, ...error.extra }, scopeHeaders);
    }
  };

  const pendingAnswers = new Set<NodeJS.Timeout>();
  const server = createServer((request, response) => {
    const arrivedAt = Date.now();
    const answer = () => {
      handle(request, response, arrivedAt).catch((error: unknown) => {
        if (!response.headersSent) {
          response.writeHead(500, { 'content-type': 'text/plain' });
          response.end(`fake failure: ${String(error)}`);
        }
      });
    };
    if (state.latencyMs <= 0) return answer();
    const timer = setTimeout(() => {
      pendingAnswers.delete(timer);
      answer();
    }, state.latencyMs);
    pendingAnswers.add(timer);
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    apiUrl: `http://127.0.0.1:${port}/api/`,
    scimUrl: `http://127.0.0.1:${port}${SCIM_PREFIX}`,
    state,
    inject(method, failure, times = 1) {
      state.injected.push({ method, failure, remaining: times });
    },
    calls: (method) => state.requests.filter((request) => request.method === method),
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const timer of pendingAnswers) clearTimeout(timer);
        pendingAnswers.clear();
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function defaultTokens(users: SlackMember[], plan: SlackPlan): Record<string, FakeToken> {
  const owner = users.find((member) => member.is_primary_owner)?.id ?? 'U0FAKEOWNER';
  // admin.* scopes exist only for apps installed on an Enterprise Grid org.
  const adminScopes = [
    'admin',
    'users:read',
    'users:read.email',
    ...(plan === 'enterprise' ? ['admin.users:write'] : []),
  ];
  return {
    [FAKE_BOT_TOKEN]: { type: 'bot', scopes: ['users:read', 'users:read.email', 'chat:write'], userId: 'U0FAKEBOT' },
    [FAKE_ADMIN_TOKEN]: { type: 'user', scopes: adminScopes, userId: owner },
  };
}

/** A member as Slack's SCIM v2 API shows it: `active` is false once deactivated. */
function toScimUser(member: SlackMember): Record<string, unknown> {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    id: member.id,
    externalId: '',
    userName: member.name,
    displayName: member.profile.display_name ?? member.name,
    name: { givenName: member.real_name ?? '', familyName: '' },
    active: !member.deleted,
    emails: member.profile.email ? [{ value: member.profile.email, primary: true }] : [],
    meta: { location: `https://api.slack.com/scim/v2/Users/${member.id}` },
  };
}

function withoutEmail(member: SlackMember): SlackMember {
  const { email: _email, ...profile } = member.profile;
  return { ...member, profile };
}

// Paging indexes, built once per array rather than per page (a findIndex or a sort per page made listing N members
// O(N²); npm run bench pages through 200,000). Members keep their index when deactivated; a new array or length
// rebuilds them.
const memberIndexes = new WeakMap<SlackMember[], { length: number; byId: Map<string, number> }>();
function indexOfMember(users: SlackMember[], id: string): number {
  let index = memberIndexes.get(users);
  if (index?.length !== users.length) {
    index = { length: users.length, byId: new Map(users.map((member, position) => [member.id, position])) };
    memberIndexes.set(users, index);
  }
  return index.byId.get(id) ?? -1;
}

const sortedAccessLogs = new WeakMap<
  SlackAccessLogRow[],
  { length: number; before: number | undefined; rows: SlackAccessLogRow[] }
>();
function accessLogsNewestFirst(logs: SlackAccessLogRow[], before: number | undefined): SlackAccessLogRow[] {
  let sorted = sortedAccessLogs.get(logs);
  if (sorted?.length !== logs.length || sorted.before !== before) {
    const rows = logs
      .filter((row) => before === undefined || row.date_first <= before)
      .sort((a, b) => b.date_last - a.date_last);
    sorted = { length: logs.length, before, rows };
    sortedAccessLogs.set(logs, sorted);
  }
  return sorted.rows;
}

function optionalInteger(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed)) throw new SlackMethodError('invalid_arguments');
  return parsed;
}

/** Slack cursors are opaque base64, e.g. "dXNlcjpVMDYxTkZUVDI=" = "user:U061NFTT2". */
function encodeCursor(kind: string, position: string): string {
  return Buffer.from(`${kind}:${position}`).toString('base64');
}

function startOfCursor(cursor: unknown, locate: (position: string) => number, kind: string): number {
  if (cursor === undefined || cursor === '') return 0;
  const decoded = Buffer.from(String(cursor), 'base64').toString('utf8');
  const position = decoded.startsWith(`${kind}:`) ? locate(decoded.slice(kind.length + 1)) : -1;
  if (!Number.isInteger(position) || position < 0) throw new SlackMethodError('invalid_cursor');
  return position;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

// ---- Builders for realistic workspaces ------------------------------------------------------------------------

const EPOCH_2024 = 1_704_067_200;

/** A human member with sensible defaults; override any field. */
export function slackMember(overrides: Partial<SlackMember> & { id: string }): SlackMember {
  const name = overrides.name ?? overrides.id.toLowerCase();
  const realName = overrides.real_name ?? `Person ${overrides.id}`;
  return {
    team_id: FAKE_TEAM_ID,
    name,
    deleted: false,
    real_name: realName,
    tz: 'Europe/London',
    is_admin: false,
    is_owner: false,
    is_primary_owner: false,
    is_restricted: false,
    is_ultra_restricted: false,
    is_bot: false,
    is_app_user: false,
    updated: EPOCH_2024,
    ...overrides,
    profile: {
      real_name: realName,
      display_name: name,
      email: `${name}@example.com`,
      team: FAKE_TEAM_ID,
      ...overrides.profile,
    },
  };
}

/** Slackbot as users.list returns it: is_bot is false, it has no email, and it is present in every workspace. */
export function slackbotMember(): SlackMember {
  return {
    id: 'USLACKBOT',
    team_id: FAKE_TEAM_ID,
    name: 'slackbot',
    deleted: false,
    real_name: 'Slackbot',
    tz: 'America/Los_Angeles',
    profile: { real_name: 'Slackbot', display_name: 'Slackbot', team: FAKE_TEAM_ID },
    is_admin: false,
    is_owner: false,
    is_primary_owner: false,
    is_restricted: false,
    is_ultra_restricted: false,
    is_bot: false,
    is_app_user: false,
    updated: 0,
  };
}

/** `count` humans (ids U00000001…), with a deleted, an invited and a bot member mixed in every 50. */
export function generateMembers(count: number): SlackMember[] {
  return Array.from({ length: count }, (_, index) => {
    const id = `U${String(index + 1).padStart(8, '0')}`;
    const name = `user${index + 1}`;
    if (index % 50 === 17) {
      return slackMember({ id, name, is_bot: true, profile: { bot_id: `B${id.slice(1)}`, email: undefined } });
    }
    return slackMember({ id, name, deleted: index % 50 === 7, is_invited_user: index % 50 === 11 });
  });
}

/** One access-log row; several per user model different IPs and clients. */
export function accessLogRow(userId: string, dateLast: number, overrides: Partial<SlackAccessLogRow> = {}) {
  return {
    user_id: userId,
    username: userId.toLowerCase(),
    date_first: dateLast - 86_400,
    date_last: dateLast,
    count: 3,
    ip: '192.0.2.10',
    user_agent: 'Slack_SSB/4.41.105 Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)',
    isp: 'Example ISP',
    country: 'GB',
    region: 'England',
    ...overrides,
  } satisfies SlackAccessLogRow;
}
