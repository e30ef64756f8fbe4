import type { CollectorDeps } from './collector.js';

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
] as const;
export type ActionName = (typeof ACTION_NAMES)[number];

/** Actions a system performs through its own API (ticket and notify-owner are handled by the engine). */
export type SystemAction = Exclude<ActionName, 'ticket' | 'notify-owner'>;

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
}

export type RemediatorFactory<C> = (config: C, deps?: CollectorDeps) => SourceRemediator;
