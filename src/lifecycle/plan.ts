import type { DecayPolicy, LifecycleAction } from '../config/lifecycle.js';
import type { Person } from '../contract/model.js';
import type { HrLeaverEvent, PlannedStep } from '../store/lifecycle.js';

/**
 * Who is leaving, when, and what happens to them: pure, from the roster (and signed HR events the roster does not
 * show yet) and the decay policies. A leaver's moment is `terminationEffectiveAt` (the end of the last day in
 * `timezone`, or the given date-time); each step is due a whole number of days from it.
 */

/** Scheduled offboarding: everyone no decay policy matches is locked out at the moment, like `offboard`. */
export const SCHEDULED_POLICY: DecayPolicy = {
  name: 'scheduled',
  match: {},
  steps: [{ offsetDays: 0, actions: ['disable', 'revoke-sessions'] }],
};

export interface LeaverStep {
  index: number;
  offsetDays: number;
  dueAt: Date;
  actions: LifecycleAction[];
}

export interface Leaver {
  person: Person;
  /** When access must be gone (UTC). */
  moment: Date;
  /** Where the termination comes from: the roster, or a signed HR event the roster does not show yet. */
  announcedBy: 'roster' | 'hr-event';
  /**
   * HR says the person is terminated (roster status, or a signed event). Steps at or after the moment wait for it:
   * a date alone may still be rescinded.
   */
  hrTerminated: boolean;
  policy: string;
  steps: LeaverStep[];
}

const DAY_MS = 86_400_000;

export function planLeavers(
  people: readonly Person[],
  events: readonly HrLeaverEvent[],
  policies: readonly DecayPolicy[],
): Leaver[] {
  const eventsById = new Map(events.map((event) => [event.employeeId, event]));
  const leavers: Leaver[] = [];
  for (const person of people) {
    const event = eventsById.get(person.employeeId);
    const effective = person.terminationEffectiveAt ?? event?.terminationEffectiveAt ?? null;
    if (effective === null) continue;
    const moment = new Date(effective);
    if (Number.isNaN(moment.getTime())) continue;
    const policy = policies.find((candidate) => matches(candidate, person)) ?? SCHEDULED_POLICY;
    leavers.push({
      person,
      moment,
      announcedBy: person.terminationEffectiveAt !== null ? 'roster' : 'hr-event',
      hrTerminated: person.status === 'terminated' || (event !== undefined && person.terminationEffectiveAt === null),
      policy: policy.name,
      steps: policy.steps.map((step, index) => ({
        index,
        offsetDays: step.offsetDays,
        dueAt: new Date(moment.getTime() + step.offsetDays * DAY_MS),
        actions: [...step.actions],
      })),
    });
  }
  return leavers;
}

/** Every field of the policy's match equals the person's (case-insensitive; a list: any of them). */
export function matches(policy: DecayPolicy, person: Person): boolean {
  return Object.entries(policy.match).every(([field, wanted]) => {
    const value = person[field as 'workerType' | 'department' | 'status'];
    if (value === null || value === undefined) return false;
    return (wanted ?? []).some((candidate) => candidate.toLowerCase() === value.toLowerCase());
  });
}

/** The queue rows a leaver's plan asks for. */
export function queueRows(leaver: Leaver): PlannedStep[] {
  return leaver.steps.map((step) => ({
    personId: leaver.person.employeeId,
    moment: leaver.moment.toISOString(),
    stepIndex: step.index,
    policy: leaver.policy,
    offsetDays: step.offsetDays,
    dueAt: step.dueAt.toISOString(),
    actions: step.actions,
  }));
}

/** The actions a source performs, in the order that locks first: disable, end sessions, then licences, delete. */
export const SYSTEM_ORDER = ['disable', 'revoke-sessions', 'remove-licenses', 'delete'] as const;
export type LifecycleSystemAction = (typeof SYSTEM_ORDER)[number];

export function systemActionsOf(actions: readonly string[]): LifecycleSystemAction[] {
  return SYSTEM_ORDER.filter((action) => actions.includes(action));
}
