import { formatCount } from './terminal.js';

/**
 * What `remediate --plan` and an `offboard` dry run say under their tables: what would really happen, the reasons
 * for what would not grouped into a few causes ("13 need a tickets section; 1 privileged"), and `--apply` suggested
 * only when applying would change something. Pure: statuses and reasons in, lines out.
 */

export interface PlannedOutcome {
  /** What one count stands for: a finding id (remediate) or an account (offboard). */
  subject: string;
  action: string;
  status: 'planned' | 'applied' | 'already-done' | 'refused' | 'failed';
  reason: string;
}

/** Known refusals, each named by its cause and, where there is one, the fix. First match wins. */
const REASON_GROUPS: readonly { pattern: RegExp; label: string }[] = [
  { pattern: /^no `tickets` configured/, label: 'need a tickets section (jira or webhook) in the config' },
  { pattern: /^no `slack` configured/, label: 'need a slack section in the config' },
  { pattern: /^privileged account/, label: 'privileged (add --include-privileged to act on them)' },
  { pattern: /^roles unreadable/, label: 'roles unreadable (add --include-privileged to act on them)' },
  { pattern: /^never deleted: the account is privileged/, label: 'privileged, never deleted' },
  { pattern: /^excepted \(/, label: 'excepted in the config' },
  { pattern: /^finding is suppressed/, label: 'suppressed' },
  { pattern: /^finding is (resolved|remediated)/, label: 'no longer open' },
  { pattern: /^the latest collection of .* failed/, label: 'wait for a complete scan of their source' },
  { pattern: /is no longer in the config$/, label: 'their source is no longer configured' },
  { pattern: /^`remediate` does not revoke credentials/, label: 'credentials (`offboard PERSON` revokes them)' },
  { pattern: /^ticket \S+ is already open/, label: 'ticket already open' },
  { pattern: /^the source no longer has it/, label: 'gone from the source' },
  { pattern: /^the source already shows it done/, label: 'the source already shows it done' },
];

/** The cause a reason belongs to: a known group's label, else the reason up to its first clause break. */
export function reasonGroup(reason: string): string {
  const known = REASON_GROUPS.find((group) => group.pattern.test(reason));
  if (known) return known.label;
  const clause = reason.split(/[:;(]/)[0]!.trim();
  return clause.length > 70 ? `${clause.slice(0, 69)}…` : clause || reason;
}

/**
 * "13 need a tickets section (…); 1 privileged (…)": distinct subjects per cause, most first. A subject refused for
 * two actions with the same cause counts once.
 */
export function groupedReasons(
  outcomes: readonly PlannedOutcome[],
  style: 'count-first' | 'count-aside' = 'count-first',
): string {
  const groups = new Map<string, Set<string>>();
  for (const outcome of outcomes) {
    const label = reasonGroup(outcome.reason);
    if (!groups.has(label)) groups.set(label, new Set());
    groups.get(label)!.add(outcome.subject);
  }
  return [...groups]
    .sort((a, b) => b[1].size - a[1].size || a[0].localeCompare(b[0]))
    .map(([label, subjects]) =>
      style === 'count-first' ? `${formatCount(subjects.size)} ${label}` : `${formatCount(subjects.size)} (${label})`,
    )
    .join('; ');
}

/** "3 actions (2 disable, 1 ticket)". */
export function actionCounts(outcomes: readonly PlannedOutcome[]): string {
  const byAction = new Map<string, number>();
  for (const outcome of outcomes) byAction.set(outcome.action, (byAction.get(outcome.action) ?? 0) + 1);
  const parts = [...byAction]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([action, count]) => `${formatCount(count)} ${action}`)
    .join(', ');
  return `${formatCount(outcomes.length)} action${outcomes.length === 1 ? '' : 's'} (${parts})`;
}

/**
 * The lines under a dry run's table. `applyHint` is what to run to do it (the limit may forbid it: `blocked` says
 * why instead); with nothing planned, no `--apply` is suggested at all.
 */
export function dryRunLines(
  outcomes: readonly PlannedOutcome[],
  options: {
    applyHint: string;
    blocked?: string | null;
    /** "2 findings", "2 accounts, 1 credential": what the planned outcomes act on. */
    describeSubjects: (planned: readonly PlannedOutcome[]) => string;
  },
): string[] {
  const planned = outcomes.filter((outcome) => outcome.status === 'planned');
  const refused = outcomes.filter((outcome) => outcome.status === 'refused');
  const done = outcomes.filter((outcome) => outcome.status === 'already-done');
  const lines: string[] = [];
  if (planned.length > 0) {
    lines.push(`Would do ${actionCounts(planned)} on ${options.describeSubjects(planned)}.`);
  }
  if (refused.length > 0) lines.push(`Refused: ${groupedReasons(refused)}.`);
  if (done.length > 0) lines.push(`Already done: ${groupedReasons(done, 'count-aside')}.`);
  if (planned.length === 0) {
    lines.push('Dry run: nothing was changed, and --apply would change nothing either.');
  } else if (options.blocked) {
    lines.push(`Dry run: nothing was changed. ${options.blocked}`);
  } else {
    lines.push(`Dry run: nothing was changed. ${options.applyHint}`);
  }
  return lines;
}

/** The ACTION cell of a dry run: what would really happen to this step. */
export function wouldDo(outcome: Pick<PlannedOutcome, 'action' | 'status'>, insteadOf: readonly string[] = []): string {
  if (outcome.status === 'planned') {
    return insteadOf.length > 0 ? `${outcome.action} (instead of ${insteadOf.join(', ')})` : outcome.action;
  }
  if (outcome.status === 'already-done') return `nothing (${outcome.action} already done)`;
  if (outcome.status === 'refused') return `nothing (${outcome.action} refused)`;
  return outcome.action;
}

/** "3 findings": distinct subjects, counted under one noun. */
export function countSubjects(outcomes: readonly PlannedOutcome[], one: string, many: string): string {
  const count = new Set(outcomes.map((outcome) => outcome.subject)).size;
  return `${formatCount(count)} ${count === 1 ? one : many}`;
}
