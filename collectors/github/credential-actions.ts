import type { CredentialLiveState, CredentialRef, CredentialRemediator } from '../../src/contract/action.js';
import { SourceError } from '../../src/contract/errors.js';
import { type GitHubConnection, gitHubMessage, isRateLimited, PAGE_SIZE, statusOf } from './client.js';
import type { GitHubCredentialAuthorization } from './credentials-transform.js';

/**
 * Revoking a SAML SSO credential authorization: DELETE /orgs/{org}/credential-authorizations/{credential_id} (204; an
 * owner with admin:org). The PAT or SSH key itself is the member's and stays, but it no longer reaches the org's
 * resources until its owner authorizes it again (a removed member cannot). Read back by listing the org's
 * authorizations filtered to the owner's login (`login=`): gone from the list = revoked.
 */

const REVOKE_PERMISSION = "removing a credential authorization needs an organization owner's token with admin:org";

type Guard = <T>(what: string, call: () => Promise<T>) => Promise<T>;
type Connect = (signal: AbortSignal) => { connection: GitHubConnection; guard: Guard };

export function gitHubCredentialRemediator(connect: Connect): CredentialRemediator {
  return {
    unsupportedKind: (kind) =>
      kind === 'personal-token'
        ? null
        : `GitHub has no ${kind} credentials zombiescan revokes (only SAML SSO credential authorizations)`,

    async readCredential(credential, signal): Promise<CredentialLiveState> {
      const { connection, guard } = connect(signal);
      const { octokit, config } = connection;
      const login = loginOf(credential, config.name);
      const what = `GET /orgs/${config.org}/credential-authorizations?login=${login}`;
      const listing = octokit.paginate.iterator('GET /orgs/{org}/credential-authorizations', {
        org: config.org,
        login,
        per_page: PAGE_SIZE,
      });
      const iterator = listing[Symbol.asyncIterator]();
      for (;;) {
        const next = await guard(what, () => iterator.next());
        if (next.done) return { found: false, enabled: false };
        const items = next.value.data as GitHubCredentialAuthorization[];
        const item = items.find((entry) => String(entry.credential_id) === credential.id);
        if (item) {
          const expires = item.authorized_credential_expires_at;
          return { found: true, enabled: !expires || Date.parse(expires) > Date.now() };
        }
      }
    },

    async revokeCredential(credential, signal) {
      const { connection, guard } = connect(signal);
      const { octokit, config } = connection;
      const credentialId = Number(credential.id);
      if (!Number.isSafeInteger(credentialId)) {
        throw new SourceError(config.name, `"${credential.id}" is not a GitHub credential id`, 'data');
      }
      const what = `DELETE /orgs/${config.org}/credential-authorizations/${credentialId}`;
      try {
        await octokit.request('DELETE /orgs/{org}/credential-authorizations/{credential_id}', {
          org: config.org,
          credential_id: credentialId,
        });
        return {
          status: 'applied',
          reason: `${what}: the credential no longer reaches ${config.org} (its owner would have to authorize it again)`,
        };
      } catch (error) {
        const status = statusOf(error);
        if (status === 404) return { status: 'already-done', reason: `${what}: GitHub answered 404 (no longer there)` };
        if (status === 403 && !isRateLimited(error)) {
          return {
            status: 'failed',
            reason: `${what}: HTTP 403 ${gitHubMessage(error)} (${REVOKE_PERMISSION})`,
          };
        }
        return guard(what, () => Promise.reject(error));
      }
    },
  };
}

function loginOf(credential: CredentialRef, source: string): string {
  const login = credential.attributes.login;
  if (typeof login !== 'string' || login === '') {
    throw new SourceError(source, `credential ${credential.id} names no GitHub login`, 'data');
  }
  return login;
}
