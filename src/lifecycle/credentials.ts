import type { Config } from '../config/config.js';
import type { Person } from '../contract/model.js';
import type { EngineDeps } from '../remediation/engine.js';
import { revokePersonCredentials } from '../remediation/offboard.js';
import type { Db } from '../store/database.js';
import { accountsOfPeople } from '../store/lifecycle.js';
import { currentCredentialNotices, currentCredentialsOfPerson } from '../store/credentials.js';

/**
 * The seam for `revoke-credentials` (revoke-credential on every credential of the person: API tokens, grants, keys,
 * app secrets) and for the credentials `leavers` shows. `storeCredentialInventory` answers from the store's current
 * credentials and revokes through the same engine as `offboard`.
 */

export interface CredentialRef {
  source: string;
  credentialId: string;
  /** What it is (api-token, oauth-grant, personal-token, app-secret), for the report. */
  kind: string;
  /** What a reviewer recognises it by (token name, app name); never the secret. */
  description: string | null;
  /** Can it be used, as the last scan saw it. */
  enabled: boolean;
}

export interface CredentialRevocation {
  credential: CredentialRef;
  status: 'applied' | 'already-done' | 'failed' | 'refused';
  reason: string;
  /** Read back from its source as gone or unusable. */
  verified: boolean;
  /** Deliberately not revoked: an app registration other current owners depend on (listed for review). */
  leftAlone: boolean;
}

export interface CredentialInventory {
  /**
   * The person's credentials in every source, as the last complete scans stored them; null when a source the person
   * has an account in could not list some kind of credential (unknown, never "none").
   */
  credentialsOf(person: Person): CredentialRef[] | null;
  /** Revokes and reads back each one, through the same guards and journal as other actions. */
  revokeAll(person: Person, signal: AbortSignal | undefined): Promise<CredentialRevocation[]>;
}

/** The person's current credentials, or null when a source of theirs could not list some kind (unknown). */
export function storedCredentialsOf(db: Db, person: Person): CredentialRef[] | null {
  const notices = currentCredentialNotices(db);
  const sources = new Set(
    (accountsOfPeople(db, [person.employeeId]).get(person.employeeId) ?? []).map((account) => account.source),
  );
  if ([...sources].some((source) => (notices.get(source)?.length ?? 0) > 0)) return null;
  return currentCredentialsOfPerson(db, person.employeeId).map((credential) => ({
    source: credential.source,
    credentialId: credential.id,
    kind: credential.kind,
    description: credential.name,
    enabled: credential.enabled,
  }));
}

export function storeCredentialInventory(db: Db, config: Config, engine: EngineDeps): CredentialInventory {
  return {
    credentialsOf: (person) => storedCredentialsOf(db, person),
    async revokeAll(person, signal) {
      const revoked = await revokePersonCredentials(
        db,
        config,
        { person: person.employeeId, apply: true, reason: 'lifecycle: revoke-credentials' },
        { ...engine, signal: signal ?? engine.signal },
      );
      return revoked.map((entry) => ({
        credential: {
          source: entry.source,
          credentialId: entry.credentialId,
          kind: entry.kind,
          description: entry.name,
          enabled: entry.after.enabled ?? entry.before.enabled ?? true,
        },
        status: entry.action.status === 'planned' ? 'failed' : entry.action.status,
        reason: entry.action.reason,
        verified: entry.verified,
        leftAlone: entry.leftAlone === true,
      }));
    },
  };
}
