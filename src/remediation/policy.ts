import type { ActionName, SystemAction } from '../contract/action.js';

/**
 * Which actions answer which rule. `remediation.policy` in the config wins per rule; rules it leaves out use these
 * defaults: revoke access where the owner is gone or the IdP already locked them out, and otherwise a ticket, because
 * a human should look before an account of a current employee is touched.
 */
export const DEFAULT_POLICY: Readonly<Record<string, readonly ActionName[]>> = {
  'terminated-still-active': ['revoke-sessions', 'disable'],
  // An incident in progress: end the sessions the leaver holds now, then lock the account.
  'sign-in-after-termination': ['revoke-sessions', 'disable'],
  'past-end-date': ['ticket'],
  'idp-disabled-app-active': ['disable'],
  // A credential works on its own, whatever happens to its account: revoke it where the source can (else a ticket).
  'credential-outlived-owner': ['revoke-credential'],
  'ownerless-app-secret': ['revoke-credential'],
  'unused-credential': ['revoke-credential'],
};

/** Every rule without a policy of its own. */
export const DEFAULT_ACTIONS: readonly ActionName[] = ['ticket'];

const SYSTEM_ACTIONS: ReadonlySet<string> = new Set<SystemAction>([
  'revoke-sessions',
  'disable',
  'deactivate',
  'remove-licenses',
  'delete',
]);

export function isSystemAction(action: string): action is SystemAction {
  return SYSTEM_ACTIONS.has(action);
}

export function actionsForRule(
  rule: string,
  configured: Readonly<Record<string, readonly ActionName[]>>,
): ActionName[] {
  return [...(configured[rule] ?? DEFAULT_POLICY[rule] ?? DEFAULT_ACTIONS)];
}

/** Actions a source may be unable to do; each then becomes part of the finding's one ticket. */
export type FallibleAction = SystemAction | 'revoke-credential';

/** An action the source cannot do, and why: it becomes part of the finding's one ticket. */
export interface Fallback {
  action: FallibleAction;
  reason: string;
}

export interface ResolvedAction {
  action: ActionName;
  /** For the ticket: the system actions it stands in for. */
  fallbackFor: Fallback[];
}

/**
 * The policy's actions against what the source can do: each unsupported action falls back to a ticket, and
 * all fallbacks (and a ticket the policy asked for itself) share one ticket, at the place the first one appeared.
 * Duplicates are dropped.
 */
export function resolveActions(
  actions: readonly ActionName[],
  unsupportedReason: (action: FallibleAction) => string | null,
): ResolvedAction[] {
  const resolved: ResolvedAction[] = [];
  let ticket: ResolvedAction | undefined;
  const seen = new Set<ActionName>();
  const useTicket = () => {
    if (!ticket) {
      ticket = { action: 'ticket', fallbackFor: [] };
      resolved.push(ticket);
    }
    return ticket;
  };
  for (const action of actions) {
    if (seen.has(action)) continue;
    seen.add(action);
    if (action === 'ticket') {
      useTicket();
      continue;
    }
    if (isSystemAction(action) || action === 'revoke-credential') {
      const reason = unsupportedReason(action);
      if (reason !== null) {
        useTicket().fallbackFor.push({ action, reason });
        continue;
      }
    }
    resolved.push({ action, fallbackFor: [] });
  }
  return resolved;
}
