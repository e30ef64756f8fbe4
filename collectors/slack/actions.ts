import type { SlackSourceConfig } from '../../src/config/config.js';
import { SourceError } from '../../src/contract/errors.js';
import type {
  AccountRef,
  ActionOutcome,
  LiveState,
  RemediatorFactory,
  SystemAction,
} from '../../src/contract/action.js';
import { ScimClient, ScimRequestError } from '../../src/common/scim/client.js';
import { SlackApi, SlackCallError, sourceDeadline } from './client.js';
import { type SlackMember, slackMemberToAccount } from './transform.js';

/**
 * Slack remediation. `disable` deactivates the member through Slack's SCIM API (`DELETE {scimUrl}Users/{id}`:
 * Business+ or Enterprise Grid, a user token with the `admin` scope); `revoke-sessions` is
 * admin.users.session.reset (Enterprise Grid only, `admin.users:write`). Plan and permission limits are found only
 * by calling, so they come back as failed outcomes naming what is needed; everything else that fails after retries
 * is a SourceError. Reasons are built from constants and Slack error codes only: never from a token.
 */

export const SLACK_SCIM_ACCESS_REASON =
  'needs Slack Business+ or Enterprise Grid and an admin token with the admin scope';
export const SLACK_OWNER_REASON = 'Slack workspace owners cannot be deactivated through SCIM: demote the owner first';
export const SLACK_SESSION_RESET_ACCESS_REASON =
  'needs Slack Enterprise Grid and an admin token with admin.users:write';
const SCIM_BOT_REASON = 'Slack bots cannot be deactivated through SCIM: remove the app from the workspace instead';
const SESSION_RESET_BOT_REASON = "Slack cannot reset a bot user's sessions: revoke the app's tokens instead";
const SESSION_RESET_PRIMARY_OWNER_REASON = "only the primary owner can end the primary owner's Slack sessions";
const GONE_REASON = 'account no longer exists';
const SESSION_RESET_APPLIED = 'admin.users.session.reset: every web and mobile session ended';

const UNSUPPORTED: Partial<Record<SystemAction, string>> = {
  deactivate: 'Slack has no separate deactivate; use disable',
  'remove-licenses': 'Slack bills per active member: disabling the account releases the seat',
  delete: 'Slack has no API to delete a member: deactivated members stay in the workspace, so an admin removes them',
};

/** Slack SCIM error codes (the error document's `detail`) that refuse to deactivate an owner. */
const SCIM_OWNER_ERRORS = new Set([
  'cannot_disable_primary_owner',
  'primary_owner_check_failure',
  'cannot_modify_owner',
]);
/** Slack SCIM error codes meaning "this plan or token cannot use SCIM". */
const SCIM_ACCESS_ERRORS = new Set([
  'plus_teams_only',
  'permission_denied',
  'invalid_authentication',
  'missing_authentication',
  // On Enterprise Grid the SCIM app must be installed on the org, not on one workspace.
  'non_org_teams_only',
]);
const SCIM_BOT_ERROR = 'cannot_disable_bot_user_with_scim';

/**
 * admin.users.session.reset answers that mean "not Enterprise Grid, or not an org admin token with
 * admin.users:write" (feature_not_enabled is Slack's "not available for this product level").
 */
const SESSION_RESET_ACCESS_ERRORS = new Set([
  'feature_not_enabled',
  'not_an_enterprise',
  'not_allowed_token_type',
  'missing_scope',
  'not_an_admin',
  'team_access_not_granted',
  'no_permission',
  'is_bot',
]);

interface UsersInfoAnswer {
  ok: boolean;
  user?: SlackMember;
}

export const createSlackRemediator: RemediatorFactory<SlackSourceConfig> = (config, deps = {}) => {
  // SCIM and the admin API both need an admin user token; collection may run on a bot token alone.
  const adminToken = config.adminToken ?? config.token;

  const webApi = (token: string, signal: AbortSignal) =>
    new SlackApi({
      source: config.name,
      token,
      apiUrl: config.apiUrl,
      signal,
      deadline: sourceDeadline(config.timeoutSeconds),
      retryPolicy: deps.retryPolicy,
    });

  async function read(account: AccountRef, signal: AbortSignal): Promise<LiveState> {
    let answer: UsersInfoAnswer;
    try {
      answer = await webApi(config.token, signal).call<UsersInfoAnswer>('users.info', { user: account.id });
    } catch (error) {
      if (error instanceof SlackCallError && error.slackError === 'user_not_found') {
        return { found: false, enabled: false, rawStatus: null };
      }
      throw error;
    }
    if (typeof answer.user?.id !== 'string') {
      throw new SlackCallError(config.name, 'users.info: the answer has no user', 'data', 'users.info', 'bad_member');
    }
    // The same reading of `deleted` / `is_invited_user` as collection, so the engine compares like with like.
    const { enabled, rawStatus } = slackMemberToAccount(answer.user, config.name, { known: false });
    return { found: true, enabled, rawStatus };
  }

  async function deactivate(account: AccountRef, signal: AbortSignal): Promise<ActionOutcome> {
    const deadline = sourceDeadline(config.timeoutSeconds);
    const scim = new ScimClient({
      source: config.name,
      baseUrl: config.scimUrl,
      token: adminToken,
      retryPolicy: deps.retryPolicy,
    });
    try {
      const deactivated = await scim.deleteUser(account.id, AbortSignal.any([signal, deadline.signal]));
      if (!deactivated) return { status: 'already-done', reason: GONE_REASON };
      return {
        status: 'applied',
        reason: `SCIM DELETE /Users/${account.id}: Slack deactivated the member, who can no longer sign in`,
      };
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (deadline.signal.aborted) {
        const reason = `SCIM DELETE /Users/${account.id}: gave up after ${deadline.seconds}s (timeoutSeconds)`;
        throw new SourceError(config.name, reason, 'timeout');
      }
      const refusal = error instanceof ScimRequestError ? scimRefusal(error, account) : null;
      if (refusal === null) throw error;
      return { status: 'failed', reason: refusal };
    }
  }

  async function resetSessions(account: AccountRef, signal: AbortSignal): Promise<ActionOutcome> {
    try {
      // Ending sessions twice is harmless, so 5xx answers are retried like reads.
      await webApi(adminToken, signal).call('admin.users.session.reset', {
        user_id: account.id,
        mobile_only: false,
        web_only: false,
      });
      return { status: 'applied', reason: SESSION_RESET_APPLIED };
    } catch (error) {
      if (!(error instanceof SlackCallError)) throw error;
      const code = error.slackError;
      if (SESSION_RESET_ACCESS_ERRORS.has(code)) return failed(SLACK_SESSION_RESET_ACCESS_REASON, code);
      if (code === 'user_not_found') return { status: 'already-done', reason: GONE_REASON };
      if (code === 'cannot_reset_primary_owner') return failed(SESSION_RESET_PRIMARY_OWNER_REASON, code);
      if (code === 'cannot_reset_bot') return failed(SESSION_RESET_BOT_REASON, code);
      throw error;
    }
  }

  return {
    unsupportedReason: (action) => UNSUPPORTED[action] ?? null,

    read,

    alreadyDone(action, state) {
      if (action === 'disable') return !state.found || !state.enabled;
      // A session reset leaves nothing to observe and repeating it is harmless: only a member Slack no longer has
      // is already done.
      if (action === 'revoke-sessions') return !state.found;
      return false;
    },

    async perform(action, account, _state, signal) {
      switch (action) {
        case 'disable':
          return deactivate(account, signal);
        case 'revoke-sessions':
          return resetSessions(account, signal);
        default:
          return { status: 'failed', reason: UNSUPPORTED[action] ?? `Slack cannot ${action}` };
      }
    },
  };
};

/** The reason a SCIM refusal is a plan, permission or owner limit (a failed outcome), or null for a real failure. */
function scimRefusal(error: ScimRequestError, account: AccountRef): string | null {
  const code = slackScimErrorCode(error);
  if (code !== null && SCIM_OWNER_ERRORS.has(code)) return withCode(SLACK_OWNER_REASON, code);
  if (code === SCIM_BOT_ERROR) return withCode(SCIM_BOT_REASON, code);
  if (code !== null && SCIM_ACCESS_ERRORS.has(code)) return withCode(SLACK_SCIM_ACCESS_REASON, code);
  if (error.status === 401 || error.status === 403) {
    // No Slack code (a proxy's answer, a changed error format): the collected owner flag tells the two apart.
    return isOwner(account) ? SLACK_OWNER_REASON : SLACK_SCIM_ACCESS_REASON;
  }
  return null;
}

/**
 * Slack puts its error code in the SCIM error document's `detail`; ScimRequestError keeps the detail only at the
 * end of its message ("…: HTTP 403, the token is not allowed to do this: plus_teams_only").
 */
function slackScimErrorCode(error: ScimRequestError): string | null {
  return error.message.match(/: ([a-z][a-z0-9_]*)$/)?.[1] ?? null;
}

function isOwner(account: AccountRef): boolean {
  return account.attributes.is_owner === true || account.attributes.is_primary_owner === true;
}

function failed(reason: string, code: string): ActionOutcome {
  return { status: 'failed', reason: withCode(reason, code) };
}

function withCode(reason: string, code: string): string {
  return `${reason} (Slack answered ${code})`;
}
