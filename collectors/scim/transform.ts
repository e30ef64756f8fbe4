import type { Account } from '../../src/contract/model.js';
import { SCIM_SCHEMAS, type ScimMultiValue, type ScimUser } from '../../src/common/scim/types.js';

/**
 * SCIM User (RFC 7643 §4.1) -> Account. Pure. Decisions where the RFC leaves room:
 * - `active` absent: enabled. RFC 7643 gives it no default and most apps send it; a detective control must not
 *   call an account disabled without the source saying so (rawStatus stays null to show it was not said).
 * - privileged: a `roles[]` value or display containing "admin" or "owner" (Administrator, Org Owner, super_admin).
 *   SCIM has no standard role vocabulary; a false positive only raises a finding's severity one level. A user
 *   without a `roles` attribute has privilege unknown: apps that expose no roles cannot tell an admin apart, and
 *   remediation must fail closed on them.
 * - employeeId: only the enterprise extension's employeeNumber. externalId is the provisioning client's key (often
 *   the IdP's object id), not an HR id, so it is kept in attributes for evidence only.
 * - activity: SCIM carries no last-login, so activityKnown is always false.
 */

const PRIVILEGED_ROLE = /admin|owner/i;

export function toAccount(source: string, user: ScimUser): Account {
  const id = scimUserId(user);
  if (id === null) throw new TypeError(`${source}: a SCIM user without an id cannot be an account`);
  const emails = emailValues(user.emails);
  const active = toBoolean(user.active);
  const userType = text(user.userType);
  return {
    source,
    id,
    login: text(user.userName),
    email: primaryEmail(user.emails) ?? emails[0] ?? null,
    emails,
    employeeId: text(user[SCIM_SCHEMAS.enterpriseUser]?.employeeNumber),
    displayName: displayName(user),
    enabled: active !== false,
    rawStatus: active === undefined ? null : active ? 'active' : 'inactive',
    type: userType?.toLowerCase() === 'guest' ? 'guest' : 'human',
    createdAt: isoTime(user.meta?.created),
    lastActivityAt: null,
    activityKnown: false,
    privileged: roleNames(user.roles).some((role) => PRIVILEGED_ROLE.test(role)),
    privilegeKnown: user.roles !== undefined && user.roles !== null,
    licenses: [],
    builtIn: false,
    attributes: { externalId: text(user.externalId), ...(userType === null ? {} : { userType }) },
  };
}

/** The server's id as a string (some apps send numbers), or null when it is missing. */
export function scimUserId(user: ScimUser): string | null {
  if (typeof user.id === 'number' && Number.isFinite(user.id)) return String(user.id);
  return text(user.id);
}

function displayName(user: ScimUser): string | null {
  const given = text(user.name?.givenName);
  const family = text(user.name?.familyName);
  const joined = [given, family].filter((part) => part !== null).join(' ');
  return text(user.displayName) ?? text(user.name?.formatted) ?? (joined === '' ? null : joined);
}

/** Every email value once, in the server's order; compared case-insensitively. */
function emailValues(emails: unknown): string[] {
  const seen = new Set<string>();
  const result: string[] = [];
  for (const entry of multiValues(emails)) {
    const value = text(entry.value);
    if (value === null || seen.has(value.toLowerCase())) continue;
    seen.add(value.toLowerCase());
    result.push(value);
  }
  return result;
}

function primaryEmail(emails: unknown): string | null {
  for (const entry of multiValues(emails)) {
    const value = text(entry.value);
    if (value !== null && toBoolean(entry.primary) === true) return value;
  }
  return null;
}

function roleNames(roles: unknown): string[] {
  return multiValues(roles).flatMap((role) => [text(role.value), text(role.display)].filter((v) => v !== null));
}

/** A multi-valued attribute's entries; a few apps send bare strings instead of {value} objects. */
function multiValues(attribute: unknown): ScimMultiValue[] {
  if (!Array.isArray(attribute)) return [];
  return attribute.flatMap((entry: unknown): ScimMultiValue[] => {
    if (typeof entry === 'string') return [{ value: entry }];
    return typeof entry === 'object' && entry !== null ? [entry as ScimMultiValue] : [];
  });
}

/** Trimmed non-empty string (numbers accepted: employee numbers are often numeric), else null. */
function text(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

/** JSON booleans, and the "true"/"false" strings some apps send. */
function toBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const lowered = value.trim().toLowerCase();
    if (lowered === 'true') return true;
    if (lowered === 'false') return false;
  }
  return undefined;
}

function isoTime(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const time = Date.parse(value);
  return Number.isNaN(time) ? null : new Date(time).toISOString();
}
