import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback Microsoft Graph + Microsoft identity platform, close enough to the real ones that the real Graph SDK
 * runs against it unchanged. It serves https (the SDK attaches the token and parses nextLinks only for https hosts)
 * with the self-signed certificate in ./certs (CN=localhost, SAN localhost + 127.0.0.1, valid 100 years).
 *
 * Reproduced behaviour (Graph docs "List users", "List unifiedRoleAssignments", "signInActivity", AAD error codes):
 * - POST {authority}/{tenant}/oauth2/v2.0/token, client credentials; AADSTS error bodies (400/401).
 * - Every Graph call needs a valid bearer token, else 401 InvalidAuthenticationToken.
 * - GET /v1.0/users: without $select only the default property set comes back (no accountEnabled, userType...);
 *   an unknown $select property is a 400; $top 1..999 (default 100), at most 120 per page when signInActivity is
 *   selected; absolute @odata.nextLink carrying the query plus an opaque $skiptoken; signInActivity omitted for
 *   users who never signed in; selecting it is a 403 without AuditLog.Read.All or without a P1/P2 licence.
 * - GET /v1.0/roleManagement/directory/roleAssignments, paged, 403 without RoleManagement.Read.Directory.
 * - Injectable failures (429 with Retry-After, 5xx, 401, connection reset) and a request log.
 */

export const TEST_CA_CERTIFICATE = readFileSync(new URL('./certs/localhost-cert.pem', import.meta.url), 'utf8');
const TEST_KEY = readFileSync(new URL('./certs/localhost-key.pem', import.meta.url), 'utf8');

export interface FakeSignInActivity {
  lastSignInDateTime?: string | null;
  lastSignInRequestId?: string | null;
  lastNonInteractiveSignInDateTime?: string | null;
  lastNonInteractiveSignInRequestId?: string | null;
  lastSuccessfulSignInDateTime?: string | null;
  lastSuccessfulSignInRequestId?: string | null;
}

/** A user as the directory holds it; the fake projects it the way Graph does. */
export interface FakeGraphUser {
  id: string;
  userPrincipalName: string;
  displayName: string | null;
  givenName: string | null;
  surname: string | null;
  jobTitle: string | null;
  mail: string | null;
  mobilePhone: string | null;
  officeLocation: string | null;
  preferredLanguage: string | null;
  businessPhones: string[];
  otherMails: string[];
  proxyAddresses: string[];
  employeeId: string | null;
  accountEnabled: boolean;
  userType: 'Member' | 'Guest';
  createdDateTime: string;
  externalUserState: string | null;
  onPremisesSyncEnabled: boolean | null;
  assignedLicenses: { disabledPlans: string[]; skuId: string }[];
  /** Undefined = never signed in: Graph then leaves the property out. */
  signInActivity?: FakeSignInActivity;
}

export interface FakeRoleAssignment {
  id: string;
  principalId: string;
  roleDefinitionId: string;
  directoryScopeId: string;
}

export type GraphPermission = 'User.Read.All' | 'AuditLog.Read.All' | 'RoleManagement.Read.Directory';
export const ALL_PERMISSIONS: readonly GraphPermission[] = [
  'User.Read.All',
  'AuditLog.Read.All',
  'RoleManagement.Read.Directory',
];

export interface PageCaps {
  /** Page size when $top is not given. */
  defaultTop: number;
  /** Largest $top accepted (Graph: 999; more is a 400). */
  maxTop: number;
  /** Page cap when signInActivity is selected (Graph docs: 120). */
  signInActivity: number;
  /** Page size of role assignments. */
  roleAssignments: number;
}

export type FailureTarget = 'token' | 'users' | 'roleAssignments' | 'graph';

export interface InjectedFailure {
  /** 'graph' matches any Graph call. */
  target: FailureTarget;
  /** An HTTP status, or 'reset' to drop the connection without an answer. */
  status: number | 'reset';
  /** How many matching requests fail (default 1). */
  times?: number;
  retryAfterSeconds?: number;
  code?: string;
  message?: string;
}

export interface LoggedRequest {
  method: string;
  target: FailureTarget | 'other';
  path: string;
  /** Decoded query parameters ($select, $top, $skiptoken...). */
  query: Record<string, string>;
  /** The raw query string as received. */
  rawQuery: string;
  hadBearer: boolean;
  /** The SDK's telemetry header ("graph-js/3.0.7 ..."), proving the request went through the SDK. */
  sdkVersion: string | null;
  status: number | 'reset';
}

export interface GraphFakeState {
  users: FakeGraphUser[];
  roleAssignments: FakeRoleAssignment[];
  permissions: Set<GraphPermission>;
  /** Entra ID P1/P2: without it selecting signInActivity is refused. */
  premium: boolean;
  pageCaps: PageCaps;
  requests: LoggedRequest[];
  tokensIssued: number;
  fail(failure: InjectedFailure): void;
  /** Every token issued so far stops working (revoked or expired). */
  expireTokens(): void;
}

export interface GraphFakeOptions {
  tenantId?: string;
  clientId?: string;
  clientSecret?: string;
  users?: FakeGraphUser[];
  roleAssignments?: FakeRoleAssignment[];
  permissions?: readonly GraphPermission[];
  premium?: boolean;
  pageCaps?: Partial<PageCaps>;
  tokenLifetimeSeconds?: number;
}

export interface GraphFake {
  /** Graph root, e.g. https://127.0.0.1:PORT (the collector's graphUrl). */
  url: string;
  /** The identity platform root (a path on the same server, so a mixed-up URL is caught). */
  authorityUrl: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  caCertificate: string;
  state: GraphFakeState;
  close(): Promise<void>;
}

/** Property names a user collection accepts in $select (the ones the fake knows). */
const USER_PROPERTIES = [
  'id',
  'userPrincipalName',
  'displayName',
  'givenName',
  'surname',
  'jobTitle',
  'mail',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'businessPhones',
  'otherMails',
  'proxyAddresses',
  'employeeId',
  'accountEnabled',
  'userType',
  'createdDateTime',
  'externalUserState',
  'onPremisesSyncEnabled',
  'assignedLicenses',
  'signInActivity',
] as const satisfies readonly (keyof FakeGraphUser)[];
type UserProperty = (typeof USER_PROPERTIES)[number];

/** What GET /users returns without $select (Graph docs, "List users"). */
const DEFAULT_USER_PROPERTIES: readonly UserProperty[] = [
  'businessPhones',
  'displayName',
  'givenName',
  'id',
  'jobTitle',
  'mail',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'userPrincipalName',
];
const COLLECTION_PROPERTIES = new Set<string>(['businessPhones', 'otherMails', 'proxyAddresses', 'assignedLicenses']);
const ROLE_ASSIGNMENT_PROPERTIES = ['id', 'principalId', 'roleDefinitionId', 'directoryScopeId'] as const;

const AUTHORITY_PREFIX = '/login';
const JSON_TYPE =
  'application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8';

export async function startGraphFake(options: GraphFakeOptions = {}): Promise<GraphFake> {
  const tenantId = options.tenantId ?? '11111111-2222-3333-4444-555555555555';
  const clientId = options.clientId ?? 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
  const clientSecret = options.clientSecret ?? `s3cr3t~${randomBytes(12).toString('base64url')}`;
  const tokenLifetimeSeconds = options.tokenLifetimeSeconds ?? 3599;
  const failures: (InjectedFailure & { times: number })[] = [];
  const tokens = new Map<string, number>();

  const state: GraphFakeState = {
    users: options.users ?? [],
    roleAssignments: options.roleAssignments ?? [],
    permissions: new Set(options.permissions ?? ALL_PERMISSIONS),
    premium: options.premium ?? true,
    pageCaps: { defaultTop: 100, maxTop: 999, signInActivity: 120, roleAssignments: 100, ...options.pageCaps },
    requests: [],
    tokensIssued: 0,
    fail(failure) {
      failures.push({ ...failure, times: failure.times ?? 1 });
    },
    expireTokens() {
      tokens.clear();
    },
  };

  let origin = '';

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', origin);
    const method = req.method ?? 'GET';
    const target = targetOf(method, url.pathname);
    const entry: LoggedRequest = {
      method,
      target,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      rawQuery: url.search,
      hadBearer: /^Bearer \S+/.test(req.headers.authorization ?? ''),
      sdkVersion: typeof req.headers.sdkversion === 'string' ? req.headers.sdkversion : null,
      status: 0,
    };
    state.requests.push(entry);
    const body = method === 'POST' ? await readBody(req) : '';
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      entry.status = status;
      res.writeHead(status, {
        'content-type': target === 'token' ? 'application/json; charset=utf-8' : JSON_TYPE,
        'request-id': randomUUID(),
        'client-request-id': clientRequestId(req),
        ...headers,
      });
      res.end(JSON.stringify(payload));
    };
    const graphError = (status: number, code: string, message: string, headers?: Record<string, string>) =>
      send(status, odataError(code, message, req), headers);

    const injected = failures.find(
      (failure) => failure.times > 0 && (failure.target === target || (failure.target === 'graph' && isGraph(target))),
    );
    if (injected) {
      injected.times--;
      if (injected.status === 'reset') {
        entry.status = 'reset';
        req.socket.destroy();
        return;
      }
      const headers: Record<string, string> =
        injected.retryAfterSeconds === undefined ? {} : { 'retry-after': String(injected.retryAfterSeconds) };
      if (target === 'token') {
        send(
          injected.status,
          aadError('temporarily_unavailable', 50000, injected.message ?? 'injected failure'),
          headers,
        );
      } else {
        const [code, message] = defaultError(injected.status);
        graphError(injected.status, injected.code ?? code, injected.message ?? message, headers);
      }
      return;
    }

    if (target === 'token') return tokenEndpoint(body, url.pathname, send);

    const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer) return graphError(401, 'InvalidAuthenticationToken', 'Access token is empty.');
    const expiresAt = tokens.get(bearer);
    if (expiresAt === undefined || expiresAt <= Date.now()) {
      return graphError(401, 'InvalidAuthenticationToken', 'Lifetime validation failed, the token is expired.');
    }

    if (target === 'users') return listUsers(url, send, graphError);
    if (target === 'roleAssignments') return listRoleAssignments(url, send, graphError);
    const segment = url.pathname.split('/').filter(Boolean).slice(1).join('/');
    return graphError(400, 'BadRequest', `Resource not found for the segment '${segment}'.`);
  };

  type Send = (status: number, payload: unknown, headers?: Record<string, string>) => void;
  type GraphErrorSend = (status: number, code: string, message: string) => void;

  const tokenEndpoint = (body: string, path: string, send: Send) => {
    const form = new URLSearchParams(body);
    const tenant = decodeURIComponent(path.slice(AUTHORITY_PREFIX.length + 1).split('/')[0] ?? '');
    if (tenant !== tenantId) {
      return send(
        400,
        aadError(
          'invalid_request',
          90002,
          `AADSTS90002: Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
        ),
      );
    }
    if (form.get('grant_type') !== 'client_credentials') {
      return send(
        400,
        aadError('unsupported_grant_type', 70003, 'AADSTS70003: The app requested an unsupported grant type.'),
      );
    }
    if (form.get('client_id') !== clientId) {
      return send(
        400,
        aadError(
          'unauthorized_client',
          700016,
          `AADSTS700016: Application with identifier '${form.get('client_id') ?? ''}' was not found in the directory '${tenantId}'.`,
        ),
      );
    }
    if (!form.get('client_secret')) {
      return send(
        400,
        aadError(
          'invalid_client',
          7000218,
          "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        ),
      );
    }
    if (form.get('client_secret') !== clientSecret) {
      return send(
        401,
        aadError(
          'invalid_client',
          7000215,
          `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
        ),
      );
    }
    if (form.get('scope') !== `${origin}/.default`) {
      return send(
        400,
        aadError(
          'invalid_scope',
          70011,
          "AADSTS70011: The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid.",
        ),
      );
    }
    const accessToken = `eyJ0eXAiOiJKV1QifQ.${randomBytes(24).toString('base64url')}`;
    tokens.set(accessToken, Date.now() + tokenLifetimeSeconds * 1000);
    state.tokensIssued++;
    send(200, {
      token_type: 'Bearer',
      expires_in: tokenLifetimeSeconds,
      ext_expires_in: tokenLifetimeSeconds,
      access_token: accessToken,
    });
  };

  const listUsers = (url: URL, send: Send, graphError: GraphErrorSend) => {
    if (!state.permissions.has('User.Read.All')) {
      return graphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
    }
    const selectParam = url.searchParams.get('$select');
    let selected: UserProperty[];
    if (selectParam === null) {
      selected = [...DEFAULT_USER_PROPERTIES];
    } else {
      selected = ['id'];
      for (const name of selectParam.split(',').map((part) => part.trim())) {
        const property = USER_PROPERTIES.find((known) => known.toLowerCase() === name.toLowerCase());
        if (!property) {
          return graphError(
            400,
            'Request_BadRequest',
            `Could not find a property named '${name}' on type 'Microsoft.DirectoryServices.User'.`,
          );
        }
        if (!selected.includes(property)) selected.push(property);
      }
    }
    const withSignInActivity = selected.includes('signInActivity');
    if (withSignInActivity && !state.permissions.has('AuditLog.Read.All')) {
      return graphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
    }
    if (withSignInActivity && !state.premium) {
      return graphError(
        403,
        'Authentication_RequestFromNonPremiumTenantOrB2CTenant',
        "Neither tenant is B2C or tenant doesn't have premium license",
      );
    }
    const page = pageOf(url, state.users.length, withSignInActivity ? state.pageCaps.signInActivity : Infinity);
    if ('error' in page) return graphError(400, 'Request_BadRequest', page.error);
    const value = state.users.slice(page.offset, page.offset + page.size).map((user) => projectUser(user, selected));
    send(200, {
      '@odata.context': `${origin}/v1.0/$metadata#users${selectParam === null ? '' : `(${selected.join(',')})`}`,
      value,
      ...(page.nextLink ? { '@odata.nextLink': page.nextLink } : {}),
    });
  };

  const listRoleAssignments = (url: URL, send: Send, graphError: GraphErrorSend) => {
    if (!state.permissions.has('RoleManagement.Read.Directory')) {
      return graphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
    }
    const selectParam = url.searchParams.get('$select');
    const selected = selectParam === null ? [...ROLE_ASSIGNMENT_PROPERTIES] : ['id', ...selectParam.split(',')];
    const page = pageOf(url, state.roleAssignments.length, state.pageCaps.roleAssignments);
    if ('error' in page) return graphError(400, 'Request_BadRequest', page.error);
    const value = state.roleAssignments
      .slice(page.offset, page.offset + page.size)
      .map((assignment) =>
        Object.fromEntries(
          selected.flatMap((name) =>
            name in assignment ? [[name, assignment[name as keyof FakeRoleAssignment]]] : [],
          ),
        ),
      );
    send(200, {
      '@odata.context': `${origin}/v1.0/$metadata#roleManagement/directory/roleAssignments`,
      value,
      ...(page.nextLink ? { '@odata.nextLink': page.nextLink } : {}),
    });
  };

  /** $top / $skiptoken handling shared by both collections; the nextLink repeats the query like Graph's does. */
  const pageOf = (
    url: URL,
    total: number,
    cap: number,
  ): { offset: number; size: number; nextLink: string | null } | { error: string } => {
    const topParam = url.searchParams.get('$top');
    let size = state.pageCaps.defaultTop;
    if (topParam !== null) {
      const top = Number(topParam);
      if (!Number.isInteger(top) || top < 1 || top > state.pageCaps.maxTop) {
        return {
          error: `Invalid page size specified: '${topParam}'. Must be between 1 and ${state.pageCaps.maxTop} inclusive.`,
        };
      }
      size = top;
    }
    size = Math.min(size, cap);
    const skipToken = url.searchParams.get('$skiptoken');
    let offset = 0;
    if (skipToken !== null) {
      const decoded = decodeSkipToken(skipToken);
      if (decoded === null) return { error: `Invalid skip token '${skipToken}'.` };
      offset = decoded;
    }
    if (offset + size >= total) return { offset, size, nextLink: null };
    const query = [...url.searchParams].filter(([name]) => name !== '$skiptoken');
    query.push(['$skiptoken', encodeSkipToken(offset + size)]);
    // Graph writes OData options unencoded ($select=a,b); values are otherwise URL-safe here.
    const search = query.map(([name, value]) => `${name}=${encodeURIComponent(value).replace(/%2C/g, ',')}`).join('&');
    return { offset, size, nextLink: `${origin}${url.pathname}?${search}` };
  };

  const server: Server = createServer({ cert: TEST_CA_CERTIFICATE, key: TEST_KEY }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': JSON_TYPE });
      res.end(JSON.stringify(odataError('UnknownError', String(error), req)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  origin = `https://127.0.0.1:${port}`;

  return {
    url: origin,
    authorityUrl: `${origin}${AUTHORITY_PREFIX}`,
    tenantId,
    clientId,
    clientSecret,
    caCertificate: TEST_CA_CERTIFICATE,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function targetOf(method: string, path: string): FailureTarget | 'other' {
  if (method === 'POST' && /^\/login\/[^/]+\/oauth2\/v2\.0\/token$/.test(path)) return 'token';
  if (method === 'GET' && path === '/v1.0/users') return 'users';
  if (method === 'GET' && path === '/v1.0/roleManagement/directory/roleAssignments') return 'roleAssignments';
  return 'other';
}

function isGraph(target: FailureTarget | 'other'): boolean {
  return target === 'users' || target === 'roleAssignments' || target === 'graph';
}

function projectUser(user: FakeGraphUser, selected: readonly UserProperty[]): Record<string, unknown> {
  const projected: Record<string, unknown> = {};
  for (const property of selected) {
    const value = user[property];
    if (property === 'signInActivity') {
      // Never signed in: the property is simply not there.
      if (value !== undefined)
        projected[property] = { '@odata.type': '#microsoft.graph.signInActivity', ...user.signInActivity };
      continue;
    }
    projected[property] = value ?? (COLLECTION_PROPERTIES.has(property) ? [] : null);
  }
  return projected;
}

function encodeSkipToken(offset: number): string {
  return Buffer.from(`RFNwdAIA:${offset}`).toString('base64url');
}

function decodeSkipToken(token: string): number | null {
  const match = /^RFNwdAIA:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  return match ? Number(match[1]) : null;
}

function clientRequestId(req: IncomingMessage): string {
  const header = req.headers['client-request-id'];
  return typeof header === 'string' ? header : randomUUID();
}

function odataError(code: string, message: string, req: IncomingMessage) {
  return {
    error: {
      code,
      message,
      innerError: {
        date: new Date().toISOString().slice(0, 19),
        'request-id': randomUUID(),
        'client-request-id': clientRequestId(req),
      },
    },
  };
}

function aadError(error: string, code: number, description: string) {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date().toISOString().replace('T', ' ').slice(0, 19) + 'Z';
  return {
    error,
    error_description: `${description}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
    error_codes: [code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${code}`,
  };
}

function defaultError(status: number): [string, string] {
  switch (status) {
    case 401:
      return ['InvalidAuthenticationToken', 'Lifetime validation failed, the token is expired.'];
    case 403:
      return ['Authorization_RequestDenied', 'Insufficient privileges to complete the operation.'];
    case 429:
      return ['TooManyRequests', 'Too many requests, please retry after the time in Retry-After.'];
    case 503:
      return ['serviceNotAvailable', 'The service is temporarily unavailable.'];
    case 504:
      return ['gatewayTimeout', 'The gateway timed out.'];
    default:
      return status >= 500 ? ['UnknownError', 'An internal server error occurred.'] : ['BadRequest', 'Bad request.'];
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A directory user with realistic defaults; `index` keeps ids, names and emails unique. */
export function fakeUser(index: number, overrides: Partial<FakeGraphUser> = {}): FakeGraphUser {
  const hex = index.toString(16).padStart(12, '0');
  const name = `user${index}`;
  return {
    id: `0000${hex.slice(0, 4)}-0000-4000-8000-${hex}`,
    userPrincipalName: `${name}@contoso.com`,
    displayName: `User ${index}`,
    givenName: 'User',
    surname: String(index),
    jobTitle: null,
    mail: `${name}@contoso.com`,
    mobilePhone: null,
    officeLocation: null,
    preferredLanguage: 'en-US',
    businessPhones: [],
    otherMails: [],
    proxyAddresses: [`SMTP:${name}@contoso.com`],
    employeeId: `E${String(index).padStart(5, '0')}`,
    accountEnabled: true,
    userType: 'Member',
    createdDateTime: '2022-01-10T09:00:00Z',
    externalUserState: null,
    onPremisesSyncEnabled: null,
    assignedLicenses: [{ disabledPlans: [], skuId: '05e9a617-0261-4cee-bb44-138d3ef5d965' }],
    signInActivity: {
      lastSignInDateTime: '2026-10-01T08:00:00Z',
      lastSignInRequestId: randomUUID(),
      lastNonInteractiveSignInDateTime: '2026-10-02T08:00:00Z',
      lastNonInteractiveSignInRequestId: randomUUID(),
      lastSuccessfulSignInDateTime: '2026-10-02T08:00:00Z',
      lastSuccessfulSignInRequestId: randomUUID(),
    },
    ...overrides,
  };
}

/** `count` users with a mix of the cases that matter: disabled, guests, never signed in. */
export function fakeUsers(count: number): FakeGraphUser[] {
  return Array.from({ length: count }, (_, index) =>
    fakeUser(index, {
      accountEnabled: index % 10 !== 3,
      ...(index % 17 === 5 ? { userType: 'Guest', externalUserState: 'Accepted', employeeId: null } : {}),
      ...(index % 13 === 7 ? { signInActivity: undefined } : {}),
    }),
  );
}
