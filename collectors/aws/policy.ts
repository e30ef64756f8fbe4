import type { LiveState, SystemAction } from '../../src/contract/action.js';
import { awsAccountKind } from './transform.js';

/**
 * What AWS can and cannot do per kind of account, without the SDK (the CLI plans remediation without loading it).
 */

const NO_SESSION_REVOCATION =
  "AWS has no call that ends an IAM user's sessions: STS credentials live until they expire (disable deactivates " +
  'the keys and deletes the console password so no new session can start)';
const IDENTITY_CENTER_DISABLE =
  'Identity Center has no API to disable a user: disable in the IdP that provisions Identity Center (or in the ' +
  'Identity Center console: Users > Disable user access)';
const ROOT_DISABLE =
  'the root user cannot be managed through IAM: sign in as root to delete its access keys, enable MFA and change ' +
  'its password';
const NO_DEACTIVATE = 'AWS has no deactivate separate from disable (delete the IAM user instead, after review)';
const NO_LICENSES = 'AWS has no per-user licences';

export function awsUnsupportedReason(action: SystemAction, accountId?: string): string | null {
  const kind = accountId === undefined ? 'iam-user' : awsAccountKind(accountId);
  switch (action) {
    case 'disable':
      if (kind === 'identity-center-user') return IDENTITY_CENTER_DISABLE;
      if (kind === 'aws-root') return ROOT_DISABLE;
      return null;
    case 'revoke-sessions':
      return kind === 'identity-center-user'
        ? "Identity Center has no API to end a user's sessions: end them in the Identity Center console"
        : NO_SESSION_REVOCATION;
    case 'deactivate':
      return NO_DEACTIVATE;
    case 'remove-licenses':
      return NO_LICENSES;
    case 'delete':
      return 'deleting an IAM user is left to a person: DeleteUser needs its keys, policies and groups removed first';
  }
}

export function awsActionAlreadyDone(action: SystemAction, state: LiveState): boolean {
  if (!state.found) return true;
  return action === 'disable' ? !state.enabled : false;
}

/** AWS revokes access keys and SSH public keys (both `personal-token`); nothing else is a credential there. */
export function awsUnsupportedCredentialKind(kind: string): string | null {
  return kind === 'personal-token' ? null : `AWS has no ${kind} credentials to revoke (only access keys and SSH keys)`;
}
