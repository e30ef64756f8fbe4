import type { Config } from '../config/config.js';
import { formatOffset, resolveDecayPolicies } from '../config/lifecycle.js';
import { describeTypedTime, type Person } from '../contract/model.js';
import { localDay } from '../common/time.js';
import { describe, type EngineDeps } from '../remediation/engine.js';
import { runOffboard, type TerminationReport } from '../remediation/offboard.js';
import { appendEntry, appendEntryWith } from '../store/journal.js';
import type { Db } from '../store/database.js';
import {
  accountsOfPeople,
  dueLifecycleSteps,
  finishStep,
  hrLeaverEvents,
  lifecycleMeta,
  markStepRunning,
  recordStepProgress,
  setLifecycleMeta,
  syncLifecycleSteps,
  type QueuedStep,
} from '../store/lifecycle.js';
import { storeCredentialInventory, type CredentialInventory } from './credentials.js';
import { planLeavers, queueRows, systemActionsOf, type Leaver } from './plan.js';

/**
 * One pass of the leaver queue, as `serve` runs it every few seconds: re-read the roster, bring the queue in line
 * with it (a rescinded or moved termination cancels the steps planned from it, journaled), then carry out each due
 * step. A step is marked running (journaled) before its first action and done or incomplete (journaled) after its
 * last; what each action did is recorded as it happens, so a step a killed process left running resumes without
 * repeating anything: notify and credential actions already recorded are skipped, and source actions re-read the
 * account first (already disabled -> already-done), with interrupted intents reconciled by the offboarding engine.
 */

export interface LifecycleDeps {
  engine: EngineDeps;
  /** Reads the roster afresh (the file or the HR report URL), validated like a scan's. */
  loadRoster(signal?: AbortSignal): Promise<Person[]>;
  /** Where `revoke-credentials` finds and revokes credentials (default: the store's, through the offboard engine). */
  credentials?: CredentialInventory;
  /** Posts a short message about a completed offboarding, with its report (Slack). */
  postReport?: (text: string, report: TerminationReport) => Promise<void>;
  /** Posts an alert (Slack): more leavers due at once than `maxPerDay`, or a roster that could not be read. */
  alert?: (text: string) => Promise<void>;
}

export interface StepResult {
  personId: string;
  moment: string;
  stepIndex: number;
  policy: string;
  offsetDays: number;
  status: 'planned' | 'done' | 'incomplete' | 'waiting' | 'cancelled';
  actions: { action: string; status: string; reason: string }[];
  reportId: number | null;
}

export interface LifecycleTick {
  at: string;
  status: 'ok' | 'roster-failed' | 'over-limit';
  /** Leavers with a step due now (each counts toward maxPerDay). */
  dueLeavers: string[];
  steps: StepResult[];
  error: string | null;
}

interface ActionProgress {
  action: string;
  status: string;
  reason: string;
  at: string;
}

const ACTOR_SUFFIX = ' (lifecycle)';

export async function runLifecycleTick(db: Db, config: Config, deps: LifecycleDeps): Promise<LifecycleTick> {
  const { engine } = deps;
  const now = engine.now();
  const at = now.toISOString();
  const log = engine.log;
  const settings = config.lifecycle;
  const resolved = resolveDecayPolicies(settings);
  if ('problem' in resolved) throw new Error(`lifecycle.${resolved.problem[0].join('.')}: ${resolved.problem[1]}`);

  let roster: Person[];
  try {
    roster = await deps.loadRoster(engine.signal);
  } catch (error) {
    // Never act on a roster we could not read: a failed fetch is not "nobody is leaving" nor "everyone rescinded".
    const message = `the roster could not be read, no leaver step was run: ${describe(error)}`;
    log.error(message);
    await alertOnce(db, deps, 'roster-failed', message, log);
    return { at, status: 'roster-failed', dueLeavers: [], steps: [], error: message };
  }
  setLifecycleMeta(db, 'alerted:roster-failed', '');
  const leavers = planLeavers(roster, hrLeaverEvents(db), resolved.policies);
  const byPerson = new Map(leavers.map((leaver) => [leaver.person.employeeId, leaver]));
  const steps: StepResult[] = [];

  const { obsolete } = syncLifecycleSteps(db, leavers.flatMap(queueRows), now);
  for (const step of obsolete) {
    const leaver = byPerson.get(step.personId);
    const reason = leaver
      ? `termination moved from ${step.moment} to ${leaver.moment.toISOString()}: re-planned`
      : 'termination rescinded: the roster no longer says this person leaves';
    cancelStep(db, step, reason, engine);
    steps.push(result(step, 'cancelled', [{ action: 'cancel', status: 'cancelled', reason }], null));
  }

  const waiting: QueuedStep[] = [];
  const due: { step: QueuedStep; leaver: Leaver }[] = [];
  for (const step of dueLifecycleSteps(db, now)) {
    const leaver = byPerson.get(step.personId);
    if (!leaver) continue;
    if (step.offsetDays >= 0 && !leaver.hrTerminated) waiting.push(step);
    else due.push({ step, leaver });
  }
  for (const step of waiting) {
    steps.push(
      result(step, 'waiting', [{ action: 'wait', status: 'waiting', reason: 'HR does not say terminated yet' }], null),
    );
  }

  // A disable step for someone with nothing enabled any more has nothing to do and is no leaver "due" now.
  const accounts = accountsOfPeople(
    db,
    due.map((entry) => entry.step.personId),
  );
  const actionable: typeof due = [];
  for (const entry of due) {
    const { step } = entry;
    const onlyLockout = step.actions.every((action) => action === 'disable' || action === 'revoke-sessions');
    const enabled = (accounts.get(step.personId) ?? []).filter((account) => account.enabled).length;
    if (onlyLockout && enabled === 0 && step.status === 'pending') {
      const reason = 'no enabled account of this person in the current snapshots: nothing to lock';
      closeStep(db, step, 'done', { actions: [], note: reason }, engine);
      steps.push(result(step, 'done', [{ action: 'check', status: 'already-done', reason }], null));
    } else actionable.push(entry);
  }

  const dueLeavers = [...new Set(actionable.map((entry) => entry.step.personId))];
  if (dueLeavers.length > settings.leavers.maxPerDay) {
    const message =
      `${dueLeavers.length} leavers are due at once, more than lifecycle.leavers.maxPerDay ` +
      `(${settings.leavers.maxPerDay}): none of them was acted on. Check the HR roster (a glitch?); raise the ` +
      'limit if these departures are real.';
    log.error(message, { dueLeavers: dueLeavers.length });
    const fresh = lifecycleMeta(db, 'over-limit') !== dueLeavers.join(',');
    if (fresh) {
      appendEntry(db, {
        at: now,
        kind: 'decision',
        actor: engine.actor + ACTOR_SUFFIX,
        action: 'lifecycle',
        status: 'refused',
        reason: message,
        detail: { dueLeavers, maxPerDay: settings.leavers.maxPerDay },
      });
      setLifecycleMeta(db, 'over-limit', dueLeavers.join(','));
    }
    await alertOnce(db, deps, 'over-limit', message, log, dueLeavers.join(','));
    return { at, status: 'over-limit', dueLeavers, steps, error: message };
  }
  setLifecycleMeta(db, 'over-limit', '');
  setLifecycleMeta(db, 'alerted:over-limit', '');

  for (const { step, leaver } of actionable) {
    if (engine.signal?.aborted) break;
    if (settings.leavers.mode !== 'apply') {
      steps.push(
        result(
          step,
          'planned',
          step.actions.map((action) => ({ action, status: 'planned', reason: 'lifecycle.leavers.mode is plan' })),
          null,
        ),
      );
      continue;
    }
    steps.push(await runStep(db, config, step, leaver, roster, deps));
  }
  return { at, status: 'ok', dueLeavers, steps, error: null };
}

async function runStep(
  db: Db,
  config: Config,
  queued: QueuedStep,
  leaver: Leaver,
  roster: readonly Person[],
  deps: LifecycleDeps,
): Promise<StepResult> {
  const { engine } = deps;
  const person = leaver.person;
  const label = `${leaver.policy} step ${formatOffset(queued.offsetDays)}`;
  const { changed: step } = appendEntryWith(
    db,
    () => markStepRunning(db, queued, engine.now()),
    (running) => ({
      at: engine.now(),
      kind: 'decision',
      actor: engine.actor + ACTOR_SUFFIX,
      personId: person.employeeId,
      action: 'lifecycle-step',
      status: running.attempts > 1 ? 'resumed' : 'started',
      reason: label,
      detail: stepDetail(running),
    }),
  );
  const progress = new Map<string, ActionProgress>(
    ((step.outcome?.actions as ActionProgress[] | undefined) ?? []).map((entry) => [entry.action, entry]),
  );
  const record = (entry: ActionProgress) => {
    progress.set(entry.action, entry);
    appendEntryWith(
      db,
      () => recordStepProgress(db, step, { actions: [...progress.values()] }),
      () => ({
        at: entry.at,
        kind: 'result',
        actor: engine.actor + ACTOR_SUFFIX,
        personId: person.employeeId,
        action: entry.action,
        status: entry.status,
        reason: entry.reason,
        detail: { ...stepDetail(step), lifecycleAction: entry.action },
      }),
    );
  };

  let report: TerminationReport | null = null;
  let reportId: number | null = null;
  for (const action of step.actions) {
    if (progress.has(action)) continue;
    const at = () => engine.now().toISOString();
    if (action === 'notify-owner') {
      if (leaver.moment.getTime() <= engine.now().getTime()) {
        record({
          action,
          status: 'already-done',
          reason: 'the termination already took effect: too late to notify',
          at: at(),
        });
        continue;
      }
      record({ action, ...(await notifyManager(db, leaver, roster, deps, config.timezone)), at: at() });
    } else if (action === 'revoke-credentials') {
      record({ action, ...(await revokeCredentials(db, config, person, deps)), at: at() });
    }
  }
  const systemActions = systemActionsOf(step.actions);
  if (systemActions.length > 0 && !engine.signal?.aborted) {
    try {
      const outcome = await runOffboard(
        db,
        config,
        // Credentials only where the policy says revoke-credentials (handled above).
        {
          person: person.employeeId,
          apply: true,
          reason: `lifecycle: ${label}`,
          actions: systemActions,
          credentials: false,
        },
        { ...engine, actor: engine.actor + ACTOR_SUFFIX },
      );
      report = outcome.report;
      reportId = outcome.reportId;
      for (const action of systemActions) {
        const per = outcome.report.accounts.flatMap((account) =>
          account.actions.filter((entry) => entry.action === action),
        );
        const bad = per.filter((entry) => entry.status === 'failed' || entry.status === 'refused');
        record({
          action,
          status: bad.length > 0 ? 'failed' : 'applied',
          reason: `${per.length - bad.length} of ${per.length} account(s) done${bad.length > 0 ? `; ${bad.map((b) => b.reason).join('; ')}` : ''}`,
          at: engine.now().toISOString(),
        });
      }
      if (systemActions.includes('disable') && !outcome.report.complete) {
        record({
          action: 'verify',
          status: 'failed',
          reason: 'not every account was verified disabled (see the termination report)',
          at: engine.now().toISOString(),
        });
      }
    } catch (error) {
      if (engine.signal?.aborted) throw error;
      record({
        action: systemActions.join('+'),
        status: 'failed',
        reason: describe(error),
        at: engine.now().toISOString(),
      });
    }
  }
  if (engine.signal?.aborted) {
    // Left running: the next pass resumes it (nothing already recorded is repeated).
    return result(step, 'incomplete', [...progress.values()], reportId);
  }
  const entries = [...progress.values()];
  const ok = entries.every((entry) => entry.status === 'applied' || entry.status === 'already-done');
  const status = ok ? 'done' : 'incomplete';
  closeStep(db, step, status, { actions: entries, reportId }, engine);
  if (report && deps.postReport && systemActions.includes('disable')) {
    await deps.postReport(reportMessage(report, label), report).catch((error: unknown) => {
      engine.log.error('termination report not posted to Slack', { error: describe(error) });
    });
  }
  return result(step, status, entries, reportId);
}

/** The manager as the roster read for this pass has them (no second fetch). */
async function notifyManager(
  db: Db,
  leaver: Leaver,
  roster: readonly Person[],
  deps: LifecycleDeps,
  timezone: string,
): Promise<{ status: string; reason: string }> {
  const { engine } = deps;
  const person = leaver.person;
  if (!engine.notifier) return { status: 'refused', reason: 'no `slack` configured to notify the manager' };
  if (!person.managerId) return { status: 'refused', reason: `${person.employeeId} has no manager on the roster` };
  const manager = roster.find((entry) => entry.employeeId === person.managerId);
  if (!manager || manager.status === 'terminated') {
    return { status: 'refused', reason: `manager ${person.managerId} is not an active employee on the roster` };
  }
  const accounts = accountsOfPeople(db, [person.employeeId]).get(person.employeeId) ?? [];
  // A last day HR typed is told back as typed ("the end of 2026-11-25, Europe/Berlin"): the UTC instant falls on
  // the next day, and a manager must not plan the hand-over against the wrong day.
  const lastDay =
    leaver.announcedBy === 'roster' && /^\d{4}-\d{2}-\d{2}$/.test(person.terminationDate ?? '')
      ? person.terminationDate
      : null;
  const when = (instant: Date) =>
    lastDay ? `end of ${localDay(new Date(instant.getTime() - 1).toISOString(), timezone)}` : instant.toISOString();
  const plan = leaver.steps
    .filter((step) => step.offsetDays >= 0)
    .map((step) => `${when(step.dueAt)}: ${step.actions.join(', ')}`)
    .join('; ');
  const accessEnds = lastDay ? describeTypedTime({ value: lastDay, timezone }) : leaver.moment.toISOString();
  const text =
    `${person.name ?? person.email} (${person.employeeId}), who reports to you, leaves: access ends ` +
    `${accessEnds}. Their ${accounts.length} account(s) in ${[...new Set(accounts.map((a) => a.source))].join(', ') || 'no source'} ` +
    `will be handled as follows: ${plan}. Please arrange the hand-over of their work and data before then.`;
  try {
    const delivered = await engine.notifier.send(
      { email: manager.email, text },
      engine.signal ?? new AbortController().signal,
    );
    return { status: 'applied', reason: `manager ${manager.employeeId} told (Slack user ${delivered.userId})` };
  } catch (error) {
    return { status: 'failed', reason: `manager not notified: ${describe(error)}` };
  }
}

function reportMessage(report: TerminationReport, label: string): string {
  const person = report.person;
  const lines = [
    `${report.complete ? ':white_check_mark:' : ':warning:'} Offboarded ${person.name ?? person.email} (${person.employeeId}) — ${label}: ` +
      (report.complete ? 'every account verified disabled.' : 'NOT every account is verified disabled.'),
  ];
  for (const account of report.accounts) {
    const after = account.after.enabled === null ? 'unknown' : account.after.enabled ? 'enabled' : 'disabled';
    lines.push(
      `• ${account.source} ${account.login ?? account.accountId}: ${after}${account.verified ? ' (verified)' : ''}`,
    );
  }
  return lines.join('\n');
}

function cancelStep(db: Db, step: QueuedStep, reason: string, engine: EngineDeps): void {
  appendEntryWith(
    db,
    () => finishStep(db, step, 'cancelled', engine.now(), { reason }),
    () => ({
      at: engine.now(),
      kind: 'decision',
      actor: engine.actor + ACTOR_SUFFIX,
      personId: step.personId,
      action: 'lifecycle-step',
      status: 'cancelled',
      reason,
      detail: stepDetail(step),
    }),
  );
}

function closeStep(
  db: Db,
  step: QueuedStep,
  status: 'done' | 'incomplete',
  outcome: Record<string, unknown>,
  engine: EngineDeps,
): void {
  appendEntryWith(
    db,
    () => finishStep(db, step, status, engine.now(), outcome),
    () => ({
      at: engine.now(),
      kind: 'decision',
      actor: engine.actor + ACTOR_SUFFIX,
      personId: step.personId,
      action: 'lifecycle-step',
      status,
      reason: `${step.policy} step ${formatOffset(step.offsetDays)}`,
      detail: { ...stepDetail(step), outcome },
    }),
  );
}

function stepDetail(step: QueuedStep): Record<string, unknown> {
  return {
    moment: step.moment,
    stepIndex: step.stepIndex,
    policy: step.policy,
    offsetDays: step.offsetDays,
    dueAt: step.dueAt,
    actions: step.actions,
    attempt: step.attempts,
  };
}

function result(
  step: QueuedStep,
  status: StepResult['status'],
  actions: { action: string; status: string; reason: string }[],
  reportId: number | null,
): StepResult {
  return {
    personId: step.personId,
    moment: step.moment,
    stepIndex: step.stepIndex,
    policy: step.policy,
    offsetDays: step.offsetDays,
    status,
    actions: actions.map(({ action, status: actionStatus, reason }) => ({ action, status: actionStatus, reason })),
    reportId,
  };
}

/** Alerts once per distinct situation (the same refused set every few seconds would flood the channel). */
async function alertOnce(
  db: Db,
  deps: LifecycleDeps,
  key: string,
  message: string,
  log: EngineDeps['log'],
  fingerprint = message,
): Promise<void> {
  const alertKey = `alerted:${key}`;
  if (lifecycleMeta(db, alertKey) === fingerprint) return;
  setLifecycleMeta(db, alertKey, fingerprint);
  if (!deps.alert) return;
  await deps.alert(message).catch((error: unknown) => {
    log.error('lifecycle alert not posted to Slack', { error: describe(error) });
  });
}

/**
 * `revoke-credentials`: every credential of the person revoked and read back. Done only when each one is verified
 * gone or unusable (or deliberately left alone: an app other current owners depend on, said in the reason); a
 * revocation that failed, was refused or could not be verified makes the step fail, naming it.
 */
async function revokeCredentials(
  db: Db,
  config: Config,
  person: Person,
  deps: LifecycleDeps,
): Promise<{ status: string; reason: string }> {
  const { engine } = deps;
  const inventory = deps.credentials ?? storeCredentialInventory(db, config, engine);
  let revoked: Awaited<ReturnType<CredentialInventory['revokeAll']>>;
  try {
    revoked = await inventory.revokeAll(person, engine.signal);
  } catch (error) {
    if (engine.signal?.aborted) throw error;
    return { status: 'failed', reason: `credentials not revoked: ${describe(error)}` };
  }
  const name = (entry: (typeof revoked)[number]) =>
    `${entry.credential.source} ${entry.credential.kind} ${entry.credential.description ?? entry.credential.credentialId}`;
  const leftAlone = revoked.filter((entry) => entry.leftAlone);
  const bad = revoked.filter(
    (entry) => !entry.leftAlone && (entry.status === 'failed' || entry.status === 'refused' || !entry.verified),
  );
  const verified = revoked.length - bad.length - leftAlone.length;
  const parts = [`${revoked.length} credential(s): ${verified} verified revoked or gone`];
  if (leftAlone.length > 0) {
    parts.push(
      `${leftAlone.length} left alone (${leftAlone.map((entry) => `${name(entry)}: ${entry.reason}`).join('; ')})`,
    );
  }
  if (bad.length > 0) {
    parts.push(
      `${bad.length} not (${bad.map((entry) => `${name(entry)}: ${entry.status}, ${entry.reason}`).join('; ')})`,
    );
  }
  return {
    status: bad.length > 0 ? 'failed' : revoked.length === 0 ? 'already-done' : 'applied',
    reason: parts.join('; '),
  };
}
