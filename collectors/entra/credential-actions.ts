import type { CredentialLiveState, CredentialRef, CredentialRemediator } from '../../src/contract/action.js';
import { SourceError } from '../../src/contract/errors.js';
import { isGraphError, type GraphSession } from './graph.js';

/**
 * Revoking Entra credentials. A delegated permission grant: DELETE /oauth2PermissionGrants/{id}
 * (DelegatedPermissionGrant.ReadWrite.All). An app registration: every client secret with POST
 * /applications/{id}/removePassword {keyId}, and certificates by writing the remaining keyCredentials back with PATCH
 * /applications/{id} (removeKey needs a proof signed by the app's own private key, which zombiescan never holds);
 * both need Application.ReadWrite.All. Read back with GET; 404 = gone.
 */

const GRANT_HINT = 'needs the application permission DelegatedPermissionGrant.ReadWrite.All';
const APP_HINT = 'needs the application permission Application.ReadWrite.All';

interface AppKeys {
  passwordCredentials?: { keyId?: string | null; endDateTime?: string | null }[] | null;
  keyCredentials?: { keyId?: string | null; endDateTime?: string | null }[] | null;
}

export function entraCredentialRemediator(
  session: () => Promise<GraphSession>,
  redact: (session: GraphSession, text: string) => string,
): CredentialRemediator {
  const fail = (graph: GraphSession, error: unknown, what: string, hint: string): SourceError => {
    const failure = error instanceof SourceError ? error : graph.toSourceError(error, what, hint);
    return new SourceError(failure.source, redact(graph, failure.message), failure.kind);
  };
  const appKeys = (graph: GraphSession, id: string, signal: AbortSignal) =>
    graph.get<AppKeys>(
      'GET /applications/{id}',
      (s) => s.api(`/applications/${encodeURIComponent(id)}`).select(['id', 'passwordCredentials', 'keyCredentials']),
      signal,
    );

  return {
    unsupportedKind: (kind) =>
      kind === 'oauth-grant' || kind === 'app-secret' ? null : `Entra ID has no ${kind} credentials to revoke`,

    async readCredential(credential, signal): Promise<CredentialLiveState> {
      const graph = await session();
      try {
        if (credential.kind === 'oauth-grant') {
          await graph.get(
            'GET /oauth2PermissionGrants/{id}',
            (s) => s.api(`/oauth2PermissionGrants/${encodeURIComponent(credential.id)}`),
            signal,
          );
          return { found: true, enabled: true };
        }
        const app = await appKeys(graph, credential.id, signal);
        const remaining = [...(app.passwordCredentials ?? []), ...(app.keyCredentials ?? [])];
        const now = Date.now();
        // Only a secret or certificate that has not expired still works.
        const live = remaining.some((key) => !key.endDateTime || Date.parse(key.endDateTime) > now);
        return { found: true, enabled: live };
      } catch (error) {
        if (signal.aborted) throw error;
        if (isGraphError(error, 404)) return { found: false, enabled: false };
        throw fail(
          graph,
          error,
          `reading ${credential.kind} ${credential.id}`,
          credential.kind === 'oauth-grant' ? GRANT_HINT : APP_HINT,
        );
      }
    },

    async revokeCredential(credential, signal) {
      const graph = await session();
      if (credential.kind === 'oauth-grant') {
        const call = `DELETE /oauth2PermissionGrants/${credential.id}`;
        try {
          await graph.delete(
            call,
            (s) => s.api(`/oauth2PermissionGrants/${encodeURIComponent(credential.id)}`),
            signal,
          );
          return { status: 'applied', reason: `revoked (${call})` };
        } catch (error) {
          if (signal.aborted) throw error;
          if (isGraphError(error, 404)) return { status: 'already-done', reason: 'Entra ID no longer has the grant' };
          throw fail(graph, error, call, GRANT_HINT);
        }
      }
      return revokeAppSecrets(graph, credential, signal, fail, appKeys);
    },
  };
}

async function revokeAppSecrets(
  graph: GraphSession,
  credential: CredentialRef,
  signal: AbortSignal,
  fail: (graph: GraphSession, error: unknown, what: string, hint: string) => SourceError,
  appKeys: (graph: GraphSession, id: string, signal: AbortSignal) => Promise<AppKeys>,
) {
  const path = `/applications/${encodeURIComponent(credential.id)}`;
  const done: string[] = [];
  try {
    // Re-read: a secret added since the scan keeps working just the same.
    const app = await appKeys(graph, credential.id, signal);
    for (const secret of app.passwordCredentials ?? []) {
      if (!secret.keyId) continue;
      await graph.post(
        `POST /applications/${credential.id}/removePassword`,
        (s) => s.api(`${path}/removePassword`),
        { keyId: secret.keyId },
        signal,
      );
      done.push(`secret ${secret.keyId} (removePassword)`);
    }
    if ((app.keyCredentials ?? []).length > 0) {
      await graph.patch(`PATCH /applications/${credential.id}`, (s) => s.api(path), { keyCredentials: [] }, signal);
      done.push(`${app.keyCredentials!.length} certificate(s) (PATCH keyCredentials)`);
    }
  } catch (error) {
    if (signal.aborted) throw error;
    if (isGraphError(error, 404) && done.length === 0) {
      return { status: 'already-done' as const, reason: 'Entra ID no longer has the app registration' };
    }
    const progress = done.length > 0 ? ` after removing ${done.join(', ')}` : '';
    const failure = fail(graph, error, `removing the app's secrets${progress}`, APP_HINT);
    throw failure;
  }
  if (done.length === 0)
    return { status: 'already-done' as const, reason: 'the app registration has no secret or certificate left' };
  return {
    status: 'applied' as const,
    reason: `removed ${done.join(' and ')} from app ${credential.name ?? credential.id}`,
  };
}
