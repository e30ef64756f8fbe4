import type { Person } from '../contract/model.js';

/**
 * The seam for `revoke-credentials` (revoke-credential on every credential of the person: API tokens, keys, app
 * passwords). Credentials as an entity are being built separately; until a `CredentialInventory` is wired in, the
 * step is recorded as refused with `CREDENTIALS_NOT_INVENTORIED` (never as done), and `leavers` shows the
 * credentials as unknown (null), never as none.
 */

export interface CredentialRef {
  source: string;
  credentialId: string;
  /** What it is (personal access token, access key, app password…), for the report. */
  kind: string;
  description: string | null;
}

export interface CredentialRevocation {
  credential: CredentialRef;
  status: 'applied' | 'already-done' | 'failed' | 'refused';
  reason: string;
}

export interface CredentialInventory {
  /** The person's credentials in every source, as the last scan stored them. */
  credentialsOf(person: Person): CredentialRef[];
  /** Revokes each one through the same guards and journal as other actions. */
  revokeAll(person: Person, signal: AbortSignal | undefined): Promise<CredentialRevocation[]>;
}

export const CREDENTIALS_NOT_INVENTORIED =
  'credentials are not inventoried yet: nothing can say which tokens or keys this person holds, so none were revoked';
