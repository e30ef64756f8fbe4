import type { Credential } from '../../src/contract/model.js';

/**
 * Okta API tokens and OAuth scope consent grants -> Credential, pure. Inputs are the SDK's deserialised models
 * (timestamps as Date) or raw API JSON (ISO strings).
 */

type Time = Date | string | null | undefined;

export interface OktaApiTokenInput {
  id?: string;
  name: string;
  userId?: string;
  clientName?: string;
  created?: Time;
  lastUpdated?: Time;
  expiresAt?: Time;
  tokenWindow?: string;
  network?: { connection?: string } | null;
}

export interface OktaGrantInput {
  id?: string;
  userId?: string;
  clientId?: string;
  scopeId: string;
  issuer?: string;
  status?: string;
  source?: string;
  created?: Time;
}

function iso(time: Time): string | null {
  if (time === null || time === undefined) return null;
  const date = typeof time === 'string' ? new Date(time) : time;
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/**
 * An SSWS API token acts with its creator's rights, so it is privileged when its creator is an admin. The API lists
 * only active tokens and no last use (the console shows one, the API does not): usage unknown.
 */
export function oktaApiTokenToCredential(
  token: OktaApiTokenInput,
  source: string,
  privilegedUserIds: ReadonlySet<string>,
  now: Date,
): Credential {
  const expiresAt = iso(token.expiresAt);
  return {
    source,
    id: token.id ?? '',
    kind: 'api-token',
    accountId: token.userId ?? null,
    ownerAccountIds: [],
    name: token.name,
    createdAt: iso(token.created),
    lastUsedAt: null,
    usageKnown: false,
    expiresAt,
    enabled: expiresAt === null || Date.parse(expiresAt) > now.getTime(),
    scopes: [],
    privileged: token.userId !== undefined && privilegedUserIds.has(token.userId),
    attributes: {
      clientName: token.clientName ?? null,
      tokenWindow: token.tokenWindow ?? null,
      network: token.network?.connection ?? null,
    },
  };
}

/** One consent grant: a client app may act for the user with one scope. Grants carry no last use. */
export function oktaGrantToCredential(grant: OktaGrantInput, source: string, userId: string): Credential {
  return {
    source,
    id: grant.id ?? '',
    kind: 'oauth-grant',
    accountId: grant.userId ?? userId,
    ownerAccountIds: [],
    name: grant.clientId ? `${grant.clientId}: ${grant.scopeId}` : grant.scopeId,
    createdAt: iso(grant.created),
    lastUsedAt: null,
    usageKnown: false,
    expiresAt: null,
    enabled: (grant.status ?? 'ACTIVE') === 'ACTIVE',
    scopes: [grant.scopeId],
    privileged: grant.scopeId.startsWith('okta.') && grant.scopeId.endsWith('.manage'),
    // revokeUserGrant needs the user id as well as the grant id.
    attributes: { userId: grant.userId ?? userId, clientId: grant.clientId ?? null, issuer: grant.issuer ?? null },
  };
}
