import type { Config } from '../config/config.js';
import { describeTypedTime } from '../contract/model.js';
import { formatOffset, resolveDecayPolicies } from '../config/lifecycle.js';
import type { Db } from '../store/database.js';
import {
  accountsOfPeople,
  hrLeaverEvents,
  lifecycleSteps,
  stepKeyText,
  type LeaverAccount,
  type StepStatus,
} from '../store/lifecycle.js';
import { listPeople } from '../store/people.js';
import { storedCredentialsOf, type CredentialInventory, type CredentialRef } from './credentials.js';
import { planLeavers, type Leaver } from './plan.js';

/**
 * `zombiescan leavers`: who is leaving within the window, from the roster of the last scan (and signed HR events),
 * with their accounts, credentials, the moment and what each step will do, and where the queue stands.
 */

export type LeaverStepState = StepStatus | 'due' | 'upcoming' | 'waiting-for-hr';

export interface LeaverView {
  employeeId: string;
  email: string;
  name: string | null;
  workerType: string | null;
  hrStatus: string;
  /** When access ends (ISO UTC). */
  moment: string;
  /**
   * The moment as HR wrote it: "the end of 2026-11-26, Europe/Berlin" for a last day (never the UTC instant, which
   * may fall on the next day), the date-time as written otherwise.
   */
  momentAsTyped: string;
  announcedBy: Leaver['announcedBy'];
  policy: string;
  /** `due`: a step's moment has passed and it has not run yet; `upcoming`: the next step is still ahead. */
  state: 'due' | 'upcoming' | 'waiting-for-hr';
  accounts: LeaverAccount[];
  /** The current credentials of the person; null when a source of theirs could not list some (unknown, not none). */
  credentials: CredentialRef[] | null;
  steps: { at: string; dueAt: string; actions: string[]; state: LeaverStepState }[];
}

export interface LeaversQuery {
  now: Date;
  /** Upcoming leavers whose next step falls within this many days. */
  days: number;
  /** Where credentials come from (default: the store's current credentials). */
  credentials?: Pick<CredentialInventory, 'credentialsOf'>;
}

export function listLeavers(db: Db, config: Config, query: LeaversQuery): LeaverView[] {
  const resolved = resolveDecayPolicies(config.lifecycle);
  if ('problem' in resolved) throw new Error(resolved.problem[1]);
  const queued = new Map(lifecycleSteps(db).map((step) => [stepKeyText(step), step]));
  const horizon = query.now.getTime() + query.days * 86_400_000;
  const leavers = planLeavers(listPeople(db), hrLeaverEvents(db), resolved.policies);
  const accounts = accountsOfPeople(
    db,
    leavers.map((leaver) => leaver.person.employeeId),
  );
  const views: LeaverView[] = [];
  for (const leaver of leavers) {
    const personAccounts = accounts.get(leaver.person.employeeId) ?? [];
    const steps = leaver.steps.map((step) => {
      const row = queued.get(
        stepKeyText({ personId: leaver.person.employeeId, moment: leaver.moment.toISOString(), stepIndex: step.index }),
      );
      const isDue = step.dueAt.getTime() <= query.now.getTime();
      let state: LeaverStepState;
      if (row && row.status !== 'pending') state = row.status;
      else if (!isDue) state = 'upcoming';
      else if (step.offsetDays >= 0 && !leaver.hrTerminated) state = 'waiting-for-hr';
      else if (
        !row &&
        step.actions.every((action) => action === 'disable' || action === 'revoke-sessions') &&
        personAccounts.every((account) => !account.enabled)
      ) {
        // Long gone and locked out already (not planned by serve yet): nothing is due.
        state = 'done';
      } else state = 'due';
      return { at: formatOffset(step.offsetDays), dueAt: step.dueAt.toISOString(), actions: step.actions, state };
    });
    const open = steps.filter((step) => step.state !== 'done' && step.state !== 'cancelled');
    if (open.length === 0) continue;
    const due = open.some((step) => step.state === 'due' || step.state === 'running');
    const waiting = open.some((step) => step.state === 'waiting-for-hr');
    const next = open.find((step) => step.state === 'upcoming');
    if (!due && !waiting && !(next && Date.parse(next.dueAt) <= horizon)) continue;
    views.push({
      employeeId: leaver.person.employeeId,
      email: leaver.person.email,
      name: leaver.person.name,
      workerType: leaver.person.workerType,
      hrStatus: leaver.person.status,
      moment: leaver.moment.toISOString(),
      momentAsTyped: momentAsTyped(leaver, config.timezone),
      announcedBy: leaver.announcedBy,
      policy: leaver.policy,
      state: due ? 'due' : waiting ? 'waiting-for-hr' : 'upcoming',
      accounts: personAccounts,
      credentials: query.credentials
        ? query.credentials.credentialsOf(leaver.person)
        : storedCredentialsOf(db, leaver.person),
      steps,
    });
  }
  return views.sort((a, b) => a.moment.localeCompare(b.moment) || a.employeeId.localeCompare(b.employeeId));
}

function momentAsTyped(leaver: Leaver, timezone: string): string {
  const typed = leaver.announcedBy === 'roster' ? leaver.person.terminationDate : null;
  return typed ? describeTypedTime({ value: typed, timezone }) : leaver.moment.toISOString();
}
