import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { existsSync, readFileSync } from 'node:fs';
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
 * - GET /v1.0/roleManagement/directory/roleAssignments, paged, `$filter=principalId eq '{id}'`, 403 without
 *   RoleManagement.Read.Directory. Principals are users, role-assignable groups or service principals;
 *   `$expand=principal` adds the principal with its `@odata.type` ("List unifiedRoleAssignments").
 * - GET /v1.0/roleManagement/directory/roleEligibilityScheduleInstances (PIM-eligible roles), paged, `$expand=principal`;
 *   403 without RoleEligibilitySchedule.Read.Directory or RoleManagement.Read.Directory; 400
 *   AadPremiumLicenseRequired in a tenant without Entra ID P2 / Governance ("List roleEligibilityScheduleInstances").
 * - GET /v1.0/groups/{id}/transitiveMembers, paged, every member of nested groups too, each with `@odata.type`; 403
 *   without GroupMember.Read.All (or Group.Read.All / Directory.Read.All), 404 for an unknown group.
 * - Remediation (Graph docs "Get user", "Update user", "revokeSignInSessions", "assignLicense", "Who can perform
 *   sensitive actions"): GET /v1.0/users/{id} honouring $select (licenseAssignmentStates computed); PATCH
 *   /v1.0/users/{id} {accountEnabled} -> 204; POST .../revokeSignInSessions -> 200 {value: true} (sets
 *   signInSessionsValidFromDateTime); POST .../assignLicense -> 200 with the user, 400 for a licence the user does not
 *   hold or one inherited from a group (atomic: nothing is removed); DELETE /v1.0/users/{id} -> 204 (the user moves
 *   to `deletedUsers`; User.DeleteRestore.All). 404 Request_ResourceNotFound for unknown ids.
 *   Each write checks its least-privileged permission (or User.ReadWrite.All / Directory.ReadWrite.All), and disabling
 *   or revoking the sessions of a user who holds a directory role needs the app itself to hold Privileged
 *   Authentication Administrator or Global Administrator (`appRoles`); all refusals are Graph's undifferentiated
 *   403 Authorization_RequestDenied.
 * - Credentials (Graph docs "List oauth2PermissionGrants", "List applications", "passwordCredential",
 *   "keyCredential", "application: removePassword", "Delete oAuth2PermissionGrant"): GET /v1.0/oauth2PermissionGrants
 *   (paged; needs Directory.Read.All or DelegatedPermissionGrant.ReadWrite.All), GET/DELETE
 *   /v1.0/oauth2PermissionGrants/{id} (DELETE needs DelegatedPermissionGrant.ReadWrite.All, 204); GET
 *   /v1.0/applications with $select and `$expand=owners` (owners as directoryObjects with @odata.type; needs
 *   Application.Read.All or Directory.Read.All), GET /v1.0/applications/{id}, POST .../removePassword {keyId} (204;
 *   400 for an unknown keyId), PATCH /v1.0/applications/{id} {keyCredentials} (certificates are removed by writing the
 *   remaining ones back); writes need Application.ReadWrite.All. Secrets are never returned (only `hint`).
 * - GET /v1.0/auditLogs/signIns (Graph docs "List signIns"): AuditLog.Read.All, else 403 Authorization_RequestDenied;
 *   a tenant without P1/P2 gets 403 Authentication_RequestFromNonPremiumTenantOrB2CTenant; `$filter` on
 *   createdDateTime (ge/gt/le/lt terms joined by `and`, anything else 400 Request_UnsupportedQuery); newest first;
 *   `$top` 1..1000 (default 1000); an absolute @odata.nextLink with an opaque $skiptoken.
 * - `latencyMs` delays every answer; injectable failures (429 with Retry-After, 5xx, 401, connection reset) and a
 *   request log with the parsed JSON body of writes.
 */

/**
 * The certificates sit beside this file in test/fakes; the demo runs the compiled copy in dist/test/fakes, which tsc
 * does not copy them to, so that copy reads them from the package's own test/fakes/certs.
 */
const CERTS = [new URL('./certs/', import.meta.url), new URL('../../../test/fakes/certs/', import.meta.url)].find(
  (dir) => existsSync(new URL('localhost-cert.pem', dir)),
);
if (!CERTS) throw new Error(`graph fake: no certs/localhost-cert.pem beside ${import.meta.url}`);
export const TEST_CA_CERTIFICATE = readFileSync(new URL('localhost-cert.pem', CERTS), 'utf8');
const TEST_KEY = readFileSync(new URL('localhost-key.pem', CERTS), 'utf8');

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
  /** Set by revokeSignInSessions; tokens issued before it are invalid. */
  signInSessionsValidFromDateTime?: string;
  /**
   * Licences inherited through group-based licensing. Each skuId must also be in assignedLicenses (Graph lists
   * inherited licences there too); a skuId listed here is not also assigned directly.
   */
  groupLicenses?: { skuId: string; groupId: string }[];
}

/** A sign-in log entry as Graph returns it (the properties the reader uses; Graph sends many more). */
export interface FakeSignIn {
  id: string;
  createdDateTime: string;
  userId: string;
  userPrincipalName: string;
  userDisplayName: string | null;
  appId: string;
  appDisplayName: string;
  ipAddress: string;
  clientAppUsed: string;
  status: { errorCode: number; failureReason: string | null; additionalDetails: string | null };
}

export interface FakeRoleAssignment {
  id: string;
  principalId: string;
  roleDefinitionId: string;
  directoryScopeId: string;
}

/** An oauth2PermissionGrant: `principalId` null for an admin consent for all users (AllPrincipals). */
export interface FakePermissionGrant {
  id: string;
  clientId: string;
  consentType: 'Principal' | 'AllPrincipals';
  principalId: string | null;
  resourceId: string;
  scope: string;
}

export interface FakeAppPasswordCredential {
  keyId: string;
  displayName: string | null;
  hint: string;
  startDateTime: string;
  endDateTime: string;
}

export interface FakeAppKeyCredential {
  keyId: string;
  displayName: string | null;
  type: 'AsymmetricX509Cert' | 'Symmetric';
  usage: 'Verify' | 'Sign';
  startDateTime: string;
  endDateTime: string;
}

/** An app registration; `owners` are user (or service principal) object ids. */
export interface FakeApplication {
  id: string;
  appId: string;
  displayName: string;
  createdDateTime: string;
  passwordCredentials: FakeAppPasswordCredential[];
  keyCredentials: FakeAppKeyCredential[];
  owners: string[];
}

/** A group as the directory holds it: role-assignable groups can hold directory roles for their members. */
export interface FakeGraphGroup {
  id: string;
  displayName: string;
  isAssignableToRole: boolean;
  /** Ids of member users or groups. */
  members: string[];
}

export type GraphPermission =
  | 'Directory.Read.All'
  | 'Application.Read.All'
  | 'Application.ReadWrite.All'
  | 'DelegatedPermissionGrant.ReadWrite.All'
  | 'User.Read.All'
  | 'GroupMember.Read.All'
  | 'RoleEligibilitySchedule.Read.Directory'
  | 'AuditLog.Read.All'
  | 'RoleManagement.Read.Directory'
  | 'User.EnableDisableAccount.All'
  | 'User.RevokeSessions.All'
  | 'LicenseAssignment.ReadWrite.All'
  | 'User.DeleteRestore.All'
  | 'User.ReadWrite.All'
  | 'Group.Read.All'
  | 'Directory.Read.All'
  | 'Directory.ReadWrite.All';
/** The least-privileged set for collection and every remediation action (no User.ReadWrite.All). */
export const ALL_PERMISSIONS: readonly GraphPermission[] = [
  'User.Read.All',
  'AuditLog.Read.All',
  'RoleManagement.Read.Directory',
  'GroupMember.Read.All',
  'User.EnableDisableAccount.All',
  'User.RevokeSessions.All',
  'LicenseAssignment.ReadWrite.All',
  'User.DeleteRestore.All',
  'Directory.Read.All',
  'Application.ReadWrite.All',
  'DelegatedPermissionGrant.ReadWrite.All',
];

/** Directory roles the app's service principal may hold; sensitive actions on admins need one of these. */
export type AppDirectoryRole =
  'Privileged Authentication Administrator' | 'Global Administrator' | 'User Administrator';

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

export type FailureTarget =
  | 'token'
  | 'users'
  | 'roleAssignments'
  | 'user'
  | 'updateUser'
  | 'deleteUser'
  | 'revokeSignInSessions'
  | 'assignLicense'
  | 'permissionGrants'
  | 'applications'
  | 'signIns'
  | 'roleEligibilities'
  | 'groupMembers'
  | 'graph';

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
  /** The JSON body of a PATCH or POST (undefined when there was none). */
  body?: unknown;
  status: number | 'reset';
}

export interface GraphFakeState {
  users: FakeGraphUser[];
  /** Users removed by DELETE /users/{id} (Entra's deleted items: restorable for 30 days). */
  deletedUsers: FakeGraphUser[];
  /** The sign-in log (any order; served newest first). */
  signIns: FakeSignIn[];
  roleAssignments: FakeRoleAssignment[];
  permissionGrants: FakePermissionGrant[];
  applications: FakeApplication[];
  /** PIM-eligible directory roles (roleEligibilityScheduleInstances). */
  roleEligibilities: FakeRoleAssignment[];
  groups: FakeGraphGroup[];
  permissions: Set<GraphPermission>;
  /** Directory roles of the app's service principal (none by default). */
  appRoles: Set<AppDirectoryRole>;
  /** Entra ID P1/P2: without it selecting signInActivity is refused. */
  premium: boolean;
  /** Entra ID P2 or Governance: without it PIM eligibilities are refused (400 AadPremiumLicenseRequired). */
  p2: boolean;
  /** Every answer (token endpoint included) is delayed this long. */
  latencyMs: number;
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
  signIns?: FakeSignIn[];
  roleAssignments?: FakeRoleAssignment[];
  permissionGrants?: FakePermissionGrant[];
  applications?: FakeApplication[];
  roleEligibilities?: FakeRoleAssignment[];
  groups?: FakeGraphGroup[];
  permissions?: readonly GraphPermission[];
  appRoles?: readonly AppDirectoryRole[];
  premium?: boolean;
  /** Default: same as premium. */
  p2?: boolean;
  latencyMs?: number;
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
  'signInSessionsValidFromDateTime',
] as const satisfies readonly (keyof FakeGraphUser)[];
/** Computed from assignedLicenses and groupLicenses, returned only on $select (like Graph). */
const LICENSE_ASSIGNMENT_STATES = 'licenseAssignmentStates';
type SelectableProperty = UserProperty | typeof LICENSE_ASSIGNMENT_STATES;
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
    deletedUsers: [],
    signIns: [...(options.signIns ?? [])],
    roleAssignments: options.roleAssignments ?? [],
    permissionGrants: options.permissionGrants ?? [],
    applications: options.applications ?? [],
    roleEligibilities: options.roleEligibilities ?? [],
    groups: options.groups ?? [],
    permissions: new Set(options.permissions ?? ALL_PERMISSIONS),
    appRoles: new Set(options.appRoles ?? []),
    premium: options.premium ?? true,
    p2: options.p2 ?? options.premium ?? true,
    latencyMs: options.latencyMs ?? 0,
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
    const { target, userId, groupId } = routeOf(method, url.pathname);
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
    const body = method === 'POST' || method === 'PATCH' ? await readBody(req) : '';
    // The token request's form carries the client secret: only Graph bodies are logged.
    if (target !== 'token' && body !== '') entry.body = parseJson(body);
    if (state.latencyMs > 0) await sleep(state.latencyMs);
    /** `payload` undefined: no body (204). */
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      entry.status = status;
      res.writeHead(status, {
        ...(payload === undefined
          ? {}
          : { 'content-type': target === 'token' ? 'application/json; charset=utf-8' : JSON_TYPE }),
        'request-id': randomUUID(),
        'client-request-id': clientRequestId(req),
        ...headers,
      });
      res.end(payload === undefined ? undefined : JSON.stringify(payload));
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
    if (target === 'signIns') return listSignIns(url, send, graphError);
    if (target === 'roleEligibilities') return listRoleEligibilities(url, send, graphError);
    if (target === 'groupMembers' && groupId !== null) return listTransitiveMembers(groupId, url, send, graphError);
    if (userId !== null) {
      const graphBody = entry.body;
      if (target === 'user') return getUser(userId, url, send, graphError);
      if (target === 'updateUser') return updateUser(userId, graphBody, send, graphError);
      if (target === 'deleteUser') return deleteUser(userId, send, graphError);
      if (target === 'revokeSignInSessions') return revokeSignInSessions(userId, send, graphError);
      if (target === 'assignLicense') return assignLicense(userId, graphBody, send, graphError);
    }
    if (target === 'permissionGrants') return permissionGrants(method, url, send, graphError);
    if (target === 'applications') return applications(method, url, entry.body, send, graphError);
    const segment = url.pathname.split('/').filter(Boolean).slice(1).join('/');
    return graphError(400, 'BadRequest', `Resource not found for the segment '${segment}'.`);
  };

  const permissionGrants = (method: string, url: URL, send: Send, graphError: GraphErrorSend) => {
    const id = /^\/v1\.0\/oauth2PermissionGrants\/([^/]+)$/.exec(url.pathname)?.[1];
    if (
      method === 'GET' &&
      !hasAny('Directory.Read.All', 'DelegatedPermissionGrant.ReadWrite.All', 'Directory.ReadWrite.All')
    ) {
      return denied(graphError);
    }
    if (id === undefined) {
      const page = pageOf(url, state.permissionGrants.length, Infinity);
      if ('error' in page) return graphError(400, 'Request_BadRequest', page.error);
      return send(200, {
        '@odata.context': `${origin}/v1.0/$metadata#oauth2PermissionGrants`,
        value: state.permissionGrants.slice(page.offset, page.offset + page.size),
        ...(page.nextLink ? { '@odata.nextLink': page.nextLink } : {}),
      });
    }
    const index = state.permissionGrants.findIndex((grant) => grant.id === decodeURIComponent(id));
    if (method === 'DELETE' && !hasAny('DelegatedPermissionGrant.ReadWrite.All', 'Directory.ReadWrite.All')) {
      return denied(graphError);
    }
    if (index < 0) return notFound(id, graphError);
    if (method === 'GET') return send(200, state.permissionGrants[index]);
    state.permissionGrants.splice(index, 1);
    send(204, undefined);
  };

  const APPLICATION_PROPERTIES = [
    'id',
    'appId',
    'displayName',
    'createdDateTime',
    'passwordCredentials',
    'keyCredentials',
  ] as const;
  const projectApplication = (app: FakeApplication, url: URL) => {
    const select = url.searchParams.get('$select');
    const fields = select === null ? APPLICATION_PROPERTIES : select.split(',');
    const projected: Record<string, unknown> = {};
    for (const field of fields) projected[field] = app[field as keyof FakeApplication];
    projected.id = app.id;
    if (/^owners\b/.test(url.searchParams.get('$expand') ?? '')) {
      projected.owners = app.owners.map((ownerId) => ({
        '@odata.type': state.users.some((user) => user.id === ownerId)
          ? '#microsoft.graph.user'
          : '#microsoft.graph.servicePrincipal',
        id: ownerId,
      }));
    }
    return projected;
  };

  const applications = (method: string, url: URL, body: unknown, send: Send, graphError: GraphErrorSend) => {
    const match = /^\/v1\.0\/applications(?:\/([^/]+)(?:\/(removePassword))?)?$/.exec(url.pathname)!;
    const [, rawId, action] = match;
    const mayRead = hasAny('Application.Read.All', 'Application.ReadWrite.All', 'Directory.Read.All');
    const mayWrite = hasAny('Application.ReadWrite.All', 'Directory.ReadWrite.All');
    if (method === 'GET' ? !mayRead : !mayWrite) return denied(graphError);
    const select = url.searchParams.get('$select');
    const unknown = (select ?? '')
      .split(',')
      .filter((field) => field && !(APPLICATION_PROPERTIES as readonly string[]).includes(field));
    if (unknown.length > 0) {
      return graphError(
        400,
        'Request_BadRequest',
        `Could not find a property named '${unknown[0]}' on type 'microsoft.graph.application'.`,
      );
    }
    if (rawId === undefined) {
      const page = pageOf(url, state.applications.length, Infinity);
      if ('error' in page) return graphError(400, 'Request_BadRequest', page.error);
      return send(200, {
        '@odata.context': `${origin}/v1.0/$metadata#applications`,
        value: state.applications
          .slice(page.offset, page.offset + page.size)
          .map((app) => projectApplication(app, url)),
        ...(page.nextLink ? { '@odata.nextLink': page.nextLink } : {}),
      });
    }
    const id = decodeURIComponent(rawId);
    const app = state.applications.find((candidate) => candidate.id === id);
    if (!app) return notFound(id, graphError);
    if (method === 'GET' && action === undefined) return send(200, projectApplication(app, url));
    if (method === 'POST' && action === 'removePassword') {
      const keyId = (body as { keyId?: unknown } | undefined)?.keyId;
      const index = app.passwordCredentials.findIndex((secret) => secret.keyId === keyId);
      if (index < 0)
        return graphError(400, 'Request_BadRequest', `No password credential found with keyId ${String(keyId)}.`);
      app.passwordCredentials.splice(index, 1);
      return send(204, undefined);
    }
    if (method === 'PATCH' && action === undefined) {
      const keys = (body as { keyCredentials?: unknown } | undefined)?.keyCredentials;
      if (!Array.isArray(keys)) return graphError(400, 'Request_BadRequest', 'The fake updates only keyCredentials.');
      const kept = new Set(keys.map((key: { keyId?: string }) => key.keyId));
      // Writing back a key the app does not have would add one; the fake only removes.
      if ([...kept].some((keyId) => !app.keyCredentials.some((key) => key.keyId === keyId))) {
        return graphError(400, 'Request_BadRequest', 'Adding keys is not supported by the fake.');
      }
      app.keyCredentials = app.keyCredentials.filter((key) => kept.has(key.keyId));
      return send(204, undefined);
    }
    return graphError(405, 'Request_BadRequest', 'Unsupported method.');
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

  const hasAny = (...permissions: GraphPermission[]) =>
    permissions.some((permission) => state.permissions.has(permission));
  const canReadUsers = () => hasAny('User.Read.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All');
  const denied = (graphError: GraphErrorSend) =>
    graphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
  const findUser = (idOrUpn: string) =>
    state.users.find((user) => user.id === idOrUpn || user.userPrincipalName.toLowerCase() === idOrUpn.toLowerCase());
  const notFound = (idOrUpn: string, graphError: GraphErrorSend) =>
    graphError(
      404,
      'Request_ResourceNotFound',
      `Resource '${idOrUpn}' does not exist or one of its queried reference-property objects are not present.`,
    );
  /**
   * Disabling, enabling and invalidating the refresh tokens of a user who holds a directory role are sensitive
   * actions: an app-only caller needs a privileged role itself, whatever its Graph permissions.
   */
  const mayTouchSensitive = (user: FakeGraphUser) =>
    !state.roleAssignments.some((assignment) => assignment.principalId === user.id) ||
    state.appRoles.has('Privileged Authentication Administrator') ||
    state.appRoles.has('Global Administrator');

  const listUsers = (url: URL, send: Send, graphError: GraphErrorSend) => {
    if (!canReadUsers()) return denied(graphError);
    const selectParam = url.searchParams.get('$select');
    const parsed = parseSelect(selectParam);
    if ('error' in parsed) return graphError(400, 'Request_BadRequest', parsed.error);
    const selected = parsed.selected;
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

  const getUser = (idOrUpn: string, url: URL, send: Send, graphError: GraphErrorSend) => {
    if (!canReadUsers()) return denied(graphError);
    const selectParam = url.searchParams.get('$select');
    const parsed = parseSelect(selectParam);
    if ('error' in parsed) return graphError(400, 'Request_BadRequest', parsed.error);
    if (parsed.selected.includes('signInActivity') && !state.permissions.has('AuditLog.Read.All')) {
      return denied(graphError);
    }
    const user = findUser(idOrUpn);
    if (!user) return notFound(idOrUpn, graphError);
    send(200, {
      '@odata.context': `${origin}/v1.0/$metadata#users${selectParam === null ? '' : `(${parsed.selected.join(',')})`}/$entity`,
      ...projectUser(user, parsed.selected),
    });
  };

  const updateUser = (idOrUpn: string, body: unknown, send: Send, graphError: GraphErrorSend) => {
    // User.EnableDisableAccount.All covers accountEnabled only, and Graph documents it together with User.Read.All.
    const mayEnableDisable =
      hasAny('User.ReadWrite.All', 'Directory.ReadWrite.All') ||
      (hasAny('User.EnableDisableAccount.All') && canReadUsers());
    if (!mayEnableDisable) return denied(graphError);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return graphError(400, 'BadRequest', 'Empty Payload. JSON content expected.');
    }
    const unsupported = Object.keys(body).filter((name) => name !== 'accountEnabled');
    if (unsupported.length > 0) {
      return graphError(
        400,
        'Request_BadRequest',
        `The fake updates only accountEnabled (got ${unsupported.join(', ')}).`,
      );
    }
    const accountEnabled = (body as { accountEnabled?: unknown }).accountEnabled;
    if (typeof accountEnabled !== 'boolean') {
      return graphError(
        400,
        'Request_BadRequest',
        "Invalid value specified for property 'accountEnabled' of resource 'User'.",
      );
    }
    const user = findUser(idOrUpn);
    if (!user) return notFound(idOrUpn, graphError);
    if (!mayTouchSensitive(user)) return denied(graphError);
    user.accountEnabled = accountEnabled;
    send(204, undefined);
  };

  /** Graph "Delete user": 204; the user moves to deleted items; an admin needs a privileged app role to delete. */
  const deleteUser = (idOrUpn: string, send: Send, graphError: GraphErrorSend) => {
    if (!hasAny('User.DeleteRestore.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All')) return denied(graphError);
    const user = findUser(idOrUpn);
    if (!user) return notFound(idOrUpn, graphError);
    if (!mayTouchSensitive(user)) return denied(graphError);
    state.users.splice(state.users.indexOf(user), 1);
    state.deletedUsers.push(user);
    send(204, undefined);
  };

  const revokeSignInSessions = (idOrUpn: string, send: Send, graphError: GraphErrorSend) => {
    if (!hasAny('User.RevokeSessions.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All')) return denied(graphError);
    const user = findUser(idOrUpn);
    if (!user) return notFound(idOrUpn, graphError);
    if (!mayTouchSensitive(user)) return denied(graphError);
    user.signInSessionsValidFromDateTime = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    // Graph's documented quirk: 200 with a Boolean that is always true (not 204).
    send(200, { '@odata.context': `${origin}/v1.0/$metadata#Edm.Boolean`, value: true });
  };

  const assignLicense = (idOrUpn: string, body: unknown, send: Send, graphError: GraphErrorSend) => {
    if (!hasAny('LicenseAssignment.ReadWrite.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All')) {
      return denied(graphError);
    }
    const request = (typeof body === 'object' && body !== null ? body : {}) as {
      addLicenses?: unknown;
      removeLicenses?: unknown;
    };
    if (!Array.isArray(request.addLicenses) || !Array.isArray(request.removeLicenses)) {
      return graphError(
        400,
        'Request_BadRequest',
        "Invalid value specified for property 'addLicenses' or 'removeLicenses': both are required collections.",
      );
    }
    const user = findUser(idOrUpn);
    if (!user) return notFound(idOrUpn, graphError);
    const inherited = new Set((user.groupLicenses ?? []).map((license) => license.skuId));
    const removals = request.removeLicenses.map(String);
    // All or nothing, like Graph: one bad skuId fails the whole request.
    for (const skuId of removals) {
      if (inherited.has(skuId)) {
        return graphError(
          400,
          'Request_BadRequest',
          'User license is inherited from a group membership and it cannot be removed directly from the user.',
        );
      }
      if (!user.assignedLicenses.some((license) => license.skuId === skuId)) {
        return graphError(400, 'Request_BadRequest', 'User does not have a corresponding license.');
      }
    }
    const additions = (request.addLicenses as { skuId?: unknown; disabledPlans?: unknown }[]).map((license) => ({
      skuId: String(license.skuId),
      disabledPlans: Array.isArray(license.disabledPlans) ? license.disabledPlans.map(String) : [],
    }));
    user.assignedLicenses = [
      ...user.assignedLicenses.filter(
        (license) => !removals.includes(license.skuId) && !additions.some((added) => added.skuId === license.skuId),
      ),
      ...additions,
    ];
    send(200, {
      '@odata.context': `${origin}/v1.0/$metadata#users/$entity`,
      ...projectUser(user, [...DEFAULT_USER_PROPERTIES, 'accountEnabled', 'assignedLicenses']),
    });
  };

  const listRoleAssignments = (url: URL, send: Send, graphError: GraphErrorSend) => {
    if (!state.permissions.has('RoleManagement.Read.Directory')) {
      return graphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
    }
    const selectParam = url.searchParams.get('$select');
    const selected = selectParam === null ? [...ROLE_ASSIGNMENT_PROPERTIES] : ['id', ...selectParam.split(',')];
    const filterParam = url.searchParams.get('$filter');
    let assignments = state.roleAssignments;
    if (filterParam !== null) {
      const principal = /^principalId eq '([^']+)'$/.exec(filterParam.trim())?.[1];
      if (principal === undefined) {
        return graphError(400, 'Request_UnsupportedQuery', `The fake supports only $filter=principalId eq '{id}'.`);
      }
      assignments = assignments.filter((assignment) => assignment.principalId === principal);
    }
    sendAssignments(url, assignments, selected, 'roleAssignments', send, graphError);
  };

  const listRoleEligibilities = (url: URL, send: Send, graphError: GraphErrorSend) => {
    if (!hasPermission('RoleEligibilitySchedule.Read.Directory', 'RoleManagement.Read.Directory')) {
      return graphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
    }
    if (!state.p2) {
      return graphError(
        400,
        'AadPremiumLicenseRequired',
        'The tenant needs to have Microsoft Entra ID P2 or Microsoft Entra ID Governance license.',
      );
    }
    const selectParam = url.searchParams.get('$select');
    const selected = selectParam === null ? [...ROLE_ASSIGNMENT_PROPERTIES] : ['id', ...selectParam.split(',')];
    sendAssignments(url, state.roleEligibilities, selected, 'roleEligibilityScheduleInstances', send, graphError);
  };

  /** One page of assignments (or eligibilities), projected on $select, with the principal on `$expand=principal`. */
  const sendAssignments = (
    url: URL,
    assignments: readonly FakeRoleAssignment[],
    selected: readonly string[],
    collection: string,
    send: Send,
    graphError: GraphErrorSend,
  ) => {
    const expand = url.searchParams.get('$expand');
    if (expand !== null && expand.trim() !== 'principal') {
      return graphError(400, 'Request_UnsupportedQuery', `The fake supports only $expand=principal.`);
    }
    const page = pageOf(url, assignments.length, state.pageCaps.roleAssignments);
    if ('error' in page) return graphError(400, 'Request_BadRequest', page.error);
    const value = assignments.slice(page.offset, page.offset + page.size).map((assignment) => ({
      ...Object.fromEntries(
        selected.flatMap((name) => (name in assignment ? [[name, assignment[name as keyof FakeRoleAssignment]]] : [])),
      ),
      ...(expand === null ? {} : { principal: directoryObject(assignment.principalId) }),
    }));
    send(200, {
      '@odata.context': `${origin}/v1.0/$metadata#roleManagement/directory/${collection}`,
      value,
      ...(page.nextLink ? { '@odata.nextLink': page.nextLink } : {}),
    });
  };

  const listSignIns = (url: URL, send: Send, graphError: GraphErrorSend) => {
    if (!state.permissions.has('AuditLog.Read.All')) return denied(graphError);
    if (!state.premium) {
      return graphError(
        403,
        'Authentication_RequestFromNonPremiumTenantOrB2CTenant',
        "Neither tenant is B2C or tenant doesn't have premium license",
      );
    }
    const filterParam = url.searchParams.get('$filter');
    const inFilter = filterParam === null ? () => true : parseCreatedFilter(filterParam);
    if (!inFilter) {
      return graphError(400, 'Request_UnsupportedQuery', `Invalid filter clause: '${filterParam ?? ''}'`);
    }
    const topParam = url.searchParams.get('$top');
    const size = topParam === null ? SIGN_INS_MAX_TOP : Number(topParam);
    if (!Number.isInteger(size) || size < 1 || size > SIGN_INS_MAX_TOP) {
      return graphError(400, 'Request_BadRequest', `Invalid page size specified: '${topParam ?? ''}'.`);
    }
    const skipToken = url.searchParams.get('$skiptoken');
    const offset = skipToken === null ? 0 : decodeSkipToken(skipToken);
    if (offset === null) return graphError(400, 'Request_BadRequest', `Invalid skip token '${skipToken ?? ''}'.`);
    const matching = state.signIns
      .filter((entry) => inFilter(Date.parse(entry.createdDateTime)))
      .sort((a, b) => Date.parse(b.createdDateTime) - Date.parse(a.createdDateTime) || (a.id < b.id ? -1 : 1));
    const value = matching.slice(offset, offset + size);
    let nextLink: string | null = null;
    if (offset + size < matching.length) {
      const query = [...url.searchParams].filter(([name]) => name !== '$skiptoken');
      query.push(['$skiptoken', encodeSkipToken(offset + size)]);
      nextLink = `${origin}${url.pathname}?${query.map(([n, v]) => `${n}=${encodeURIComponent(v)}`).join('&')}`;
    }
    send(200, {
      '@odata.context': `${origin}/v1.0/$metadata#auditLogs/signIns`,
      value,
      ...(nextLink ? { '@odata.nextLink': nextLink } : {}),
    });
  };

  const hasPermission = (...permissions: GraphPermission[]) =>
    permissions.some((permission) => state.permissions.has(permission)) ||
    state.permissions.has('Directory.ReadWrite.All');

  /** A directory object as Graph serialises it in a mixed collection: its type, id and display name. */
  const directoryObject = (id: string) => {
    const user = state.users.find((candidate) => candidate.id === id);
    if (user) return { '@odata.type': '#microsoft.graph.user', id, displayName: user.displayName };
    const group = state.groups.find((candidate) => candidate.id === id);
    if (group) return { '@odata.type': '#microsoft.graph.group', id, displayName: group.displayName };
    return { '@odata.type': '#microsoft.graph.servicePrincipal', id, displayName: null };
  };

  const listTransitiveMembers = (groupId: string, url: URL, send: Send, graphError: GraphErrorSend) => {
    if (!hasPermission('GroupMember.Read.All', 'Group.Read.All', 'Directory.Read.All')) {
      return graphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
    }
    const group = state.groups.find((candidate) => candidate.id === groupId);
    if (!group) {
      return graphError(
        404,
        'Request_ResourceNotFound',
        `Resource '${groupId}' does not exist or one of its queried reference-property objects are not present.`,
      );
    }
    // Every member of nested groups too, each once (groups are members as well).
    const members: string[] = [];
    const visit = (current: FakeGraphGroup) => {
      for (const member of current.members) {
        if (members.includes(member)) continue;
        members.push(member);
        const nested = state.groups.find((candidate) => candidate.id === member);
        if (nested) visit(nested);
      }
    };
    visit(group);
    const page = pageOf(url, members.length, state.pageCaps.defaultTop);
    if ('error' in page) return graphError(400, 'Request_BadRequest', page.error);
    send(200, {
      '@odata.context': `${origin}/v1.0/$metadata#directoryObjects`,
      value: members.slice(page.offset, page.offset + page.size).map(directoryObject),
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

function routeOf(
  method: string,
  path: string,
): { target: FailureTarget | 'other'; userId: string | null; groupId: string | null } {
  const route = (target: FailureTarget | 'other', userId: string | null = null, groupId: string | null = null) => ({
    target,
    userId,
    groupId,
  });
  if (method === 'POST' && /^\/login\/[^/]+\/oauth2\/v2\.0\/token$/.test(path)) return route('token');
  if (method === 'GET' && path === '/v1.0/users') return route('users');
  if (method === 'GET' && path === '/v1.0/roleManagement/directory/roleAssignments') return route('roleAssignments');
  if (/^\/v1\.0\/oauth2PermissionGrants(\/[^/]+)?$/.test(path)) return route('permissionGrants');
  if (/^\/v1\.0\/applications(\/[^/]+(\/removePassword)?)?$/.test(path)) return route('applications');
  if (method === 'GET' && path === '/v1.0/auditLogs/signIns') return route('signIns');
  if (method === 'GET' && path === '/v1.0/roleManagement/directory/roleEligibilityScheduleInstances') {
    return route('roleEligibilities');
  }
  const members = /^\/v1\.0\/groups\/([^/]+)\/transitiveMembers$/.exec(path);
  if (method === 'GET' && members) return route('groupMembers', null, decodeURIComponent(members[1]!));
  const single = /^\/v1\.0\/users\/([^/]+)(?:\/(?:microsoft\.graph\.)?(revokeSignInSessions|assignLicense))?$/.exec(
    path,
  );
  if (single) {
    const userId = decodeURIComponent(single[1]!);
    if (single[2] === undefined && method === 'GET') return route('user', userId);
    if (single[2] === undefined && method === 'PATCH') return route('updateUser', userId);
    if (single[2] === undefined && method === 'DELETE') return route('deleteUser', userId);
    if (single[2] === 'revokeSignInSessions' && method === 'POST') return route('revokeSignInSessions', userId);
    if (single[2] === 'assignLicense' && method === 'POST') return route('assignLicense', userId);
  }
  return route('other');
}

/** Graph's largest sign-in page (also its default). */
const SIGN_INS_MAX_TOP = 1000;

/** `createdDateTime ge 2026-11-19T12:00:00Z and createdDateTime lt ...` -> a predicate on epoch ms; else null. */
export function parseCreatedFilter(expression: string): ((at: number) => boolean) | null {
  const terms: ((at: number) => boolean)[] = [];
  for (const term of expression.trim().split(/\s+and\s+/i)) {
    const match = /^createdDateTime\s+(ge|gt|le|lt)\s+(\d{4}-\d{2}-\d{2}T[\d:.]+Z)$/.exec(term.trim());
    if (!match) return null;
    const bound = Date.parse(match[2]!);
    if (Number.isNaN(bound)) return null;
    const operator = match[1];
    terms.push(
      operator === 'ge'
        ? (at) => at >= bound
        : operator === 'gt'
          ? (at) => at > bound
          : operator === 'le'
            ? (at) => at <= bound
            : (at) => at < bound,
    );
  }
  return (at) => terms.every((term) => term(at));
}

/** A sign-in of `user`: success unless `errorCode` says otherwise (50126 bad password, 50057 disabled...). */
export function fakeSignIn(
  index: number,
  user: Pick<FakeGraphUser, 'id' | 'userPrincipalName' | 'displayName'>,
  createdDateTime: string,
  options: { errorCode?: number; failureReason?: string; app?: string; ip?: string } = {},
): FakeSignIn {
  const errorCode = options.errorCode ?? 0;
  return {
    id: `${String(index).padStart(8, '0')}-aaaa-4bbb-8ccc-${createdDateTime.replace(/\D/g, '').slice(0, 12)}`,
    createdDateTime,
    userId: user.id,
    userPrincipalName: user.userPrincipalName,
    userDisplayName: user.displayName,
    appId: '00000002-0000-0ff1-ce00-000000000000',
    appDisplayName: options.app ?? 'Office 365 Exchange Online',
    ipAddress: options.ip ?? '203.0.113.20',
    clientAppUsed: 'Browser',
    status: {
      errorCode,
      failureReason: errorCode === 0 ? 'Other.' : (options.failureReason ?? 'Invalid username or password.'),
      additionalDetails: null,
    },
  };
}

function isGraph(target: FailureTarget | 'other'): boolean {
  return target !== 'token' && target !== 'other';
}

/** $select for users: the default set when absent; id always; an unknown property is Graph's 400. */
function parseSelect(selectParam: string | null): { selected: SelectableProperty[] } | { error: string } {
  if (selectParam === null) return { selected: [...DEFAULT_USER_PROPERTIES] };
  const selected: SelectableProperty[] = ['id'];
  for (const name of selectParam.split(',').map((part) => part.trim())) {
    const selectable: readonly SelectableProperty[] = [...USER_PROPERTIES, LICENSE_ASSIGNMENT_STATES];
    const property = selectable.find((known) => known.toLowerCase() === name.toLowerCase());
    if (!property)
      return { error: `Could not find a property named '${name}' on type 'Microsoft.DirectoryServices.User'.` };
    if (!selected.includes(property)) selected.push(property);
  }
  return { selected };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Graph's licenseAssignmentStates: one entry per assignment path (direct: assignedByGroup null). */
function licenseAssignmentStates(user: FakeGraphUser) {
  const inherited = user.groupLicenses ?? [];
  const inheritedSkus = new Set(inherited.map((license) => license.skuId));
  const state = (skuId: string, assignedByGroup: string | null, disabledPlans: string[]) => ({
    assignedByGroup,
    disabledPlans,
    error: 'None',
    lastUpdatedDateTime: '2024-03-01T10:00:00Z',
    skuId,
    state: 'Active',
  });
  return [
    ...user.assignedLicenses
      .filter((license) => !inheritedSkus.has(license.skuId))
      .map((license) => state(license.skuId, null, license.disabledPlans)),
    ...inherited.map((license) => state(license.skuId, license.groupId, [])),
  ];
}

function projectUser(user: FakeGraphUser, selected: readonly SelectableProperty[]): Record<string, unknown> {
  const projected: Record<string, unknown> = {};
  for (const property of selected) {
    if (property === LICENSE_ASSIGNMENT_STATES) {
      projected[property] = licenseAssignmentStates(user);
      continue;
    }
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

/** An app registration with one client secret valid until `endDateTime`, owned by `owners`. */
export function fakeApplication(
  index: number,
  owners: string[],
  overrides: Partial<FakeApplication> = {},
): FakeApplication {
  const suffix = String(index).padStart(12, '0');
  return {
    id: `app00000-0000-4000-8000-${suffix}`,
    appId: `cli00000-0000-4000-8000-${suffix}`,
    displayName: `App ${index}`,
    createdDateTime: '2025-02-01T09:00:00Z',
    passwordCredentials: [
      {
        keyId: `key00000-0000-4000-8000-${suffix}`,
        displayName: 'ci secret',
        hint: 'abc',
        startDateTime: '2025-02-01T09:00:00Z',
        endDateTime: '2027-02-01T09:00:00Z',
      },
    ],
    keyCredentials: [],
    owners,
    ...overrides,
  };
}
