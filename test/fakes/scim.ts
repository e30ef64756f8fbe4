import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback SCIM 2.0 service provider (RFC 7644) with the quirks real apps have: a server-side page cap, short
 * pages, a page count that lies, throttling and outages on demand. Deliberately independent of collectors/scim so a
 * misreading of the RFC there is not mirrored here.
 */

const LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE_USER = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const SERVICE_PROVIDER_CONFIG = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
const MEDIA_TYPE = 'application/scim+json';
const PREFIX = '/scim/v2';

export type ScimFakeUser = { id: string } & Record<string, unknown>;

export interface ScimFakeOptions {
  users?: ScimFakeUser[];
  token?: string;
  /** Server-side page cap: a larger `count` gets this many at most (also the default page size). */
  maxPageSize?: number;
  /** Quirk: pages come back 0-6 users shorter than they could be, never empty. */
  shortPages?: boolean;
  /** Quirk: from this startIndex on, pages are empty while totalResults still counts every user. */
  emptyFrom?: number;
  /** Quirk: startIndex is ignored, every page is the first one. */
  ignoreStartIndex?: boolean;
  /** Quirk: the error detail echoes the Authorization header it was sent. */
  echoAuthorizationInErrors?: boolean;
  /** Delay before every answer. */
  latencyMs?: number;
  /**
   * Writes (PATCH, DELETE) take effect at once but their answer is held this long: the window in which a client can
   * die after the change happened and before it heard so.
   */
  holdWriteAnswersMs?: number;
  /** Called before each /Users listing page is cut, to change the directory mid-listing. */
  onList?: (state: ScimFakeState, startIndex: number) => void;
}

export interface InjectedFailure {
  status: number;
  /** How many matching calls fail. */
  times: number;
  /** Sent as Retry-After (seconds or an HTTP date). */
  retryAfter?: string;
  /** Only calls whose path (below /scim/v2) starts with this; all calls when left out. */
  path?: string;
}

export interface ScimFakeRequest {
  method: string;
  /** Below /scim/v2, e.g. "/Users" or "/Users/u1". */
  path: string;
  query: Record<string, string>;
  body: unknown;
  /** The Accept header sent. */
  accept: string | undefined;
  authorized: boolean;
  status: number;
  /** Epoch ms when the answer was sent. */
  at: number;
}

export interface ScimFakeState {
  /** Listing order is array order. */
  users: ScimFakeUser[];
  requests: ScimFakeRequest[];
  failures: InjectedFailure[];
  token: string;
}

export interface ScimFake {
  /** http://127.0.0.1:PORT/scim/v2 */
  baseUrl: string;
  state: ScimFakeState;
  inject(failure: InjectedFailure): void;
  close(): Promise<void>;
}

/** A typical SCIM user; `overrides` replace top-level attributes (null removes one). */
export function makeScimUser(index: number, overrides: Record<string, unknown> = {}): ScimFakeUser {
  const padded = String(index).padStart(5, '0');
  const user: Record<string, unknown> = {
    schemas: [USER, ENTERPRISE_USER],
    id: `2819c223-7f76-453a-919d-${padded.padStart(12, '0')}`,
    externalId: `ext-${padded}`,
    userName: `user${padded}@example.com`,
    name: { givenName: 'User', familyName: padded, formatted: `User ${padded}` },
    displayName: `User ${padded}`,
    active: true,
    emails: [{ value: `user${padded}@example.com`, type: 'work', primary: true }],
    [ENTERPRISE_USER]: { employeeNumber: `E${padded}` },
    meta: {
      resourceType: 'User',
      created: '2024-01-15T09:30:00Z',
      lastModified: '2024-06-01T12:00:00Z',
    },
    ...overrides,
  };
  for (const [key, value] of Object.entries(overrides)) if (value === null) delete user[key];
  return user as ScimFakeUser;
}

export function makeScimUsers(count: number): ScimFakeUser[] {
  return Array.from({ length: count }, (_, index) => makeScimUser(index + 1));
}

export async function startScimFake(options: ScimFakeOptions = {}): Promise<ScimFake> {
  const state: ScimFakeState = {
    users: options.users ? [...options.users] : [],
    requests: [],
    failures: [],
    token: options.token ?? 'scim-fake-token',
  };
  const maxPageSize = options.maxPageSize ?? 1000;
  const timers = new Set<NodeJS.Timeout>();

  const server = createServer((req, res) => {
    readBody(req).then(
      (raw) => {
        const answer = () => {
          if (!res.destroyed) handle(req, res, raw);
        };
        if (!options.latencyMs) return answer();
        const timer = setTimeout(() => {
          timers.delete(timer);
          answer();
        }, options.latencyMs);
        timers.add(timer);
      },
      () => res.destroy(),
    );
  });

  function handle(req: IncomingMessage, res: ServerResponse, raw: string): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname.startsWith(PREFIX) ? url.pathname.slice(PREFIX.length) || '/' : url.pathname;
    const method = req.method ?? 'GET';
    const authorization = req.headers.authorization ?? '';
    const authorized = authorization === `Bearer ${state.token}`;
    let body: unknown = undefined;
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      state.requests.push({
        method,
        path,
        query: Object.fromEntries(url.searchParams),
        body,
        accept: req.headers.accept,
        authorized,
        status,
        at: Date.now(),
      });
      const reply = () => {
        if (res.destroyed) return;
        res.writeHead(status, { 'Content-Type': MEDIA_TYPE, ...headers });
        res.end(payload === undefined ? undefined : JSON.stringify(payload));
      };
      if (options.holdWriteAnswersMs && (method === 'PATCH' || method === 'DELETE')) {
        const timer = setTimeout(() => {
          timers.delete(timer);
          reply();
        }, options.holdWriteAnswersMs);
        timers.add(timer);
      } else {
        reply();
      }
    };
    const error = (status: number, detail: string, scimType?: string, headers: Record<string, string> = {}) =>
      send(status, { schemas: [ERROR], status: String(status), ...(scimType ? { scimType } : {}), detail }, headers);

    if (raw !== '') {
      try {
        body = JSON.parse(raw);
      } catch {
        return error(400, 'request body is not JSON', 'invalidSyntax');
      }
    }

    const failure = state.failures.find((entry) => entry.path === undefined || path.startsWith(entry.path));
    if (failure) {
      failure.times--;
      if (failure.times <= 0) state.failures.splice(state.failures.indexOf(failure), 1);
      const headers: Record<string, string> =
        failure.retryAfter === undefined ? {} : { 'Retry-After': failure.retryAfter };
      return error(failure.status, `injected failure (HTTP ${failure.status})`, undefined, headers);
    }

    if (!url.pathname.startsWith(PREFIX)) return error(404, `no SCIM endpoint at ${url.pathname}`);
    if (!authorized) {
      const detail = options.echoAuthorizationInErrors
        ? `invalid credentials: ${authorization}`
        : 'authentication failed: invalid bearer token';
      return error(401, detail, undefined, { 'WWW-Authenticate': 'Bearer realm="scim"' });
    }

    if (method === 'GET' && path === '/ServiceProviderConfig') {
      return send(200, {
        schemas: [SERVICE_PROVIDER_CONFIG],
        patch: { supported: true },
        bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
        filter: { supported: true, maxResults: maxPageSize },
        changePassword: { supported: false },
        sort: { supported: false },
        etag: { supported: false },
        authenticationSchemes: [{ type: 'oauthbearertoken', name: 'OAuth Bearer Token', primary: true }],
        meta: { resourceType: 'ServiceProviderConfig', location: `${PREFIX}/ServiceProviderConfig` },
      });
    }
    if (method === 'GET' && path === '/Users') return listUsers(url.searchParams, send, error);

    const userMatch = /^\/Users\/([^/]+)$/.exec(path);
    if (userMatch) {
      const id = decodeURIComponent(userMatch[1]!);
      const index = state.users.findIndex((user) => user.id === id);
      if (index < 0) return error(404, `Resource ${id} not found`);
      if (method === 'GET') return send(200, state.users[index]);
      if (method === 'DELETE') {
        state.users.splice(index, 1);
        return send(204, undefined);
      }
      if (method === 'PATCH') {
        const patched = applyPatch(state.users[index]!, body);
        if (typeof patched === 'string') return error(400, patched, 'invalidSyntax');
        state.users[index] = patched;
        return send(200, patched);
      }
      return error(405, `${method} is not supported on /Users/{id}`);
    }
    return error(404, `no SCIM endpoint at ${url.pathname}`);
  }

  function listUsers(
    params: URLSearchParams,
    send: (status: number, payload: unknown) => void,
    error: (status: number, detail: string, scimType?: string) => void,
  ): void {
    // RFC 7644 §3.4.2.4: startIndex below 1 means 1; a negative count means 0; the server may return fewer.
    const startIndex = Math.max(1, Number.parseInt(params.get('startIndex') ?? '1', 10) || 1);
    const askedCount = params.has('count') ? Number.parseInt(params.get('count')!, 10) : maxPageSize;
    options.onList?.(state, startIndex);
    let users = state.users;
    const filter = params.get('filter');
    if (filter !== null) {
      const match = /^\s*userName\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$/i.exec(filter);
      if (!match) return error(400, `unsupported filter: ${filter}`, 'invalidFilter');
      const wanted = match[1]!.replace(/\\(.)/g, '$1').toLowerCase();
      users = users.filter((user) => String(user.userName).toLowerCase() === wanted);
    }
    let limit = Math.min(Math.max(0, Number.isNaN(askedCount) ? maxPageSize : askedCount), maxPageSize);
    if (options.shortPages && limit > 1) limit = Math.max(1, limit - (startIndex % 7));
    const from = options.ignoreStartIndex ? 0 : startIndex - 1;
    const empty = options.emptyFrom !== undefined && startIndex >= options.emptyFrom;
    const resources = empty ? [] : users.slice(from, from + limit);
    send(200, {
      schemas: [LIST_RESPONSE],
      totalResults: users.length,
      itemsPerPage: resources.length,
      startIndex: options.ignoreStartIndex ? 1 : startIndex,
      Resources: resources,
    });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}${PREFIX}`,
    state,
    inject(failure) {
      state.failures.push({ ...failure });
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** RFC 7644 §3.5.2: replace/add set an attribute (by path, or a value object without path); remove deletes it. */
function applyPatch(user: ScimFakeUser, body: unknown): ScimFakeUser | string {
  const message = body as { schemas?: unknown; Operations?: unknown } | undefined;
  if (!Array.isArray(message?.schemas) || !message.schemas.includes(PATCH_OP)) return `schemas must list ${PATCH_OP}`;
  if (!Array.isArray(message.Operations) || message.Operations.length === 0) return 'Operations must not be empty';
  const next: Record<string, unknown> = structuredClone(user);
  for (const operation of message.Operations as { op?: unknown; path?: unknown; value?: unknown }[]) {
    const op = typeof operation.op === 'string' ? operation.op.toLowerCase() : '';
    const path = operation.path;
    if (path !== undefined && (typeof path !== 'string' || !/^[A-Za-z][\w]*$/.test(path))) {
      return `unsupported path: ${String(path)}`;
    }
    if (op === 'remove') {
      if (path === undefined) return 'remove needs a path';
      delete next[path];
    } else if (op === 'replace' || op === 'add') {
      if (path !== undefined) next[path] = operation.value;
      else if (typeof operation.value === 'object' && operation.value !== null) Object.assign(next, operation.value);
      else return `${op} without a path needs an object value`;
    } else {
      return `unknown op: ${String(operation.op)}`;
    }
  }
  next.meta = { ...(next.meta as Record<string, unknown>), lastModified: new Date().toISOString() };
  return next as ScimFakeUser;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
