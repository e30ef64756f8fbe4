import type { Account, AccountType } from '../../src/contract/model.js';

/**
 * Pure mapping from Slack's users.list members and team.accessLogs rows onto zombiescan's account shape.
 * Everything from the wire is typed loosely: Slack leaves fields out rather than sending false or null.
 */

/** Slackbot: in every workspace, belongs to no one, cannot be deactivated. */
export const SLACKBOT_ID = 'USLACKBOT';

export interface SlackMember {
  id?: string;
  team_id?: string;
  name?: string;
  real_name?: string;
  deleted?: boolean;
  is_admin?: boolean;
  is_owner?: boolean;
  is_primary_owner?: boolean;
  is_restricted?: boolean;
  is_ultra_restricted?: boolean;
  is_bot?: boolean;
  is_app_user?: boolean;
  is_workflow_bot?: boolean;
  is_invited_user?: boolean;
  /** Last profile change (epoch seconds): not a creation time, which Slack does not expose. */
  updated?: number;
  profile?: { email?: string; real_name?: string; display_name?: string };
}

export interface SlackAccessLogRow {
  user_id?: string;
  /** Epoch seconds of the latest access for this user + IP + user agent combination. */
  date_last?: number;
}

/**
 * What team.accessLogs told us. `known: false` when the plan or token cannot read it; then no Slack account has
 * known activity (unknown is never "never logged in").
 */
export type SlackActivity = { known: true; lastSeen: ReadonlyMap<string, string> } | { known: false };

/** Folds one page of access-log rows into the latest access per user (ISO 8601), whatever order rows come in. */
export function foldLatestAccess(lastSeen: Map<string, number>, rows: readonly SlackAccessLogRow[]): void {
  for (const row of rows) {
    if (typeof row.user_id !== 'string' || typeof row.date_last !== 'number') continue;
    const known = lastSeen.get(row.user_id);
    if (known === undefined || row.date_last > known) lastSeen.set(row.user_id, row.date_last);
  }
}

export function toIsoByUser(lastSeenEpochSeconds: ReadonlyMap<string, number>): Map<string, string> {
  const result = new Map<string, string>();
  for (const [userId, seconds] of lastSeenEpochSeconds) result.set(userId, new Date(seconds * 1000).toISOString());
  return result;
}

export function slackAccountType(member: SlackMember): AccountType {
  if (member.id === SLACKBOT_ID || member.is_bot || member.is_app_user || member.is_workflow_bot) return 'bot';
  // is_restricted: multi-channel guest; is_ultra_restricted: single-channel guest.
  if (member.is_restricted || member.is_ultra_restricted) return 'guest';
  return 'human';
}

export function slackMemberToAccount(member: SlackMember, source: string, activity: SlackActivity): Account {
  const id = String(member.id);
  const email = nonEmpty(member.profile?.email);
  const type = slackAccountType(member);
  // Access logs record people signing in; bots act through tokens and never appear there, so for them the logs
  // say nothing (not "never").
  const activityKnown = activity.known && type !== 'bot';
  return {
    source,
    id,
    login: email ?? nonEmpty(member.name),
    email,
    emails: email ? [email] : [],
    employeeId: null,
    displayName:
      nonEmpty(member.real_name) ?? nonEmpty(member.profile?.real_name) ?? nonEmpty(member.profile?.display_name),
    enabled: member.deleted !== true,
    rawStatus: member.deleted ? 'deleted' : member.is_invited_user ? 'invited' : 'active',
    type,
    createdAt: null,
    lastActivityAt: activityKnown && activity.known ? (activity.lastSeen.get(id) ?? null) : null,
    activityKnown,
    privileged: Boolean(member.is_admin || member.is_owner || member.is_primary_owner),
    // users.list always carries is_admin; a member without it says nothing about its role (unknown, never "not admin").
    privilegeKnown: typeof member.is_admin === 'boolean',
    licenses: [],
    builtIn: id === SLACKBOT_ID,
    attributes: {
      is_primary_owner: member.is_primary_owner === true,
      is_owner: member.is_owner === true,
      team_id: member.team_id ?? null,
    },
  };
}

function nonEmpty(value: string | undefined): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}
