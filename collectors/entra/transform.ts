import type { Account, SignInEvent } from '../../src/contract/model.js';

/**
 * Microsoft Graph user -> Account, as a pure function. Only the properties listed in USER_PROPERTIES exist on the
 * objects we get: Graph returns a small default set unless `$select` names each one (API-NOTES), so a property that
 * is missing from the list would silently read as absent (every disabled guest would look enabled).
 */

/** What `GET /users` must `$select`; `signInActivity` is asked separately because it may be refused. */
export const USER_PROPERTIES = [
  'id',
  'userPrincipalName',
  'displayName',
  'mail',
  'otherMails',
  'proxyAddresses',
  'employeeId',
  'accountEnabled',
  'userType',
  'createdDateTime',
  'externalUserState',
  'onPremisesSyncEnabled',
  'assignedLicenses',
] as const;

export const SIGN_IN_ACTIVITY = 'signInActivity';

export interface GraphSignInActivity {
  lastSignInDateTime?: string | null;
  lastNonInteractiveSignInDateTime?: string | null;
  lastSuccessfulSignInDateTime?: string | null;
}

/** The selected user properties; Graph sends null (or []) for unset ones, and omits signInActivity when never used. */
export interface GraphUser {
  id: string;
  userPrincipalName?: string | null;
  displayName?: string | null;
  mail?: string | null;
  otherMails?: string[] | null;
  proxyAddresses?: string[] | null;
  employeeId?: string | null;
  accountEnabled?: boolean | null;
  userType?: string | null;
  createdDateTime?: string | null;
  externalUserState?: string | null;
  onPremisesSyncEnabled?: boolean | null;
  assignedLicenses?: { skuId?: string | null }[] | null;
  signInActivity?: GraphSignInActivity | null;
}

export interface TransformContext {
  /** The configured source name. */
  source: string;
  /** False when signInActivity could not be read: lastActivityAt is then unknown, never "never signed in". */
  activityKnown: boolean;
  /** Principal ids holding a directory role; null when role assignments could not be read. */
  privilegedIds: ReadonlySet<string> | null;
}

export function toAccount(user: GraphUser, context: TransformContext): Account {
  const enabled = user.accountEnabled === true;
  const externalUserState = nonEmpty(user.externalUserState);
  const isGuest = user.userType === 'Guest';
  return {
    source: context.source,
    id: user.id,
    login: nonEmpty(user.userPrincipalName),
    email: nonEmpty(user.mail),
    emails: collectEmails(user),
    employeeId: nonEmpty(user.employeeId),
    displayName: nonEmpty(user.displayName),
    enabled,
    rawStatus: `${enabled ? 'enabled' : 'disabled'}${isGuest && externalUserState ? ` (${externalUserState})` : ''}`,
    type: isGuest ? 'guest' : 'human',
    createdAt: toIsoInstant(user.createdDateTime),
    lastActivityAt: context.activityKnown ? latestSignIn(user.signInActivity) : null,
    activityKnown: context.activityKnown,
    privileged: context.privilegedIds?.has(user.id) ?? false,
    privilegeKnown: context.privilegedIds !== null,
    licenses: (user.assignedLicenses ?? []).flatMap((license) => (license.skuId ? [license.skuId] : [])),
    builtIn: false,
    attributes: {
      // Remediation needs it: for synced users on-prem AD wins, and a cloud disable can be undone by the next sync.
      onPremisesSyncEnabled: user.onPremisesSyncEnabled ?? null,
      externalUserState,
      // Remediation needs it: revokeSignInSessions does not reach a guest's sessions in their home tenant.
      userType: nonEmpty(user.userType),
    },
  };
}

/**
 * The latest of interactive, non-interactive and successful sign-in: people who only use non-interactive flows
 * (mail clients, token refresh) would otherwise look dormant. Null = never signed in.
 */
export function latestSignIn(activity: GraphSignInActivity | null | undefined): string | null {
  if (!activity) return null;
  const times = [
    activity.lastSignInDateTime,
    activity.lastNonInteractiveSignInDateTime,
    activity.lastSuccessfulSignInDateTime,
  ].flatMap((value) => {
    const iso = toIsoInstant(value);
    return iso === null ? [] : [iso];
  });
  // ISO instants from toISOString() sort chronologically as strings.
  return times.length === 0 ? null : times.reduce((latest, time) => (time > latest ? time : latest));
}

/** mail, otherMails, then the SMTP proxy addresses (prefix stripped; SIP:, X500: and the like are not emails). */
export function collectEmails(user: Pick<GraphUser, 'mail' | 'otherMails' | 'proxyAddresses'>): string[] {
  const candidates = [
    user.mail,
    ...(user.otherMails ?? []),
    ...(user.proxyAddresses ?? []).map((address) => (/^smtp:/i.test(address) ? address.slice(5) : null)),
  ];
  const seen = new Set<string>();
  const emails: string[] = [];
  for (const candidate of candidates) {
    const email = nonEmpty(candidate);
    if (email === null || !email.includes('@') || seen.has(email.toLowerCase())) continue;
    seen.add(email.toLowerCase());
    emails.push(email);
  }
  return emails;
}

/**
 * Graph timestamps as ISO UTC; null for missing, unparseable, or the "0001-01-01T00:00:00Z" placeholder Graph puts in
 * a signInActivity field that has no value.
 */
export function toIsoInstant(value: string | null | undefined): string | null {
  if (!value) return null;
  const time = Date.parse(value);
  if (Number.isNaN(time) || new Date(time).getUTCFullYear() < 1970) return null;
  return new Date(time).toISOString();
}

function nonEmpty(value: string | null | undefined): string | null {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
}

/** A sign-in log entry (GET /auditLogs/signIns), the properties the reader uses. */
export interface GraphSignIn {
  id?: string | null;
  createdDateTime?: string | null;
  userId?: string | null;
  userPrincipalName?: string | null;
  appDisplayName?: string | null;
  ipAddress?: string | null;
  status?: { errorCode?: number | null; failureReason?: string | null } | null;
}

/**
 * Interrupts, not outcomes: MFA or a "stay signed in?" prompt was required (50074, 50076, 50079, 50140), a password
 * change is due (50125), an external challenge (50158). The sign-in that follows is logged on its own.
 */
const INTERRUPT_CODES: ReadonlySet<number> = new Set([50074, 50076, 50079, 50125, 50140, 50158]);

/**
 * Graph sign-in -> SignInEvent, pure: errorCode 0 is a success; any other code a failure (50126 bad password, 50057
 * disabled account, 50053 locked, 50055 expired password...), with Graph's failureReason and the code as the reason.
 * Null for interrupts and for entries without an id or time.
 */
export function graphSignInToEvent(signIn: GraphSignIn, source: string): SignInEvent | null {
  const code = signIn.status?.errorCode ?? null;
  if (!signIn.id || !signIn.createdDateTime || code === null || INTERRUPT_CODES.has(code)) return null;
  const reason = signIn.status?.failureReason;
  return {
    source,
    id: signIn.id,
    at: signIn.createdDateTime,
    accountId: nonEmpty(signIn.userId),
    login: nonEmpty(signIn.userPrincipalName),
    result: code === 0 ? 'success' : 'failure',
    reason: code === 0 ? null : `${reason ? `${reason} ` : ''}(${code})`,
    ip: nonEmpty(signIn.ipAddress),
    application: nonEmpty(signIn.appDisplayName),
  };
}
