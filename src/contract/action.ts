import type { CollectorDeps } from './collector.js';
import type { CredentialKind } from './model.js';

/**
 * Action names are the same for every system; each collector folder maps them onto its API (collectors/<system>/
 * actions.ts). The engine (plan, safety checks, journal) never calls an API itself.
 */
export const ACTION_NAMES = [
  'revoke-sessions',
  'disable',
  'deactivate',
  'remove-licenses',
  'ticket',
  'notify-owner',
  /**
   * Removes the account for good. Only graceful offboarding (lifecycle.decay) uses it, after a grace period following
   * a disable, never on a privileged account; the journal keeps the account's last snapshot.
   */
  'delete',
  'revoke-credential',
] as const;
export type ActionName = (typeof ACTION_NAMES)[number];

/** Actions a system performs through its own API (ticket and notify-owner are handled by the engine). */
export type SystemAction = Exclude<ActionName, 'ticket' | 'notify-owner' | 'revoke-credential'>;

/** The account to act on, as the last complete scan stored it. */
export interface AccountRef {
  source: string;
  id: string;
  login: string | null;
  email: string | null;
  displayName: string | null;
  /** Source-specific facts from collection (e.g. Entra onPremisesSyncEnabled). */
  attributes: Record<string, unknown>;
}

/** The account as the source says it is right now (re-read before every action, and to verify after). */
export interface LiveState {
  /** False when the source no longer has the account (deleted): nothing left to disable. */
  found: boolean;
  enabled: boolean;
  rawStatus: string | null;
  /** Licences still assigned, where the system has them. */
  licenses?: string[];
}

export interface ActionOutcome {
  status: 'applied' | 'already-done' | 'failed';
  /** One sentence: what was done (which call), or why it failed, or what else must happen (on-prem AD sync). */
  reason: string;
}

export interface SourceRemediator {
  /**
   * Null when this source can do the action; otherwise why not ("Slack has no licences to remove"), and the
   * engine plans a ticket instead with that reason. Plan-dependent limits found only when calling (Slack session
   * reset needs Enterprise Grid) come back as a failed outcome with the reason. `accountId`, when given, lets a
   * source that holds several kinds of account answer per account (AWS: IAM users can be disabled, Identity Center
   * users cannot).
   */
  unsupportedReason(action: SystemAction, accountId?: string): string | null;
  /** Re-reads one account from the source. Throws SourceError when the source cannot be read. */
  read(account: AccountRef, signal: AbortSignal): Promise<LiveState>;
  /** Does the live state already satisfy the action? (disable on a disabled account: nothing to do.) */
  alreadyDone(action: SystemAction, state: LiveState): boolean;
  /** Performs one action. Throws SourceError on failure after retries; never logs or returns a secret. */
  perform(action: SystemAction, account: AccountRef, state: LiveState, signal: AbortSignal): Promise<ActionOutcome>;
  /** Revoking credentials (tokens, grants, keys, app secrets); absent = not through this system's API. */
  credentials?: CredentialRemediator;
}

export type RemediatorFactory<C> = (config: C, deps?: CollectorDeps) => SourceRemediator;

/** The credential to revoke, as the last complete scan stored it (never a secret). */
export interface CredentialRef {
  source: string;
  id: string;
  kind: CredentialKind;
  name: string | null;
  /** The owner account in the same source, or null (app registrations). */
  accountId: string | null;
  /** Source-specific facts revocation needs (Okta grant's userId, Entra keyIds, Google userKey and clientId…). */
  attributes: Record<string, unknown>;
}

/** The credential as the source says it is right now (re-read before revoking, and to verify after). */
export interface CredentialLiveState {
  /** False when the source no longer has it (revoked, deleted, expired away). */
  found: boolean;
  /** Can it still be used? (an app registration: does it still hold a secret or certificate?) */
  enabled: boolean;
}

/**
 * The optional credential hook of a remediator (`SourceRemediator.credentials`): a system without it cannot revoke
 * credentials through its API, and the engine asks for it by ticket instead.
 */
export interface CredentialRemediator {
  /** Null when this source can revoke credentials of this kind; otherwise why not (the engine plans a ticket). */
  unsupportedKind(kind: CredentialKind): string | null;
  /** Re-reads one credential. Throws SourceError when the source cannot be read. */
  readCredential(credential: CredentialRef, signal: AbortSignal): Promise<CredentialLiveState>;
  /** Revokes it (every secret and certificate of an app registration). Throws SourceError after retries. */
  revokeCredential(credential: CredentialRef, signal: AbortSignal): Promise<ActionOutcome>;
}
