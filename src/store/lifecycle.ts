import type { Db } from './database.js';

/**
 * The leaver queue (`lifecycle_steps`), the signed HR requests already taken (`hr_events_seen`) and the leavers HR
 * announced by event (`hr_leaver_events`). Journal rows for step changes are written by the caller through
 * `appendEntryWith`, so a step's new status and the row that records it commit together.
 */

export const STEP_STATUSES = ['pending', 'running', 'done', 'incomplete', 'cancelled'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

export interface StepKey {
  personId: string;
  /** The termination moment (ISO UTC) the step was planned from. */
  moment: string;
  stepIndex: number;
}

export interface PlannedStep extends StepKey {
  policy: string;
  offsetDays: number;
  dueAt: string;
  actions: string[];
}

export interface QueuedStep extends PlannedStep {
  status: StepStatus;
  plannedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  attempts: number;
  outcome: Record<string, unknown> | null;
}

interface StepRow {
  person_id: string;
  moment: string;
  step_index: number;
  policy: string;
  offset_days: number;
  due_at: string;
  actions: string;
  status: StepStatus;
  planned_at: string;
  started_at: string | null;
  finished_at: string | null;
  attempts: number;
  outcome: string | null;
}

function toStep(row: StepRow): QueuedStep {
  return {
    personId: row.person_id,
    moment: row.moment,
    stepIndex: row.step_index,
    policy: row.policy,
    offsetDays: row.offset_days,
    dueAt: row.due_at,
    actions: JSON.parse(row.actions) as string[],
    status: row.status,
    plannedAt: row.planned_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    attempts: row.attempts,
    outcome: row.outcome === null ? null : (JSON.parse(row.outcome) as Record<string, unknown>),
  };
}

/**
 * Brings the queue in line with what the roster says now, in one transaction: steps not yet queued are added as
 * pending; pending or running steps no longer wanted (termination rescinded, or moved to another moment) are
 * returned as `obsolete` for the caller to cancel and journal. Steps already done or incomplete are never touched.
 */
export function syncLifecycleSteps(
  db: Db,
  wanted: readonly PlannedStep[],
  now: Date,
): { added: number; obsolete: QueuedStep[] } {
  return db
    .transaction(() => {
      const insert = db.prepare(`INSERT INTO lifecycle_steps (person_id, moment, step_index, policy,
        offset_days, due_at, actions, status, planned_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?)
        ON CONFLICT (person_id, moment, step_index) DO NOTHING`);
      let added = 0;
      for (const step of wanted) {
        added += insert.run(
          step.personId,
          step.moment,
          step.stepIndex,
          step.policy,
          step.offsetDays,
          step.dueAt,
          JSON.stringify(step.actions),
          now.toISOString(),
        ).changes;
      }
      const keys = new Set(wanted.map(stepKeyText));
      const open = db
        .prepare<[], StepRow>(`SELECT * FROM lifecycle_steps WHERE status IN ('pending', 'running')`)
        .all()
        .map(toStep);
      return { added, obsolete: open.filter((step) => !keys.has(stepKeyText(step))) };
    })
    .immediate();
}

export function stepKeyText(key: StepKey): string {
  return `${key.personId}\u0000${key.moment}\u0000${key.stepIndex}`;
}

/** Pending or running steps whose moment has come, oldest first. */
export function dueLifecycleSteps(db: Db, now: Date): QueuedStep[] {
  return db
    .prepare<[string], StepRow>(
      `SELECT * FROM lifecycle_steps WHERE status IN ('pending', 'running') AND due_at <= ?
       ORDER BY due_at, person_id, step_index`,
    )
    .all(now.toISOString())
    .map(toStep);
}

/** Every step not cancelled, for `leavers` (by person, then step). */
export function lifecycleSteps(db: Db): QueuedStep[] {
  return db
    .prepare<[], StepRow>(
      `SELECT * FROM lifecycle_steps WHERE status != 'cancelled' ORDER BY person_id, moment, step_index`,
    )
    .all()
    .map(toStep);
}

export function lifecycleStep(db: Db, key: StepKey): QueuedStep | null {
  const row = db
    .prepare<[string, string, number], StepRow>(
      'SELECT * FROM lifecycle_steps WHERE person_id = ? AND moment = ? AND step_index = ?',
    )
    .get(key.personId, key.moment, key.stepIndex);
  return row ? toStep(row) : null;
}

/** pending|running -> running, one attempt more. Call inside `appendEntryWith` so the journal row goes with it. */
export function markStepRunning(db: Db, key: StepKey, at: Date): QueuedStep {
  db.prepare(
    `UPDATE lifecycle_steps SET status = 'running', started_at = ?, attempts = attempts + 1
     WHERE person_id = ? AND moment = ? AND step_index = ? AND status IN ('pending', 'running')`,
  ).run(at.toISOString(), key.personId, key.moment, key.stepIndex);
  return lifecycleStep(db, key)!;
}

/** Ends a step (done, incomplete or cancelled) with what happened. Call inside `appendEntryWith`. */
export function finishStep(
  db: Db,
  key: StepKey,
  status: Exclude<StepStatus, 'pending' | 'running'>,
  at: Date,
  outcome: Record<string, unknown>,
): void {
  db.prepare(
    `UPDATE lifecycle_steps SET status = ?, finished_at = ?, outcome = ?
     WHERE person_id = ? AND moment = ? AND step_index = ?`,
  ).run(status, at.toISOString(), JSON.stringify(outcome), key.personId, key.moment, key.stepIndex);
}

/**
 * Records a signed HR request id (its signature); false when it was taken before (a replay). Rows older than the
 * signature window could be pruned, but they are tiny and keep the proof.
 */
export function recordHrRequest(db: Db, requestId: string, at: Date): boolean {
  return (
    db
      .prepare('INSERT INTO hr_events_seen (request_id, received_at) VALUES (?, ?) ON CONFLICT (request_id) DO NOTHING')
      .run(requestId, at.toISOString()).changes === 1
  );
}

export interface HrLeaverEvent {
  employeeId: string;
  terminationDate: string | null;
  terminationEffectiveAt: string;
  receivedAt: string;
}

export function saveHrLeaverEvent(db: Db, event: HrLeaverEvent): void {
  db.prepare(
    `INSERT INTO hr_leaver_events (employee_id, termination_date, termination_effective_at, received_at)
     VALUES (?, ?, ?, ?) ON CONFLICT (employee_id) DO UPDATE SET termination_date = excluded.termination_date,
     termination_effective_at = excluded.termination_effective_at, received_at = excluded.received_at`,
  ).run(event.employeeId, event.terminationDate, event.terminationEffectiveAt, event.receivedAt);
}

export function hrLeaverEvents(db: Db): HrLeaverEvent[] {
  return (
    db.prepare('SELECT * FROM hr_leaver_events ORDER BY employee_id').all() as {
      employee_id: string;
      termination_date: string | null;
      termination_effective_at: string;
      received_at: string;
    }[]
  ).map((row) => ({
    employeeId: row.employee_id,
    terminationDate: row.termination_date,
    terminationEffectiveAt: row.termination_effective_at,
    receivedAt: row.received_at,
  }));
}

/** A small key/value fact of the lifecycle (the last over-limit alert), kept in `meta`. */
export function lifecycleMeta(db: Db, key: string): string | null {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(`lifecycle:${key}`) as
    { value: string } | undefined;
  return row?.value ?? null;
}

export function setLifecycleMeta(db: Db, key: string, value: string): void {
  db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(
    `lifecycle:${key}`,
    value,
  );
}

export interface LeaverAccount {
  source: string;
  accountId: string;
  login: string | null;
  enabled: boolean;
  privileged: boolean;
  rawStatus: string | null;
}

/** Each person's accounts in the current snapshots (matched to them by the last scan), by employee id. */
export function accountsOfPeople(db: Db, personIds: readonly string[]): Map<string, LeaverAccount[]> {
  const result = new Map<string, LeaverAccount[]>();
  const query = db.prepare<
    [string],
    {
      source: string;
      id: string;
      login: string | null;
      enabled: number;
      privileged: number;
      raw_status: string | null;
    }
  >(
    `SELECT source, id, login, enabled, privileged, raw_status FROM current_accounts
     WHERE person_id = ? AND built_in = 0 AND match_method != 'service-account' ORDER BY source, id`,
  );
  for (const personId of new Set(personIds)) {
    result.set(
      personId,
      query.all(personId).map((row) => ({
        source: row.source,
        accountId: row.id,
        login: row.login,
        enabled: row.enabled === 1,
        privileged: row.privileged === 1,
        rawStatus: row.raw_status,
      })),
    );
  }
  return result;
}

/** Records what one action of a running step did, so a resumed step does not do it again. Inside `appendEntryWith`. */
export function recordStepProgress(db: Db, key: StepKey, progress: Record<string, unknown>): void {
  db.prepare(`UPDATE lifecycle_steps SET outcome = ? WHERE person_id = ? AND moment = ? AND step_index = ?`).run(
    JSON.stringify(progress),
    key.personId,
    key.moment,
    key.stepIndex,
  );
}
