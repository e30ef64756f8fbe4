import type { Config } from '../config/config.js';
import { SourceError, ZombiescanError } from '../contract/errors.js';
import type { Logger } from '../common/logger.js';
import type { Db } from '../store/database.js';
import { recordFindingTicket } from '../store/finding-remediation.js';
import { appendEntry, type JournalEntry, type JournalRow } from '../store/journal.js';
import type { AccountRef, ActionName, SourceRemediator } from '../contract/action.js';
import type { OwnerNotifier } from './notify-owner.js';
import type { TicketClient, TicketRequest } from './tickets.js';

/**
 * The plumbing every action shares, whatever started it (`remediate`, `offboard`, a credential revocation, the leaver
 * queue): the engine's dependencies, the journal writer (intent before, result after, reasons redacted), deadlines
 * per source, and opening a ticket. Kept apart from apply.ts so that the action modules (apply, credentials,
 * offboard) can all use it without importing each other in a circle.
 */

export interface EngineDeps {
  now: () => Date;
  log: Logger;
  /** Who acts: on every journal row and finding event (the CLI user, `serve`, a Slack user id). */
  actor: string;
  /** The remediator of a configured source; null when the source is not configured. */
  remediatorFor(source: string): SourceRemediator | null;
  /**
   * Loads a source's remediator (its module and vendor SDK) and resolves to it; remediatorFor returns it from then on.
   * Set by the CLI's `offboard`, so the other systems' SDKs load while the IdP is already being re-read and locked.
   * Absent: remediatorFor has every remediator at hand.
   */
  loadRemediator?(source: string): Promise<SourceRemediator | null>;
  /** Null when no `tickets` section is configured. */
  tickets: TicketClient | null;
  /** Null when no `slack` section is configured. */
  notifier: OwnerNotifier | null;
  /** Aborts the run (SIGTERM); intents already written are reconciled by the next run. */
  signal?: AbortSignal;
  /** Removes secrets from reasons before they are journaled or printed. */
  redact?: (text: string) => string;
  /** Accounts worked on at once (the findings of one account always one after the other). */
  concurrency?: number;
}

/** Tickets and Slack messages have no source timeout of their own. */
export const SIDE_SYSTEM_TIMEOUT_SECONDS = 120;

/** Intents written by this process whose result is not written yet: never "interrupted" while we are on them. */
const inFlightIntents = new WeakMap<Db, Set<number>>();

export function intentsInFlight(db: Db): Set<number> {
  let set = inFlightIntents.get(db);
  if (!set) inFlightIntents.set(db, (set = new Set()));
  return set;
}

// ---------------------------------------------------------------------------------------------------------------
// Journal plumbing

export interface ActionContext {
  findingId: number | null;
  personId: string | null;
  account: AccountRef;
  action: ActionName;
  rule?: string | null;
  /** What started the action: `remediate` or `offboard`. */
  mode?: string | undefined;
}

export interface StepOutcome {
  status: 'applied' | 'already-done' | 'failed' | 'refused';
  reason: string;
  at: string;
  ticketKey?: string | null;
}

/** Writes intents and results for one run; reasons are redacted before they are stored. */
export class ActionJournal {
  constructor(
    private readonly db: Db,
    private readonly deps: Pick<EngineDeps, 'actor' | 'now' | 'redact'>,
    private readonly mode: 'remediate' | 'offboard',
  ) {}

  intent(context: ActionContext, detail: Record<string, unknown> = {}): number {
    const id = appendEntry(this.db, {
      ...this.base(context),
      kind: 'intent',
      detail: { ...detail, account: context.account, rule: context.rule ?? null, mode: context.mode ?? this.mode },
    }).id;
    intentsInFlight(this.db).add(id);
    return id;
  }

  /** An intent this process stops carrying out (aborted mid-call): from now on it is for reconciliation. */
  abandon(intentId: number): void {
    intentsInFlight(this.db).delete(intentId);
  }

  result(
    context: ActionContext,
    intentId: number | null,
    status: StepOutcome['status'],
    reason: string,
    detail: Record<string, unknown> = {},
  ): StepOutcome {
    const clean = this.deps.redact ? this.deps.redact(reason) : reason;
    if (intentId !== null) intentsInFlight(this.db).delete(intentId);
    const row = appendResult(this.db, {
      ...this.base(context),
      kind: 'result',
      intentId,
      status,
      reason: clean,
      detail: { ...detail, mode: context.mode ?? this.mode },
    });
    const ticketKey = typeof detail.ticketKey === 'string' ? detail.ticketKey : null;
    return { status, reason: clean, at: row.at, ...(context.action === 'ticket' ? { ticketKey } : {}) };
  }

  private base(context: ActionContext) {
    return {
      at: this.deps.now(),
      actor: this.deps.actor,
      findingId: context.findingId,
      personId: context.personId,
      source: context.account.source,
      accountId: context.account.id,
      action: context.action,
    };
  }
}

/**
 * Appends a result row. An applied ticket result of a finding also stores the ticket key on the finding, in the same
 * transaction, so the finding and the journal never disagree about which ticket is open.
 */
export function appendResult(db: Db, entry: JournalEntry): JournalRow {
  const ticketKey = entry.detail?.ticketKey;
  if (entry.action === 'ticket' && entry.status === 'applied' && typeof ticketKey === 'string' && entry.findingId) {
    return recordFindingTicket(db, { findingId: entry.findingId, ticketKey }, entry);
  }
  return appendEntry(db, entry);
}

/**
 * Intent, create, result. With a finding in the context, the ticket key is stored on the finding in the result's
 * transaction.
 */
export async function openTicket(
  journal: ActionJournal,
  tickets: TicketClient,
  context: ActionContext,
  request: TicketRequest,
  deps: Pick<EngineDeps, 'signal'>,
): Promise<StepOutcome> {
  const ticketDetail = { label: request.label, idempotencyKey: request.idempotencyKey, system: tickets.kind };
  const intentId = journal.intent(context, ticketDetail);
  try {
    const opened = await withTimeout(SIDE_SYSTEM_TIMEOUT_SECONDS, tickets.kind, deps.signal, (signal) =>
      tickets.open(request, signal),
    );
    return journal.result(context, intentId, 'applied', `opened ${tickets.kind} ticket ${opened.key}`, {
      ...ticketDetail,
      ticketKey: opened.key,
      url: opened.url,
    });
  } catch (error) {
    rethrowIfAborted(error, deps.signal);
    return journal.result(context, intentId, 'failed', describe(error), ticketDetail);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Small helpers

/** A source call bounded by the source's timeoutSeconds (and the run's own signal). */
export function withDeadline<T>(
  config: Config,
  source: string,
  outer: AbortSignal | undefined,
  call: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const seconds = config.sources.find((entry) => entry.name === source)?.timeoutSeconds ?? 300;
  return withTimeout(seconds, source, outer, call);
}

/**
 * Races the call against its deadline, so a client that ignores the signal cannot hang the run; the deadline
 * becomes a SourceError naming the source.
 */
export async function withTimeout<T>(
  seconds: number,
  source: string,
  outer: AbortSignal | undefined,
  call: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const timeout = AbortSignal.timeout(seconds * 1000);
  const signal = outer ? AbortSignal.any([outer, timeout]) : timeout;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () =>
      reject(
        outer?.aborted
          ? outer.reason
          : new SourceError(source, `no answer within ${seconds}s (timeoutSeconds)`, 'timeout'),
      );
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([call(signal), aborted]);
  } catch (error) {
    if (timeout.aborted && !outer?.aborted && !(error instanceof SourceError)) {
      throw new SourceError(source, `no answer within ${seconds}s (timeoutSeconds)`, 'timeout');
    }
    throw error;
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
    aborted.catch(() => {});
  }
}

/** A source's remediator once it is loaded (at once when the deps have no loader); rejects when it cannot be made. */
export async function loadedRemediator(deps: EngineDeps, source: string): Promise<SourceRemediator | null> {
  return deps.loadRemediator ? deps.loadRemediator(source) : deps.remediatorFor(source);
}

export function rethrowIfAborted(error: unknown, signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw error;
}

export function describe(error: unknown): string {
  if (error instanceof ZombiescanError) return error.message;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** Runs `task` over `items`, at most `limit` at a time. */
export async function mapPool<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
