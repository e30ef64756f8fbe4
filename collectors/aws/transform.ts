import { parse } from 'csv-parse/sync';
import type { AwsSourceConfig } from '../../src/config/config.js';
import { ACCOUNT_TYPES, type Account, type AccountType } from '../../src/contract/model.js';
import { CLOUD_ROOT_ATTRIBUTE } from '../../src/contract/people.js';

/**
 * Pure mapping from what IAM and the identity store return onto the account shape (SPEC "AWS"). No I/O here.
 */

/** The credential report's root row. */
export const ROOT_USER = '<root_account>';
/** IAM started recording console password use on this day: `no_information` before it means unknown. */
const PASSWORD_TRACKING_BEGAN = Date.parse('2014-10-20T00:00:00Z');

export const CREDENTIAL_REPORT_COLUMNS = [
  'user',
  'arn',
  'user_creation_time',
  'password_enabled',
  'password_last_used',
  'password_last_changed',
  'password_next_rotation',
  'mfa_active',
  'access_key_1_active',
  'access_key_1_last_rotated',
  'access_key_1_last_used_date',
  'access_key_1_last_used_region',
  'access_key_1_last_used_service',
  'access_key_2_active',
  'access_key_2_last_rotated',
  'access_key_2_last_used_date',
  'access_key_2_last_used_region',
  'access_key_2_last_used_service',
  'cert_1_active',
  'cert_1_last_rotated',
  'cert_2_active',
  'cert_2_last_rotated',
] as const;

export type CredentialReportRow = Record<(typeof CREDENTIAL_REPORT_COLUMNS)[number], string>;

/** Parses the report CSV (decoded from the base64 `Content`); refuses a report without the columns we read. */
export function parseCredentialReport(csv: string): CredentialReportRow[] {
  const records = parse(csv, { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
  const header = records[0] ? Object.keys(records[0]) : [];
  const missing = CREDENTIAL_REPORT_COLUMNS.filter(
    (column) => !header.includes(column) && !column.startsWith('cert_') && !column.includes('_region'),
  );
  if (records.length > 0 && missing.length > 0) {
    throw new Error(`the credential report lacks column(s) ${missing.join(', ')}`);
  }
  return records as CredentialReportRow[];
}

/** An ISO time from a report cell, or null for `N/A`, `no_information`, `not_supported`, empty. */
export function reportTime(value: string | undefined): string | null {
  if (!value) return null;
  const time = Date.parse(value);
  return Number.isNaN(time) ? null : new Date(time).toISOString();
}

/** Report booleans: the docs say TRUE/FALSE, real reports say true/false. */
export function reportFlag(value: string | undefined): boolean {
  return value?.trim().toLowerCase() === 'true';
}

export interface AccessKeySlot {
  slot: 1 | 2;
  active: boolean;
  lastRotated: string | null;
  lastUsedAt: string | null;
  lastUsedService: string | null;
}

export function accessKeySlots(row: CredentialReportRow): AccessKeySlot[] {
  const slots: AccessKeySlot[] = [];
  for (const slot of [1, 2] as const) {
    const active = reportFlag(row[`access_key_${slot}_active`]);
    const lastRotated = reportTime(row[`access_key_${slot}_last_rotated`]);
    // No key in the slot at all: active false and never rotated.
    if (!active && lastRotated === null) continue;
    const service = row[`access_key_${slot}_last_used_service`];
    slots.push({
      slot,
      active,
      lastRotated,
      lastUsedAt: reportTime(row[`access_key_${slot}_last_used_date`]),
      lastUsedService: service && service !== 'N/A' ? service : null,
    });
  }
  return slots;
}

/** An SSH public key or service-specific credential (not in the report). */
export interface SideCredential {
  id: string;
  status: string;
  /** Service-specific credentials: the service (codecommit.amazonaws.com, bedrock.amazonaws.com…). */
  service?: string;
  /** SSH keys: when it was uploaded. */
  created?: string;
}

/** What the per-user calls found besides the report. */
export interface IamUserDetails {
  userId: string;
  userName: string;
  arn: string;
  createDate: string | null;
  tags: Record<string, string>;
  groups: string[];
  /** Managed policies attached to the user or one of its groups that grant everything. */
  adminPolicies: string[];
  sshKeys: SideCredential[];
  serviceCredentials: SideCredential[];
}

/** Can the user still authenticate? Console password, or any active key or credential (SSH, Git, Bedrock…). */
export function iamUserEnabled(input: {
  passwordEnabled: boolean;
  accessKeysActive: number;
  sshKeys: readonly SideCredential[];
  serviceCredentials: readonly SideCredential[];
}): boolean {
  return (
    input.passwordEnabled ||
    input.accessKeysActive > 0 ||
    input.sshKeys.some(isActive) ||
    input.serviceCredentials.some(isActive)
  );
}

export function isActive(credential: { status: string }): boolean {
  return credential.status === 'Active';
}

/** "console password, 1 active access key" — what the user can still authenticate with. */
export function credentialSummary(input: {
  passwordEnabled: boolean;
  accessKeysActive: number;
  sshKeys: readonly SideCredential[];
  serviceCredentials: readonly SideCredential[];
}): string {
  const parts: string[] = [];
  if (input.passwordEnabled) parts.push('console password');
  const count = (n: number, what: string) => parts.push(`${n} active ${what}${n === 1 ? '' : 's'}`);
  if (input.accessKeysActive > 0) count(input.accessKeysActive, 'access key');
  const ssh = input.sshKeys.filter(isActive).length;
  if (ssh > 0) count(ssh, 'SSH key');
  const service = input.serviceCredentials.filter(isActive).length;
  if (service > 0) count(service, 'service-specific credential');
  return parts.length === 0 ? 'no active credentials' : parts.join(', ');
}

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/** An IAM user: the credential report row joined with ListUsers, ListUserTags and the per-user lists. */
export function iamUserToAccount(
  row: CredentialReportRow | null,
  user: IamUserDetails,
  config: Pick<AwsSourceConfig, 'name' | 'emailTag' | 'employeeIdTag' | 'typeTag'>,
  awsAccountId: string,
): Account {
  const passwordEnabled = row ? reportFlag(row.password_enabled) : false;
  const keys = row ? accessKeySlots(row) : [];
  const accessKeysActive = keys.filter((key) => key.active).length;
  const credentials = {
    passwordEnabled,
    accessKeysActive,
    sshKeys: user.sshKeys,
    serviceCredentials: user.serviceCredentials,
  };
  const passwordLastUsed = row ? reportTime(row.password_last_used) : null;
  const used = [passwordLastUsed, ...keys.map((key) => key.lastUsedAt)].filter((at): at is string => at !== null);
  const lastActivityAt = used.length === 0 ? null : used.reduce((a, b) => (a > b ? a : b));
  const createdAt = (row ? reportTime(row.user_creation_time) : null) ?? user.createDate;
  // `no_information` is "never used" only for users created after tracking began; older ones are unknown.
  const createdBeforeTracking = createdAt !== null && Date.parse(createdAt) < PASSWORD_TRACKING_BEGAN;
  const activityKnown = row !== null && (lastActivityAt !== null || !createdBeforeTracking);
  const taggedEmail = user.tags[config.emailTag]?.trim() || null;
  const email = taggedEmail ?? (EMAIL.test(user.userName) ? user.userName : null);
  return {
    source: config.name,
    id: user.userId,
    login: user.userName,
    email,
    emails: email ? [email] : [],
    employeeId: user.tags[config.employeeIdTag]?.trim() || null,
    displayName: user.tags.Name?.trim() || user.userName,
    enabled: iamUserEnabled(credentials),
    rawStatus: credentialSummary(credentials),
    type: accountType(user.tags[config.typeTag]),
    createdAt,
    lastActivityAt: activityKnown ? lastActivityAt : null,
    activityKnown,
    privileged: user.adminPolicies.length > 0,
    // Every policy read either answers or fails the source: never a guess.
    privilegeKnown: true,
    licenses: [],
    builtIn: false,
    attributes: {
      kind: 'iam-user',
      arn: user.arn,
      awsAccountId,
      passwordEnabled,
      passwordLastUsed,
      mfaActive: row ? reportFlag(row.mfa_active) : null,
      accessKeys: keys,
      sshKeys: user.sshKeys,
      serviceSpecificCredentials: user.serviceCredentials,
      groups: user.groups,
      adminPolicies: user.adminPolicies,
      inCredentialReport: row !== null,
    },
  };
}

function accountType(tag: string | undefined): AccountType {
  const value = tag?.trim().toLowerCase();
  return value && (ACCOUNT_TYPES as readonly string[]).includes(value) ? (value as AccountType) : 'human';
}

/**
 * The account's root user. Belongs to no person (the cloud-root attribute keeps matching away from it) and is
 * judged by root-credentials-in-use alone. Not marked privileged so its finding keeps SPEC's severity (high):
 * root is all-powerful by definition, which the rule already prices in.
 */
export function rootRowToAccount(row: CredentialReportRow, sourceName: string, rootPasswordDays?: number): Account {
  const awsAccountId = accountIdFromArn(row.arn) ?? 'unknown';
  const keys = accessKeySlots(row);
  const passwordLastUsed = reportTime(row.password_last_used);
  const used = [passwordLastUsed, ...keys.map((key) => key.lastUsedAt)].filter((at): at is string => at !== null);
  const activeKeys = keys.filter((key) => key.active).length;
  return {
    source: sourceName,
    id: awsAccountId,
    login: ROOT_USER,
    email: null,
    emails: [],
    employeeId: null,
    displayName: `root user of AWS account ${awsAccountId}`,
    // Root can always sign in (password recovery goes to the account email): it cannot be switched off.
    enabled: true,
    rawStatus: activeKeys > 0 ? `root, ${activeKeys} active access key${activeKeys === 1 ? '' : 's'}` : 'root',
    type: 'service',
    createdAt: reportTime(row.user_creation_time),
    lastActivityAt: used.length === 0 ? null : used.reduce((a, b) => (a > b ? a : b)),
    activityKnown: true,
    privileged: false,
    privilegeKnown: true,
    licenses: [],
    builtIn: false,
    attributes: {
      kind: 'aws-root',
      [CLOUD_ROOT_ATTRIBUTE]: true,
      ...(rootPasswordDays === undefined ? {} : { rootPasswordDays }),
      arn: row.arn,
      awsAccountId,
      passwordLastUsed,
      mfaActive: reportFlag(row.mfa_active),
      accessKeys: keys,
    },
  };
}

export function accountIdFromArn(arn: string | undefined): string | null {
  return /^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):/.exec(arn ?? '')?.[1] ?? null;
}

/** The identity store's user, as ListUsers returns it (fields optional: older stores omit the newer ones). */
export interface IdentityCenterUser {
  UserId?: string | undefined;
  UserName?: string | undefined;
  DisplayName?: string | undefined;
  Name?:
    { Formatted?: string | undefined; GivenName?: string | undefined; FamilyName?: string | undefined } | undefined;
  Emails?: { Value?: string | undefined; Type?: string | undefined; Primary?: boolean | undefined }[] | undefined;
  ExternalIds?: { Issuer?: string | undefined; Id?: string | undefined }[] | undefined;
  UserStatus?: string | undefined;
  UserType?: string | undefined;
  CreatedAt?: Date | undefined;
}

export function identityCenterUserToAccount(
  user: IdentityCenterUser & { UserId: string },
  sourceName: string,
  identityStoreId: string,
): Account {
  const emails = (user.Emails ?? []).map((entry) => entry.Value?.trim()).filter((value): value is string => !!value);
  const primary = user.Emails?.find((entry) => entry.Primary)?.Value?.trim() ?? emails[0] ?? null;
  const name =
    user.DisplayName ??
    user.Name?.Formatted ??
    ([user.Name?.GivenName, user.Name?.FamilyName].filter(Boolean).join(' ') || null);
  // An answer without UserStatus comes from a store (or SDK) that predates the field: counted as enabled.
  const status = user.UserStatus ?? null;
  return {
    source: sourceName,
    id: user.UserId,
    login: user.UserName ?? null,
    email: primary,
    emails,
    employeeId: null,
    displayName: name,
    enabled: status !== 'DISABLED',
    rawStatus: status ?? 'ENABLED (no UserStatus in the answer)',
    type: 'human',
    createdAt: user.CreatedAt ? user.CreatedAt.toISOString() : null,
    lastActivityAt: null,
    // The identity store API carries no sign-in data (CloudTrail does): inactivity rules stay silent.
    activityKnown: false,
    privileged: false,
    // Permission sets are not read: an Identity Center user may be an administrator of any account.
    privilegeKnown: false,
    licenses: [],
    builtIn: false,
    attributes: {
      kind: 'identity-center-user',
      identityStoreId,
      externalIds: (user.ExternalIds ?? []).map((entry) => ({ issuer: entry.Issuer ?? null, id: entry.Id ?? null })),
    },
  };
}

/** IAM user unique ids start with AIDA; the root row's id is the 12-digit account id; anything else is Identity Center. */
export type AwsAccountKind = 'iam-user' | 'aws-root' | 'identity-center-user';

export function awsAccountKind(accountId: string): AwsAccountKind {
  if (/^AIDA[A-Z0-9]+$/.test(accountId)) return 'iam-user';
  if (/^\d{12}$/.test(accountId)) return 'aws-root';
  return 'identity-center-user';
}
