import type { Credential } from '../../src/contract/model.js';

/**
 * SAML SSO credential authorizations -> Credential, pure. Each item of GET /orgs/{org}/credential-authorizations is
 * a personal access token or SSH key (or an OAuth/App token) a member authorized for the org: kind `personal-token`,
 * id = `credential_id` (what DELETE takes), owner = the member with that login. Never a secret: GitHub sends only
 * the token's last eight characters and the key's fingerprint.
 */

/** The REST `credential-authorization` item, the fields we read. */
export interface GitHubCredentialAuthorization {
  login: string;
  credential_id: number;
  credential_type: string;
  credential_authorized_at: string;
  /** "May be null if it was never accessed." */
  credential_accessed_at?: string | null;
  authorized_credential_id?: number | null;
  token_last_eight?: string | null;
  scopes?: string[] | null;
  authorized_credential_note?: string | null;
  authorized_credential_expires_at?: string | null;
  fingerprint?: string | null;
  authorized_credential_title?: string | null;
}

/** The org account the login belongs to, as the account phase of the same scan listed it. */
export interface GitHubCredentialOwner {
  accountId: string;
  /** An org owner's token acts with owner rights. */
  owner: boolean;
}

function iso(time: string | null | undefined): string | null {
  if (!time) return null;
  const parsed = Date.parse(time);
  return Number.isNaN(parsed) ? null : new Date(parsed).toISOString();
}

/** What a reviewer recognises it by: the token's note and last eight characters, or the key's title and fingerprint. */
function nameOf(item: GitHubCredentialAuthorization): string {
  const label = item.authorized_credential_note ?? item.authorized_credential_title ?? null;
  const tail = item.token_last_eight ? `…${item.token_last_eight}` : item.fingerprint ? item.fingerprint : null;
  return [item.credential_type, label ? `"${label}"` : null, tail, `of ${item.login}`].filter(Boolean).join(' ');
}

/**
 * `owner` null: the login is not an account of this org any more (its authorization grants nothing through the org,
 * but it is listed so a reviewer sees it); the credential is then ownerless, not an error.
 */
export function credentialAuthorizationToCredential(
  item: GitHubCredentialAuthorization,
  owner: GitHubCredentialOwner | null,
  source: string,
  now: Date,
): Credential {
  const expiresAt = iso(item.authorized_credential_expires_at);
  return {
    source,
    id: String(item.credential_id),
    kind: 'personal-token',
    accountId: owner?.accountId ?? null,
    ownerAccountIds: [],
    name: nameOf(item),
    createdAt: iso(item.credential_authorized_at),
    // GitHub records the last access of an authorized credential; null = never accessed.
    lastUsedAt: iso(item.credential_accessed_at),
    usageKnown: true,
    expiresAt,
    enabled: expiresAt === null || Date.parse(expiresAt) > now.getTime(),
    scopes: item.scopes ?? [],
    privileged: owner?.owner ?? false,
    attributes: {
      login: item.login,
      credentialType: item.credential_type,
      authorizedCredentialId: item.authorized_credential_id ?? null,
      tokenLastEight: item.token_last_eight ?? null,
      fingerprint: item.fingerprint ?? null,
    },
  };
}
