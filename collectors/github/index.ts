import type { CollectContext, CollectorFactory, DoctorCheck } from '../../src/contract/collector.js';
import type { GitHubSourceConfig } from '../../src/config/config.js';
import type { Account } from '../../src/contract/model.js';
import { SourceError } from '../../src/contract/errors.js';
import {
  connectGitHub,
  type GitHubConnection,
  gitHubMessage,
  isRateLimited,
  PAGE_SIZE,
  permissionHint,
  statusOf,
  toSourceError,
} from './client.js';
import {
  credentialAuthorizationToCredential,
  type GitHubCredentialAuthorization,
  type GitHubCredentialOwner,
} from './credentials-transform.js';
import { readIdentityMap, readSamlIdentities, readVerifiedDomainEmails } from './identity.js';
import {
  type GitHubInvitation,
  type GitHubUser,
  type IdentityMapEntry,
  invitationToAccount,
  type Links,
  memberToAccount,
  outsideCollaboratorToAccount,
  type SamlIdentity,
} from './transform.js';

/**
 * GitHub organization: the identityMap CSV first (bad input stops before any call), then the org's SAML identities
 * (one GraphQL pass), then members by role (admins first), outside collaborators and pending invitations, each REST
 * page yielded as accounts once its members SAML did not link have had their verified-domain emails asked for.
 */

export const ACTIVITY_NOTICE =
  'GitHub reports no last activity for org members: activity unknown; dormant-account, never-logged-in and ' +
  'stale-guest will not run for this source';

interface Linking {
  saml: Map<number, SamlIdentity> | null;
  /** The same identities by GitHub login, built on first use (invitations name logins, not ids). */
  samlByLogin?: Map<string, SamlIdentity>;
  /** False once GitHub refused them (said once). */
  verifiedDomainEmails: boolean;
  identityMap: Map<string, IdentityMapEntry>;
}

export function sourceDeadline(config: GitHubSourceConfig): { signal: AbortSignal; seconds: number; at: number } {
  return {
    signal: AbortSignal.timeout(config.timeoutSeconds * 1000),
    seconds: config.timeoutSeconds,
    at: Date.now() + config.timeoutSeconds * 1000,
  };
}

export const createGitHubCollector: CollectorFactory<GitHubSourceConfig> = (config, deps = {}) => {
  const connect = (context: CollectContext, deadline: ReturnType<typeof sourceDeadline>) =>
    connectGitHub(config, deps, {
      signal: AbortSignal.any([context.signal, deadline.signal]),
      deadline: deadline.at,
      log: context.log,
    });
  const identityMap = () =>
    config.identityMap ? readIdentityMap(config.identityMap) : Promise.resolve(new Map<string, IdentityMapEntry>());

  // The accounts a login belongs to, from the account phase: credential authorizations name logins, not ids.
  let owners: Map<string, GitHubCredentialOwner> | null = null;

  return {
    async validateInput() {
      await identityMap();
    },

    async *collect(context) {
      const mapped = await identityMap();
      const deadline = sourceDeadline(config);
      const connection = connect(context, deadline);
      const guard = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
        try {
          return await call();
        } catch (error) {
          if (context.signal.aborted) throw context.signal.reason;
          throw toSourceError(connection, what, error, deadline);
        }
      };
      await guard(`GET /orgs/${config.org}`, () => connection.octokit.rest.orgs.get({ org: config.org }));
      if (!config.app) await guard('membership check', () => assertMemberOfOrg(connection));
      context.notice(ACTIVITY_NOTICE);

      const linking: Linking = {
        saml: await guard('SAML identities', () => readSamlIdentities(connection, context.notice)),
        verifiedDomainEmails: true,
        identityMap: mapped,
      };
      const seen = new Set<string>();
      const fresh = (accounts: Account[]) =>
        accounts.filter((account) => !seen.has(account.id) && seen.add(account.id));
      const logins = new Map<string, GitHubCredentialOwner>();
      const remember = (users: GitHubUser[], owner: boolean) => {
        for (const user of users) logins.set(user.login.toLowerCase(), { accountId: String(user.id), owner });
      };

      for (const role of ['admin', 'member'] as const) {
        for await (const users of pages<GitHubUser>(connection, guard, 'GET /orgs/{org}/members', { role })) {
          remember(users, role === 'admin');
          const verified = await verifiedEmailsFor(connection, guard, linking, users, context);
          yield fresh(users.map((user) => memberToAccount(config.name, user, role, linksOf(linking, user, verified))));
        }
      }
      for await (const users of pages<GitHubUser>(connection, guard, 'GET /orgs/{org}/outside_collaborators', {})) {
        remember(users, false);
        yield fresh(users.map((user) => outsideCollaboratorToAccount(config.name, user, linksOf(linking, user))));
      }
      for await (const invitations of pages<GitHubInvitation>(connection, guard, 'GET /orgs/{org}/invitations', {})) {
        yield fresh(
          invitations.map((invitation) =>
            invitationToAccount(config.name, invitation, invitationLinks(linking, invitation)),
          ),
        );
      }
      owners = logins;
    },

    /**
     * SAML SSO credential authorizations: one org-wide list (GET /orgs/{org}/credential-authorizations, 100 a page),
     * read every scan. An org without SAML SSO, or a token that may not list them, answers 404 or 403: said once,
     * and they are unknown, never "none".
     */
    async *collectCredentials(context) {
      if (owners === null) {
        throw new SourceError(config.name, 'credentials are read after the accounts of the same scan', 'data');
      }
      const known = owners;
      const deadline = sourceDeadline(config);
      const connection = connect(context, deadline);
      const route = 'GET /orgs/{org}/credential-authorizations';
      const what = `GET /orgs/${config.org}/credential-authorizations`;
      const listing = connection.octokit.paginate.iterator(route, { org: config.org, per_page: PAGE_SIZE });
      const iterator = listing[Symbol.asyncIterator]();
      for (let first = true; ; first = false) {
        let next;
        try {
          next = await iterator.next();
        } catch (error) {
          if (context.signal.aborted) throw context.signal.reason;
          const status = statusOf(error);
          if (first && (status === 404 || status === 403) && !isRateLimited(error)) {
            context.notice(
              `github ${config.name}: SAML SSO credential authorizations (PATs, SSH keys) unreadable (HTTP ${status} ` +
                `${gitHubMessage(error)}), so they are unknown, not none: they exist only on an org with SAML SSO ` +
                '(GitHub Enterprise Cloud), and listing them needs an organization owner (classic token: read:org)',
            );
            return;
          }
          throw toSourceError(connection, what, error, deadline);
        }
        if (next.done) return;
        const items = next.value.data as unknown;
        if (!Array.isArray(items)) {
          throw new SourceError(config.name, `${what}: GitHub answered something other than a list`, 'data');
        }
        const page = (items as GitHubCredentialAuthorization[]).map((item) =>
          credentialAuthorizationToCredential(
            item,
            known.get(item.login.toLowerCase()) ?? null,
            config.name,
            context.now,
          ),
        );
        if (page.length > 0) yield page;
      }
    },

    async doctor(context) {
      const deadline = sourceDeadline(config);
      return doctorChecks(connect(context, deadline), identityMap);
    },
  };
};

type Guard = <T>(what: string, call: () => Promise<T>) => Promise<T>;

/** REST pages through Octokit's paginator (it follows the `Link` header), 100 per page. */
async function* pages<T>(
  connection: GitHubConnection,
  guard: Guard,
  route: string,
  parameters: Record<string, string>,
): AsyncGenerator<T[]> {
  const { octokit, config } = connection;
  const listing = octokit.paginate.iterator(route, { org: config.org, per_page: PAGE_SIZE, ...parameters });
  const iterator = listing[Symbol.asyncIterator]();
  const what = `${route.replace('{org}', config.org)}${parameters.role ? `?role=${parameters.role}` : ''}`;
  for (;;) {
    const next = await guard(what, () => iterator.next());
    if (next.done) return;
    const data = next.value.data as unknown;
    if (!Array.isArray(data)) {
      throw new SourceError(config.name, `${what}: GitHub answered something other than a list`, 'data');
    }
    yield data as T[];
  }
}

/**
 * GitHub lists only an org's public members to a token whose user is not a member: a silent partial list. Refuse it
 * instead (a failed source is never "fewer accounts").
 */
async function assertMemberOfOrg(connection: GitHubConnection): Promise<void> {
  const { octokit, config } = connection;
  try {
    const { data } = await octokit.rest.orgs.getMembershipForAuthenticatedUser({ org: config.org });
    if (data.state !== 'active') {
      throw new SourceError(config.name, `the token's user has only a pending invitation to ${config.org}`, 'auth');
    }
  } catch (error) {
    const status = statusOf(error);
    if (status === 404 || status === 403) {
      throw new SourceError(
        config.name,
        `the token's user is not a member of ${config.org} (GitHub would list only its public members): ` +
          permissionHint(config),
        'auth',
      );
    }
    throw error;
  }
}

async function verifiedEmailsFor(
  connection: GitHubConnection,
  guard: Guard,
  linking: Linking,
  users: GitHubUser[],
  context: CollectContext,
): Promise<Map<number, string[]>> {
  const unlinked = users.filter((user) => !linking.saml?.get(user.id)?.emails.length);
  if (!linking.verifiedDomainEmails || unlinked.length === 0) return new Map();
  const answer = await guard('verified-domain emails', () =>
    readVerifiedDomainEmails(
      connection,
      unlinked.map((user) => user.login),
    ),
  );
  if ('refused' in answer) {
    linking.verifiedDomainEmails = false;
    context.notice(`${answer.refused}; linking falls back to identityMap`);
    return new Map();
  }
  return answer.emails;
}

function linksOf(linking: Linking, user: GitHubUser, verified?: Map<number, string[]>): Links {
  return {
    saml: linking.saml?.get(user.id) ?? null,
    verifiedEmails: verified?.get(user.id) ?? [],
    mapped: linking.identityMap.get(user.login.toLowerCase()) ?? null,
  };
}

/** An invitee with a GitHub login may already have a SAML identity or a mapping row. */
function invitationLinks(linking: Linking, invitation: GitHubInvitation): Links {
  const login = invitation.login?.toLowerCase();
  if (linking.saml && !linking.samlByLogin) {
    linking.samlByLogin = new Map(
      [...linking.saml.values()].map((identity) => [identity.login.toLowerCase(), identity]),
    );
  }
  return {
    saml: login ? (linking.samlByLogin?.get(login) ?? null) : null,
    verifiedEmails: [],
    mapped: login ? (linking.identityMap.get(login) ?? null) : null,
  };
}

const SAML_PROBE = `query($org: String!) {
  organization(login: $org) { samlIdentityProvider { ssoUrl externalIdentities(first: 1) { edges { node { guid } } } } }
}`;

async function doctorChecks(connection: GitHubConnection, identityMap: () => Promise<unknown>): Promise<DoctorCheck[]> {
  const { octokit, config } = connection;
  const checks: DoctorCheck[] = [];
  const failed = (check: string, what: string, error: unknown): DoctorCheck => ({
    check,
    ok: false,
    detail: toSourceError(connection, what, error).message.replace(`${config.name}: `, ''),
  });

  if (config.identityMap) {
    try {
      await identityMap();
      checks.push({ check: 'file', ok: true, detail: `identityMap ${config.identityMap} is readable` });
    } catch (error) {
      checks.push({ check: 'file', ok: false, detail: error instanceof Error ? error.message : String(error) });
    }
  }

  let scopes: string[] | null = null;
  let orgOk = false;
  try {
    if (config.app) {
      // The installation token is minted on the first call: a refused App fails here.
      await octokit.rest.orgs.get({ org: config.org });
      checks.push({ check: 'reachable', ok: true, detail: `${config.apiUrl} answered` });
      checks.push({
        check: 'authenticated',
        ok: true,
        detail: `GitHub App ${config.app.appId}, installation ${config.app.installationId}`,
      });
      orgOk = true;
    } else {
      const response = await octokit.rest.users.getAuthenticated();
      const header = response.headers['x-oauth-scopes'];
      scopes =
        typeof header === 'string'
          ? header
              .split(',')
              .map((scope) => scope.trim())
              .filter(Boolean)
          : null;
      checks.push({ check: 'reachable', ok: true, detail: `${config.apiUrl} answered` });
      checks.push({ check: 'authenticated', ok: true, detail: `token of ${response.data.login}` });
    }
  } catch (error) {
    const status = statusOf(error);
    const answered = status !== null && (error as { response?: unknown }).response !== undefined;
    checks.push(
      answered
        ? { check: 'reachable', ok: true, detail: `${config.apiUrl} answered` }
        : failed('reachable', 'GitHub', error),
    );
    checks.push(
      answered
        ? failed('authenticated', 'authentication', error)
        : { check: 'authenticated', ok: false, detail: 'not reached' },
    );
    return checks;
  }

  if (!config.app) {
    try {
      await octokit.rest.orgs.get({ org: config.org });
      await assertMemberOfOrg(connection);
      orgOk = true;
    } catch (error) {
      checks.push(failed('users readable', `organization ${config.org}`, error));
    }
  }
  if (orgOk) {
    try {
      await octokit.rest.orgs.listMembers({ org: config.org, per_page: 1 });
      await octokit.rest.orgs.listOutsideCollaborators({ org: config.org, per_page: 1 });
      await octokit.rest.orgs.listPendingInvitations({ org: config.org, per_page: 1 });
      checks.push({
        check: 'users readable',
        ok: true,
        detail: `members, outside collaborators and pending invitations of ${config.org} readable`,
      });
    } catch (error) {
      checks.push(failed('users readable', `organization ${config.org}`, error));
    }
  }

  checks.push(permissionsCheck(config, scopes));

  try {
    type Probe = { organization: { samlIdentityProvider: { ssoUrl: string | null } | null } | null };
    const answer = await octokit.graphql<Probe>(SAML_PROBE, { org: config.org });
    const provider = answer.organization?.samlIdentityProvider ?? null;
    checks.push(
      provider
        ? { check: 'saml sso', ok: true, detail: `SAML SSO identities readable (${provider.ssoUrl ?? 'IdP'})` }
        : {
            check: 'saml sso',
            ok: false,
            limitation: true,
            detail: `no SAML SSO on ${config.org}: linking uses verified-domain emails and identityMap`,
          },
    );
  } catch (error) {
    checks.push({ check: 'saml sso', ok: false, limitation: true, detail: `not readable: ${gitHubMessage(error)}` });
  }
  try {
    await octokit.request('GET /orgs/{org}/credential-authorizations', { org: config.org, per_page: 1 });
    checks.push({
      check: 'credential authorizations',
      ok: true,
      detail: 'SAML SSO credential authorizations (PATs, SSH keys) readable',
    });
  } catch (error) {
    checks.push({
      check: 'credential authorizations',
      ok: false,
      limitation: true,
      detail:
        `not readable (HTTP ${statusOf(error) ?? '?'} ${gitHubMessage(error)}): they exist only on an org with SAML ` +
        "SSO, and need an organization owner's token with read:org; PATs and SSH keys stay unknown",
    });
  }
  checks.push({ check: 'activity', ok: false, limitation: true, detail: ACTIVITY_NOTICE });
  return checks;
}

/** Classic tokens list their scopes in `x-oauth-scopes`; fine-grained tokens and Apps list none. */
function permissionsCheck(config: GitHubSourceConfig, scopes: string[] | null): DoctorCheck {
  if (config.app) {
    return {
      check: 'permissions',
      ok: true,
      detail: `GitHub App: ${permissionHint(config, true)} (GitHub does not list an installation's permissions here)`,
    };
  }
  if (scopes === null) {
    return {
      check: 'permissions',
      ok: true,
      detail: `fine-grained token: GitHub lists no scopes; ${permissionHint(config, true)} to remove leavers`,
    };
  }
  const listed = scopes.length > 0 ? scopes.join(', ') : 'none';
  if (scopes.includes('admin:org')) {
    return { check: 'permissions', ok: true, detail: `scopes ${listed}: can scan and remove members (admin:org)` };
  }
  if (scopes.includes('read:org') || scopes.includes('write:org')) {
    return {
      check: 'permissions',
      ok: false,
      limitation: true,
      detail: `scopes ${listed}: can scan; removing leavers (disable) needs admin:org`,
    };
  }
  return {
    check: 'permissions',
    ok: false,
    detail: `scopes ${listed}: the token needs read:org to scan (admin:org to remove leavers)`,
  };
}
