import type { GitHubSourceConfig } from '../../src/config/config.js';
import type {
  AccountRef,
  ActionOutcome,
  LiveState,
  RemediatorFactory,
  SystemAction,
} from '../../src/contract/action.js';
import { SourceError } from '../../src/contract/errors.js';
import {
  connectGitHub,
  type GitHubConnection,
  gitHubMessage,
  PAGE_SIZE,
  permissionHint,
  statusOf,
  toSourceError,
} from './client.js';
import { gitHubCredentialRemediator } from './credential-actions.js';
import { sourceDeadline } from './index.js';
import { accountKind, type GitHubInvitation, INVITATION_ID_PREFIX } from './transform.js';

/**
 * GitHub remediation: `disable` removes the account from the org — a member with DELETE /orgs/{org}/memberships/
 * {user}, an outside collaborator with DELETE /orgs/{org}/outside_collaborators/{user}, a pending invitation with
 * DELETE /orgs/{org}/invitations/{id} — and the engine verifies it by reading the account again (a member's
 * membership answers 404; a collaborator or invitation is no longer listed). The GitHub account itself is personal
 * and stays: what is removed is its access to the org's code. Members are looked up by numeric id first, so a login
 * renamed since the scan is still found (a stale login would read as "already gone").
 */

const UNSUPPORTED: Partial<Record<SystemAction, string>> = {
  'revoke-sessions':
    "GitHub has no API to end a user's sessions; removing them from the org (disable) ends their access to its code",
  deactivate: 'GitHub accounts are personal: zombiescan can only remove them from the org (disable)',
  'remove-licenses': 'removing the member from the org (disable) frees their seat',
};
const ENTERPRISE_NOTE = 'access through an enterprise team, if any, is not removed by this call';

const GONE: LiveState = { found: false, enabled: false, rawStatus: null };

export const createGitHubRemediator: RemediatorFactory<GitHubSourceConfig> = (config, deps = {}) => {
  const connect = (signal: AbortSignal) => {
    const deadline = sourceDeadline(config);
    const connection = connectGitHub(config, deps, {
      signal: AbortSignal.any([signal, deadline.signal]),
      deadline: deadline.at,
    });
    const guard = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
      try {
        return await call();
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        throw toSourceError(connection, what, error, deadline);
      }
    };
    return { connection, guard };
  };

  return {
    unsupportedReason: (action) => UNSUPPORTED[action] ?? null,

    async read(account, signal) {
      const { connection, guard } = connect(signal);
      switch (accountKind(account)) {
        case 'member':
          return readMember(connection, guard, account);
        case 'outside-collaborator':
          return readOutsideCollaborator(connection, guard, account);
        case 'invitation':
          return readInvitation(connection, guard, account);
      }
    },

    alreadyDone(action, state) {
      return action === 'disable' && (!state.found || !state.enabled);
    },

    credentials: gitHubCredentialRemediator(connect),

    async perform(action, account, _state, signal) {
      if (action !== 'disable') return { status: 'failed', reason: UNSUPPORTED[action] ?? `GitHub cannot ${action}` };
      const { connection, guard } = connect(signal);
      const kind = accountKind(account);
      if (kind === 'invitation') return cancelInvitation(connection, guard, account);
      const login = await currentLogin(connection, guard, account);
      if (login === null) return { status: 'already-done', reason: 'the GitHub user no longer exists' };
      return kind === 'member'
        ? removeMember(connection, guard, login)
        : removeOutsideCollaborator(connection, guard, login);
    },
  };
};

type Guard = <T>(what: string, call: () => Promise<T>) => Promise<T>;

/** The user's login now (GET /user/{id}), null when GitHub has no such user any more. */
async function currentLogin(connection: GitHubConnection, guard: Guard, account: AccountRef): Promise<string | null> {
  if (!/^\d+$/.test(account.id)) return account.login;
  try {
    const { data } = await connection.octokit.request('GET /user/{account_id}', { account_id: Number(account.id) });
    return data.login;
  } catch (error) {
    if (statusOf(error) === 404) return null;
    return guard(`GET /user/${account.id}`, () => Promise.reject(error));
  }
}

async function readMember(connection: GitHubConnection, guard: Guard, account: AccountRef): Promise<LiveState> {
  const { octokit, config } = connection;
  const login = await currentLogin(connection, guard, account);
  if (login === null) return GONE;
  try {
    const { data } = await octokit.rest.orgs.getMembershipForUser({ org: config.org, username: login });
    // A pending membership is an invitation: accepting it needs no admin, so it still counts as enabled.
    return {
      found: true,
      enabled: true,
      rawStatus: data.state === 'pending' ? 'invited' : data.role === 'admin' ? 'owner' : data.role,
    };
  } catch (error) {
    if (statusOf(error) === 404) return GONE;
    return guard(`GET /orgs/${config.org}/memberships/${login}`, () => Promise.reject(error));
  }
}

async function readOutsideCollaborator(
  connection: GitHubConnection,
  guard: Guard,
  account: AccountRef,
): Promise<LiveState> {
  const { octokit, config } = connection;
  const route = 'GET /orgs/{org}/outside_collaborators';
  const iterator = octokit.paginate.iterator(route, { org: config.org, per_page: PAGE_SIZE })[Symbol.asyncIterator]();
  for (;;) {
    const next = await guard(`GET /orgs/${config.org}/outside_collaborators`, () => iterator.next());
    if (next.done) return GONE;
    if ((next.value.data as { id: number }[]).some((user) => String(user.id) === account.id)) {
      return { found: true, enabled: true, rawStatus: 'outside collaborator' };
    }
  }
}

async function readInvitation(connection: GitHubConnection, guard: Guard, account: AccountRef): Promise<LiveState> {
  const { octokit, config } = connection;
  const invitationId = invitationIdOf(account);
  const listing = octokit.paginate.iterator('GET /orgs/{org}/invitations', { org: config.org, per_page: PAGE_SIZE });
  const iterator = listing[Symbol.asyncIterator]();
  for (;;) {
    const next = await guard(`GET /orgs/${config.org}/invitations`, () => iterator.next());
    // Gone from the list: cancelled, expired, or accepted (an accepted invitee shows up as a member next scan).
    if (next.done) return GONE;
    if ((next.value.data as GitHubInvitation[]).some((invitation) => invitation.id === invitationId)) {
      return { found: true, enabled: true, rawStatus: 'invited' };
    }
  }
}

function invitationIdOf(account: AccountRef): number {
  const fromAttributes = account.attributes.invitationId;
  if (typeof fromAttributes === 'number') return fromAttributes;
  return Number(account.id.slice(INVITATION_ID_PREFIX.length));
}

/**
 * A refusal GitHub explains (403: not an owner, the last owner, a token without admin:org; 422: not possible in
 * this state) is a failed outcome with GitHub's words; anything else after retries is a SourceError.
 */
async function removal(
  connection: GitHubConnection,
  guard: Guard,
  what: string,
  call: () => Promise<unknown>,
  applied: string,
): Promise<ActionOutcome> {
  try {
    await call();
    return { status: 'applied', reason: applied };
  } catch (error) {
    const status = statusOf(error);
    if (status === 404) return { status: 'already-done', reason: `${what}: GitHub answered 404 (no longer there)` };
    const rateLimited = /rate limit/i.test(gitHubMessage(error));
    if (status === 403 && !rateLimited) {
      return {
        status: 'failed',
        reason: `${what}: HTTP 403 ${gitHubMessage(error)} (${permissionHint(connection.config, true)})`,
      };
    }
    if (status === 422) return { status: 'failed', reason: `${what}: HTTP 422 ${gitHubMessage(error)}` };
    return guard(what, () => Promise.reject(error));
  }
}

function removeMember(connection: GitHubConnection, guard: Guard, login: string): Promise<ActionOutcome> {
  const { octokit, config } = connection;
  const what = `DELETE /orgs/${config.org}/memberships/${login}`;
  return removal(
    connection,
    guard,
    what,
    () => octokit.rest.orgs.removeMembershipForUser({ org: config.org, username: login }),
    `${what}: removed from the organization, its teams and repositories; ${ENTERPRISE_NOTE}`,
  );
}

function removeOutsideCollaborator(connection: GitHubConnection, guard: Guard, login: string): Promise<ActionOutcome> {
  const { octokit, config } = connection;
  const what = `DELETE /orgs/${config.org}/outside_collaborators/${login}`;
  return removal(
    connection,
    guard,
    what,
    () => octokit.rest.orgs.removeOutsideCollaborator({ org: config.org, username: login }),
    `${what}: removed from every repository of the organization`,
  );
}

function cancelInvitation(connection: GitHubConnection, guard: Guard, account: AccountRef): Promise<ActionOutcome> {
  const { octokit, config } = connection;
  const invitationId = invitationIdOf(account);
  if (!Number.isSafeInteger(invitationId)) {
    throw new SourceError(config.name, `"${account.id}" is not a GitHub invitation id`, 'data');
  }
  const what = `DELETE /orgs/${config.org}/invitations/${invitationId}`;
  return removal(
    connection,
    guard,
    what,
    () => octokit.rest.orgs.cancelInvitation({ org: config.org, invitation_id: invitationId }),
    `${what}: invitation cancelled before anyone accepted it`,
  );
}
