import { googleCredentialRemediator } from './credential-actions.js';
import type { CredentialRemediator } from '../../src/contract/action.js';
import type { admin_directory_v1 } from '@googleapis/admin';
import type { GoogleSourceConfig } from '../../src/config/config.js';
import { SourceError } from '../../src/contract/errors.js';
import type {
  AccountRef,
  ActionOutcome,
  LiveState,
  RemediatorFactory,
  SourceRemediator,
  SystemAction,
} from '../../src/contract/action.js';
import type { CollectorDeps } from '../../src/contract/collector.js';
import {
  createDirectoryClients,
  factsOf,
  openDirectorySession,
  type DirectoryClients,
  type GoogleScope,
} from './client.js';
import { rawStatusOf } from './transform.js';

/**
 * Google Workspace remediation through the Admin SDK Directory API, with the collector's key, delegation and retry
 * policy (quota backoff, 5xx):
 * - `revoke-sessions`: users.signOut — ends every web and device session and resets sign-in cookies (scope
 *   admin.directory.user.security). POST is idempotent here, so it is retried like a read;
 * - `disable`: users.update {suspended: true} (patch semantics; scope admin.directory.user) — a suspended user cannot
 *   sign in, and Google ends their sessions; mail, Drive and licences are kept.
 * Each scope has its own token, so a client authorised for only one of them can still do that one. The engine
 * re-reads the user before each action and after (verification) with users.get under the read-only scope.
 * Google has no separate deactivate; licences belong to the Enterprise License Manager API, not this source.
 * Admin privileges the subject needs: Users > Read (read), Users > Update (disable), Users > Security settings
 * (signOut); only a super admin may suspend or sign out another super admin.
 */

export const DEACTIVATE_UNSUPPORTED =
  'Google Workspace has no separate deactivate: disable suspends the user; delete them in the Admin console if required';
export const LICENCES_UNSUPPORTED =
  'Google Workspace licences are managed through the Enterprise License Manager API, which this source does not use: ' +
  'remove them in the Admin console (Billing > Subscriptions)';
export const SIGN_OUT_APPLIED = 'signed out of every web and device session and sign-in cookies reset (users.signOut)';
export const SUSPEND_APPLIED =
  'suspended (users.update suspended=true): the user cannot sign in and Google ends their sessions; mail and Drive are kept';

const READ: readonly GoogleScope[] = ['read'];
const SCOPES_OF: Record<'revoke-sessions' | 'disable', GoogleScope> = {
  'revoke-sessions': 'security',
  disable: 'act',
};
const PRIVILEGE_OF: Record<'revoke-sessions' | 'disable', string> = {
  'revoke-sessions': 'Users > Security settings',
  disable: 'Users > Update',
};

const NOT_FOUND: LiveState = { found: false, enabled: false, rawStatus: null };

export const createGoogleRemediator: RemediatorFactory<GoogleSourceConfig> = (config, deps = {}) =>
  new GoogleRemediator(config, deps);

export function googleUnsupportedReason(action: SystemAction): string | null {
  if (action === 'deactivate') return DEACTIVATE_UNSUPPORTED;
  if (action === 'remove-licenses') return LICENCES_UNSUPPORTED;
  return null;
}

export function googleActionAlreadyDone(action: SystemAction, state: LiveState): boolean {
  // A user Google no longer has can neither sign in nor hold sessions.
  if (!state.found) return true;
  switch (action) {
    case 'disable':
      return !state.enabled;
    case 'revoke-sessions':
      // Nothing in the user says whether sessions are left; signing out again is harmless.
      return false;
    default:
      return false;
  }
}

/** The user as the Directory API reports it, pure. */
export function liveStateOf(user: admin_directory_v1.Schema$User): LiveState {
  const suspended = user.suspended === true;
  const archived = user.archived === true;
  return {
    found: true,
    enabled: !suspended && !archived,
    rawStatus: rawStatusOf(suspended, archived, user.suspensionReason ?? null),
  };
}

class GoogleRemediator implements SourceRemediator {
  readonly credentials: CredentialRemediator;

  constructor(
    private readonly config: GoogleSourceConfig,
    private readonly deps: CollectorDeps,
  ) {
    this.credentials = googleCredentialRemediator((signal) => this.session(signal));
  }

  unsupportedReason(action: SystemAction): string | null {
    return googleUnsupportedReason(action);
  }

  alreadyDone(action: SystemAction, state: LiveState): boolean {
    return googleActionAlreadyDone(action, state);
  }

  /** Made on first use and kept: each scope's access token is then fetched once per run, not once per call. */
  private clients: DirectoryClients | null = null;

  private async session(signal: AbortSignal) {
    this.clients ??= await createDirectoryClients(this.config);
    return openDirectorySession(this.config, { signal, retryPolicy: this.deps.retryPolicy }, this.clients);
  }

  async read(account: AccountRef, signal: AbortSignal): Promise<LiveState> {
    const session = await this.session(signal);
    const directory = session.directory(READ);
    try {
      const response = await session.call('users.get', READ, () =>
        directory.users.get({ userKey: account.id, projection: 'basic' }, { signal }),
      );
      return liveStateOf(response.data);
    } catch (error) {
      if (signal.aborted) throw error;
      if (isUserNotFound(error)) return NOT_FOUND;
      throw error;
    }
  }

  async perform(
    action: SystemAction,
    account: AccountRef,
    state: LiveState,
    signal: AbortSignal,
  ): Promise<ActionOutcome> {
    if (action !== 'revoke-sessions' && action !== 'disable') {
      return { status: 'failed', reason: googleUnsupportedReason(action) ?? `${action} is not a Google action` };
    }
    if (!state.found) return { status: 'already-done', reason: 'the user no longer exists in Google Workspace' };
    const scopes = [SCOPES_OF[action]];
    const session = await this.session(signal);
    const directory = session.directory(scopes);
    try {
      if (action === 'revoke-sessions') {
        await session.call('users.signOut', scopes, () => directory.users.signOut({ userKey: account.id }, { signal }));
        return { status: 'applied', reason: SIGN_OUT_APPLIED };
      }
      const response = await session.call('users.update', scopes, () =>
        directory.users.update({ userKey: account.id, requestBody: { suspended: true } }, { signal }),
      );
      if (response.data.suspended !== true) {
        return { status: 'failed', reason: 'users.update answered without suspended=true: the user was not suspended' };
      }
      return { status: 'applied', reason: SUSPEND_APPLIED };
    } catch (error) {
      if (signal.aborted) throw error;
      if (isUserNotFound(error)) {
        return { status: 'already-done', reason: 'the user no longer exists in Google Workspace' };
      }
      const facts = factsOf(error);
      const cause = error instanceof SourceError ? error : null;
      // Refusals about this user or this scope are the action's failure; a source that cannot be used at all
      // (quota after backoff, 5xx, network, a refused key) is thrown, as the contract says.
      if (cause?.kind === 'auth' && (facts.status === 403 || facts.reason === 'unauthorized_client')) {
        return {
          status: 'failed',
          reason:
            `${action}: ${cause.message.replace(`${this.config.name}: `, '')}` +
            (facts.reason === 'forbidden'
              ? `; the subject needs the ${PRIVILEGE_OF[action]} admin privilege, and only a super admin may act on a super admin`
              : ''),
        };
      }
      throw error;
    }
  }
}

/** Only Google's own "no such user" counts as deleted: a 404 from a wrong apiUrl must never read as gone. */
function isUserNotFound(error: unknown): boolean {
  const facts = factsOf(error);
  return facts.status === 404 && facts.reason === 'notFound' && /userKey/i.test(facts.message);
}
