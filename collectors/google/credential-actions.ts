import type { CredentialLiveState, CredentialRef, CredentialRemediator } from '../../src/contract/action.js';
import type { DirectorySession, GoogleScope } from './client.js';
import { factsOf } from './client.js';

/**
 * Revoking Google third-party access: tokens.delete (every token the user issued to that client) and asps.delete
 * (one app password), read back with tokens.get / asps.get; Google's 404 notFound = gone. Both need the
 * admin.directory.user.security scope.
 */
const SECURITY: readonly GoogleScope[] = ['security'];

export function googleCredentialRemediator(
  session: (signal: AbortSignal) => Promise<DirectorySession>,
): CredentialRemediator {
  return {
    unsupportedKind: (kind) =>
      kind === 'oauth-grant' || kind === 'personal-token'
        ? null
        : `Google Workspace has no ${kind} credentials to revoke`,

    async readCredential(credential, signal): Promise<CredentialLiveState> {
      const directory = await session(signal);
      const api = directory.directory(SECURITY);
      const { userKey, clientId, codeId } = keysOf(credential);
      try {
        if (credential.kind === 'oauth-grant') {
          await directory.call('tokens.get', SECURITY, () => api.tokens.get({ userKey, clientId }, { signal }));
        } else {
          await directory.call('asps.get', SECURITY, () => api.asps.get({ userKey, codeId }, { signal }));
        }
        return { found: true, enabled: true };
      } catch (error) {
        if (signal.aborted) throw error;
        if (isNotFound(error)) return { found: false, enabled: false };
        throw error;
      }
    },

    async revokeCredential(credential, signal) {
      const directory = await session(signal);
      const api = directory.directory(SECURITY);
      const { userKey, clientId, codeId } = keysOf(credential);
      const call = credential.kind === 'oauth-grant' ? 'tokens.delete' : 'asps.delete';
      try {
        if (credential.kind === 'oauth-grant') {
          await directory.call(call, SECURITY, () => api.tokens.delete({ userKey, clientId }, { signal }));
        } else {
          await directory.call(call, SECURITY, () => api.asps.delete({ userKey, codeId }, { signal }));
        }
        return { status: 'applied', reason: `revoked (${call})` };
      } catch (error) {
        if (signal.aborted) throw error;
        if (isNotFound(error)) return { status: 'already-done', reason: `Google no longer has it (${call}: 404)` };
        throw error;
      }
    },
  };
}

function keysOf(credential: CredentialRef): { userKey: string; clientId: string; codeId: number } {
  const { userKey, clientId, codeId } = credential.attributes;
  return {
    userKey: typeof userKey === 'string' ? userKey : (credential.accountId ?? ''),
    clientId: typeof clientId === 'string' ? clientId : '',
    codeId: typeof codeId === 'number' ? codeId : Number.NaN,
  };
}

function isNotFound(error: unknown): boolean {
  const facts = factsOf(error);
  return facts.status === 404 && facts.reason === 'notFound';
}
