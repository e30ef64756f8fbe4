import { GraphError } from '@microsoft/microsoft-graph-client';
import { entraCredentialRemediator } from './credential-actions.js';
import type { CredentialRemediator } from '../../src/contract/action.js';
import type { EntraSourceConfig } from '../../src/config/config.js';
import { SourceError } from '../../src/contract/errors.js';
import { silentLogger } from '../../src/common/logger.js';
import type {
  AccountRef,
  ActionOutcome,
  LiveState,
  RemediatorFactory,
  SourceRemediator,
  SystemAction,
} from '../../src/contract/action.js';
import type { CollectorDeps } from '../../src/contract/collector.js';
import { describeGraphFailure, isGraphError, openGraphSession, type GraphSession } from './graph.js';
import { redact } from './http.js';

/**
 * Entra ID remediation through Microsoft Graph v1.0, over the collector's SDK client, token cache and retry policy:
 * - `revoke-sessions`: POST /users/{id}/revokeSignInSessions (invalidates refresh tokens and session cookies; Graph
 *   says it may take a few minutes, and it does not touch an external user's sessions in their home tenant);
 * - `disable`: PATCH /users/{id} {"accountEnabled": false} (for users synced from on-premises AD, AD wins at the next
 *   sync, so the result says to disable them there too);
 * - `remove-licenses`: POST /users/{id}/assignLicense removing every directly assigned licence; licences inherited
 *   through group-based licensing cannot be removed from the user and are reported with their group.
 * Entra has no separate deactivate.
 *
 * Application permissions (least privileged first, admin consent required):
 * - read (before and after every action): User.Read.All;
 * - revoke-sessions: User.RevokeSessions.All (or User.ReadWrite.All);
 * - disable: User.EnableDisableAccount.All together with User.Read.All (or User.ReadWrite.All);
 * - remove-licenses: LicenseAssignment.ReadWrite.All (or User.ReadWrite.All);
 * - naming an admin as the cause of a refusal: RoleManagement.Read.Directory (the collector needs it already).
 * Directory role: disabling a user and invalidating their refresh tokens are "sensitive actions" when the user holds
 * an admin role (or is in a role-assignable group): the app's service principal must then hold Privileged
 * Authentication Administrator (or Global Administrator) itself; Graph answers a plain 403 otherwise.
 */

/** What read() selects: without $select Graph leaves accountEnabled out and every account would look enabled. */
export const READ_PROPERTIES = [
  'id',
  'accountEnabled',
  'assignedLicenses',
  'onPremisesSyncEnabled',
  'userType',
] as const;

export const PERMISSION_HINTS = {
  read: 'reading a user needs the application permission User.Read.All (admin consent)',
  'revoke-sessions':
    'the app needs the application permission User.RevokeSessions.All (or User.ReadWrite.All), with admin consent',
  disable:
    'the app needs the application permission User.EnableDisableAccount.All together with User.Read.All (or ' +
    'User.ReadWrite.All), with admin consent',
  'remove-licenses':
    'the app needs the application permission LicenseAssignment.ReadWrite.All (or User.ReadWrite.All), with admin ' +
    'consent',
  delete: 'the app needs the application permission User.DeleteRestore.All (or User.ReadWrite.All), with admin consent',
} as const;

export const DEACTIVATE_UNSUPPORTED =
  'Entra ID has no separate deactivate: disable blocks sign-in; delete the user in Entra if required';
export const REVOKE_SESSIONS_APPLIED =
  'revokeSignInSessions: refresh tokens and session cookies invalidated (takes effect within minutes)';
export const GUEST_REVOKE_NOTE =
  'this is a guest (external) user, who signs in through their home tenant: Graph does not revoke those sessions, ' +
  'so disable the account to block access here';
export const DISABLE_APPLIED =
  'accountEnabled set to false (PATCH /users/{id}): the user can no longer sign in; tokens already issued stay ' +
  'valid until revoke-sessions or their expiry';
export const DISABLE_APPLIED_ON_PREMISES =
  'disabled in Entra ID; this account is synced from on-premises AD, which wins at the next sync — disable it in AD too';

const ROLE_LOOKUP_PERMISSION = 'role assignments need RoleManagement.Read.Directory';
const SENSITIVE_ROLE_NOTE =
  "the app's service principal must itself hold the Privileged Authentication Administrator role (or Global " +
  'Administrator)';

/** Graph's code for a user that does not exist; another 404 (a wrong graphUrl path) must never read as "deleted". */
const USER_NOT_FOUND = 'Request_ResourceNotFound';
const LICENCE_INHERITED = /inherited from a group membership/i;
const LICENCE_NOT_HELD = /does not have a corresponding license/i;

const NOT_FOUND: LiveState = { found: false, enabled: false, rawStatus: null, licenses: [] };

/** The properties read() selects (Graph sends null for unset ones). */
export interface GraphUserState {
  id: string;
  accountEnabled?: boolean | null;
  assignedLicenses?: { skuId?: string | null }[] | null;
  onPremisesSyncEnabled?: boolean | null;
  userType?: string | null;
}

interface LicenceAssignmentState {
  skuId?: string | null;
  /** Null for a direct assignment, else the group it is inherited from. */
  assignedByGroup?: string | null;
}

/** What read() learnt that LiveState has no room for. */
interface UserFacts {
  onPremisesSyncEnabled: boolean | null;
  userType: string | null;
}

type WriteAction = Exclude<SystemAction, 'deactivate'>;

export const createEntraRemediator: RemediatorFactory<EntraSourceConfig> = (config, deps = {}) =>
  new EntraRemediator(config, deps);

export function entraUnsupportedReason(action: SystemAction): string | null {
  return action === 'deactivate' ? DEACTIVATE_UNSUPPORTED : null;
}

export function entraActionAlreadyDone(action: SystemAction, state: LiveState): boolean {
  // A user Entra no longer has can neither sign in nor hold licences or sessions.
  if (!state.found) return true;
  switch (action) {
    case 'disable':
      return !state.enabled;
    case 'remove-licenses':
      return (state.licenses ?? []).length === 0;
    case 'revoke-sessions':
      // Nothing in the user says whether refresh tokens are left; revoking again is harmless.
      return false;
    case 'deactivate':
    case 'delete':
      // A user Entra still returns is not deleted (a soft-deleted one answers 404, handled above).
      return false;
  }
}

/** The user as Graph reports it, pure. */
export function liveStateOf(user: GraphUserState): LiveState {
  const enabled = user.accountEnabled === true;
  return {
    found: true,
    enabled,
    rawStatus: enabled ? 'enabled' : 'disabled',
    licenses: skuIdsOf(user.assignedLicenses),
  };
}

class EntraRemediator implements SourceRemediator {
  private sessionPromise: Promise<GraphSession> | null = null;
  /**
   * Facts from the latest read() per user id. The engine re-reads an account right before acting on it, with this
   * same remediator, so perform() sees what Graph said then (synced from AD, guest) without another call; the
   * collected attributes are the fallback.
   */
  private readonly facts = new Map<string, UserFacts>();

  readonly credentials: CredentialRemediator;

  constructor(
    private readonly config: EntraSourceConfig,
    private readonly deps: CollectorDeps,
  ) {
    this.credentials = entraCredentialRemediator(
      () => this.session(),
      (session, text) => redact(text, this.secrets(session)),
    );
  }

  unsupportedReason(action: SystemAction): string | null {
    return entraUnsupportedReason(action);
  }

  alreadyDone(action: SystemAction, state: LiveState): boolean {
    return entraActionAlreadyDone(action, state);
  }

  async read(account: AccountRef, signal: AbortSignal): Promise<LiveState> {
    const session = await this.session();
    let user: GraphUserState;
    try {
      user = await session.get<GraphUserState>(
        'GET /users/{id}',
        (s) => s.api(userPath(account.id)).select([...READ_PROPERTIES]),
        signal,
      );
    } catch (error) {
      if (signal.aborted) throw error;
      if (isGraphError(error, 404, [USER_NOT_FOUND])) {
        this.facts.delete(account.id);
        return NOT_FOUND;
      }
      throw this.redacted(session, session.toSourceError(error, 'GET /users/{id}', PERMISSION_HINTS.read));
    }
    this.facts.set(account.id, {
      onPremisesSyncEnabled: user.onPremisesSyncEnabled ?? null,
      userType: user.userType ?? null,
    });
    return liveStateOf(user);
  }

  async perform(
    action: SystemAction,
    account: AccountRef,
    state: LiveState,
    signal: AbortSignal,
  ): Promise<ActionOutcome> {
    if (action === 'deactivate') return { status: 'failed', reason: DEACTIVATE_UNSUPPORTED };
    if (!state.found) return { status: 'already-done', reason: 'the user no longer exists in Entra ID' };
    const session = await this.session();
    let outcome: ActionOutcome;
    try {
      outcome = await this.act(session, action, account, state, signal);
    } catch (error) {
      if (signal.aborted) throw error;
      throw this.redacted(session, error instanceof SourceError ? error : session.toSourceError(error, action));
    }
    return { ...outcome, reason: redact(outcome.reason, this.secrets(session)) };
  }

  private act(
    session: GraphSession,
    action: WriteAction,
    account: AccountRef,
    state: LiveState,
    signal: AbortSignal,
  ): Promise<ActionOutcome> {
    switch (action) {
      case 'revoke-sessions':
        return this.revokeSessions(session, account, signal);
      case 'disable':
        return this.disable(session, account, signal);
      case 'remove-licenses':
        return this.removeLicenses(session, account, state.licenses ?? [], signal);
      case 'delete':
        return this.deleteUser(session, account, signal);
    }
  }

  private async revokeSessions(session: GraphSession, account: AccountRef, signal: AbortSignal) {
    const call = 'POST /users/{id}/revokeSignInSessions';
    try {
      // Graph answers 200 {"value": true} (documented as a known quirk; 204 was intended): the body says nothing.
      await session.post(call, (s) => s.api(`${userPath(account.id)}/revokeSignInSessions`), undefined, signal);
    } catch (error) {
      return this.writeFailure(session, error, 'revoke-sessions', call, account, signal);
    }
    const guest = this.isGuest(account);
    return applied(guest ? `${REVOKE_SESSIONS_APPLIED}; ${GUEST_REVOKE_NOTE}` : REVOKE_SESSIONS_APPLIED);
  }

  /** DELETE /users/{id}: 204; Entra keeps the user in deleted items for 30 days (restorable), then purges it. */
  private async deleteUser(session: GraphSession, account: AccountRef, signal: AbortSignal) {
    const call = 'DELETE /users/{id}';
    try {
      await session.delete(call, (s) => s.api(userPath(account.id)), signal);
    } catch (error) {
      return this.writeFailure(session, error, 'delete', call, account, signal);
    }
    return applied('deleted (DELETE /users/{id}); Entra keeps it restorable in deleted items for 30 days');
  }

  private async disable(session: GraphSession, account: AccountRef, signal: AbortSignal) {
    const call = 'PATCH /users/{id} accountEnabled=false';
    try {
      await session.patch(call, (s) => s.api(userPath(account.id)), { accountEnabled: false }, signal);
    } catch (error) {
      return this.writeFailure(session, error, 'disable', call, account, signal);
    }
    return applied(this.isSyncedFromAd(account) ? DISABLE_APPLIED_ON_PREMISES : DISABLE_APPLIED);
  }

  /**
   * Removes every licence the re-read showed, in one assignLicense call. Graph refuses the whole call when one licence
   * is inherited from a group, or is no longer held (changed meanwhile, or an earlier attempt's answer was lost and
   * the retry came too late): then the user's licence assignments are read and only the direct ones removed, once.
   */
  private async removeLicenses(session: GraphSession, account: AccountRef, skuIds: string[], signal: AbortSignal) {
    if (skuIds.length === 0) return { status: 'already-done', reason: 'no licences assigned' } as const;
    try {
      await this.assignLicense(session, account, skuIds, signal);
      return applied(removedLicences(skuIds));
    } catch (error) {
      const message = error instanceof GraphError ? error.message : '';
      if (!isGraphError(error, 400) || !(LICENCE_INHERITED.test(message) || LICENCE_NOT_HELD.test(message))) {
        return this.writeFailure(session, error, 'remove-licenses', 'POST /users/{id}/assignLicense', account, signal);
      }
      return this.removeDirectLicences(session, account, error, signal);
    }
  }

  private async removeDirectLicences(
    session: GraphSession,
    account: AccountRef,
    refusal: GraphError,
    signal: AbortSignal,
  ): Promise<ActionOutcome> {
    const call = 'GET /users/{id}?$select=licenseAssignmentStates';
    let assignments: LicenceAssignmentState[];
    try {
      const user = await session.get<{ licenseAssignmentStates?: LicenceAssignmentState[] | null }>(
        call,
        (s) => s.api(userPath(account.id)).select(['id', 'licenseAssignmentStates']),
        signal,
      );
      assignments = user.licenseAssignmentStates ?? [];
    } catch (error) {
      if (signal.aborted) throw error;
      if (isGraphError(error, 404, [USER_NOT_FOUND])) return gone(error, 'remove-licenses');
      const cause = session.toSourceError(error, call, PERMISSION_HINTS.read).message;
      return failed(`assignLicense refused (${describeGraphFailure(refusal)}), and ${cause}`);
    }
    const direct = unique(assignments.filter((entry) => !entry.assignedByGroup).flatMap((entry) => skuIdOf(entry)));
    const groupsBySku = new Map<string, string[]>();
    for (const entry of assignments) {
      const skuId = entry.skuId;
      if (!entry.assignedByGroup || !skuId) continue;
      groupsBySku.set(skuId, [...(groupsBySku.get(skuId) ?? []), entry.assignedByGroup]);
    }

    if (direct.length > 0) {
      try {
        await this.assignLicense(session, account, direct, signal);
      } catch (error) {
        return this.writeFailure(session, error, 'remove-licenses', 'POST /users/{id}/assignLicense', account, signal);
      }
    }
    if (groupsBySku.size === 0) {
      return direct.length > 0
        ? applied(removedLicences(direct))
        : { status: 'already-done', reason: 'no licences left to remove (they were removed meanwhile)' };
    }
    const inherited = [...groupsBySku].map(([skuId, groups]) => `${skuId} via group ${groups.join(', ')}`);
    const done = direct.length > 0 ? `${removedLicences(direct)}; ` : '';
    return failed(
      `${done}${inherited.length} licence${inherited.length === 1 ? ' is' : 's are'} inherited through group-based ` +
        `licensing and cannot be removed from the user directly (${inherited.join('; ')}): remove the user from ` +
        'those groups, or the licence from the group',
    );
  }

  private assignLicense(session: GraphSession, account: AccountRef, skuIds: string[], signal: AbortSignal) {
    return session.post(
      'POST /users/{id}/assignLicense',
      (s) => s.api(`${userPath(account.id)}/assignLicense`),
      { addLicenses: [], removeLicenses: skuIds },
      signal,
    );
  }

  /**
   * A write Graph refused: 404 -> the user is gone (nothing left to do); 403 -> the permission (and, for an admin, the
   * directory role) the app lacks; another 4xx -> Graph's own words. Failures of the source itself (throttled or 5xx
   * after retries, network, token) are thrown as SourceError.
   */
  private async writeFailure(
    session: GraphSession,
    error: unknown,
    action: WriteAction,
    call: string,
    account: AccountRef,
    signal: AbortSignal,
  ): Promise<ActionOutcome> {
    if (signal.aborted) throw error;
    if (isGraphError(error, 404, [USER_NOT_FOUND])) return gone(error, action);
    if (isGraphError(error, 403)) {
      const refusal = `${call}: permission denied (${describeGraphFailure(error)})`;
      return failed(`${refusal}: ${await this.forbiddenHint(session, action, account, signal)}`);
    }
    // 401 (even after a fresh token) and 429 (after every wait) are failures of the source, not of this action.
    const status = error instanceof GraphError ? error.statusCode : -1;
    if (status >= 400 && status < 500 && status !== 401 && status !== 429) {
      return failed(`${call} refused: ${describeGraphFailure(error as GraphError)}`);
    }
    throw session.toSourceError(error, call);
  }

  /**
   * Graph answers the same 403 for a missing permission and for an admin the app may not touch, so for the sensitive
   * actions the user's directory roles are looked up to say which it is.
   */
  private async forbiddenHint(
    session: GraphSession,
    action: WriteAction,
    account: AccountRef,
    signal: AbortSignal,
  ): Promise<string> {
    const permission = PERMISSION_HINTS[action];
    if (action === 'remove-licenses') return permission;
    const verb = action === 'disable' ? 'disabling' : action === 'delete' ? 'deleting' : 'revoking the sessions of';
    const privileged = await this.holdsDirectoryRole(session, account.id, signal);
    if (privileged === true) {
      return `the user holds an Entra directory role, and ${verb} an admin is a sensitive action: ${SENSITIVE_ROLE_NOTE}; ${permission}`;
    }
    const admins =
      privileged === null
        ? `if the user holds a directory role (not checked: ${ROLE_LOOKUP_PERMISSION}), ${SENSITIVE_ROLE_NOTE}`
        : `for admins and members of role-assignable groups, ${SENSITIVE_ROLE_NOTE}`;
    return `${permission}; ${admins}`;
  }

  /** True/false from the user's active role assignments; null when they cannot be read. */
  private async holdsDirectoryRole(session: GraphSession, userId: string, signal: AbortSignal) {
    try {
      const page = await session.get<{ value?: unknown[] }>(
        'GET /roleManagement/directory/roleAssignments',
        (s) =>
          s
            .api('/roleManagement/directory/roleAssignments')
            .filter(`principalId eq '${userId.replace(/'/g, "''")}'`)
            .select(['id']),
        signal,
      );
      return (page.value ?? []).length > 0;
    } catch (error) {
      if (signal.aborted) throw error;
      return null;
    }
  }

  private isSyncedFromAd(account: AccountRef): boolean {
    const live = this.facts.get(account.id)?.onPremisesSyncEnabled;
    return (live ?? account.attributes.onPremisesSyncEnabled) === true;
  }

  private isGuest(account: AccountRef): boolean {
    const userType = this.facts.get(account.id)?.userType ?? account.attributes.userType;
    return typeof userType === 'string' ? userType.toLowerCase() === 'guest' : false;
  }

  /** One token cache and SDK client per remediator, made on first use (a failed start is tried again next time). */
  private session(): Promise<GraphSession> {
    // The contract gives the remediator no logger; retries and waits are still bounded by the signal.
    this.sessionPromise ??= openGraphSession(this.config, this.deps, silentLogger).catch((error: unknown) => {
      this.sessionPromise = null;
      throw error;
    });
    return this.sessionPromise;
  }

  private secrets(session: GraphSession): (string | null)[] {
    return [this.config.clientSecret, session.tokens.current()];
  }

  private redacted(session: GraphSession, error: SourceError): SourceError {
    const message = redact(error.message, this.secrets(session));
    if (message === error.message) return error;
    const prefix = `${error.source}: `;
    return new SourceError(
      error.source,
      message.startsWith(prefix) ? message.slice(prefix.length) : message,
      error.kind,
    );
  }
}

function applied(reason: string): ActionOutcome {
  return { status: 'applied', reason };
}

function failed(reason: string): ActionOutcome {
  return { status: 'failed', reason };
}

function gone(error: GraphError, action: WriteAction): ActionOutcome {
  const nothing =
    action === 'disable'
      ? 'nothing left to disable'
      : action === 'revoke-sessions'
        ? 'no sessions left to revoke'
        : action === 'delete'
          ? 'nothing left to delete'
          : 'no licences left to remove';
  return {
    status: 'already-done',
    reason: `the user no longer exists in Entra ID (${describeGraphFailure(error)}): ${nothing}`,
  };
}

function removedLicences(skuIds: readonly string[]): string {
  return `removed ${skuIds.length} licence${skuIds.length === 1 ? '' : 's'}: ${skuIds.join(', ')}`;
}

function userPath(id: string): string {
  return `/users/${encodeURIComponent(id)}`;
}

function skuIdOf(license: { skuId?: string | null }): string[] {
  return license.skuId ? [license.skuId] : [];
}

function skuIdsOf(licenses: { skuId?: string | null }[] | null | undefined): string[] {
  return unique((licenses ?? []).flatMap(skuIdOf));
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
