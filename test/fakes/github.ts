import { createPublicKey, verify } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback GitHub (REST v3 + GraphQL) for one organization, written from GitHub's REST OpenAPI description and
 * GraphQL schema (see /work/shared/api-facts/google-github.md), independent of collectors/github:
 * - REST paging with `page`/`per_page` (default 30, capped at 100) and RFC 8288 `Link` headers (next, last, first,
 *   prev); `role` filters on /members; GitHub's error bodies `{message, documentation_url, status}`;
 * - classic tokens (`x-oauth-scopes` on every answer; read:org to list, admin:org to remove), and GitHub App
 *   installation tokens minted at POST /app/installations/{id}/access_tokens from an RS256 JWT signed by the App's
 *   key (no `x-oauth-scopes`; GET /user refused);
 * - a token whose user is not a member sees only public members, as on GitHub; invitations and outside
 *   collaborators need an owner;
 * - SAML SSO credential authorizations (GHEC): listed with paging and the `login` filter to an owner with read:org,
 *   removed (DELETE …/{credential_id}, 204; 404 when unknown) by an owner with admin:org; 404 on an org without SAML;
 * - removals: DELETE memberships (member or pending invitation; the last owner cannot be removed: 403), outside
 *   collaborators (422 for a member), invitations (404 unknown, 422 when it already failed);
 * - GraphQL: `organization.samlIdentityProvider.externalIdentities(first, after)` with opaque cursors, and aliased
 *   `user(login: $var) { databaseId organizationVerifiedDomainEmails(login: $org) }`; the query text is checked for
 *   the fields and cursor arguments a client must ask for, `first` must be 1-100;
 * - primary rate limits per token (`x-ratelimit-limit/remaining/used/reset/resource`, 403 + remaining 0 on REST,
 *   200 + RATE_LIMITED on GraphQL), secondary limits (403 "You have exceeded a secondary rate limit" +
 *   `retry-after`), injected 401/403/5xx.
 * It takes plain data, so it can serve any organization (tests, demo data).
 */

export interface FakeGitHubUser {
  id: number;
  login: string;
  name?: string | null;
  type?: 'User' | 'Bot';
  /** Emails of the org's verified domains this user has verified (GraphQL organizationVerifiedDomainEmails). */
  verifiedDomainEmails?: string[];
  /** Shows in the members list to non-members. */
  publicMember?: boolean;
}

export interface FakeGitHubInvitation {
  id: number;
  login: string | null;
  email: string | null;
  role: 'admin' | 'direct_member' | 'billing_manager';
  created_at: string;
  failed_at?: string | null;
}

export interface FakeSamlIdentity {
  guid: string;
  nameId: string | null;
  emails?: string[];
  scimUsername?: string | null;
  /** The GitHub user who claimed it (null: provisioned but never linked). */
  userId: number | null;
}

export interface FakeGitHubToken {
  /** Login of the token's user (a member, an owner or nobody of the org). */
  login: string;
  /** Classic token scopes; null for a fine-grained token (GitHub sends no x-oauth-scopes). */
  scopes: string[] | null;
  /** Fine-grained tokens: the organization Members permission. */
  members?: 'read' | 'write';
}

export interface FakeGitHubApp {
  appId: number;
  installationId: number;
  /** PEM public key the App's JWTs are checked against. */
  publicKey: string;
  /** Installation permissions, e.g. { members: 'write' }. */
  permissions?: Record<string, 'read' | 'write'>;
}

/**
 * One SAML SSO credential authorization as GET /orgs/{org}/credential-authorizations lists it (GHEC REST description,
 * `credential-authorization`): a PAT or SSH key a member authorized for the org. Token fields are absent on SSH keys
 * and the reverse, as GitHub sends them.
 */
export interface FakeCredentialAuthorization {
  login: string;
  credential_id: number;
  credential_type: 'personal access token' | 'SSH key' | 'OAuth app token' | 'GitHub app token';
  credential_authorized_at: string;
  /** Null when never accessed. */
  credential_accessed_at: string | null;
  authorized_credential_id: number | null;
  token_last_eight?: string;
  scopes?: string[];
  authorized_credential_note?: string | null;
  authorized_credential_expires_at?: string | null;
  fingerprint?: string;
  authorized_credential_title?: string | null;
}

export interface FakeGitHubData {
  org: string;
  members: { user: FakeGitHubUser; role: 'admin' | 'member' }[];
  outsideCollaborators?: FakeGitHubUser[];
  invitations?: FakeGitHubInvitation[];
  /** null/undefined: the org has no SAML SSO. */
  saml?: { ssoUrl: string; identities: FakeSamlIdentity[] } | null;
  /** SAML SSO credential authorizations (only an org with `saml` has them). */
  credentialAuthorizations?: FakeCredentialAuthorization[];
  /** Classic tokens by value. Users named here who are not members exist as plain GitHub users. */
  tokens?: Record<string, FakeGitHubToken>;
  app?: FakeGitHubApp;
  /** Primary limit per token and hour (5,000 for a PAT). */
  rateLimit?: number;
}

export interface FakeGitHubRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  /** The token's label (its user's login, or "app-installation"), null when unauthenticated. */
  who: string | null;
  graphql: boolean;
  at: number;
}

export interface FakeGitHubFailure {
  status: number;
  times: number;
  /** Only requests whose path starts with this (e.g. "/orgs/acme/members", "/graphql"). */
  path?: string;
  /** 403/429 only: a secondary rate limit with this retry-after (seconds). */
  secondaryRetryAfter?: number;
}

export interface FakeGitHub {
  /** Like https://api.github.com: no trailing slash. GHES style (/api/v3) works too. */
  apiUrl: string;
  requests: FakeGitHubRequest[];
  failures: FakeGitHubFailure[];
  data: Required<
    Pick<FakeGitHubData, 'org' | 'members' | 'outsideCollaborators' | 'invitations' | 'credentialAuthorizations'>
  > &
    FakeGitHubData;
  /** The next `count` requests (of this token) see the primary limit exhausted, resetting in `resetSeconds`. */
  exhaustPrimary(count: number, resetSeconds?: number): void;
  /** Requests counted against the primary limit so far, by resource (core, graphql). */
  used(resource?: 'core' | 'graphql'): number;
  close(): Promise<void>;
}

export const FAKE_OWNER_TOKEN = 'ghp_fakeOwnerToken0123456789abcdefABCDEF';

const DOCS = 'https://docs.github.com/rest';
const SECONDARY_MESSAGE =
  'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to ' +
  'GitHub Support for help, please include the request ID FAKE:0001.';

/** What a client must ask for in the SAML query (the fields zombiescan relies on). */
const SAML_REQUIRED = ['pageInfo', 'hasNextPage', 'endCursor', 'nameId', 'emails', 'user', 'login', 'databaseId'];

interface Caller {
  label: string;
  login: string | null;
  /** Effective scopes (a fine-grained token's permissions mapped onto them); null for an App. */
  scopes: string[] | null;
  /** No x-oauth-scopes header. */
  fineGrained: boolean;
  app: boolean;
}

export async function startFakeGitHub(input: FakeGitHubData): Promise<FakeGitHub> {
  const data = {
    ...input,
    outsideCollaborators: input.outsideCollaborators ?? [],
    invitations: input.invitations ?? [],
    credentialAuthorizations: input.credentialAuthorizations ?? [],
  };
  const tokens = new Map(
    Object.entries(input.tokens ?? { [FAKE_OWNER_TOKEN]: { login: ownerLogin(data), scopes: ['admin:org', 'repo'] } }),
  );
  const installationTokens = new Map<string, number>();
  const limit = input.rateLimit ?? 5000;
  const usedBy = new Map<string, number>();
  const windowReset = Math.floor(Date.now() / 1000) + 3600;
  let exhausted = { count: 0, reset: 0 };
  const requests: FakeGitHubRequest[] = [];
  const failures: FakeGitHubFailure[] = [];
  let installationSerial = 0;

  const roles = new WeakMap<object, Map<string, string>>();
  const roleOf = (login: string | null) => {
    if (login === null) return undefined;
    let index = roles.get(data.members);
    if (!index)
      roles.set(data.members, (index = new Map(data.members.map((m) => [m.user.login.toLowerCase(), m.role]))));
    return index.get(login.toLowerCase());
  };
  const isOwner = (login: string | null) => roleOf(login) === 'admin';
  const isMember = (login: string | null) => roleOf(login) !== undefined;
  // GitHub accounts outlive org membership: a removed member is still a GitHub user (GET /user/{id}).
  const everyone = new Map<number, FakeGitHubUser>();
  let indexed: { members: unknown; outside: unknown; users: FakeGitHubUser[] } | null = null;
  const allUsers = (): FakeGitHubUser[] => {
    if (indexed?.members !== data.members || indexed.outside !== data.outsideCollaborators) {
      for (const user of [...data.members.map((m) => m.user), ...data.outsideCollaborators])
        everyone.set(user.id, user);
      indexed = { members: data.members, outside: data.outsideCollaborators, users: [...everyone.values()] };
    }
    return indexed.users;
  };
  allUsers();

  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      try {
        handle(req, res, body);
      } catch (error) {
        send(res, 500, { message: `fake error: ${String(error)}` });
      }
    });
  });

  function send(res: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}) {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(payload === undefined ? '' : JSON.stringify(payload));
  }

  function caller(req: IncomingMessage): Caller | null | 'bad' {
    const header = req.headers.authorization;
    if (!header) return null;
    const match = /^(?:token|bearer)\s+(\S+)$/i.exec(header);
    if (!match) return 'bad';
    const token = match[1]!;
    const classic = tokens.get(token);
    if (classic) {
      const scopes =
        classic.scopes ??
        (classic.members === 'write' ? ['admin:org'] : classic.members === 'read' ? ['read:org'] : []);
      return { label: classic.login, login: classic.login, scopes, fineGrained: classic.scopes === null, app: false };
    }
    if (installationTokens.has(token)) {
      return { label: 'app-installation', login: null, scopes: null, fineGrained: false, app: true };
    }
    return 'bad';
  }

  function handle(req: IncomingMessage, res: ServerResponse, body: string) {
    const url = new URL(req.url ?? '/', 'http://fake');
    // GitHub Enterprise Server serves REST below /api/v3 and GraphQL at /api/graphql.
    const path = url.pathname.replace(/^\/api\/v3(?=\/)/, '').replace(/^\/api\/graphql$/, '/graphql');
    const query = Object.fromEntries(url.searchParams);
    const method = req.method ?? 'GET';
    const graphql = path === '/graphql';
    const resource = graphql ? 'graphql' : 'core';
    const record = (status: number, who: string | null) =>
      requests.push({ method, path, query, status, who, graphql, at: Date.now() });

    if (method === 'POST' && /^\/app\/installations\/\d+\/access_tokens$/.test(path)) {
      const status = mintInstallationToken(req, res, path);
      record(status, 'app');
      return;
    }

    const who = caller(req);
    if (who === 'bad' || who === null) {
      record(401, null);
      send(res, 401, {
        message: who === null ? 'Requires authentication' : 'Bad credentials',
        documentation_url: DOCS,
        status: '401',
      });
      return;
    }

    const key = `${who.label}:${resource}`;
    const rateHeaders = (remaining: number, reset: number): Record<string, string> => ({
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': String(remaining),
      'x-ratelimit-used': String(limit - remaining),
      'x-ratelimit-reset': String(reset),
      'x-ratelimit-resource': resource,
      ...(who.scopes && !who.fineGrained
        ? { 'x-oauth-scopes': who.scopes.join(', '), 'x-accepted-oauth-scopes': '' }
        : {}),
      'x-github-media-type': 'github.v3; format=json',
    });

    if (exhausted.count > 0) {
      exhausted.count--;
      record(graphql ? 200 : 403, who.label);
      const headers = rateHeaders(0, exhausted.reset);
      if (graphql) {
        send(res, 200, { errors: [{ type: 'RATE_LIMITED', message: 'API rate limit exceeded' }] }, headers);
      } else {
        send(
          res,
          403,
          { message: `API rate limit exceeded for user ${who.label}.`, documentation_url: DOCS, status: '403' },
          headers,
        );
      }
      return;
    }
    const used = (usedBy.get(key) ?? 0) + 1;
    if (used > limit) {
      record(403, who.label);
      send(
        res,
        403,
        { message: 'API rate limit exceeded', documentation_url: DOCS, status: '403' },
        rateHeaders(0, windowReset),
      );
      return;
    }
    usedBy.set(key, used);
    const headers = rateHeaders(limit - used, windowReset);

    const failure = failures.find((f) => f.times > 0 && (f.path === undefined || path.startsWith(f.path)));
    if (failure) {
      failure.times--;
      record(failure.status, who.label);
      if (failure.secondaryRetryAfter !== undefined) {
        send(
          res,
          failure.status,
          { message: SECONDARY_MESSAGE, documentation_url: DOCS, status: String(failure.status) },
          {
            ...headers,
            'retry-after': String(failure.secondaryRetryAfter),
          },
        );
      } else {
        send(
          res,
          failure.status,
          {
            message: failure.status >= 500 ? 'Server Error' : 'Forbidden',
            documentation_url: DOCS,
            status: String(failure.status),
          },
          headers,
        );
      }
      return;
    }

    const answer = graphql ? handleGraphql(who, body) : handleRest(who, method, path, url);
    record(answer.status, who.label);
    send(res, answer.status, answer.body, { ...headers, ...answer.headers });
  }

  function mintInstallationToken(req: IncomingMessage, res: ServerResponse, path: string): number {
    const app = data.app;
    const installationId = Number(path.split('/')[3]);
    const jwt = /^bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const fail = (status: number, message: string) => {
      send(res, status, { message, documentation_url: DOCS, status: String(status) });
      return status;
    };
    if (!app || !jwt) return fail(401, 'A JSON web token could not be decoded');
    const [head, payload, signature] = jwt.split('.');
    if (!head || !payload || !signature) return fail(401, 'A JSON web token could not be decoded');
    const valid = verify(
      'RSA-SHA256',
      Buffer.from(`${head}.${payload}`),
      createPublicKey(app.publicKey),
      Buffer.from(signature, 'base64url'),
    );
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { iss?: unknown; exp?: number };
    if (!valid || String(claims.iss) !== String(app.appId)) return fail(401, 'A JSON web token could not be decoded');
    if (typeof claims.exp !== 'number' || claims.exp * 1000 < Date.now())
      return fail(401, "'Expiration time' claim ('exp') is too far in the future");
    if (installationId !== app.installationId) return fail(404, 'Not Found');
    const token = `ghs_fakeInstallation${++installationSerial}`;
    installationTokens.set(token, installationId);
    send(res, 201, {
      token,
      expires_at: new Date(Date.now() + 3600_000).toISOString(),
      permissions: app.permissions ?? { members: 'read' },
      repository_selection: 'all',
    });
    return 201;
  }

  interface Answer {
    status: number;
    body: unknown;
    headers?: Record<string, string>;
  }
  const error = (status: number, message: string): Answer => ({
    status,
    body: { message, documentation_url: DOCS, status: String(status) },
  });

  function paged<T>(url: URL, items: T[], view: (item: T) => unknown = (item) => item): Answer {
    const perPage = Math.min(Math.max(Number(url.searchParams.get('per_page') ?? 30) || 30, 1), 100);
    const page = Math.max(Number(url.searchParams.get('page') ?? 1) || 1, 1);
    const lastPage = Math.max(Math.ceil(items.length / perPage), 1);
    const link = (target: number, rel: string) => {
      const next = new URL(url);
      next.searchParams.set('page', String(target));
      next.searchParams.set('per_page', String(perPage));
      return `<${fakeBase}${next.pathname}${next.search}>; rel="${rel}"`;
    };
    const links: string[] = [];
    if (page > 1) links.push(link(page - 1, 'prev'));
    if (page < lastPage) links.push(link(page + 1, 'next'), link(lastPage, 'last'));
    if (page > 1) links.push(link(1, 'first'));
    return {
      status: 200,
      body: items.slice((page - 1) * perPage, page * perPage).map(view),
      headers: links.length > 0 ? { link: links.join(', ') } : {},
    };
  }

  // Listing a large org page by page must not re-filter every member for every page.
  const roleCache = new WeakMap<object, Map<string, FakeGitHubData['members']>>();
  const byRole = (members: FakeGitHubData['members'], role: string) => {
    let cached = roleCache.get(members);
    if (!cached) roleCache.set(members, (cached = new Map()));
    let list = cached.get(role);
    if (!list) cached.set(role, (list = members.filter((m) => role === 'all' || m.role === role)));
    return list;
  };

  const simpleUser = (user: FakeGitHubUser) => ({
    login: user.login,
    id: user.id,
    node_id: `U_${user.id}`,
    avatar_url: `https://avatars.example/u/${user.id}`,
    url: `${fakeBase}/users/${user.login}`,
    html_url: `https://github.example/${user.login}`,
    type: user.type ?? 'User',
    site_admin: false,
    user_view_type: 'public',
  });

  const canRead = (who: Caller) =>
    who.app || (who.scopes ?? []).some((s) => ['read:org', 'write:org', 'admin:org'].includes(s));
  const canWrite = (who: Caller) =>
    who.app
      ? data.app?.permissions?.members === 'write'
      : (who.scopes ?? []).includes('admin:org') && isOwner(who.login);
  const ownerView = (who: Caller) => who.app || (canRead(who) && isOwner(who.login));

  function handleRest(who: Caller, method: string, path: string, url: URL): Answer {
    const org = data.org.toLowerCase();
    const parts = path.split('/').filter(Boolean);
    if (method === 'GET' && path === '/user') {
      if (who.app) return error(403, 'Resource not accessible by integration');
      const user = allUsers().find((u) => u.login === who.login);
      return {
        status: 200,
        body: { ...simpleUser(user ?? { id: 999_999, login: who.login! }), name: user?.name ?? null },
      };
    }
    if (method === 'GET' && parts[0] === 'user' && parts.length === 2 && /^\d+$/.test(parts[1]!)) {
      const user = allUsers().find((u) => u.id === Number(parts[1]));
      return user ? { status: 200, body: { ...simpleUser(user), name: user.name ?? null } } : error(404, 'Not Found');
    }
    if (method === 'GET' && parts[0] === 'user' && parts[1] === 'memberships' && parts[2] === 'orgs') {
      if (who.app) return error(403, 'Resource not accessible by integration');
      if (parts[3]?.toLowerCase() !== org || !isMember(who.login)) return error(404, 'Not Found');
      if (!canRead(who))
        return error(403, 'You need at least read:org scope or user scope to list your organization memberships.');
      return {
        status: 200,
        body: { state: 'active', role: isOwner(who.login) ? 'admin' : 'member', organization: { login: data.org } },
      };
    }
    if (parts[0] !== 'orgs' || parts[1]?.toLowerCase() !== org) return error(404, 'Not Found');
    if (!who.app && !isMember(who.login) && parts.length > 2 && !(method === 'GET' && parts[2] === 'members')) {
      return error(404, 'Not Found');
    }
    const rest = parts.slice(2);
    if (method === 'GET' && rest.length === 0) {
      return {
        status: 200,
        body: { login: data.org, id: 1, node_id: 'O_1', url: `${fakeBase}/orgs/${data.org}`, type: 'Organization' },
      };
    }
    if (method === 'GET' && rest[0] === 'members' && rest.length === 1) {
      const role = url.searchParams.get('role') ?? 'all';
      if (!['all', 'admin', 'member'].includes(role)) return error(422, `Invalid value for role: ${role}`);
      const visible = who.app || isMember(who.login) ? data.members : data.members.filter((m) => m.user.publicMember);
      return paged(url, byRole(visible, role), (m) => simpleUser(m.user));
    }
    if (method === 'GET' && rest[0] === 'outside_collaborators' && rest.length === 1) {
      if (!ownerView(who)) return error(403, 'Must be an organization owner.');
      return paged(url, data.outsideCollaborators, simpleUser);
    }
    if (method === 'GET' && rest[0] === 'invitations' && rest.length === 1) {
      if (!ownerView(who)) return error(403, 'You must be an admin to view invitations');
      return paged(
        url,
        data.invitations.filter((i) => !i.failed_at),
        (i) => ({
          ...i,
          node_id: `OI_${i.id}`,
          team_count: 0,
          invitation_source: 'member',
          inviter: simpleUser(data.members[0]!.user),
        }),
      );
    }
    if (rest[0] === 'memberships' && rest.length === 2) {
      const login = rest[1]!.toLowerCase();
      const member = data.members.find((m) => m.user.login.toLowerCase() === login);
      const invitation = data.invitations.find((i) => i.login?.toLowerCase() === login && !i.failed_at);
      if (method === 'GET') {
        if (!ownerView(who) && login !== who.login?.toLowerCase()) return error(403, 'Must be an organization owner.');
        if (member)
          return {
            status: 200,
            body: {
              state: 'active',
              role: member.role,
              user: simpleUser(member.user),
              organization_url: `${fakeBase}/orgs/${data.org}`,
            },
          };
        if (invitation)
          return { status: 200, body: { state: 'pending', role: invitation.role === 'admin' ? 'admin' : 'member' } };
        return error(404, 'Not Found');
      }
      if (method === 'DELETE') {
        if (!canWrite(who)) return error(403, 'You must be an admin to remove members.');
        if (member) {
          if (member.role === 'admin' && data.members.filter((m) => m.role === 'admin').length === 1) {
            return error(403, 'You cannot remove the last owner of an organization.');
          }
          data.members = data.members.filter((m) => m !== member);
          return { status: 204, body: undefined };
        }
        if (invitation) {
          data.invitations = data.invitations.filter((i) => i !== invitation);
          return { status: 204, body: undefined };
        }
        return error(404, 'Not Found');
      }
    }
    if (method === 'DELETE' && rest[0] === 'outside_collaborators' && rest.length === 2) {
      if (!canWrite(who)) return error(403, 'Must be an organization owner.');
      const login = rest[1]!.toLowerCase();
      if (isMember(login))
        return error(422, 'You cannot specify an organization member to remove as an outside collaborator.');
      const before = data.outsideCollaborators.length;
      data.outsideCollaborators = data.outsideCollaborators.filter((u) => u.login.toLowerCase() !== login);
      return before === data.outsideCollaborators.length ? error(404, 'Not Found') : { status: 204, body: undefined };
    }
    if (rest[0] === 'credential-authorizations') {
      // GHEC only, and only for an org with SAML SSO; read:org to list, admin:org to remove, an owner either way.
      if (!data.saml) return error(404, 'Not Found');
      if (method === 'GET' && rest.length === 1) {
        if (!ownerView(who)) return error(403, 'Must be an organization owner.');
        const login = url.searchParams.get('login')?.toLowerCase();
        const listed = login
          ? data.credentialAuthorizations.filter((entry) => entry.login.toLowerCase() === login)
          : data.credentialAuthorizations;
        return paged(url, listed);
      }
      if (method === 'DELETE' && rest.length === 2) {
        if (!canWrite(who)) return error(403, 'Must be an organization owner.');
        const id = Number(rest[1]);
        const entry = data.credentialAuthorizations.find((candidate) => candidate.credential_id === id);
        if (!entry) return error(404, 'Not Found');
        data.credentialAuthorizations = data.credentialAuthorizations.filter((candidate) => candidate !== entry);
        return { status: 204, body: undefined };
      }
    }
    if (method === 'DELETE' && rest[0] === 'invitations' && rest.length === 2) {
      if (!canWrite(who)) return error(403, 'You must be an admin to cancel invitations.');
      const invitation = data.invitations.find((i) => i.id === Number(rest[1]));
      if (!invitation) return error(404, 'Not Found');
      if (invitation.failed_at) return error(422, 'Validation Failed: the invitation has already failed.');
      data.invitations = data.invitations.filter((i) => i !== invitation);
      return { status: 204, body: undefined };
    }
    return error(404, 'Not Found');
  }

  function handleGraphql(who: Caller, raw: string): Answer {
    let request: { query?: unknown; variables?: Record<string, unknown> };
    try {
      request = JSON.parse(raw) as typeof request;
    } catch {
      return error(400, 'Problems parsing JSON');
    }
    const text = typeof request.query === 'string' ? request.query : '';
    const variables = request.variables ?? {};
    const gqlError = (message: string, type?: string, path?: string[]) => ({
      status: 200,
      body: { data: null, errors: [{ ...(type ? { type } : {}), message, ...(path ? { path } : {}) }] },
    });
    if (text.includes('samlIdentityProvider')) {
      if (!/organization\(\s*login:\s*\$org\s*\)/.test(text) || typeof variables.org !== 'string') {
        return gqlError('Variable $org of type String! was provided invalid value');
      }
      if (variables.org.toLowerCase() !== data.org.toLowerCase()) {
        return {
          status: 200,
          body: {
            data: { organization: null },
            errors: [
              {
                type: 'NOT_FOUND',
                path: ['organization'],
                message: `Could not resolve to an Organization with the login of '${variables.org}'.`,
              },
            ],
          },
        };
      }
      if (!ownerView(who)) {
        return {
          status: 200,
          body: {
            data: { organization: { samlIdentityProvider: null } },
            errors: [
              {
                type: 'FORBIDDEN',
                path: ['organization', 'samlIdentityProvider'],
                message: `${who.label} does not have permission to view the SAML identity provider.`,
              },
            ],
          },
        };
      }
      if (!data.saml) return { status: 200, body: { data: { organization: { samlIdentityProvider: null } } } };
      const args = /externalIdentities\(\s*first:\s*(\d+)\s*(?:,\s*after:\s*\$(\w+)\s*)?\)/.exec(text);
      if (!args)
        return gqlError(
          'You must provide a `first` or `last` value to properly paginate the `externalIdentities` connection.',
          'MISSING_PAGINATION_BOUNDARIES',
        );
      const first = Number(args[1]);
      if (first < 1 || first > 100)
        return gqlError(
          `Requesting ${first} records on the \`externalIdentities\` connection exceeds the \`first\` limit of 100 records.`,
          'EXCESSIVE_PAGINATION',
        );
      const identities = data.saml.identities;
      if (first === 1 && !args[2]) {
        const first1 = identities[0];
        return {
          status: 200,
          body: {
            data: {
              organization: {
                samlIdentityProvider: {
                  ssoUrl: data.saml.ssoUrl,
                  externalIdentities: { edges: first1 ? [{ node: { guid: first1.guid } }] : [] },
                },
              },
            },
          },
        };
      }
      const missing = SAML_REQUIRED.filter((field) => !new RegExp(`\\b${field}\\b`).test(text));
      if (missing.length > 0) return gqlError(`fake: the query does not ask for ${missing.join(', ')}`);
      const cursor = args[2] ? variables[args[2]] : null;
      let start = 0;
      if (typeof cursor === 'string') {
        const decoded = /^cursor:v2:(\d+)$/.exec(Buffer.from(cursor, 'base64').toString('utf8'));
        if (!decoded)
          return gqlError(`\`${cursor}\` does not appear to be a valid cursor.`, 'INVALID_CURSOR_ARGUMENTS');
        start = Number(decoded[1]);
      }
      const slice = identities.slice(start, start + first);
      const end = start + slice.length;
      const usersById = new Map(allUsers().map((u) => [u.id, u]));
      return {
        status: 200,
        body: {
          data: {
            organization: {
              samlIdentityProvider: {
                ssoUrl: data.saml.ssoUrl,
                externalIdentities: {
                  pageInfo: {
                    hasNextPage: end < identities.length,
                    endCursor: slice.length > 0 ? Buffer.from(`cursor:v2:${end}`).toString('base64') : null,
                  },
                  edges: slice.map((identity) => {
                    const user = identity.userId === null ? undefined : usersById.get(identity.userId);
                    return {
                      node: {
                        guid: identity.guid,
                        samlIdentity: {
                          nameId: identity.nameId,
                          username: identity.nameId,
                          emails: (identity.emails ?? []).map((value, index) => ({ value, primary: index === 0 })),
                        },
                        scimIdentity: identity.scimUsername ? { username: identity.scimUsername, emails: [] } : null,
                        user: user ? { login: user.login, databaseId: user.id } : null,
                      },
                    };
                  }),
                },
              },
            },
          },
        },
      };
    }
    const aliases = [...text.matchAll(/(\w+)\s*:\s*user\(\s*login:\s*\$(\w+)\s*\)\s*\{([^}]*)\}/g)];
    if (aliases.length > 0) {
      if (aliases.length > 100) return gqlError('fake: too many users in one query');
      const result: Record<string, unknown> = {};
      const errors: unknown[] = [];
      const byLogin = new Map(allUsers().map((u) => [u.login.toLowerCase(), u]));
      const memberLogins = new Set(data.members.map((m) => m.user.login.toLowerCase()));
      const owner = ownerView(who);
      for (const [, alias, variable, fields] of aliases) {
        const login = variables[variable!];
        if (typeof login !== 'string')
          return gqlError(`Variable $${variable} of type String! was provided invalid value`);
        if (!/organizationVerifiedDomainEmails\(\s*login:\s*\$org\s*\)/.test(fields!))
          return gqlError('fake: organizationVerifiedDomainEmails(login: $org) expected');
        const user = byLogin.get(login.toLowerCase());
        if (!user) {
          result[alias!] = null;
          errors.push({
            type: 'NOT_FOUND',
            path: [alias],
            message: `Could not resolve to a User with the login of '${login}'.`,
          });
          continue;
        }
        if (!owner) {
          result[alias!] = null;
          errors.push({
            type: 'FORBIDDEN',
            path: [alias, 'organizationVerifiedDomainEmails'],
            message: 'Must be an organization owner.',
          });
          continue;
        }
        const member = memberLogins.has(user.login.toLowerCase());
        result[alias!] = {
          databaseId: user.id,
          organizationVerifiedDomainEmails: member ? (user.verifiedDomainEmails ?? []) : [],
        };
      }
      return { status: 200, body: errors.length > 0 ? { data: result, errors } : { data: result } };
    }
    return gqlError('fake: unsupported query');
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const fakeBase = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    apiUrl: fakeBase,
    requests,
    failures,
    data,
    exhaustPrimary(count, resetSeconds = 1) {
      exhausted = { count, reset: Math.floor(Date.now() / 1000) + resetSeconds };
    },
    used(resource) {
      let total = 0;
      for (const [key, value] of usedBy) if (!resource || key.endsWith(`:${resource}`)) total += value;
      return total;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function ownerLogin(data: { members: { user: FakeGitHubUser; role: string }[] }): string {
  const owner = data.members.find((m) => m.role === 'admin');
  if (!owner) throw new Error('fake GitHub: give an owner among the members, or tokens');
  return owner.user.login;
}

/**
 * A synthetic organization: `members` users (every 50th an owner), `outside` outside collaborators and `invitations`
 * pending invitations. Member i has login `dev{i}`, id 1000+i, and either a SAML identity (`samlCoverage` of them,
 * NameID `dev{i}@{domain}`) or a verified-domain email, so each is linked to person E{i}.
 */
export function syntheticGitHubOrg(options: {
  org?: string;
  members: number;
  outside?: number;
  invitations?: number;
  domain?: string;
  saml?: boolean;
}): FakeGitHubData {
  const domain = options.domain ?? 'acme.com';
  const members = Array.from({ length: options.members }, (_, i) => ({
    user: {
      id: 1000 + i,
      login: `dev${i}`,
      name: `Developer ${i}`,
      verifiedDomainEmails: options.saml === false ? [`dev${i}@${domain}`] : [],
    } satisfies FakeGitHubUser,
    role: (i % 50 === 0 ? 'admin' : 'member') as 'admin' | 'member',
  }));
  return {
    org: options.org ?? 'acme',
    members,
    outsideCollaborators: Array.from({ length: options.outside ?? 0 }, (_, i) => ({
      id: 900_000 + i,
      login: `contractor${i}`,
    })),
    invitations: Array.from({ length: options.invitations ?? 0 }, (_, i) => ({
      id: 70_000 + i,
      login: null,
      email: `invitee${i}@${domain}`,
      role: 'direct_member' as const,
      created_at: '2026-11-01T09:00:00Z',
    })),
    saml:
      options.saml === false
        ? null
        : {
            ssoUrl: 'https://idp.example/sso',
            identities: members.map((m, i) => ({
              guid: `guid-${i}`,
              nameId: `dev${i}@${domain}`,
              emails: [`dev${i}@${domain}`],
              userId: m.user.id,
            })),
          },
  };
}
