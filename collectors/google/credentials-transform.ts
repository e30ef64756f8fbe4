import type { Credential } from '../../src/contract/model.js';

/**
 * Google third-party access -> Credential, pure: tokens a user issued to an app (tokens.list) and app passwords
 * (asps.list). Both ids are only unique per user (a clientId is the app's, a codeId counts 1, 2, 3… per user), so the
 * credential id is `{userId}/token/{clientId}` or `{userId}/asp/{codeId}`; revocation uses the attributes.
 */

export interface GoogleTokenInput {
  clientId?: string | null;
  displayText?: string | null;
  anonymous?: boolean | null;
  nativeApp?: boolean | null;
  scopes?: string[] | null;
}

export interface GoogleAspInput {
  codeId?: number | null;
  name?: string | null;
  creationTime?: string | null;
  lastTimeUsed?: string | null;
}

/** Scopes that give an app administrative reach over the Workspace account. */
const ADMIN_SCOPE = /^https:\/\/www\.googleapis\.com\/auth\/(admin\.|cloud-platform$)/;

export function googleTokenToCredential(token: GoogleTokenInput, source: string, userId: string): Credential | null {
  if (!token.clientId) return null;
  const scopes = token.scopes ?? [];
  return {
    source,
    id: `${userId}/token/${token.clientId}`,
    kind: 'oauth-grant',
    accountId: userId,
    ownerAccountIds: [],
    name: token.displayText || token.clientId,
    createdAt: null,
    // tokens.list says nothing about use.
    lastUsedAt: null,
    usageKnown: false,
    expiresAt: null,
    enabled: true,
    scopes,
    privileged: scopes.some((scope) => ADMIN_SCOPE.test(scope)),
    attributes: {
      userKey: userId,
      clientId: token.clientId,
      nativeApp: token.nativeApp ?? null,
      anonymous: token.anonymous ?? null,
    },
  };
}

export function googleAspToCredential(asp: GoogleAspInput, source: string, userId: string): Credential | null {
  if (asp.codeId === null || asp.codeId === undefined) return null;
  return {
    source,
    id: `${userId}/asp/${asp.codeId}`,
    kind: 'personal-token',
    accountId: userId,
    ownerAccountIds: [],
    name: asp.name ?? `app password ${asp.codeId}`,
    createdAt: epochMs(asp.creationTime),
    // "0" (or nothing) is Google's way of saying the password was never used.
    lastUsedAt: epochMs(asp.lastTimeUsed),
    usageKnown: true,
    expiresAt: null,
    enabled: true,
    scopes: [],
    privileged: false,
    attributes: { userKey: userId, codeId: asp.codeId },
  };
}

function epochMs(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const ms = Number(value);
  return Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString() : null;
}
