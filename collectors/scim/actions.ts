import type { ScimSourceConfig } from '../../src/config/config.js';
import { SourceError } from '../../src/contract/errors.js';
import type { RemediatorFactory, SourceRemediator } from '../../src/contract/action.js';
import { ScimClient } from '../../src/common/scim/client.js';
import { toAccount } from './transform.js';

/**
 * SCIM 2.0 remediation: `disable` is `PATCH /Users/{id}` replacing `active` with false (RFC 7644 §3.5.2), the one
 * change every SCIM service provider understands; `delete` (graceful offboarding only) is `DELETE /Users/{id}`
 * (§3.6). SCIM has no sessions, licences or separate deactivate, so those fall back to a ticket. The token needs write access to Users (the app's SCIM provisioning token).
 */

const UNSUPPORTED: Readonly<Record<string, string>> = {
  'revoke-sessions': 'SCIM has no way to end sessions: the app must sign the user out',
  deactivate: 'SCIM has no separate deactivate: disable (active=false) is what it offers',
  'remove-licenses': 'SCIM carries no licence assignments',
};

export const createScimRemediator: RemediatorFactory<ScimSourceConfig> = (config, deps = {}): SourceRemediator => {
  const client = new ScimClient({
    source: config.name,
    baseUrl: config.baseUrl,
    token: config.token,
    retryPolicy: deps.retryPolicy,
  });
  return {
    unsupportedReason: (action) => UNSUPPORTED[action] ?? null,

    async read(account, signal) {
      const user = await client.getUser(account.id, signal);
      if (user === null) return { found: false, enabled: false, rawStatus: null };
      const current = toAccount(config.name, { ...user, id: user.id ?? account.id });
      return { found: true, enabled: current.enabled, rawStatus: current.rawStatus };
    },

    alreadyDone: (action, state) =>
      (action === 'disable' && (!state.found || !state.enabled)) || (action === 'delete' && !state.found),

    async perform(action, account, _state, signal) {
      if (action === 'delete') {
        // RFC 7644 §3.6: 204 No Content; a user already gone (404) is what delete wanted.
        const deleted = await client.deleteUser(account.id, signal);
        return deleted
          ? { status: 'applied', reason: `DELETE /Users/${account.id}: the user is removed` }
          : {
              status: 'already-done',
              reason: `DELETE /Users/${account.id}: the service provider no longer has the user`,
            };
      }
      if (action !== 'disable') throw new SourceError(config.name, `${action}: ${UNSUPPORTED[action]}`, 'config');
      const updated = await client.setActive(account.id, false, signal);
      // A server that answers 200 with the user still active ignored the change (some accept `active` read-only).
      if (updated !== null && toAccount(config.name, { ...updated, id: updated.id ?? account.id }).enabled) {
        return {
          status: 'failed',
          reason: `PATCH /Users/${account.id} active=false was accepted, but the user is still active`,
        };
      }
      return { status: 'applied', reason: `PATCH /Users/${account.id} replaced active with false` };
    },
  };
};
