import type { CollectContext, CollectorDeps, SourceCollector } from '../contract/collector.js';
import type { Config, SourceConfig } from '../config/config.js';
import type { Logger } from '../common/logger.js';
import { Redactor } from '../common/logger.js';
import { snapshotRuns } from '../store/sources.js';
import type { Person, SignInEvent } from '../contract/model.js';
import type { Db } from '../store/database.js';
import {
  commitSignInPoll,
  dropSignInStage,
  refineRunActivity,
  runAccountKeys,
  signInCursor,
  SignInStager,
  type SignInAccountKey,
  type SignInRead,
} from '../store/sign-ins.js';

/**
 * Reads one source's sign-in log incrementally, in one streamed pass: events of accounts of interest (terminated or
 * leaving owners, disabled, orphaned or ambiguous, privileged) are staged with their time, IP, application, result
 * and reason; every account's latest success is kept to refine last activity. The read becomes visible with the
 * scan's (or poll's) commit; a read that fails mid-way is dropped whole and the cursor stays where it was.
 */

const DAY_MS = 86_400_000;
/**
 * Each read starts this long before the cursor: logs deliver some events minutes late (Entra, Google Reports), and
 * an event read twice is stored once (keyed by the log's own id).
 */
export const SIGN_IN_OVERLAP_MS = 15 * 60_000;

export interface SignInReadStats {
  since: string;
  until: string;
  /** Events the log returned in the window. */
  events: number;
  /** Events of accounts of interest, staged (duplicates within the read counted once when committed). */
  ofInterest: number;
  /** Events naming no account of interest: healthy accounts, or users this source's snapshot does not hold. */
  notOfInterest: number;
  /** Events stamped after the window's end (clock skew): left for a later read. */
  future: number;
  /** Events without a readable time. */
  malformed: number;
}

export type SignInReadOutcome =
  | { status: 'complete'; read: SignInRead; stats: SignInReadStats }
  | { status: 'failed'; error: unknown; stats: SignInReadStats };

export interface SignInReadInput {
  runId: number;
  source: string;
  collector: SourceCollector & { readSignIns: NonNullable<SourceCollector['readSignIns']> };
  context: CollectContext;
  /** The owner of a matched account, to tell a leaver's account from a healthy one. */
  person(personId: string | null): Person | null;
  lookbackDays: number;
  now: Date;
  /** Refine the run's last activity from the log's successes (a scan's own rows; never a committed snapshot). */
  refineActivity?: boolean;
  /** The accounts whose last activity was refined: rules decided on them before, and must decide again. */
  onRefined?(accountIds: readonly string[]): void;
}

export function keepsSignInLog(
  collector: SourceCollector,
): collector is SourceCollector & { readSignIns: NonNullable<SourceCollector['readSignIns']> } {
  return typeof collector.readSignIns === 'function';
}

/** Is this account one whose sign-ins are evidence? Unknown ownership counts as of interest. */
export function accountOfInterest(key: SignInAccountKey, owner: Person | null): boolean {
  if (!key.enabled || key.privileged) return true;
  if (key.matchMethod === 'service-account') return false;
  if (owner === null) return true;
  return owner.status === 'terminated' || owner.terminationEffectiveAt !== null;
}

/** The window this read covers: from the cursor (less the overlap), or `lookbackDays` back on the first read. */
export function signInWindow(cursor: string | null, now: Date, lookbackDays: number): { since: Date; until: Date } {
  const since =
    cursor === null
      ? new Date(now.getTime() - lookbackDays * DAY_MS)
      : new Date(Math.max(Date.parse(cursor) - SIGN_IN_OVERLAP_MS, now.getTime() - lookbackDays * DAY_MS));
  return { since, until: now };
}

export async function readSourceSignIns(db: Db, input: SignInReadInput): Promise<SignInReadOutcome> {
  const { since, until } = signInWindow(signInCursor(db, input.source), input.now, input.lookbackDays);
  const stats: SignInReadStats = {
    since: since.toISOString(),
    until: until.toISOString(),
    events: 0,
    ofInterest: 0,
    notOfInterest: 0,
    future: 0,
    malformed: 0,
  };
  const interest = interestIndex(db, input);
  dropSignInStage(db, input.source);
  const stager = new SignInStager(db, input.source);
  try {
    for await (const page of input.collector.readSignIns(input.context, { since, until })) {
      input.context.signal.throwIfAborted();
      for (const event of page) stageEvent(event, interest, stager, stats, until.getTime());
    }
    stager.flush();
  } catch (error) {
    dropSignInStage(db, input.source);
    if (input.refineActivity !== false) {
      input.onRefined?.(refineRunActivity(db, input.runId, input.source, false));
    }
    return { status: 'failed', error, stats };
  }
  if (input.refineActivity !== false) input.onRefined?.(refineRunActivity(db, input.runId, input.source, true));
  return { status: 'complete', read: { source: input.source, readUntil: until.toISOString() }, stats };
}

interface InterestIndex {
  byId: Set<string>;
  /** Lower-cased login and email of accounts of interest, for logs that name the user but not its id. */
  byName: Map<string, string>;
}

function interestIndex(db: Db, input: SignInReadInput): InterestIndex {
  const byId = new Set<string>();
  const byName = new Map<string, string>();
  for (const key of runAccountKeys(db, input.runId, input.source)) {
    if (!accountOfInterest(key, input.person(key.personId))) continue;
    byId.add(key.id);
    if (key.login) byName.set(key.login.toLowerCase(), key.id);
    if (key.email) byName.set(key.email.toLowerCase(), key.id);
  }
  return { byId, byName };
}

function stageEvent(
  event: SignInEvent,
  interest: InterestIndex,
  stager: SignInStager,
  stats: SignInReadStats,
  untilMs: number,
): void {
  stats.events++;
  const time = Date.parse(event.at);
  if (Number.isNaN(time)) {
    stats.malformed++;
    return;
  }
  if (time >= untilMs) {
    stats.future++;
    return;
  }
  const at = new Date(time).toISOString();
  if (event.result === 'success' && event.accountId !== null) stager.addSuccess(event.accountId, at);
  const accountId =
    event.accountId !== null && interest.byId.has(event.accountId)
      ? event.accountId
      : event.login !== null
        ? (interest.byName.get(event.login.toLowerCase()) ?? null)
        : null;
  if (accountId === null) {
    stats.notOfInterest++;
    return;
  }
  stats.ofInterest++;
  if (event.result === 'success' && event.accountId === null) stager.addSuccess(accountId, at);
  stager.addEvent({ ...event, at, accountId });
}

/**
 * A scan's read of one source's log, after its accounts were stored: a completed read joins `reads` (committed with
 * the scan); a failed one is a notice, never a failed source (the accounts are complete either way).
 */
export async function readSignInsDuringScan(
  db: Db,
  input: Omit<SignInReadInput, 'collector'> & { collector: SourceCollector; reads: SignInRead[] },
): Promise<void> {
  const { collector } = input;
  if (!keepsSignInLog(collector)) return;
  const outcome = await readSourceSignIns(db, { ...input, collector });
  const { stats } = outcome;
  if (outcome.status === 'failed') {
    if (input.context.signal.aborted) throw outcome.error;
    const raw = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
    const message = raw.startsWith(`${input.source}: `) ? raw.slice(input.source.length + 2) : raw;
    input.context.notice(
      `sign-in log unreadable (${message}); nothing of this read was ` +
        `kept and the next read starts again from ${stats.since}`,
    );
    return;
  }
  input.reads.push(outcome.read);
  input.context.log.info(`${input.source}: sign-in log read`, { ...stats });
}

export interface SignInPollOptions {
  createCollector(source: SourceConfig, deps?: CollectorDeps): SourceCollector;
  collectorDeps?: CollectorDeps;
  /** The current roster (read fresh, so a leaver HR recorded since the last scan is already of interest). */
  loadRoster(config: Config): Promise<Person[]>;
  log: Logger;
  now?: () => Date;
  signal?: AbortSignal;
}

export interface SignInPollSource {
  name: string;
  status: 'complete' | 'failed' | 'skipped';
  /** Events of accounts of interest stored by this poll (an event already stored is not counted again). */
  newEvents: number;
  detail: string | null;
}

/**
 * `serve`'s poll between scans: reads every sign-in log from its cursor, resolving events against each source's last
 * complete snapshot, and commits the reads (events and cursors) in one transaction. No account is re-collected and
 * no finding changes here: the caller scans the sources that got new events, which evaluates the rules.
 */
export async function pollSignIns(db: Db, config: Config, options: SignInPollOptions): Promise<SignInPollSource[]> {
  const now = options.now ?? (() => new Date());
  const redactor = new Redactor(config.secrets);
  const people = new Map((await options.loadRoster(config)).map((person) => [person.employeeId, person]));
  const snapshots = snapshotRuns(db);
  const results: SignInPollSource[] = [];
  const reads: SignInRead[] = [];
  for (const source of config.sources) {
    options.signal?.throwIfAborted();
    const collector = options.createCollector(source, options.collectorDeps);
    const snapshot = snapshots.get(source.name);
    if (!keepsSignInLog(collector)) continue;
    if (snapshot === undefined) {
      results.push({ name: source.name, status: 'skipped', newEvents: 0, detail: 'no complete snapshot yet' });
      continue;
    }
    const timeout = AbortSignal.timeout(source.timeoutSeconds * 1000);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const notices: string[] = [];
    const outcome = await readSourceSignIns(db, {
      runId: snapshot,
      source: source.name,
      collector,
      context: { signal, log: options.log, now: now(), notice: (message) => notices.push(redactor.redact(message)) },
      person: (personId) => (personId === null ? null : (people.get(personId) ?? null)),
      lookbackDays: config.signIns.lookbackDays,
      now: now(),
      refineActivity: false,
    });
    if (outcome.status === 'failed') {
      options.signal?.throwIfAborted();
      const message = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
      results.push({ name: source.name, status: 'failed', newEvents: 0, detail: redactor.redact(message) });
      options.log.warn(`${source.name}: sign-in poll failed; the cursor stays`, { error: redactor.redact(message) });
      continue;
    }
    reads.push(outcome.read);
    results.push({ name: source.name, status: 'complete', newEvents: 0, detail: notices.join('; ') || null });
  }
  options.signal?.throwIfAborted();
  const added = commitSignInPoll(db, reads, now());
  for (const result of results) result.newEvents = added.get(result.name) ?? 0;
  return results;
}
