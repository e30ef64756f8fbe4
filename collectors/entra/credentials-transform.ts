import type { Credential } from '../../src/contract/model.js';

/**
 * Graph oauth2PermissionGrants and app registrations -> Credential, pure.
 *
 * A delegated permission grant lets a client app act as one user (consentType Principal); an admin consent for all
 * users (AllPrincipals, principalId null) belongs to nobody and is not a person's credential. An app registration is
 * one credential whose secrets (passwordCredentials) and certificates (keyCredentials) keep working after its owners
 * leave: it is enabled while one of them is valid, and `attributes.secrets` lists each (never the secret itself) so
 * revocation can remove them one by one.
 */

export interface GraphPermissionGrant {
  id: string;
  clientId: string;
  consentType: string;
  principalId: string | null;
  resourceId: string;
  scope: string | null;
}

interface GraphSecretBase {
  keyId?: string | null;
  displayName?: string | null;
  startDateTime?: string | null;
  endDateTime?: string | null;
}

export interface GraphApplication {
  id: string;
  appId?: string | null;
  displayName?: string | null;
  createdDateTime?: string | null;
  passwordCredentials?: (GraphSecretBase & { hint?: string | null })[] | null;
  keyCredentials?: (GraphSecretBase & { type?: string | null; usage?: string | null })[] | null;
  owners?: { '@odata.type'?: string; id: string }[] | null;
}

/** Delegated scopes that amount to administering the tenant. */
const PRIVILEGED_SCOPES = new Set([
  'Directory.ReadWrite.All',
  'RoleManagement.ReadWrite.Directory',
  'Application.ReadWrite.All',
  'User.ReadWrite.All',
  'AppRoleAssignment.ReadWrite.All',
]);

export function isUserGrant(grant: GraphPermissionGrant): boolean {
  return grant.consentType === 'Principal' && grant.principalId !== null;
}

export function permissionGrantToCredential(grant: GraphPermissionGrant, source: string): Credential {
  const scopes = (grant.scope ?? '').split(' ').filter((scope) => scope !== '');
  return {
    source,
    id: grant.id,
    kind: 'oauth-grant',
    accountId: grant.principalId,
    ownerAccountIds: [],
    name: `client ${grant.clientId}: ${scopes.join(' ')}`,
    createdAt: null,
    // Graph keeps no last use of a grant.
    lastUsedAt: null,
    usageKnown: false,
    expiresAt: null,
    enabled: true,
    scopes,
    privileged: scopes.some((scope) => PRIVILEGED_SCOPES.has(scope)),
    attributes: { clientId: grant.clientId, resourceId: grant.resourceId },
  };
}

export interface AppSecret {
  keyId: string;
  type: 'password' | 'certificate';
  displayName: string | null;
  endDateTime: string | null;
}

/** Null for an app registration without a secret or certificate: nothing of it outlives anyone. */
export function applicationToCredential(app: GraphApplication, source: string, now: Date): Credential | null {
  const secrets: AppSecret[] = [
    ...(app.passwordCredentials ?? []).map((secret) => ({ ...secret, type: 'password' as const })),
    ...(app.keyCredentials ?? []).map((secret) => ({ ...secret, type: 'certificate' as const })),
  ]
    .filter((secret) => typeof secret.keyId === 'string' && secret.keyId !== '')
    .map((secret) => ({
      keyId: secret.keyId!,
      type: secret.type,
      displayName: secret.displayName ?? null,
      endDateTime: iso(secret.endDateTime),
    }));
  if (secrets.length === 0) return null;
  const valid = secrets.filter(
    (secret) => secret.endDateTime === null || Date.parse(secret.endDateTime) > now.getTime(),
  );
  // When the last valid secret stops working; null while one never expires. Expired only: when the last one did.
  const expiresAt =
    valid.length === 0
      ? latestEnd(secrets)
      : valid.some((secret) => secret.endDateTime === null)
        ? null
        : latestEnd(valid);
  const owners = app.owners ?? [];
  return {
    source,
    id: app.id,
    kind: 'app-secret',
    accountId: null,
    // Only user owners are accounts; an app owned by a service principal alone has no person behind it.
    ownerAccountIds: owners
      .filter((owner) => owner['@odata.type'] !== '#microsoft.graph.servicePrincipal')
      .map((o) => o.id),
    name: app.displayName ?? app.appId ?? app.id,
    createdAt: iso(app.createdDateTime),
    lastUsedAt: null,
    usageKnown: false,
    expiresAt,
    enabled: valid.length > 0,
    scopes: [],
    privileged: false,
    attributes: {
      appId: app.appId ?? null,
      secrets,
      servicePrincipalOwners: owners
        .filter((owner) => owner['@odata.type'] === '#microsoft.graph.servicePrincipal')
        .map((owner) => owner.id),
    },
  };
}

function iso(value: string | null | undefined): string | null {
  if (!value) return null;
  const time = Date.parse(value);
  return Number.isNaN(time) ? null : new Date(time).toISOString();
}

function latestEnd(secrets: AppSecret[]): string | null {
  return secrets.reduce<string | null>(
    (max, { endDateTime }) => (endDateTime !== null && (max === null || endDateTime > max) ? endDateTime : max),
    null,
  );
}
