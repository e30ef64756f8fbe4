import { createHash } from 'node:crypto';
import type { Config } from '../config/config.js';
import type { CredentialLiveState, CredentialRef, CredentialRemediator } from '../contract/action.js';
import { SourceError } from '../contract/errors.js';
import type { Credential, Person } from '../contract/model.js';
import {
  describe,
  openTicket,
  rethrowIfAborted,
  withDeadline,
  type ActionContext,
  type ActionJournal,
  type EngineDeps,
  type StepOutcome,
} from './engine.js';
import type { ActionStatus } from './plan.js';
import type { TicketRequest } from './tickets.js';

/**
 * `revoke-credential`, like every action: re-read the credential, journal the intent, revoke through the source's
 * credential hook, journal the result, read it back to verify. A system without the hook (or that cannot revoke this
 * kind) gets a ticket asking for it by hand. Journal rows name the credential id in their account column and carry
 * the credential in their detail, so an interrupted revocation is reconciled by re-reading the credential.
 */

/** One credential in a termination report: before, what was done, after. */
export interface TerminationCredential {
  source: string;
  credentialId: string;
  kind: Credential['kind'];
  name: string | null;
  ownerAccountId: string | null;
  /** null when the source could not be read. */
  before: { enabled: boolean | null };
  action: { action: 'revoke-credential' | 'ticket'; status: ActionStatus; at: string; reason: string };
  after: { enabled: boolean | null };
  verified: boolean;
  /** Deliberately not revoked (an app registration other current owners depend on): listed for review. */
  leftAlone?: boolean;
}

export function credentialRef(credential: Credential): CredentialRef {
  return {
    source: credential.source,
    id: credential.id,
    kind: credential.kind,
    name: credential.name,
    accountId: credential.accountId,
    attributes: credential.attributes,
  };
}

/** The journal's view of a credential: its id in the account column, its owner's login where known. */
export function credentialContext(
  credential: CredentialRef,
  owner: { login: string | null; email: string | null } | null,
  personId: string | null,
  findingId: number | null,
  action: 'revoke-credential' | 'ticket',
  rule: string | null = null,
): ActionContext {
  return {
    findingId,
    personId,
    action,
    rule,
    account: {
      source: credential.source,
      id: credential.id,
      login: owner?.login ?? null,
      email: owner?.email ?? null,
      displayName: credential.name,
      attributes: { credential },
    },
  };
}

export interface RevokeOptions {
  apply: boolean;
  person: Pick<Person, 'employeeId' | 'email' | 'name'> | null;
  /** The owner's employee id when there is no roster person to name (a finding's personId). */
  personId?: string | null;
  findingId: number | null;
  /** The rule of the finding being remediated, journaled with the action. */
  rule?: string | null;
  owner: { login: string | null; email: string | null } | null;
  /** Why (journaled and put on a ticket). */
  reason: string | null;
  /** An interrupted earlier revocation that could not be confirmed blocks this one. */
  blocked?: string | undefined;
}

/** Re-read, revoke (or plan / ticket), verify. Never throws for a source failure: it is the outcome. */
export async function revokeCredential(
  config: Config,
  journal: ActionJournal,
  credential: CredentialRef,
  options: RevokeOptions,
  deps: EngineDeps,
): Promise<TerminationCredential> {
  const at = () => deps.now().toISOString();
  const entry: TerminationCredential = {
    source: credential.source,
    credentialId: credential.id,
    kind: credential.kind,
    name: credential.name,
    ownerAccountId: credential.accountId,
    before: { enabled: null },
    action: { action: 'revoke-credential', status: 'planned', at: at(), reason: '' },
    after: { enabled: null },
    verified: false,
  };
  const hook = credentialHook(credential, deps);
  const context = credentialContext(
    credential,
    options.owner,
    options.person?.employeeId ?? options.personId ?? null,
    options.findingId,
    'revoke-credential',
    options.rule ?? null,
  );

  if ('unsupported' in hook) {
    entry.action.action = 'ticket';
    if (!options.apply) {
      entry.action.reason = config.tickets
        ? `would open a ticket: ${hook.unsupported}`
        : `no \`tickets\` configured (${hook.unsupported})`;
      entry.action.status = config.tickets ? 'planned' : 'refused';
      return entry;
    }
    const ticketContext = { ...context, action: 'ticket' as const };
    const outcome: StepOutcome = deps.tickets
      ? await openTicket(journal, deps.tickets, ticketContext, ticketForCredential(credential, options), deps)
      : journal.result(ticketContext, null, 'refused', `no \`tickets\` configured (${hook.unsupported})`);
    entry.action = { action: 'ticket', status: outcome.status, at: outcome.at, reason: outcome.reason };
    return entry;
  }

  const read = async (): Promise<CredentialLiveState | string> => {
    try {
      return await withDeadline(config, credential.source, deps.signal, (signal) =>
        hook.remediator.readCredential(credential, signal),
      );
    } catch (error) {
      rethrowIfAborted(error, deps.signal);
      return describe(error);
    }
  };
  const before = await read();
  entry.before = { enabled: typeof before === 'string' ? null : before.found && before.enabled };
  if (!options.apply) {
    entry.after = entry.before;
    if (typeof before === 'string') entry.action.reason = `would be tried; the credential could not be read: ${before}`;
    else if (!before.found || !before.enabled) {
      entry.action = { ...entry.action, status: 'already-done', reason: `${credential.source} no longer lets it work` };
      entry.verified = true;
    } else entry.action.reason = options.reason ?? 'revoke';
    return entry;
  }

  let outcome: StepOutcome;
  if (options.blocked) outcome = journal.result(context, null, 'refused', options.blocked);
  else if (typeof before === 'string') {
    outcome = journal.result(context, null, 'failed', `could not read the credential before acting: ${before}`);
  } else if (!before.found || !before.enabled) {
    outcome = journal.result(context, null, 'already-done', `${credential.source} no longer lets it work`, {
      before,
    });
  } else {
    const intentId = journal.intent(context, { before, credential });
    try {
      const done = await withDeadline(config, credential.source, deps.signal, (signal) =>
        hook.remediator.revokeCredential(credential, signal),
      );
      outcome = journal.result(context, intentId, done.status, done.reason);
    } catch (error) {
      rethrowIfAborted(error, deps.signal);
      const unknown =
        error instanceof SourceError && error.kind === 'timeout'
          ? '; whether it took effect is unknown: the next run re-reads the credential before acting'
          : '';
      outcome = journal.result(context, intentId, 'failed', `${describe(error)}${unknown}`);
    }
  }
  entry.action = { action: 'revoke-credential', status: outcome.status, at: outcome.at, reason: outcome.reason };
  const after = await read();
  if (typeof after === 'string') {
    deps.log.warn(`${credential.source} credential ${credential.id}: could not verify: ${after}`);
  } else {
    entry.after = { enabled: after.found && after.enabled };
    entry.verified = !after.found || !after.enabled;
  }
  return entry;
}

type Hook = { remediator: CredentialRemediator } | { unsupported: string };

function credentialHook(credential: CredentialRef, deps: EngineDeps): Hook {
  let remediator: ReturnType<EngineDeps['remediatorFor']>;
  try {
    remediator = deps.remediatorFor(credential.source);
  } catch (error) {
    return { unsupported: `cannot act on ${credential.source}: ${describe(error)}` };
  }
  if (!remediator) return { unsupported: `source ${credential.source} is no longer in the config` };
  const hook = remediator.credentials;
  if (!hook) return { unsupported: `${credential.source} cannot revoke credentials through its API` };
  const unsupported = hook.unsupportedKind(credential.kind);
  return unsupported === null ? { remediator: hook } : { unsupported };
}

function ticketForCredential(credential: CredentialRef, options: RevokeOptions): TicketRequest {
  const key = [credential.source, credential.kind, credential.id];
  const label = `zombiescan-credential-${createHash('sha256').update(key.join('\u0000')).digest('hex').slice(0, 16)}`;
  const owner = options.owner?.email ?? options.owner?.login ?? credential.accountId ?? 'no owner';
  const summary = `Revoke ${credential.kind} "${credential.name ?? credential.id}" in ${credential.source} (${owner})`;
  const description = [
    `zombiescan found a ${credential.kind} in ${credential.source} that must be revoked by hand: ` +
      `${credential.name ?? credential.id} (id ${credential.id}), owner ${owner}.`,
    ...(options.person ? [`Offboarding ${options.person.email} (${options.person.employeeId}).`] : []),
    ...(options.reason ? [`Reason: ${options.reason}`] : []),
  ];
  return {
    label,
    idempotencyKey: ['zombiescan', 'revoke-credential', ...key].map(encodeURIComponent).join(':'),
    summary,
    description,
    payload: {
      action: 'revoke-credential',
      source: credential.source,
      credentialId: credential.id,
      kind: credential.kind,
      name: credential.name,
      owner,
      label,
    },
  };
}
