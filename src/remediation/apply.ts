import type { Config } from '../config/config.js';
import { SourceError, UsageError } from '../contract/errors.js';
import type { Finding } from '../contract/model.js';
import type { Db } from '../store/database.js';
import { currentAccount } from '../store/accounts.js';
import { findingTicketKey, markFindingRemediated } from '../store/finding-remediation.js';
import { pendingIntents, type JournalRow } from '../store/journal.js';
import { claimRemediationLock, releaseRemediationLock, renewRemediationLock } from '../store/remediation-lock.js';
import { describeHolder } from '../store/holder.js';
import type {
  AccountRef,
  ActionName,
  CredentialRef,
  LiveState,
  SourceRemediator,
  SystemAction,
} from '../contract/action.js';
import { chooseRecipient, ownerMessage } from './notify-owner.js';
import {
  actionKey,
  planRecords,
  planRemediation,
  type ActionRecord,
  type ActionStatus,
  type PlannedFinding,
  type RemediationPlan,
} from './plan.js';
import { isSystemAction } from './policy.js';
import { ticketForFinding } from './tickets.js';
import { revokeCredential } from './credentials.js';
import {
  ActionJournal,
  appendResult,
  describe,
  intentsInFlight,
  loadedRemediator,
  mapPool,
  openTicket,
  rethrowIfAborted,
  SIDE_SYSTEM_TIMEOUT_SECONDS,
  withDeadline,
  withTimeout,
  type ActionContext,
  type EngineDeps,
  type StepOutcome,
} from './engine.js';

/**
 * Carrying a plan out, one journaled action at a time: the account is re-read from its source before each system
 * action (already done -> recorded, not repeated), an `intent` row is appended before every call and a `result` row
 * after it, and a finding whose system actions all ended applied or already done, and whose account reads back
 * disabled, becomes `remediated`. Intents left without a result by a killed process are reconciled first, by
 * re-reading what they were about to change.
 */

export const RECONCILED_APPLIED = 'reconciled after interruption: confirmed by re-reading the account';
export const RECONCILED_NOT_APPLIED = 'interrupted before the call completed; not applied';

const DEFAULT_CONCURRENCY = 4;

export interface RemediateRequest {
  apply: boolean;
  findingIds?: readonly number[];
  max?: number;
  includePrivileged?: boolean;
}

export interface RemediationRun {
  apply: boolean;
  records: ActionRecord[];
  plan: RemediationPlan;
  /** Result rows appended while reconciling interrupted intents. */
  reconciled: JournalRow[];
  /** Why an --apply did nothing at all (the limit), else null. */
  refusedToStart: string | null;
  /** 0 done; 1 an action was refused or failed; 2 over the limit, nothing applied. */
  exitCode: 0 | 1 | 2;
}

/** `remediate --plan|--apply`: reconcile interrupted actions, plan, check the limit, apply. */
export async function runRemediation(
  db: Db,
  config: Config,
  request: RemediateRequest,
  deps: EngineDeps,
): Promise<RemediationRun> {
  if (request.apply) {
    const release = await acquireRemediationLock(db);
    try {
      return await remediate(db, config, request, deps);
    } finally {
      release();
    }
  }
  return remediate(db, config, request, deps);
}

async function remediate(db: Db, config: Config, request: RemediateRequest, deps: EngineDeps): Promise<RemediationRun> {
  let reconciled: JournalRow[] = [];
  const interrupted = new Map<string, { reason: string; refuse: boolean }>();
  if (request.apply) {
    const outcome = await reconcileInterrupted(db, config, deps);
    reconciled = outcome.reconciled;
    for (const [key, reason] of outcome.unconfirmed) interrupted.set(key, { reason, refuse: true });
  } else {
    // A dry run writes nothing: interrupted intents are only pointed out; --apply reconciles them first.
    for (const intent of pendingIntents(db)) {
      if (!intent.source || !intent.accountId || !intent.action) continue;
      interrupted.set(actionKey(intent.source, intent.accountId, intent.action), {
        reason: `an earlier attempt was interrupted (journal #${intent.id}); --apply re-reads the account before acting`,
        refuse: false,
      });
    }
  }
  const plan = planRemediation(db, config, {
    findingIds: request.findingIds,
    max: request.max,
    includePrivileged: request.includePrivileged,
    now: deps.now(),
    remediatorFor: deps.remediatorFor,
    interrupted,
  });
  if (!request.apply) {
    return {
      apply: false,
      records: planRecords(plan, deps.now()),
      plan,
      reconciled,
      refusedToStart: null,
      exitCode: 0,
    };
  }
  if (plan.overLimit) {
    return {
      apply: true,
      records: planRecords(plan, deps.now()),
      plan,
      reconciled,
      refusedToStart: limitMessage(plan),
      exitCode: 2,
    };
  }
  const records = await applyPlan(db, config, plan, deps);
  const exitCode = records.some((record) => record.status === 'refused' || record.status === 'failed') ? 1 : 0;
  return { apply: true, records, plan, reconciled, refusedToStart: null, exitCode };
}

export function limitMessage(plan: RemediationPlan): string {
  return (
    `${plan.actionCount} actions exceed the limit of ${plan.limit} per run (remediation.maxActionsPerRun): ` +
    'nothing was applied; narrow it with --finding ID, or allow more with --max N'
  );
}

/** Applies every finding of the plan; the findings of one account one after the other, accounts concurrently. */
export async function applyPlan(
  db: Db,
  config: Config,
  plan: RemediationPlan,
  deps: EngineDeps,
): Promise<ActionRecord[]> {
  const journal = new ActionJournal(db, deps, 'remediate');
  const groups = new Map<string, PlannedFinding[]>();
  for (const entry of plan.findings) {
    // A credential finding's actions touch the credential, not its owner account.
    const key = `${entry.finding.source}\u0000${entry.finding.credentialId ?? entry.finding.accountId}`;
    groups.set(key, [...(groups.get(key) ?? []), entry]);
  }
  const byFinding = new Map<number, ActionRecord[]>();
  await mapPool([...groups.values()], deps.concurrency ?? DEFAULT_CONCURRENCY, async (entries) => {
    for (const entry of entries) byFinding.set(entry.finding.id, await applyFinding(db, config, entry, deps, journal));
  });
  // Printed in plan order, however the work interleaved.
  return plan.findings.flatMap((entry) => byFinding.get(entry.finding.id) ?? []);
}

async function applyFinding(
  db: Db,
  config: Config,
  planned: PlannedFinding,
  deps: EngineDeps,
  journal: ActionJournal,
): Promise<ActionRecord[]> {
  const { finding, account } = planned;
  // A credential finding's rows name the credential in the account column (as revocations do), so an interrupted
  // ticket or revocation is found again under the key planning looks up (actionKey with the credential id).
  const journaled: AccountRef = finding.credentialId
    ? {
        ...account,
        id: finding.credentialId,
        displayName: finding.credential?.name ?? null,
        attributes: planned.credential ? { credential: planned.credential } : {},
      }
    : account;
  const records: ActionRecord[] = [];
  const systemStatuses: ActionStatus[] = [];
  let remediator: SourceRemediator | null = null;
  for (const step of planned.steps) {
    const context: ActionContext = {
      findingId: finding.id,
      personId: finding.personId,
      account: journaled,
      action: step.action,
      rule: finding.rule,
    };
    let outcome: StepOutcome;
    if (step.refusal !== null) {
      outcome = journal.result(context, null, 'refused', step.refusal);
    } else if (isSystemAction(step.action)) {
      remediator ??= deps.remediatorFor(finding.source);
      const system = remediator;
      const systemContext = { ...context, action: step.action };
      outcome = system
        ? await withAccountTurn(db, account, () => readThenAct(config, journal, system, systemContext, deps))
        : journal.result(context, null, 'refused', `source ${finding.source} is no longer in the config`);
    } else if (step.action === 'revoke-credential') {
      outcome = await revokeFindingCredential(db, config, journal, planned, deps);
    } else if (step.action === 'ticket') {
      outcome = await findingTicket(db, journal, finding, context, step.fallbackFor, deps);
    } else {
      outcome = await notifyOwner(db, journal, finding, context, deps);
    }
    if (isSystemAction(step.action)) systemStatuses.push(outcome.status);
    records.push(toRecord(finding, step.action, outcome));
  }
  const allDone =
    systemStatuses.length > 0 && systemStatuses.every((status) => status === 'applied' || status === 'already-done');
  if (allDone && remediator) await verifyAndClose(db, config, finding, account, remediator, deps);
  return records;
}

/**
 * A credential finding's `revoke-credential`: re-read the credential, journal the intent, revoke, journal the result,
 * read it back (src/remediation/credentials.ts, shared with offboarding). The finding becomes `remediated` only when
 * the read-back shows the credential gone or unusable.
 */
async function revokeFindingCredential(
  db: Db,
  config: Config,
  journal: ActionJournal,
  planned: PlannedFinding,
  deps: EngineDeps,
): Promise<StepOutcome> {
  const { finding, credential } = planned;
  const context: ActionContext = {
    findingId: finding.id,
    personId: finding.personId,
    account: { ...planned.account, id: finding.credentialId ?? planned.account.id },
    action: 'revoke-credential',
    rule: finding.rule,
  };
  if (!credential) return journal.result(context, null, 'refused', 'the credential is not in the current snapshot');
  const turn: AccountRef = { ...planned.account, id: credential.id };
  const entry = await withAccountTurn(db, turn, () =>
    revokeCredential(
      config,
      journal,
      credential,
      {
        apply: true,
        person: null,
        personId: finding.personId,
        findingId: finding.id,
        rule: finding.rule,
        owner: finding.accountId ? { login: finding.login, email: finding.email } : null,
        reason: `policy for ${finding.rule}`,
      },
      deps,
    ),
  );
  const status = entry.action.status === 'planned' ? 'failed' : entry.action.status;
  if ((status === 'applied' || status === 'already-done') && entry.action.action === 'revoke-credential') {
    if (entry.verified) {
      markFindingRemediated(db, {
        findingId: finding.id,
        actor: deps.actor,
        at: deps.now(),
        reason: `verified revoked by re-reading ${credential.source}`,
      });
    } else {
      deps.log.info(
        `finding ${finding.id}: ${credential.source} still shows credential ${credential.id} usable; the finding stays open`,
      );
    }
  }
  return { status, reason: entry.action.reason, at: entry.action.at, ticketKey: null };
}

/** Re-read, then act unless the source already shows the action done. */
async function readThenAct(
  config: Config,
  journal: ActionJournal,
  remediator: SourceRemediator,
  context: ActionContext & { action: SystemAction },
  deps: EngineDeps,
): Promise<StepOutcome> {
  let state: LiveState;
  try {
    state = await withDeadline(config, context.account.source, deps.signal, (signal) =>
      remediator.read(context.account, signal),
    );
  } catch (error) {
    rethrowIfAborted(error, deps.signal);
    return journal.result(context, null, 'failed', `could not re-read the account before acting: ${describe(error)}`);
  }
  return runSystemAction(config, journal, remediator, context, state, deps);
}

/**
 * One system action given the account's live state: already done -> recorded without a call; otherwise an intent,
 * the call, and its result. Shared with offboarding.
 */
export async function runSystemAction(
  config: Config,
  journal: ActionJournal,
  remediator: SourceRemediator,
  context: ActionContext & { action: SystemAction },
  state: LiveState,
  deps: Pick<EngineDeps, 'signal'>,
): Promise<StepOutcome> {
  const source = context.account.source;
  if (!state.found) {
    return journal.result(
      context,
      null,
      'already-done',
      `${source} no longer has the account: nothing to ${context.action}`,
    );
  }
  if (remediator.alreadyDone(context.action, state)) {
    return journal.result(
      context,
      null,
      'already-done',
      `${source} already shows it done${state.rawStatus ? ` (status ${state.rawStatus})` : ''}: not repeated`,
      { before: state },
    );
  }
  const intentId = journal.intent(context, { before: state });
  try {
    const outcome = await withDeadline(config, source, deps.signal, (signal) =>
      remediator.perform(context.action, context.account, state, signal),
    );
    return journal.result(context, intentId, outcome.status, outcome.reason);
  } catch (error) {
    // Aborted mid-call: the intent stays open and the next run reconciles it by re-reading the account.
    if (deps.signal?.aborted) journal.abandon(intentId);
    rethrowIfAborted(error, deps.signal);
    const unknown =
      error instanceof SourceError && error.kind === 'timeout'
        ? '; whether it took effect is unknown: the next run re-reads the account before acting'
        : '';
    return journal.result(context, intentId, 'failed', `${describe(error)}${unknown}`);
  }
}

async function findingTicket(
  db: Db,
  journal: ActionJournal,
  finding: Finding,
  context: ActionContext,
  fallbacks: PlannedFinding['steps'][number]['fallbackFor'],
  deps: EngineDeps,
): Promise<StepOutcome> {
  const existing = findingTicketKey(db, finding.id);
  if (existing) {
    return journal.result(context, null, 'already-done', `ticket ${existing} is already open for this finding`, {
      ticketKey: existing,
    });
  }
  if (!deps.tickets) return journal.result(context, null, 'refused', 'no `tickets` configured');
  return openTicket(journal, deps.tickets, context, ticketForFinding(finding, fallbacks), deps);
}

async function notifyOwner(
  db: Db,
  journal: ActionJournal,
  finding: Finding,
  context: ActionContext,
  deps: EngineDeps,
): Promise<StepOutcome> {
  if (!deps.notifier) return journal.result(context, null, 'refused', 'no `slack` configured');
  const recipient = chooseRecipient(db, finding);
  if ('refusal' in recipient) return journal.result(context, null, 'refused', recipient.refusal);
  const message = ownerMessage(finding, recipient);
  const detail = { recipient: message.email, role: recipient.role };
  const intentId = journal.intent(context, detail);
  try {
    const notifier = deps.notifier;
    const delivered = await withTimeout(SIDE_SYSTEM_TIMEOUT_SECONDS, 'slack', deps.signal, (signal) =>
      notifier.send(message, signal),
    );
    const who = recipient.role === 'owner' ? 'the owner' : "the owner's manager";
    return journal.result(context, intentId, 'applied', `asked ${who} ${message.email} in a Slack message`, {
      ...detail,
      slackUserId: delivered.userId,
      ts: delivered.ts,
    });
  } catch (error) {
    rethrowIfAborted(error, deps.signal);
    return journal.result(context, intentId, 'failed', describe(error), detail);
  }
}

/** The finding is remediated only when the source itself says the account can no longer be used. */
async function verifyAndClose(
  db: Db,
  config: Config,
  finding: Finding,
  account: AccountRef,
  remediator: SourceRemediator,
  deps: EngineDeps,
): Promise<void> {
  let state: LiveState;
  try {
    state = await withDeadline(config, account.source, deps.signal, (signal) => remediator.read(account, signal));
  } catch (error) {
    rethrowIfAborted(error, deps.signal);
    deps.log.warn(`finding ${finding.id}: could not verify ${account.source} ${account.id}: ${describe(error)}`);
    return;
  }
  if (state.found && state.enabled) {
    deps.log.info(`finding ${finding.id}: ${account.source} still shows the account enabled; the finding stays open`);
    return;
  }
  const reason = state.found
    ? `verified disabled by re-reading ${account.source}${state.rawStatus ? ` (status ${state.rawStatus})` : ''}`
    : `verified: ${account.source} no longer has the account`;
  markFindingRemediated(db, { findingId: finding.id, actor: deps.actor, at: deps.now(), reason });
}

// ---------------------------------------------------------------------------------------------------------------
// One applying process at a time

/** Applies in flight in this process, per database (serve approves several findings at once). */
const locksHeld = new WeakMap<Db, { count: number; heartbeat: NodeJS.Timeout }>();
const LOCK_HEARTBEAT_MS = 30_000;
const LOCK_POLL_MS = 250;

/**
 * Two processes applying at once would both read an account as enabled and both act on it. The lock is a meta row
 * naming the holder (a per-process nonce, its host and pid) with a lease renewed while it is held; a holder that
 * died or stopped renewing is taken over. Calls within one process share it. `waitMs`: how long to wait for another
 * holder to finish (offboarding is the emergency path: it waits briefly rather than failing at once).
 */
export async function acquireRemediationLock(db: Db, options: { waitMs?: number } = {}): Promise<() => void> {
  const deadline = Date.now() + (options.waitMs ?? 0);
  // The lease is about liveness, so it runs on the wall clock, not on the run's (injectable) business clock.
  let holder = claimRemediationLock(db, new Date());
  while (holder && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
    holder = claimRemediationLock(db, new Date());
  }
  if (holder) {
    throw new UsageError(
      `another remediation is being applied (${describeHolder(holder)}, since ${holder.since}); ` +
        'try again when it has finished',
    );
  }
  const held = locksHeld.get(db);
  if (held) held.count++;
  else {
    const heartbeat = setInterval(() => {
      try {
        renewRemediationLock(db, new Date());
      } catch {
        // A busy database misses one beat; the lease outlasts several.
      }
    }, LOCK_HEARTBEAT_MS);
    heartbeat.unref();
    locksHeld.set(db, { count: 1, heartbeat });
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const current = locksHeld.get(db);
    if (!current) return;
    current.count--;
    if (current.count === 0) {
      clearInterval(current.heartbeat);
      locksHeld.delete(db);
      releaseRemediationLock(db);
    }
  };
}

// ---------------------------------------------------------------------------------------------------------------
// One action per account at a time, within this process

const accountTurns = new WeakMap<Db, Map<string, Promise<unknown>>>();

/**
 * Runs `work` (re-read, act, journal) once every earlier work on the same account in this process has finished: two
 * approvals of findings of one account never read it as enabled at the same time, so the second sees the first's
 * change and records `already-done` instead of acting twice.
 */
export async function withAccountTurn<T>(db: Db, account: AccountRef, work: () => Promise<T>): Promise<T> {
  let turns = accountTurns.get(db);
  if (!turns) accountTurns.set(db, (turns = new Map()));
  const key = `${account.source}\u0000${account.id}`;
  const previous = turns.get(key) ?? Promise.resolve();
  const mine = previous.catch(() => undefined).then(work);
  const settled = mine.catch(() => undefined);
  turns.set(key, settled);
  try {
    return await mine;
  } finally {
    if (turns.get(key) === settled) turns.delete(key);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Crash reconciliation

export interface ReconcileOutcome {
  /** Result rows appended for interrupted intents. */
  reconciled: JournalRow[];
  /** Per actionKey: interrupted actions whose outcome could not be confirmed (must not be attempted again yet). */
  unconfirmed: Map<string, string>;
}

/**
 * For every intent without a result (the process died between the two), re-read what it was about to change: the
 * effect is there -> result `applied`; not there -> result `failed`, and planning includes it again. An intent that
 * cannot be checked now (source unreachable) stays open and blocks that action for this run, so nothing is applied
 * twice.
 */
export async function reconcileInterrupted(db: Db, config: Config, deps: EngineDeps): Promise<ReconcileOutcome> {
  const reconciled: JournalRow[] = [];
  const unconfirmed = new Map<string, string>();
  const inFlight = intentsInFlight(db);
  for (const intent of pendingIntents(db)) {
    // Still being carried out by this process (another approval in serve): its own result will close it.
    if (inFlight.has(intent.id)) continue;
    const action = intent.action ?? '';
    const key = actionKey(intent.source ?? '', intent.accountId ?? '', action);
    const account = intentAccount(db, intent);
    const context: ActionContext = {
      findingId: intent.findingId,
      personId: intent.personId,
      account,
      action: action as ActionName,
      rule: typeof intent.detail.rule === 'string' ? intent.detail.rule : null,
      mode: typeof intent.detail.mode === 'string' ? intent.detail.mode : undefined,
    };
    const unconfirmedBecause = (why: string) =>
      unconfirmed.set(
        key,
        `an interrupted earlier ${action} (journal #${intent.id}) could not be confirmed (${why}): ` +
          'not attempted again until it can be',
      );
    const close = (status: 'applied' | 'failed', reason: string, detail: Record<string, unknown> = {}) =>
      reconciled.push(closeIntent(db, deps, intent, context, status, reason, detail));

    if (isSystemAction(action)) {
      const remediator = await loadedRemediator(deps, account.source);
      if (!remediator) {
        unconfirmedBecause(`source ${account.source} is no longer in the config`);
        continue;
      }
      let state: LiveState;
      try {
        state = await withDeadline(config, account.source, deps.signal, (signal) => remediator.read(account, signal));
      } catch (error) {
        rethrowIfAborted(error, deps.signal);
        unconfirmedBecause(describe(error));
        continue;
      }
      const done = !state.found || remediator.alreadyDone(action, state);
      close(done ? 'applied' : 'failed', done ? RECONCILED_APPLIED : RECONCILED_NOT_APPLIED, { after: state });
    } else if (action === 'revoke-credential') {
      // The intent carries the credential: re-read it; gone or unusable means the revocation took effect.
      const credential = intent.detail.credential as CredentialRef | undefined;
      const hook = (await loadedRemediator(deps, account.source))?.credentials;
      if (!credential || !hook) {
        unconfirmedBecause(`source ${account.source} cannot re-read credentials`);
        continue;
      }
      try {
        const state = await withDeadline(config, account.source, deps.signal, (signal) =>
          hook.readCredential(credential, signal),
        );
        const done = !state.found || !state.enabled;
        close(done ? 'applied' : 'failed', done ? RECONCILED_APPLIED : RECONCILED_NOT_APPLIED, { after: state });
      } catch (error) {
        rethrowIfAborted(error, deps.signal);
        unconfirmedBecause(describe(error));
      }
    } else if (action === 'ticket') {
      const label = typeof intent.detail.label === 'string' ? intent.detail.label : null;
      const tickets = deps.tickets;
      if (!tickets || !label) {
        unconfirmedBecause('no `tickets` configured to search');
        continue;
      }
      if (!tickets.searchable) {
        close(
          'failed',
          `${RECONCILED_NOT_APPLIED} as far as can be told: the webhook is sent again with the same ` +
            'Idempotency-Key, so its receiver can drop a duplicate',
        );
        continue;
      }
      try {
        const found = await withTimeout(SIDE_SYSTEM_TIMEOUT_SECONDS, tickets.kind, deps.signal, (signal) =>
          tickets.find(label, signal),
        );
        if (!found) {
          close('failed', RECONCILED_NOT_APPLIED, { label });
          continue;
        }
        close('applied', `reconciled after interruption: ticket ${found.key} found by its label ${label}`, {
          label,
          ticketKey: found.key,
          url: found.url,
        });
      } catch (error) {
        rethrowIfAborted(error, deps.signal);
        unconfirmedBecause(describe(error));
      }
    } else {
      // A Slack message cannot be looked up afterwards; asking twice is harmless, so it may be sent again.
      close('failed', `${RECONCILED_NOT_APPLIED} as far as can be told (a message cannot be checked afterwards)`);
    }
  }
  if (reconciled.length > 0 || unconfirmed.size > 0) {
    deps.log.warn(
      `reconciled ${reconciled.length} action(s) interrupted in an earlier run` +
        (unconfirmed.size > 0 ? `; ${unconfirmed.size} could not be confirmed yet` : ''),
    );
  }
  return { reconciled, unconfirmed };
}

/** The result row of an interrupted intent; a ticket found for a finding is stored on it in the same transaction. */
function closeIntent(
  db: Db,
  deps: EngineDeps,
  intent: JournalRow,
  context: ActionContext,
  status: 'applied' | 'failed',
  reason: string,
  detail: Record<string, unknown>,
): JournalRow {
  return appendResult(db, {
    at: deps.now(),
    kind: 'result',
    intentId: intent.id,
    actor: deps.actor,
    findingId: context.findingId,
    personId: context.personId,
    source: context.account.source,
    accountId: context.account.id,
    action: context.action,
    status,
    reason,
    detail: { ...detail, reconciled: true },
  });
}

/** The account as the intent recorded it (the snapshot may have moved on since). */
function intentAccount(db: Db, intent: JournalRow): AccountRef {
  const recorded = intent.detail.account as AccountRef | undefined;
  if (recorded && typeof recorded.id === 'string' && typeof recorded.source === 'string') return recorded;
  const source = intent.source ?? '';
  const accountId = intent.accountId ?? '';
  return (
    currentAccount(db, source, accountId)?.ref ?? {
      source,
      id: accountId,
      login: null,
      email: null,
      displayName: null,
      attributes: {},
    }
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Small helpers

function toRecord(finding: Finding, action: ActionName, outcome: StepOutcome): ActionRecord {
  const record: ActionRecord = {
    findingId: finding.id,
    rule: finding.rule,
    source: finding.source,
    accountId: finding.accountId,
    action,
    status: outcome.status,
    reason: outcome.reason,
    at: outcome.at,
  };
  if (finding.credentialId) record.credentialId = finding.credentialId;
  if (action === 'ticket') record.ticketKey = outcome.ticketKey ?? null;
  return record;
}
