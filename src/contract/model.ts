/**
 * The shapes every part of zombiescan agrees on: an account from any source, a person from the HR roster,
 * how one was matched to the other, and a finding.
 */

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** One level up, never past critical: privileged accounts are worth more to an attacker. */
export function bumpSeverity(severity: Severity): Severity {
  return SEVERITIES[Math.min(severityRank(severity) + 1, SEVERITIES.length - 1)] ?? 'critical';
}

export const ACCOUNT_TYPES = ['human', 'guest', 'service', 'bot'] as const;
export type AccountType = (typeof ACCOUNT_TYPES)[number];

/** Every source maps onto this shape. Times are ISO 8601 UTC strings. */
export interface Account {
  /** Name of the configured source that holds the account. */
  source: string;
  /** The source's own immutable id for the account. */
  id: string;
  /** What the person types to sign in (may be an email). */
  login: string | null;
  /** Primary email, if the source has one. */
  email: string | null;
  /** Every email the source knows for the account (primary, secondary, proxy addresses). */
  emails: string[];
  /** HR employee id, when the source carries one (Okta employeeNumber, Entra employeeId, SCIM enterprise). */
  employeeId: string | null;
  displayName: string | null;
  /** Can the account be used, or re-activated without an admin? */
  enabled: boolean;
  /** The source's own status word, kept for evidence. */
  rawStatus: string | null;
  type: AccountType;
  createdAt: string | null;
  /** Latest sign-in the source reports; null = never (only meaningful when activityKnown). */
  lastActivityAt: string | null;
  /** False when the source cannot tell (plan, licence or permission): inactivity rules then stay silent. */
  activityKnown: boolean;
  /** Holds an administrative role in this source (meaningful only when privilegeKnown). */
  privileged: boolean;
  /**
   * False when the source's roles could not be read (permission, plan) or it has none to read: the account may be an
   * admin. Remediation then treats it as privileged (fails closed); severity is not raised.
   */
  privilegeKnown: boolean;
  licenses: string[];
  /** Built-in identity that belongs to no one and cannot be disabled (Slack's USLACKBOT): never evaluated. */
  builtIn: boolean;
  /** Source-specific facts remediation needs (e.g. Entra onPremisesSyncEnabled). */
  attributes: Record<string, unknown>;
}

/**
 * Attribute a source sets when its logins are not corporate identities (GitHub): how the account was tied to one
 * ("saml", "verified-domain-email", "identity-map", …), or null when nothing linked it. Rules and reports say so.
 */
export const IDENTITY_LINK_ATTRIBUTE = 'identityLink';

export const HR_STATUSES = ['active', 'leave', 'terminated'] as const;
export type HrStatus = (typeof HR_STATUSES)[number];

/** One row of the HR roster. */
export interface Person {
  employeeId: string;
  email: string;
  name: string | null;
  status: HrStatus;
  workerType: string | null;
  /** ISO date (yyyy-MM-dd) or null. */
  hireDate: string | null;
  /** As given: an ISO date (the last day) or an ISO date-time. */
  terminationDate: string | null;
  /**
   * The instant access must be gone by, UTC: for a date-only termination the end of that day in the configured
   * timezone; for a date-time, that instant.
   */
  terminationEffectiveAt: string | null;
  managerId: string | null;
  department: string | null;
  aliases: string[];
}

export const MATCH_METHODS = ['service-account', 'employee-id', 'email', 'ambiguous', 'none'] as const;
export type MatchMethod = (typeof MATCH_METHODS)[number];

/** How an account was tied to a person. */
export interface Match {
  method: MatchMethod;
  /** The owner's employee id (for service accounts: the declared owner), or null. */
  personId: string | null;
  /** Employee ids that matched when more than one did. */
  candidates: string[];
  /** The normalised value that matched (an email, an employee id, or the service-account pattern). */
  matchedOn: string | null;
}

export const FINDING_STATUSES = ['open', 'acknowledged', 'suppressed', 'resolved', 'remediated'] as const;
export type FindingStatus = (typeof FINDING_STATUSES)[number];

/**
 * A time as a person typed it: a date (`2027-01-31`: the end of that day in `timezone`) or a date-time. Kept beside
 * the instant it stands for, so it is shown back as typed, never as a converted UTC instant of another day.
 */
export interface TypedTime {
  value: string;
  /** The zone a date-only value was read in (the config's `timezone` at the time). */
  timezone: string;
}

/**
 * A typed time shown back as typed: `the end of 2027-01-31, America/New_York` for a date, the date-time as written
 * otherwise. Without a typed value (a Slack button's "30 days") the instant is shown as stored.
 */
export function describeTypedTime(typed: TypedTime | null | undefined, instant?: string | null): string {
  if (typed) {
    return /^\d{4}-\d{2}-\d{2}$/.test(typed.value) ? `the end of ${typed.value}, ${typed.timezone}` : typed.value;
  }
  return instant ?? '';
}

/** A finding as stored and reported. */
export interface Finding {
  id: number;
  rule: string;
  severity: Severity;
  status: FindingStatus;
  source: string;
  accountId: string;
  login: string | null;
  email: string | null;
  displayName: string | null;
  personId: string | null;
  firstSeen: string;
  lastSeen: string;
  message: string;
  evidence: Record<string, unknown>;
  suppressedUntil: string | null;
  /** The expiry as the user typed it (`--until`, an exception's `expires`); absent when none was typed (Slack). */
  suppressedUntilAsTyped?: TypedTime | null;
  suppressReason: string | null;
  suppressedBy: string | null;
  ticketKey: string | null;
  /**
   * Set on a credential finding (keyed by rule, source and credential id): the credential's vendor id. Absent or null
   * on account findings. On a credential finding `accountId`, `login` and `personId` name the owner ('' / null when
   * the credential has no owner account).
   */
  credentialId?: string | null;
  /** What a reviewer needs to see that it is a key, not an account. Null on account findings. */
  credential?: CredentialSummary | null;
}

/** The credential facts a credential finding carries (SPEC "Credentials that outlive accounts"). */
export interface CredentialSummary {
  kind: CredentialKind;
  name: string | null;
  lastUsedAt: string | null;
  expiresAt: string | null;
}

export const CREDENTIAL_KINDS = ['api-token', 'oauth-grant', 'personal-token', 'app-secret'] as const;
export type CredentialKind = (typeof CREDENTIAL_KINDS)[number];

/**
 * Something that grants access on its own and can outlive the account that made it: an API token, an OAuth grant,
 * a personal access token or key, an app registration's secret. Collected beside accounts, with the same snapshot
 * semantics (a failed source keeps its last complete credentials). Times are ISO 8601 UTC strings.
 */
export interface Credential {
  /** Name of the configured source that holds the credential. */
  source: string;
  /** The vendor's own id (Okta token or grant id, AWS AccessKeyId, Entra application object id, …). */
  id: string;
  kind: CredentialKind;
  /** The owner account in the same source, or null (an app registration has owners instead; see `ownerAccountIds`). */
  accountId: string | null;
  /** For app registrations: the owner accounts in the same source; empty = ownerless. Else empty. */
  ownerAccountIds: string[];
  /** What a reviewer recognises it by: token name, app name, key id suffix. Never the secret itself. */
  name: string | null;
  createdAt: string | null;
  /** Latest use the source reports; null = never (only meaningful when usageKnown). */
  lastUsedAt: string | null;
  /** False when the source cannot tell: `unused-credential` then stays silent. */
  usageKnown: boolean;
  expiresAt: string | null;
  /** Can it be used right now (not revoked, not inactive, not expired)? */
  enabled: boolean;
  scopes: string[];
  /** Grants administrative rights (an admin's API token, a key with AdministratorAccess). */
  privileged: boolean;
  /** Source-specific facts revocation needs (e.g. Entra keyId of a secret, GitHub credential type). */
  attributes: Record<string, unknown>;
}

/** One sign-in attempt from a source's log. Only events of accounts of interest are kept. */
export interface SignInEvent {
  source: string;
  /** The log's own event id: the same event read twice (overlapping windows) is stored once. */
  id: string;
  at: string;
  /** The account in this source the event is about, when the log names it by id; else null. */
  accountId: string | null;
  /** The login or email the log names. */
  login: string | null;
  result: 'success' | 'failure';
  /** The log's reason for a failure (bad password, account disabled, locked out…), or null. */
  reason: string | null;
  ip: string | null;
  application: string | null;
}
