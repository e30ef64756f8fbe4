import type { CredentialLiveState, CredentialRef, CredentialRemediator } from '../../src/contract/action.js';
import type { OktaSourceConfig } from '../../src/config/config.js';
import { SourceError } from '../../src/contract/errors.js';
import { describeError, httpStatusOf, redact, transportFailure, type OktaConnection } from './client.js';

/**
 * Revoking Okta credentials: an API token with DELETE /api/v1/api-tokens/{id} (revokeApiToken), a user's OAuth
 * consent grant with DELETE /api/v1/users/{userId}/grants/{grantId} (revokeUserGrant). Both are read back with GET;
 * 404 = gone.
 */
export function oktaCredentialRemediator(
  config: OktaSourceConfig,
  connect: (signal: AbortSignal) => OktaConnection,
): CredentialRemediator {
  const failure = (error: unknown, connection: OktaConnection, what: string): SourceError => {
    const common = transportFailure(error, config, connection, what);
    if (common) return common;
    const status = httpStatusOf(error);
    const hint =
      status === 403
        ? ": the API token's admin needs Super Administrator (API tokens) or a role that manages users (grants); " +
          'OAuth: okta.apiTokens.manage / okta.users.manage'
        : '';
    return new SourceError(
      config.name,
      redact(`${what}: ${describeError(error)}${hint}`, config.token),
      status === 403 ? 'auth' : 'server',
    );
  };

  return {
    unsupportedKind: (kind) =>
      kind === 'api-token' || kind === 'oauth-grant' ? null : `Okta has no ${kind} credentials to revoke`,

    async readCredential(credential, signal): Promise<CredentialLiveState> {
      const connection = connect(signal);
      try {
        if (credential.kind === 'api-token') {
          await connection.client.apiTokenApi.getApiToken({ apiTokenId: credential.id });
        } else {
          const grant = await connection.client.userApi.getUserGrant({
            userId: grantUser(credential),
            grantId: credential.id,
          });
          return { found: true, enabled: (grant.status ?? 'ACTIVE') === 'ACTIVE' };
        }
        return { found: true, enabled: true };
      } catch (error) {
        if (httpStatusOf(error) === 404) return { found: false, enabled: false };
        throw failure(error, connection, `reading ${credential.kind} ${credential.id}`);
      }
    },

    async revokeCredential(credential, signal) {
      const connection = connect(signal);
      const call =
        credential.kind === 'api-token'
          ? `DELETE /api/v1/api-tokens/${credential.id}`
          : `DELETE /api/v1/users/${grantUser(credential)}/grants/${credential.id}`;
      try {
        if (credential.kind === 'api-token') {
          await connection.client.apiTokenApi.revokeApiToken({ apiTokenId: credential.id });
        } else {
          await connection.client.userApi.revokeUserGrant({ userId: grantUser(credential), grantId: credential.id });
        }
        return { status: 'applied', reason: `revoked (${call})` };
      } catch (error) {
        if (httpStatusOf(error) === 404) {
          return { status: 'already-done', reason: `Okta no longer has it (${describeError(error)})` };
        }
        throw failure(error, connection, `revoking (${call})`);
      }
    },
  };
}

function grantUser(credential: CredentialRef): string {
  const userId = credential.attributes.userId;
  return typeof userId === 'string' ? userId : (credential.accountId ?? '');
}
