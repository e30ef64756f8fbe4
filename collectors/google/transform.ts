import type { Account, AccountType, SignInEvent } from '../../src/contract/model.js';

/**
 * Directory API user (projection=full) -> Account, pure. Field mapping (SPEC "Google Workspace"):
 * - id, login: `id`, `primaryEmail`; emails: primaryEmail, `emails[].address`, `aliases`, `nonEditableAliases`;
 * - employeeId: the `externalIds` entry of type `organization`;
 * - enabled: neither `suspended` nor `archived` (archived users cannot sign in either); rawStatus says which;
 * - type: service under one of `serviceOrgUnits`, guest for Google's guest users, otherwise human;
 * - createdAt, lastActivityAt: `creationTime`, `lastLoginTime` — the epoch (1970-01-01T00:00:00.000Z) is Google's
 *   "never signed in";
 * - privileged: `isAdmin` (super admin) or `isDelegatedAdmin`.
 * Data problems (no primaryEmail, a time that does not parse) do not stop the scan: they come back as `problems`
 * for the collector to log once; an unparseable lastLoginTime makes activity unknown, never "never".
 */

export interface GoogleUserInput {
  id?: string | null;
  primaryEmail?: string | null;
  name?: { fullName?: string | null; givenName?: string | null; familyName?: string | null } | null;
  emails?: unknown;
  aliases?: string[] | null;
  nonEditableAliases?: string[] | null;
  externalIds?: unknown;
  suspended?: boolean | null;
  suspensionReason?: string | null;
  archived?: boolean | null;
  isAdmin?: boolean | null;
  isDelegatedAdmin?: boolean | null;
  isGuestUser?: boolean | null;
  orgUnitPath?: string | null;
  creationTime?: string | null;
  lastLoginTime?: string | null;
  isEnrolledIn2Sv?: boolean | null;
  customerId?: string | null;
}

export type GoogleDataProblem = 'no primaryEmail' | 'unparseable creationTime' | 'unparseable lastLoginTime';

export interface GoogleMapped {
  account: Account;
  problems: GoogleDataProblem[];
}

/** Google's "never signed in". */
const NEVER = 0;

export function googleUserToAccount(
  user: GoogleUserInput,
  source: string,
  serviceOrgUnits: readonly string[],
): GoogleMapped {
  if (!user.id) throw new Error('Google user without an id');
  const problems: GoogleDataProblem[] = [];
  const primaryEmail = clean(user.primaryEmail);
  if (!primaryEmail) problems.push('no primaryEmail');

  const created = parseTime(user.creationTime);
  if (created === 'invalid') problems.push('unparseable creationTime');
  const lastLogin = parseTime(user.lastLoginTime);
  if (lastLogin === 'invalid') problems.push('unparseable lastLoginTime');

  const suspended = user.suspended === true;
  const archived = user.archived === true;
  const orgUnitPath = clean(user.orgUnitPath);
  return {
    account: {
      source,
      id: user.id,
      login: primaryEmail,
      email: primaryEmail,
      emails: uniqueEmails([
        primaryEmail,
        ...addressesOf(user.emails),
        ...(user.aliases ?? []),
        ...(user.nonEditableAliases ?? []),
      ]),
      employeeId: organizationExternalId(user.externalIds),
      displayName: displayNameOf(user.name),
      enabled: !suspended && !archived,
      rawStatus: rawStatusOf(suspended, archived, clean(user.suspensionReason)),
      type: accountType(user, orgUnitPath, serviceOrgUnits),
      createdAt: created === 'invalid' || created === null ? null : created.toISOString(),
      lastActivityAt:
        lastLogin === 'invalid' || lastLogin === null || lastLogin.getTime() <= NEVER ? null : lastLogin.toISOString(),
      // No lastLoginTime at all, or one that does not parse: Google did not say, which is not "never".
      activityKnown: lastLogin !== 'invalid' && lastLogin !== null,
      privileged: user.isAdmin === true || user.isDelegatedAdmin === true,
      // The admin view always carries isAdmin; without it Google did not say (unknown, never "not an admin").
      privilegeKnown: typeof user.isAdmin === 'boolean' || user.isDelegatedAdmin === true,
      licenses: [],
      builtIn: false,
      attributes: {
        orgUnitPath,
        suspended,
        archived,
        ...(suspended ? { suspensionReason: clean(user.suspensionReason) } : {}),
        isAdmin: user.isAdmin === true,
        isDelegatedAdmin: user.isDelegatedAdmin === true,
        ...(typeof user.isEnrolledIn2Sv === 'boolean' ? { isEnrolledIn2Sv: user.isEnrolledIn2Sv } : {}),
      },
    },
    problems,
  };
}

/** "active", "suspended (ADMIN)", "archived", "suspended (ADMIN), archived". */
export function rawStatusOf(suspended: boolean, archived: boolean, suspensionReason: string | null): string {
  const parts: string[] = [];
  if (suspended) parts.push(suspensionReason ? `suspended (${suspensionReason})` : 'suspended');
  if (archived) parts.push('archived');
  return parts.length > 0 ? parts.join(', ') : 'active';
}

/** Org unit paths compare case-insensitively, and a unit covers its sub-units ("/Service" covers "/Service/CI"). */
export function isUnderOrgUnit(orgUnitPath: string | null, units: readonly string[]): boolean {
  if (!orgUnitPath) return false;
  const path = orgUnitPath.toLowerCase();
  return units.some((unit) => {
    const root = unit.toLowerCase().replace(/\/+$/, '');
    return root === '' || path === root || path.startsWith(`${root}/`);
  });
}

function accountType(
  user: GoogleUserInput,
  orgUnitPath: string | null,
  serviceOrgUnits: readonly string[],
): AccountType {
  if (isUnderOrgUnit(orgUnitPath, serviceOrgUnits)) return 'service';
  if (user.isGuestUser === true) return 'guest';
  return 'human';
}

function organizationExternalId(externalIds: unknown): string | null {
  if (!Array.isArray(externalIds)) return null;
  for (const entry of externalIds as { type?: unknown; value?: unknown }[]) {
    if (entry && entry.type === 'organization' && typeof entry.value === 'string') {
      const value = clean(entry.value);
      if (value) return value;
    }
  }
  return null;
}

function addressesOf(emails: unknown): (string | null)[] {
  if (!Array.isArray(emails)) return [];
  return (emails as { address?: unknown }[]).map((entry) =>
    entry && typeof entry.address === 'string' ? clean(entry.address) : null,
  );
}

function displayNameOf(name: GoogleUserInput['name']): string | null {
  if (!name) return null;
  return clean(name.fullName) ?? clean([name.givenName, name.familyName].filter(Boolean).join(' '));
}

function parseTime(value: string | null | undefined): Date | null | 'invalid' {
  if (value === null || value === undefined || value.trim() === '') return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? 'invalid' : date;
}

function clean(value: string | null | undefined): string | null {
  const trimmed = typeof value === 'string' ? value.trim() : '';
  return trimmed ? trimmed : null;
}

/** First spelling wins; duplicates differing only in case are dropped. */
function uniqueEmails(candidates: (string | null | undefined)[]): string[] {
  const seen = new Set<string>();
  const result: string[] = [];
  for (const raw of candidates) {
    const candidate = clean(raw ?? null);
    if (!candidate) continue;
    const key = candidate.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    result.push(candidate);
  }
  return result;
}

/** One Reports API activity of the `login` application, the fields the sign-in reader uses. */
export interface GoogleLoginActivity {
  id?: { time?: string | null; uniqueQualifier?: string | null } | null;
  actor?: { email?: string | null; profileId?: string | null } | null;
  ipAddress?: string | null;
  events?: { name?: string | null; parameters?: { name?: string | null; value?: string | null }[] | null }[] | null;
}

/**
 * Reports API login activity -> SignInEvents, pure: `login_success` and `login_failure` events (others, such as
 * `login_challenge` or `logout`, are not outcomes). The reason is `login_failure_type`
 * (login_failure_invalid_password, login_failure_account_disabled...), the application the `login_type`
 * (google_password, saml, reauth...). The id joins the activity's time and uniqueQualifier with the event name.
 */
export function googleLoginActivityToSignIns(activity: GoogleLoginActivity, source: string): SignInEvent[] {
  const time = activity.id?.time;
  const qualifier = activity.id?.uniqueQualifier;
  if (!time || !qualifier) return [];
  const events: SignInEvent[] = [];
  for (const event of activity.events ?? []) {
    const result = event.name === 'login_success' ? 'success' : event.name === 'login_failure' ? 'failure' : null;
    if (result === null) continue;
    const parameter = (name: string) => event.parameters?.find((entry) => entry.name === name)?.value ?? null;
    const loginType = parameter('login_type');
    events.push({
      source,
      id: `${time}/${qualifier}/${event.name}`,
      at: time,
      accountId: activity.actor?.profileId || null,
      login: activity.actor?.email || null,
      result,
      reason: result === 'failure' ? (parameter('login_failure_type') ?? 'login_failure') : null,
      ip: activity.ipAddress || null,
      application: loginType ? `Google (${loginType})` : 'Google',
    });
  }
  return events;
}
