import { IDENTITY_LINK_ATTRIBUTE } from '../../src/contract/model.js';
import type { Account } from '../../src/contract/model.js';

/**
 * Pure mapping of GitHub org members, outside collaborators and pending invitations onto the account shape.
 * GitHub logins are personal, not corporate identities: each account's email comes from how it was linked
 * (`attributes.identityLink`, null when nothing linked it, which makes an unowned member an orphan).
 */

export type GitHubAccountKind = 'member' | 'outside-collaborator' | 'invitation';

/** How an account was tied to a corporate identity, first hit wins. */
export type IdentityLink = 'saml' | 'verified-domain-email' | 'identity-map' | 'invitation-email';

export interface SamlIdentity {
  userId: number;
  login: string;
  nameId: string | null;
  /** Email-shaped values from the identity, best first (NameID, SAML emails primary first, SCIM). */
  emails: string[];
}

export interface IdentityMapEntry {
  login: string;
  employeeId: string | null;
  email: string | null;
}

/** What linking found for one GitHub user. */
export interface Links {
  saml: SamlIdentity | null;
  verifiedEmails: string[];
  mapped: IdentityMapEntry | null;
}

/** REST simple-user, the fields we read. */
export interface GitHubUser {
  id: number;
  login: string;
  type?: string;
  name?: string | null;
  site_admin?: boolean;
}

/** REST organization-invitation, the fields we read. */
export interface GitHubInvitation {
  id: number;
  login: string | null;
  email: string | null;
  role: string;
  created_at: string;
  failed_at?: string | null;
  team_count?: number;
  invitation_source?: string;
}

export const INVITATION_ID_PREFIX = 'invitation:';

interface Linked {
  email: string | null;
  emails: string[];
  employeeId: string | null;
  identityLink: IdentityLink | null;
}

/** SPEC's order: SAML identity, then verified-domain emails, then identityMap. */
export function link(links: Links): Linked {
  if (links.saml && links.saml.emails.length > 0) {
    return { email: links.saml.emails[0]!, emails: links.saml.emails, employeeId: null, identityLink: 'saml' };
  }
  if (links.verifiedEmails.length > 0) {
    return {
      email: links.verifiedEmails[0]!,
      emails: links.verifiedEmails,
      employeeId: null,
      identityLink: 'verified-domain-email',
    };
  }
  if (links.mapped) {
    return {
      email: links.mapped.email,
      emails: links.mapped.email ? [links.mapped.email] : [],
      employeeId: links.mapped.employeeId,
      identityLink: 'identity-map',
    };
  }
  return { email: null, emails: [], employeeId: null, identityLink: null };
}

const UNKNOWN_ACTIVITY = { createdAt: null, lastActivityAt: null, activityKnown: false } as const;

export function memberToAccount(source: string, user: GitHubUser, role: 'admin' | 'member', links: Links): Account {
  const linked = link(links);
  return {
    source,
    id: String(user.id),
    login: user.login,
    email: linked.email,
    emails: linked.emails,
    employeeId: linked.employeeId,
    displayName: user.name ?? null,
    enabled: true,
    rawStatus: role === 'admin' ? 'owner' : 'member',
    type: user.type === 'Bot' ? 'bot' : 'human',
    ...UNKNOWN_ACTIVITY,
    privileged: role === 'admin',
    // Members are listed per role (?role=admin first), so every member's role is known.
    privilegeKnown: true,
    licenses: [],
    builtIn: false,
    attributes: {
      kind: 'member' satisfies GitHubAccountKind,
      role,
      [IDENTITY_LINK_ATTRIBUTE]: linked.identityLink,
      ...(links.saml?.nameId ? { samlNameId: links.saml.nameId } : {}),
    },
  };
}

export function outsideCollaboratorToAccount(source: string, user: GitHubUser, links: Links): Account {
  const linked = link(links);
  return {
    source,
    id: String(user.id),
    login: user.login,
    email: linked.email,
    emails: linked.emails,
    employeeId: linked.employeeId,
    displayName: user.name ?? null,
    enabled: true,
    rawStatus: 'outside collaborator',
    type: 'guest',
    ...UNKNOWN_ACTIVITY,
    // An outside collaborator cannot hold an organization role.
    privileged: false,
    privilegeKnown: true,
    licenses: [],
    builtIn: false,
    attributes: {
      kind: 'outside-collaborator' satisfies GitHubAccountKind,
      [IDENTITY_LINK_ATTRIBUTE]: linked.identityLink,
    },
  };
}

/**
 * A pending invitation is access waiting to happen: enabled (accepting needs no admin), type human (invitees become
 * members), never active. Linked by the invited email first, then like a member by the invitee's login.
 */
export function invitationToAccount(source: string, invitation: GitHubInvitation, links: Links): Account {
  const byLogin = link(links);
  const invitedEmail = invitation.email?.trim() || null;
  const linked: Linked = invitedEmail
    ? {
        email: invitedEmail,
        emails: [invitedEmail, ...byLogin.emails.filter((e) => e.toLowerCase() !== invitedEmail.toLowerCase())],
        employeeId: byLogin.employeeId,
        identityLink: 'invitation-email',
      }
    : byLogin;
  return {
    source,
    id: `${INVITATION_ID_PREFIX}${invitation.id}`,
    login: invitation.login ?? invitedEmail,
    email: linked.email,
    emails: linked.emails,
    employeeId: linked.employeeId,
    displayName: null,
    enabled: true,
    rawStatus: 'invited',
    type: 'human',
    createdAt: invitation.created_at,
    lastActivityAt: null,
    activityKnown: false,
    privileged: invitation.role === 'admin',
    privilegeKnown: true,
    licenses: [],
    builtIn: false,
    attributes: {
      kind: 'invitation' satisfies GitHubAccountKind,
      invitationId: invitation.id,
      role: invitation.role,
      inviteeLogin: invitation.login,
      [IDENTITY_LINK_ATTRIBUTE]: linked.identityLink,
    },
  };
}

/** Which removal an account needs, from what collection recorded (the id prefix as a fallback). */
export function accountKind(account: { id: string; attributes: Record<string, unknown> }): GitHubAccountKind {
  const kind = account.attributes.kind;
  if (kind === 'member' || kind === 'outside-collaborator' || kind === 'invitation') return kind;
  return account.id.startsWith(INVITATION_ID_PREFIX) ? 'invitation' : 'member';
}
