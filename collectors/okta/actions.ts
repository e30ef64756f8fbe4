import { oktaCredentialRemediator } from './credential-actions.js';
import type { Client } from '@okta/okta-sdk-nodejs';
import type { OktaSourceConfig } from '../../src/config/config.js';
import { SourceError } from '../../src/contract/errors.js';
import { silentLogger } from '../../src/common/logger.js';
import type { ActionOutcome, LiveState, RemediatorFactory, SystemAction } from '../../src/contract/action.js';
import {
  createOktaClient,
  describeError,
  httpStatusOf,
  redact,
  transportFailure,
  USERS_READ_PERMISSION_HINT,
  type OktaConnection,
} from './client.js';
import { RateLimitGovernor } from './http.js';
import { isEnabledStatus } from './transform.js';

/**
 * Okta remediation over the official SDK (SPEC "Remediation"):
 * - `revoke-sessions`: DELETE /api/v1/users/{id}/sessions?oauthTokens=true (Okta sessions, OIDC/OAuth tokens);
 * - `disable`: leaves a user who cannot sign in. Okta suspends only ACTIVE users, so: ACTIVE -> suspend;
 *   LOCKED_OUT -> unlock, then suspend (a lockout expires or is self-service-unlocked; a suspension is not);
 *   STAGED, PROVISIONED, RECOVERY, PASSWORD_EXPIRED -> deactivate, the only call that stops them for good;
 * - `deactivate`: POST lifecycle/deactivate, destructive: Okta deprovisions the user from every app it provisions.
 * Okta has no per-user licences. Every call goes through the collector's request executor (pacing, 429 waits, 5xx
 * retries); one rate-limit governor is shared by every call of this remediator, since Okta's buckets are per org.
 *
 * Admin roles the API token's admin needs (standard roles; custom roles: the permission named):
 * - read: Read-Only Admin or higher (okta.users.read);
 * - revoke-sessions: Help Desk Admin, Org Admin or Super Admin (okta.users.lifecycle.clearSessions);
 * - disable: Group Admin over the user's groups, Org Admin or Super Admin (okta.users.lifecycle.suspend, .unlock,
 *   and .deactivate for users who cannot be suspended); Help Desk Admin cannot suspend;
 * - deactivate: Group Admin over the user's groups, Org Admin or Super Admin (okta.users.lifecycle.deactivate).
 * Group Admins cannot touch users in groups that hold an admin role: privileged users need an Org or Super Admin.
 */

/** A lifecycle call `disable` may make. */
export type OktaLifecycleCall = 'suspend' | 'unlock' | 'deactivate';

const PRIVILEGED_NOTE = 'users holding an admin role need an Org Admin or Super Admin';
const ACTION_PERMISSION_HINTS: Record<OktaLifecycleCall | 'revoke-sessions', string> = {
  'revoke-sessions':
    "the API token's admin needs a role that can clear user sessions: Help Desk Admin, Org Admin or Super Admin " +
    '(custom role: okta.users.lifecycle.clearSessions)',
  suspend:
    "the API token's admin needs a role that can suspend users: Group Admin over the user's groups, Org Admin or " +
    `Super Admin (custom role: okta.users.lifecycle.suspend); Help Desk Admin cannot; ${PRIVILEGED_NOTE}`,
  unlock:
    "the API token's admin needs a role that can unlock users: Help Desk Admin or Group Admin over the user's " +
    `groups, Org Admin or Super Admin (custom role: okta.users.lifecycle.unlock); ${PRIVILEGED_NOTE}`,
  deactivate:
    "the API token's admin needs a role that can deactivate users: Group Admin over the user's groups, Org Admin " +
    `or Super Admin (custom role: okta.users.lifecycle.deactivate); Help Desk Admin cannot; ${PRIVILEGED_NOTE}`,
};

const CALL_PATHS: Record<OktaLifecycleCall, string> = {
  suspend: 'POST /users/{id}/lifecycle/suspend',
  unlock: 'POST /users/{id}/lifecycle/unlock',
  deactivate: 'POST /users/{id}/lifecycle/deactivate',
};
const PAST_TENSE: Record<OktaLifecycleCall, string> = {
  suspend: 'suspended',
  unlock: 'unlocked',
  deactivate: 'deactivated',
};

const REVOKE_SESSIONS_REASON = 'cleared all sessions and OAuth tokens (DELETE /users/{id}/sessions?oauthTokens=true)';
const DEACTIVATE_CASCADE =
  'Okta also deprovisions the user from every app it provisions to (destructive: app accounts and their data may be removed)';
const NO_LICENSES = 'Okta has no licences per user';

const NOT_FOUND: LiveState = { found: false, enabled: false, rawStatus: null };

export const createOktaRemediator: RemediatorFactory<OktaSourceConfig> = (config, deps = {}) => {
  // One governor for every call: pacing must see the org's buckets across actions, not per call.
  const governor = new RateLimitGovernor();
  // The contract gives the remediator no logger; retries and waits are still bounded by the signal and timeout.
  const connect = (signal: AbortSignal) => createOktaClient(config, deps, { signal, log: silentLogger, governor });

  return {
    unsupportedReason: oktaUnsupportedReason,
    alreadyDone: oktaActionAlreadyDone,

    async read(account, signal) {
      const connection = connect(signal);
      try {
        return await readLiveState(connection.client, account.id);
      } catch (error) {
        throw readFailure(error, config, connection);
      }
    },

    async perform(action, account, state, signal) {
      const run: ActionRun = { config, connection: connect(signal), userId: account.id };
      const outcome = await performAction(run, action, state);
      return { ...outcome, reason: redact(outcome.reason, config.token) };
    },

    credentials: oktaCredentialRemediator(config, connect),
  };
};

export function oktaUnsupportedReason(action: SystemAction): string | null {
  return action === 'remove-licenses' ? NO_LICENSES : null;
}

export function oktaActionAlreadyDone(action: SystemAction, state: LiveState): boolean {
  // A user Okta no longer has can neither sign in nor hold sessions.
  if (!state.found) return true;
  switch (action) {
    case 'disable':
      return disableCalls(state.rawStatus)?.length === 0;
    case 'deactivate':
      return state.rawStatus === 'DEPROVISIONED';
    case 'revoke-sessions':
      // Okta does not say whether a user has sessions or tokens left; clearing them again is harmless.
      return false;
    case 'remove-licenses':
    case 'delete':
      return false;
  }
}

/** The user as Okta reports it, pure: SPEC's status mapping, rawStatus kept. */
export function liveStateOf(user: { status?: string | null }): LiveState {
  const status = user.status ?? null;
  return { found: true, enabled: isEnabledStatus(status), rawStatus: status };
}

/**
 * The calls that leave a user with `status` unable to sign in: [] when it already cannot (SUSPENDED,
 * DEPROVISIONED), null for a status this code does not know (never guess with a destructive call).
 */
export function disableCalls(status: string | null): OktaLifecycleCall[] | null {
  switch (status) {
    case 'ACTIVE':
      return ['suspend'];
    case 'LOCKED_OUT':
      return ['unlock', 'suspend'];
    case 'STAGED':
    case 'PROVISIONED':
    case 'RECOVERY':
    case 'PASSWORD_EXPIRED':
      return ['deactivate'];
    case 'SUSPENDED':
    case 'DEPROVISIONED':
      return [];
    default:
      return null;
  }
}

interface ActionRun {
  config: OktaSourceConfig;
  connection: OktaConnection;
  userId: string;
}

async function readLiveState(client: Client, userId: string): Promise<LiveState> {
  try {
    return liveStateOf(await client.userApi.getUser({ userId }));
  } catch (error) {
    if (httpStatusOf(error) === 404) return NOT_FOUND;
    throw error;
  }
}

function readFailure(error: unknown, config: OktaSourceConfig, connection: OktaConnection): SourceError {
  const common = transportFailure(error, config, connection, 'reading the user');
  if (common) return common;
  const status = httpStatusOf(error);
  const fail = (message: string, kind: SourceError['kind']) =>
    new SourceError(config.name, redact(message, config.token), kind);
  if (status === 403) {
    return fail(`cannot read the user (${describeError(error)}): ${USERS_READ_PERMISSION_HINT}`, 'auth');
  }
  if (status !== null) return fail(`cannot read the user: ${describeError(error)}`, 'server');
  return fail(`unexpected error reading the user: ${describeError(error)}`, 'data');
}

async function performAction(run: ActionRun, action: SystemAction, state: LiveState): Promise<ActionOutcome> {
  switch (action) {
    case 'revoke-sessions':
      return revokeSessions(run);
    case 'disable':
      return disable(run, state, true);
    case 'deactivate':
      return deactivate(run, state, true);
    case 'remove-licenses':
      return { status: 'failed', reason: NO_LICENSES };
    case 'delete':
      return deleteUser(run, state);
  }
}

async function revokeSessions(run: ActionRun): Promise<ActionOutcome> {
  try {
    await run.connection.client.userApi.revokeUserSessions({ userId: run.userId, oauthTokens: true });
    return { status: 'applied', reason: REVOKE_SESSIONS_REASON };
  } catch (error) {
    const kind = classify(run, error, 'revoke-sessions', []);
    if (kind === 'gone') return gone(error, 'no sessions left to clear');
    if (kind === 'forbidden') return forbidden(error, 'clearing sessions', ACTION_PERMISSION_HINTS['revoke-sessions']);
    return { status: 'failed', reason: `clearing sessions failed: ${describeError(error)}` };
  }
}

/**
 * `state` is what the engine read just before; should Okta refuse a call because the status moved on since (a user
 * locked out meanwhile), the user is read again and the calls for the new status are made, once.
 */
async function disable(run: ActionRun, state: LiveState, mayRetry: boolean): Promise<ActionOutcome> {
  if (!state.found) return { status: 'already-done', reason: 'the user no longer exists in Okta' };
  const status = state.rawStatus;
  const calls = disableCalls(status);
  if (calls === null) {
    return {
      status: 'failed',
      reason:
        `Okta status ${status ?? '(none)'} is not one zombiescan knows how to disable; suspend or deactivate the ` +
        'user in the Okta Admin Console',
    };
  }
  if (calls.length === 0) return { status: 'already-done', reason: `already ${status}: the user cannot sign in` };

  const done: OktaLifecycleCall[] = [];
  for (const call of calls) {
    try {
      await lifecycle(run.connection.client, run.userId, call);
      done.push(call);
    } catch (error) {
      const kind = classify(run, error, call, done);
      const progress = done.length > 0 ? `${describeCalls(done)}, but ` : '';
      const nowActive = done.includes('unlock') ? '; the user is ACTIVE now and can sign in' : '';
      if (kind === 'gone') return gone(error, 'nothing left to disable');
      if (kind === 'forbidden') {
        return forbidden(error, `${progress}${call}`, `${ACTION_PERMISSION_HINTS[call]}${nowActive}`);
      }
      if (kind === 'rejected' && mayRetry) {
        const live = await rereadAfter(run, done);
        if (live.rawStatus !== status) {
          const retried = await disable(run, live, false);
          const before = done.length > 0 ? `${describeCalls(done)}; then ` : '';
          return {
            ...retried,
            reason: `${before}Okta had the user as ${live.rawStatus ?? 'gone'}, not ${status}: ${retried.reason}`,
          };
        }
      }
      return { status: 'failed', reason: `${progress}${call} failed: ${describeError(error)}${nowActive}` };
    }
  }
  return { status: 'applied', reason: disabledReason(calls, status ?? '') };
}

async function deactivate(run: ActionRun, state: LiveState, mayRetry: boolean): Promise<ActionOutcome> {
  if (!state.found) return { status: 'already-done', reason: 'the user no longer exists in Okta' };
  if (state.rawStatus === 'DEPROVISIONED') {
    return { status: 'already-done', reason: 'already DEPROVISIONED (deactivated)' };
  }
  try {
    await lifecycle(run.connection.client, run.userId, 'deactivate');
    return { status: 'applied', reason: `deactivated (${CALL_PATHS.deactivate}); ${DEACTIVATE_CASCADE}` };
  } catch (error) {
    const kind = classify(run, error, 'deactivate', []);
    if (kind === 'gone') return gone(error, 'nothing left to deactivate');
    if (kind === 'forbidden') return forbidden(error, 'deactivate', ACTION_PERMISSION_HINTS.deactivate);
    if (kind === 'rejected' && mayRetry) {
      const live = await rereadAfter(run, []);
      if (live.rawStatus !== state.rawStatus) return deactivate(run, live, false);
    }
    return { status: 'failed', reason: `deactivate failed: ${describeError(error)}` };
  }
}

/**
 * Okta deletes only DEPROVISIONED users (a DELETE on any other status deactivates instead and needs a second call),
 * so the user is deactivated first, explicitly, then deleted. Graceful offboarding only, long after the disable.
 */
async function deleteUser(run: ActionRun, state: LiveState): Promise<ActionOutcome> {
  if (!state.found) return { status: 'already-done', reason: 'the user no longer exists in Okta' };
  let deactivated = '';
  if (state.rawStatus !== 'DEPROVISIONED') {
    const outcome = await deactivate(run, state, true);
    if (outcome.status === 'failed') return { status: 'failed', reason: `not deleted: ${outcome.reason}` };
    deactivated = `deactivated (${CALL_PATHS.deactivate}), then `;
  }
  try {
    await run.connection.client.userApi.deleteUser({ userId: run.userId, sendEmail: false });
    return { status: 'applied', reason: `${deactivated}deleted (DELETE /api/v1/users/{id})` };
  } catch (error) {
    const kind = classify(run, error, 'delete', []);
    if (kind === 'gone') return gone(error, 'nothing left to delete');
    if (kind === 'forbidden') return forbidden(error, 'delete', ACTION_PERMISSION_HINTS.deactivate);
    return { status: 'failed', reason: `${deactivated}delete failed: ${describeError(error)}` };
  }
}

function lifecycle(client: Client, userId: string, call: OktaLifecycleCall): Promise<void> {
  switch (call) {
    case 'suspend':
      return client.userApi.suspendUser({ userId });
    case 'unlock':
      return client.userApi.unlockUser({ userId });
    case 'deactivate':
      // sendEmail=false: no deactivation email to the org's admins for each remediated user.
      return client.userApi.deactivateUser({ userId, sendEmail: false });
  }
}

async function rereadAfter(run: ActionRun, done: OktaLifecycleCall[]): Promise<LiveState> {
  try {
    return await readLiveState(run.connection.client, run.userId);
  } catch (error) {
    throw withProgress(readFailure(error, run.config, run.connection), run.config, done);
  }
}

type CallFailure = 'gone' | 'forbidden' | 'rejected' | 'other';

/**
 * What a failed call means for the action. Failures of the source itself (rate limit or 5xx after retries, network,
 * timeout, rejected token) are thrown as SourceError, saying which calls had already succeeded.
 */
function classify(
  run: ActionRun,
  error: unknown,
  call: OktaLifecycleCall | 'revoke-sessions' | 'delete',
  done: OktaLifecycleCall[],
): CallFailure {
  const common = transportFailure(error, run.config, run.connection, call);
  if (common) throw withProgress(common, run.config, done);
  switch (httpStatusOf(error)) {
    case 404:
      return 'gone';
    case 403:
      return 'forbidden';
    case 400:
      return 'rejected';
    case null:
      throw withProgress(
        new SourceError(run.config.name, redact(`unexpected error: ${describeError(error)}`, run.config.token), 'data'),
        run.config,
        done,
      );
    default:
      return 'other';
  }
}

function withProgress(error: SourceError, config: OktaSourceConfig, done: OktaLifecycleCall[]): SourceError {
  if (done.length === 0) return error;
  const message = error.message.startsWith(`${config.name}: `)
    ? error.message.slice(config.name.length + 2)
    : error.message;
  const nowActive = done.includes('unlock') ? ' (the user is ACTIVE now and can sign in)' : '';
  return new SourceError(config.name, `${describeCalls(done)}${nowActive}, then: ${message}`, error.kind);
}

function gone(error: unknown, consequence: string): ActionOutcome {
  return {
    status: 'already-done',
    reason: `the user no longer exists in Okta (${describeError(error)}): ${consequence}`,
  };
}

function forbidden(error: unknown, what: string, hint: string): ActionOutcome {
  return { status: 'failed', reason: `${what}: permission denied (${describeError(error)}): ${hint}` };
}

/** "unlocked (POST /users/{id}/lifecycle/unlock) and suspended (POST /users/{id}/lifecycle/suspend)" */
function describeCalls(calls: OktaLifecycleCall[]): string {
  return calls.map((call) => `${PAST_TENSE[call]} (${CALL_PATHS[call]})`).join(' and ');
}

function disabledReason(calls: OktaLifecycleCall[], status: string): string {
  const made = describeCalls(calls);
  if (calls.includes('deactivate')) {
    return `${made}: Okta suspends only ACTIVE users and this one was ${status}; ${DEACTIVATE_CASCADE}`;
  }
  if (calls.includes('unlock')) {
    return `${made}: Okta suspends only ACTIVE users, so the locked-out user was unlocked first; they cannot sign in now`;
  }
  return `${made}: the user cannot sign in and their Okta sessions ended; app assignments are kept`;
}
