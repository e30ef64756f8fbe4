import type { Account, AccountType, SignInEvent } from '../../src/contract/model.js';

/**
 * Okta user -> Account, pure. The input is the SDK's deserialised `User` (timestamps as Date) or the raw API JSON
 * (timestamps as ISO strings); both carry the same field names.
 */

/** Every status the Users API documents. */
export const OKTA_STATUSES = [
  'ACTIVE',
  'LOCKED_OUT',
  'PASSWORD_EXPIRED',
  'RECOVERY',
  'STAGED',
  'PROVISIONED',
  'SUSPENDED',
  'DEPROVISIONED',
] as const;
export type OktaStatus = (typeof OKTA_STATUSES)[number];

/**
 * SPEC "enabled": can the account be used, or re-activated without an admin? Locked-out, expired-password and
 * recovering users get back in through self-service; STAGED/PROVISIONED finish activation through the emailed link.
 * SUSPENDED and DEPROVISIONED need an admin.
 */
const ENABLED_STATUSES: ReadonlySet<string> = new Set<OktaStatus>([
  'ACTIVE',
  'LOCKED_OUT',
  'PASSWORD_EXPIRED',
  'RECOVERY',
  'STAGED',
  'PROVISIONED',
]);

export function isEnabledStatus(status: string | null | undefined): boolean {
  // An unknown future status counts as enabled: a false "enabled" raises a finding someone reviews, a false
  // "disabled" would hide a live account.
  if (!status) return true;
  return ENABLED_STATUSES.has(status) || !OKTA_STATUSES.includes(status as OktaStatus);
}

type Timestamp = Date | string | null | undefined;

export interface OktaUserProfileInput {
  login?: string | null;
  email?: string | null;
  secondEmail?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  displayName?: string | null;
  employeeNumber?: string | null;
  userType?: string | null;
  manager?: string | null;
  managerId?: string | null;
}

export interface OktaUserInput {
  id?: string;
  status?: string | null;
  created?: Timestamp;
  lastLogin?: Timestamp;
  profile?: OktaUserProfileInput | null;
}

/**
 * `profile.userType` is free text an admin chooses ("Employee", "Contractor", "Guest", "Service Account"...):
 * - service or system accounts ("Service", "Service Account", "System", "svc") -> `service`: nobody signs in as them,
 *   they need a declared owner rather than an HR record;
 * - guests and externals ("Guest", "External", "External User") -> `guest`: outsiders the roster does not list;
 * - everything else, contractors and interns included -> `human`: they are people HR knows about, and an unmatched
 *   one is exactly the orphan the rules look for.
 * Service is checked first so "External System" is a service, not a guest.
 */
export function accountTypeFromUserType(userType: string | null | undefined): AccountType {
  if (!userType) return 'human';
  if (/service|system|\bsvc\b/i.test(userType)) return 'service';
  if (/guest|external/i.test(userType)) return 'guest';
  return 'human';
}

/** `privilegedIds`: every user holding an admin role, or null when role assignments could not be read. */
export function oktaUserToAccount(
  user: OktaUserInput,
  source: string,
  privilegedIds: ReadonlySet<string> | null,
): Account {
  if (!user.id) throw new Error('Okta user without an id');
  const profile = user.profile ?? {};
  const login = clean(profile.login);
  const email = clean(profile.email);
  const status = clean(user.status);
  const attributes: Record<string, unknown> = { userType: clean(profile.userType) };
  const manager = clean(profile.manager);
  const managerId = clean(profile.managerId);
  if (manager) attributes.manager = manager;
  if (managerId) attributes.managerId = managerId;
  return {
    source,
    id: user.id,
    login,
    email,
    emails: uniqueEmails([email, clean(profile.secondEmail), login && login.includes('@') ? login : null]),
    employeeId: clean(profile.employeeNumber),
    displayName: clean(profile.displayName) ?? clean([profile.firstName, profile.lastName].filter(Boolean).join(' ')),
    enabled: isEnabledStatus(status),
    rawStatus: status,
    type: accountTypeFromUserType(profile.userType),
    createdAt: isoOrNull(user.created),
    // Okta reports lastLogin null for a user who never signed in: known, and "never".
    lastActivityAt: isoOrNull(user.lastLogin),
    activityKnown: true,
    privileged: privilegedIds?.has(user.id) ?? false,
    privilegeKnown: privilegedIds !== null,
    licenses: [],
    builtIn: false,
    attributes,
  };
}

function clean(value: string | null | undefined): string | null {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
}

/** First spelling wins; duplicates differing only in case are dropped. */
function uniqueEmails(candidates: (string | null)[]): string[] {
  const seen = new Set<string>();
  const result: string[] = [];
  for (const candidate of candidates) {
    if (!candidate) continue;
    const key = candidate.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    result.push(candidate);
  }
  return result;
}

function isoOrNull(value: Timestamp): string | null {
  if (value === null || value === undefined || value === '') return null;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** A System Log event, as the SDK deserialises it (`published` a Date) or as raw JSON (an ISO string). */
export interface OktaLogEventLike {
  uuid?: string;
  published?: Date | string;
  eventType?: string;
  actor?: { id?: string; type?: string; alternateId?: string };
  client?: { ipAddress?: string | null } | null;
  outcome?: { result?: string; reason?: string | null };
  target?: { type?: string; displayName?: string }[] | null;
}

/**
 * System Log event -> SignInEvent, pure; null for events that are neither a success nor a failure (CHALLENGE,
 * SKIPPED, UNKNOWN outcomes) or that lack an id or time. A failed sign-in of a user Okta does not know has actor id
 * "unknown" and the typed user name as alternateId.
 */
export function oktaLogEventToSignIn(event: OktaLogEventLike, source: string): SignInEvent | null {
  const result = event.outcome?.result;
  const outcome =
    result === 'SUCCESS' || result === 'ALLOW'
      ? 'success'
      : result === 'FAILURE' || result === 'DENY'
        ? 'failure'
        : null;
  if (outcome === null || !event.uuid || !event.published) return null;
  const published = event.published instanceof Date ? event.published.toISOString() : event.published;
  const actor = event.actor;
  const accountId = actor?.type === 'User' && actor.id && actor.id !== 'unknown' ? actor.id : null;
  const app = (event.target ?? []).find((target) => target.type === 'AppInstance')?.displayName;
  return {
    source,
    id: event.uuid,
    at: published,
    accountId,
    login: actor?.alternateId && actor.alternateId !== 'unknown' ? actor.alternateId : null,
    result: outcome,
    reason: event.outcome?.reason ?? null,
    ip: event.client?.ipAddress ?? null,
    application: app ?? (event.eventType === 'user.session.start' ? 'Okta' : null),
  };
}
