import type { SignInEvent } from '../contract/model.js';
import { accountKey } from './rows.js';
import type { Db } from './database.js';
import { arrivalOrder } from './dialect.js';

/**
 * Sign-in evidence. A read of a source's log is staged (sign_in_events_staged, sign_in_last_success_staged) and
 * becomes visible, with the source's cursor, in the transaction that commits the scan or poll: a read that fails
 * mid-way is dropped whole and its cursor does not move. Events are keyed by the log's own id, so overlapping
 * windows store each event once.
 */

/** Events written per transaction while a log is being read. */
const STAGE_BATCH = 5_000;

/** An event of an account of interest, resolved to the account id in its source. */
export interface StoredSignIn extends SignInEvent {
  accountId: string;
}

/** The end of the last window read completely from the source's log, or null before the first read. */
export function signInCursor(db: Db, source: string): string | null {
  const row = db.prepare('SELECT read_until FROM sign_in_cursors WHERE source = ?').get(source) as
    { read_until: string } | undefined;
  return row?.read_until ?? null;
}

export interface SignInCursor {
  source: string;
  readUntil: string;
  eventsTotal: number;
  updatedAt: string;
}

export function signInCursors(db: Db): SignInCursor[] {
  return (
    db.prepare('SELECT source, read_until, events_total, updated_at FROM sign_in_cursors ORDER BY source').all() as {
      source: string;
      read_until: string;
      events_total: number;
      updated_at: string;
    }[]
  ).map((row) => ({
    source: row.source,
    readUntil: row.read_until,
    eventsTotal: row.events_total,
    updatedAt: row.updated_at,
  }));
}

/** Sources whose log has been read completely at least once (their accounts' sign-ins are known, not unknown). */
export function sourcesWithSignInLog(db: Db): Set<string> {
  return new Set(
    (db.prepare('SELECT source FROM sign_in_cursors').all() as { source: string }[]).map((row) => row.source),
  );
}

/** Forgets whatever an earlier, unfinished read of this source staged. */
export function dropSignInStage(db: Db, source: string): void {
  db.transaction(() => {
    db.prepare('DELETE FROM sign_in_events_staged WHERE source = ?').run(source);
    db.prepare('DELETE FROM sign_in_last_success_staged WHERE source = ?').run(source);
  })();
}

/**
 * Buffers one source's events of interest and per-account latest successes, writing them STAGE_BATCH at a time into
 * the staging tables. Nothing written here is visible until `commitSignInStage`.
 */
export class SignInStager {
  private events: StoredSignIn[] = [];
  private successes = new Map<string, string>();
  private readonly writeEvents: (events: readonly StoredSignIn[]) => void;
  private readonly writeSuccesses: (successes: ReadonlyMap<string, string>) => void;

  constructor(db: Db, source: string) {
    const insertEvent = db.prepare(
      `INSERT INTO sign_in_events_staged (source, id, account_id, at, login, result, reason, ip, application)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source, id) DO NOTHING`,
    );
    const upsertSuccess = db.prepare(
      `INSERT INTO sign_in_last_success_staged (source, account_id, at) VALUES (?, ?, ?)
       ON CONFLICT (source, account_id) DO UPDATE SET at = CASE
         WHEN excluded.at > sign_in_last_success_staged.at THEN excluded.at ELSE sign_in_last_success_staged.at END`,
    );
    this.writeEvents = db.transaction((events: readonly StoredSignIn[]) => {
      for (const event of events) {
        insertEvent.run(
          source,
          event.id,
          event.accountId,
          event.at,
          event.login,
          event.result,
          event.reason,
          event.ip,
          event.application,
        );
      }
    });
    this.writeSuccesses = db.transaction((successes: ReadonlyMap<string, string>) => {
      for (const [accountId, at] of successes) upsertSuccess.run(source, accountId, at);
    });
  }

  addEvent(event: StoredSignIn): void {
    this.events.push(event);
    if (this.events.length >= STAGE_BATCH) this.flushEvents();
  }

  /** The account's latest success seen so far in this read (kept in memory: one entry per account, not per event). */
  addSuccess(accountId: string, at: string): void {
    const known = this.successes.get(accountId);
    if (known === undefined || known < at) this.successes.set(accountId, at);
  }

  flush(): void {
    this.flushEvents();
    if (this.successes.size > 0) this.writeSuccesses(this.successes);
    this.successes = new Map();
  }

  private flushEvents(): void {
    if (this.events.length === 0) return;
    const events = this.events;
    this.events = [];
    this.writeEvents(events);
  }
}

/** A completed read to make visible: the window's end becomes the source's cursor. */
export interface SignInRead {
  source: string;
  readUntil: string;
}

/**
 * Moves each completed read's staged rows into place and advances its cursor. Call inside the transaction that
 * commits the scan (commitScan does) or the poll (`commitSignInPoll`). Returns the events newly stored per source
 * (an event already stored from an overlapping window is not counted again).
 */
export function commitSignInStage(db: Db, reads: readonly SignInRead[], now: Date): Map<string, number> {
  const added = new Map<string, number>();
  const moveEvents = db.prepare(
    `INSERT INTO sign_in_events (source, id, account_id, at, login, result, reason, ip, application)
     SELECT source, id, account_id, at, login, result, reason, ip, application FROM sign_in_events_staged
     WHERE source = ? ON CONFLICT (source, id) DO NOTHING`,
  );
  const moveSuccesses = db.prepare(
    `INSERT INTO sign_in_last_success (source, account_id, at)
     SELECT source, account_id, at FROM sign_in_last_success_staged WHERE source = ?
     ON CONFLICT (source, account_id) DO UPDATE SET at = CASE
       WHEN excluded.at > sign_in_last_success.at THEN excluded.at ELSE sign_in_last_success.at END`,
  );
  const advance = db.prepare(
    `INSERT INTO sign_in_cursors (source, read_until, events_total, updated_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (source) DO UPDATE SET read_until = CASE
         WHEN excluded.read_until > sign_in_cursors.read_until THEN excluded.read_until ELSE sign_in_cursors.read_until END,
       events_total = sign_in_cursors.events_total + excluded.events_total, updated_at = excluded.updated_at`,
  );
  for (const read of reads) {
    const count = moveEvents.run(read.source).changes;
    moveSuccesses.run(read.source);
    advance.run(read.source, read.readUntil, count, now.toISOString());
    added.set(read.source, count);
  }
  for (const read of reads) dropSignInStageRows(db, read.source);
  return added;
}

function dropSignInStageRows(db: Db, source: string): void {
  db.prepare('DELETE FROM sign_in_events_staged WHERE source = ?').run(source);
  db.prepare('DELETE FROM sign_in_last_success_staged WHERE source = ?').run(source);
}

/** A poll (no scan): its reads become visible in one transaction of their own. */
export function commitSignInPoll(db: Db, reads: readonly SignInRead[], now: Date): Map<string, number> {
  return db.transaction(() => commitSignInStage(db, reads, now))();
}

const EVENT_COLUMNS = 'id, account_id, at, login, result, reason, ip, application';

interface EventRow {
  id: string;
  account_id: string;
  at: string;
  login: string | null;
  result: 'success' | 'failure';
  reason: string | null;
  ip: string | null;
  application: string | null;
}

function rowToEvent(source: string, row: EventRow): StoredSignIn {
  return {
    source,
    id: row.id,
    accountId: row.account_id,
    at: row.at,
    login: row.login,
    result: row.result,
    reason: row.reason,
    ip: row.ip,
    application: row.application,
  };
}

/**
 * One account's stored events, oldest first; with `includeStaged`, also what the scan being committed has read
 * (rules are evaluated before the commit).
 */
export function accountSignIns(
  db: Db,
  source: string,
  accountId: string,
  options: { includeStaged: boolean } = { includeStaged: false },
): StoredSignIn[] {
  const committed = `SELECT ${EVENT_COLUMNS} FROM sign_in_events WHERE source = ? AND account_id = ?`;
  const sql = options.includeStaged
    ? `${committed} UNION SELECT ${EVENT_COLUMNS} FROM sign_in_events_staged WHERE source = ? AND account_id = ?
       ORDER BY at, id`
    : `${committed} ORDER BY at, id`;
  const params = options.includeStaged ? [source, accountId, source, accountId] : [source, accountId];
  return (db.prepare(sql).all(...params) as EventRow[]).map((row) => rowToEvent(source, row));
}

/** The accountKey of every account with a stored or staged event: the few accounts rules need events for. */
export function accountsWithSignIns(db: Db): Set<string> {
  const keys = new Set<string>();
  for (const table of ['sign_in_events', 'sign_in_events_staged']) {
    for (const row of db.prepare(`SELECT DISTINCT source, account_id FROM ${table}`).iterate() as Iterable<{
      source: string;
      account_id: string;
    }>) {
      keys.add(accountKey(row.source, row.account_id));
    }
  }
  return keys;
}

/** The identifiers of one source's accounts in a run, for resolving a log's events to accounts. */
export interface SignInAccountKey {
  id: string;
  login: string | null;
  email: string | null;
  enabled: boolean;
  privileged: boolean;
  personId: string | null;
  matchMethod: string;
}

/** Every account of the source this run stored, in stored order, a chunk per statement. */
export function* runAccountKeys(db: Db, runId: number, source: string): Generator<SignInAccountKey> {
  const order = arrivalOrder(db);
  const next = db.prepare<[number, number, string], { arrival: number } & Record<string, unknown>>(
    `SELECT ${order} AS arrival, id, login, email, enabled, privileged, person_id, match_method FROM accounts
     WHERE ${order} > ? AND run_id = ? AND source = ? ORDER BY ${order} LIMIT 5000`,
  );
  let after = 0;
  for (;;) {
    const chunk = next.all(after, runId, source);
    if (chunk.length === 0) return;
    after = chunk[chunk.length - 1]!.arrival;
    for (const row of chunk) {
      yield {
        id: row.id as string,
        login: row.login as string | null,
        email: row.email as string | null,
        enabled: row.enabled === 1,
        privileged: row.privileged === 1,
        personId: row.person_id as string | null,
        matchMethod: row.match_method as string,
      };
    }
  }
}

/**
 * Last activity refined by sign-ins: where the log saw a successful sign-in newer than the directory's own field, the
 * run's account row takes it (only where the source's activity is known at all). Staged successes count when the
 * read completed in this run. Returns the ids of the accounts changed.
 */
export function refineRunActivity(db: Db, runId: number, source: string, includeStaged: boolean): string[] {
  const sets = includeStaged ? ['sign_in_last_success', 'sign_in_last_success_staged'] : ['sign_in_last_success'];
  const changed: string[] = [];
  for (const table of sets) {
    const rows = db
      .prepare<[string, number, string], string>(
        `UPDATE accounts SET last_activity_at = latest.at
         FROM (SELECT account_id, at FROM ${table} WHERE source = ?) AS latest
         WHERE accounts.run_id = ? AND accounts.source = ? AND accounts.id = latest.account_id
           AND accounts.activity_known = 1
           AND (accounts.last_activity_at IS NULL OR accounts.last_activity_at < latest.at)
         RETURNING accounts.id`,
      )
      .pluck()
      .all(source, runId, source);
    changed.push(...rows);
  }
  return changed;
}
