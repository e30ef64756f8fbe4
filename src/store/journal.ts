import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Db } from './database.js';
import { jsonField, LOCKS, serialise } from './dialect.js';

/**
 * The remediation journal: an append-only, hash-chained table (`audit_log`). Every row's hash is
 * sha256(previous hash + canonical JSON of the row), triggers refuse UPDATE and DELETE, and the head (last id and
 * hash) is kept in `meta` in the same transaction as each append, so an altered, removed or truncated row is found by
 * `verifyJournal`. Actions write an `intent` before calling an API and a `result` after it; review decisions (Slack)
 * are `decision` rows.
 *
 * A hash chain alone proves nothing to someone who can write the file: they can recompute every hash. With the audit
 * key (`audit.key`, from the environment, never stored) every row also carries mac = HMAC-SHA256(key, hash); since the
 * hash covers every row before it, one valid MAC authenticates the whole prefix, and nobody without the key can
 * rewrite history and produce a valid one. Without a key the chain only detects accidental or naive edits.
 */

export const JOURNAL_KINDS = ['intent', 'result', 'decision'] as const;
export type JournalKind = (typeof JOURNAL_KINDS)[number];

/** The hash the first row chains to. */
export const GENESIS_HASH = '0'.repeat(64);
const HEAD_KEY = 'audit_log_head';
/** Domain separation: a MAC made for the journal is never valid for anything else signed with the same key. */
const MAC_CONTEXT = 'zombiescan-audit-log-v1:';

/**
 * The audit key of each open database. Kept beside the handle rather than passed to every append, so that every writer
 * (remediation, offboard, Slack decisions, the leaver queue) MACs its rows without knowing about the key.
 */
const journalKeys = new WeakMap<Db, Buffer>();

/** Sets (or with null clears) the key this handle MACs and verifies journal rows with. */
export function useJournalKey(db: Db, key: string | null): void {
  if (key === null) journalKeys.delete(db);
  else journalKeys.set(db, Buffer.from(key, 'utf8'));
}

export interface JournalEntry {
  at: Date | string;
  kind: JournalKind;
  /** For a result: the id of the intent it closes. */
  intentId?: number | null;
  /** Who acted: the CLI user, `serve`, or a Slack user id. */
  actor: string;
  findingId?: number | null;
  personId?: string | null;
  source?: string | null;
  accountId?: string | null;
  action?: string | null;
  status?: string | null;
  reason?: string | null;
  /** Facts worth keeping (before-state, ticket key…); never a secret. */
  detail?: Record<string, unknown>;
}

export interface JournalRow {
  id: number;
  at: string;
  kind: JournalKind;
  intentId: number | null;
  actor: string;
  findingId: number | null;
  personId: string | null;
  source: string | null;
  accountId: string | null;
  action: string | null;
  status: string | null;
  reason: string | null;
  detail: Record<string, unknown>;
  prevHash: string;
  hash: string;
  /** HMAC-SHA256 of `hash` under the audit key; null when written without one. */
  mac: string | null;
}

/** A row as stored. */
interface AuditLogRow {
  id: number;
  at: string;
  kind: string;
  intent_id: number | null;
  actor: string;
  finding_id: number | null;
  person_id: string | null;
  source: string | null;
  account_id: string | null;
  action: string | null;
  status: string | null;
  reason: string | null;
  detail: string;
  prev_hash: string;
  hash: string;
  mac: string | null;
}

/** The journal's last row, for publishing outside the database (a ticket, the SIEM, the Slack digest). */
export interface JournalHead {
  id: number;
  hash: string;
  mac: string | null;
}

/** A head published earlier, `ID:HASH`: the journal must still contain it. */
export interface JournalAnchor {
  id: number;
  hash: string;
}

export interface JournalVerification {
  ok: boolean;
  /** Rows in the table. */
  rows: number;
  /**
   * True when a key was given and the last row's MAC (which covers every row before it) checked: nobody without the
   * key wrote this history. False without a key: the chain then only detects accidental or naive edits.
   */
  authenticated: boolean;
  /** Rows written before the key was in use, covered only by the first MAC after them. */
  unauthenticatedPrefix?: number;
  /** The first row that was altered or is missing. */
  firstBadId?: number;
  problem?: string;
}

/** Appends one row and moves the head, in one (immediate) transaction; returns the row as stored. */
export function appendEntry(db: Db, entry: JournalEntry): JournalRow {
  return db.transaction(() => insertEntry(db, entry)).immediate();
}

/**
 * Runs `change` (store writes: a finding's new status, say) and journals it, in one transaction: the change and the
 * row that records it are committed together or not at all. `entryFor` gets what `change` returned.
 */
export function appendEntryWith<T>(
  db: Db,
  change: () => T,
  entryFor: (changed: T) => JournalEntry,
): { changed: T; row: JournalRow } {
  return db
    .transaction(() => {
      const changed = change();
      return { changed, row: insertEntry(db, entryFor(changed)) };
    })
    .immediate();
}

/** The insert and head move of `appendEntry`; the caller runs it inside a transaction. */
function insertEntry(db: Db, entry: JournalEntry): JournalRow {
  // Two processes appending at once: the second waits here and then chains to the first's row (never a fork).
  serialise(db, LOCKS.journal);
  const head = readHead(db) ?? lastRowHead(db) ?? { id: 0, hash: GENESIS_HASH };
  const row: Omit<AuditLogRow, 'hash' | 'mac'> = {
    id: head.id + 1,
    at: typeof entry.at === 'string' ? entry.at : entry.at.toISOString(),
    kind: entry.kind,
    intent_id: entry.intentId ?? null,
    actor: entry.actor,
    finding_id: entry.findingId ?? null,
    person_id: entry.personId ?? null,
    source: entry.source ?? null,
    account_id: entry.accountId ?? null,
    action: entry.action ?? null,
    status: entry.status ?? null,
    reason: entry.reason ?? null,
    detail: canonicalJson(entry.detail ?? {}),
    prev_hash: head.hash,
  };
  const hash = rowHash(row);
  const key = journalKeys.get(db);
  const stored: AuditLogRow = { ...row, hash, mac: key ? rowMac(key, hash) : null };
  db.prepare(
    `INSERT INTO audit_log (id, at, kind, intent_id, actor, finding_id, person_id, source, account_id, action, status,
     reason, detail, prev_hash, hash, mac)
   VALUES (@id, @at, @kind, @intent_id, @actor, @finding_id, @person_id, @source, @account_id, @action, @status,
     @reason, @detail, @prev_hash, @hash, @mac)`,
  ).run(stored);
  // UPDATE, then INSERT only for the very first row: an upsert would fire the BEFORE INSERT guard on the head.
  const headValue = JSON.stringify({ id: stored.id, hash: stored.hash });
  if (db.prepare('UPDATE meta SET value = ? WHERE key = ?').run(headValue, HEAD_KEY).changes === 0) {
    db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run(HEAD_KEY, headValue);
  }
  return toJournalRow(stored);
}

/** The last row (id, hash and MAC), to publish as an anchor; null for an empty journal. */
export function journalHead(db: Db): JournalHead | null {
  const row = db.prepare('SELECT id, hash, mac FROM audit_log ORDER BY id DESC LIMIT 1').get() as
    JournalHead | undefined;
  return row ?? null;
}

/** Parses `ID:HASH` as printed by `audit-log anchor`; null when it is not one. */
export function parseJournalAnchor(text: string): JournalAnchor | null {
  const match = /^([1-9][0-9]{0,15}):([0-9a-f]{64})$/.exec(text.trim());
  return match ? { id: Number(match[1]), hash: match[2]! } : null;
}

/**
 * Walks the whole chain; stops at the first problem. With the audit key set on this handle, every row from the first
 * one carrying a MAC must carry a valid one, and the last row must (it authenticates all before it). With `anchor`,
 * the journal must still hold that row with that hash: a history rewritten or cut since it was published fails.
 */
export function verifyJournal(db: Db, options: { anchor?: JournalAnchor } = {}): JournalVerification {
  const key = journalKeys.get(db) ?? null;
  const anchor = options.anchor;
  const rows = (db.prepare('SELECT count(*) AS n FROM audit_log').get() as { n: number }).n;
  const fail = (firstBadId: number, problem: string): JournalVerification => ({
    ok: false,
    rows,
    authenticated: false,
    firstBadId,
    problem,
  });
  let previous: AuditLogRow | null = null;
  let unmaced = 0;
  let sawMac = false;
  for (const row of db.prepare<[], AuditLogRow>('SELECT * FROM audit_log ORDER BY id').iterate()) {
    const expectedId: number = previous ? previous.id + 1 : 1;
    if (row.id !== expectedId) {
      const missing = row.id - 1 === expectedId ? `row ${expectedId} is` : `rows ${expectedId}-${row.id - 1} are`;
      return fail(expectedId, `${missing} missing (deleted)`);
    }
    const { hash, mac, ...content } = row;
    if (rowHash(content) !== hash)
      return fail(row.id, `row ${row.id} was altered: its hash does not match its content`);
    const expectedPrev = previous ? previous.hash : GENESIS_HASH;
    if (row.prev_hash !== expectedPrev) {
      // This row is self-consistent but chains to another hash: the row before it was rewritten, hash and all.
      return previous
        ? fail(previous.id, `row ${previous.id} was rewritten: row ${row.id} chains to a different hash`)
        : fail(row.id, `row ${row.id} does not chain to the start of the journal`);
    }
    if (anchor && row.id === anchor.id && row.hash !== anchor.hash) {
      return fail(
        row.id,
        `row ${row.id} is not the published anchor ${anchor.id}:${anchor.hash}: history was rewritten`,
      );
    }
    if (key) {
      if (mac !== null) {
        if (!macMatches(key, hash, mac)) {
          return fail(row.id, `row ${row.id} was rewritten: its MAC does not match under this audit key`);
        }
        sawMac = true;
      } else if (sawMac) {
        return fail(row.id, `row ${row.id} carries no MAC though rows before it do: written without the audit key`);
      } else {
        unmaced++;
      }
    }
    previous = row;
  }
  const lastId = previous?.id ?? 0;
  if (anchor && anchor.id > lastId) {
    return fail(lastId + 1, `the published anchor names row ${anchor.id} but the journal ends at row ${lastId}`);
  }
  const head = readHead(db);
  if (!head) {
    if (previous) return fail(previous.id, 'the journal head is missing from meta');
  } else {
    if (head.id > lastId) {
      const missing = head.id === lastId + 1 ? `row ${head.id} is` : `rows ${lastId + 1}-${head.id} are`;
      return fail(lastId + 1, `${missing} missing: the journal head records row ${head.id}`);
    }
    if (head.id < lastId) {
      return fail(head.id + 1, `row ${head.id + 1} was added outside the journal (the head records row ${head.id})`);
    }
    if (previous && head.hash !== previous.hash) {
      return fail(previous.id, `row ${previous.id} was rewritten: the journal head records another hash`);
    }
  }
  if (key && previous && !sawMac) {
    return fail(
      1,
      `no row carries a MAC under the audit key: rows 1-${lastId} were written without it, or rewritten ` +
        '(run `zombiescan audit-log anchor` with the key to seal rows written before it was set)',
    );
  }
  const result: JournalVerification = { ok: true, rows, authenticated: key !== null && rows > 0 };
  if (key && unmaced > 0) result.unauthenticatedPrefix = unmaced;
  return result;
}

/** True when this handle has an audit key and the last row carries no MAC under any key (nothing seals it yet). */
export function journalNeedsSeal(db: Db): boolean {
  const head = journalHead(db);
  return journalKeys.has(db) && head !== null && head.mac === null;
}

/** Intents with no result: actions a killed process may or may not have performed. Oldest first. */
export function pendingIntents(db: Db): JournalRow[] {
  return db
    .prepare<[], AuditLogRow>(
      `SELECT intent.* FROM audit_log AS intent
       WHERE intent.kind = 'intent'
         AND NOT EXISTS (SELECT 1 FROM audit_log AS result WHERE result.kind = 'result' AND result.intent_id = intent.id)
       ORDER BY intent.id`,
    )
    .all()
    .map(toJournalRow);
}

/** The latest applied ticket result carrying this label (tickets opened outside a finding: offboarding). */
export function journaledTicket(db: Db, label: string): string | null {
  const row = db
    .prepare<[string], { key: string | null }>(
      `SELECT ${jsonField(db, 'detail', 'ticketKey')} AS key FROM audit_log
       WHERE kind = 'result' AND action = 'ticket' AND status IN ('applied', 'already-done')
         AND ${jsonField(db, 'detail', 'label')} = ? AND ${jsonField(db, 'detail', 'ticketKey')} IS NOT NULL
       ORDER BY id DESC LIMIT 1`,
    )
    .get(label);
  return row?.key ?? null;
}

export function readJournal(
  db: Db,
  options: { afterId?: number; limit?: number; kind?: JournalKind; since?: string | null } = {},
): JournalRow[] {
  return db
    .prepare<Record<string, unknown>, AuditLogRow>(
      `SELECT * FROM audit_log WHERE id > @afterId AND (CAST(@kind AS TEXT) IS NULL OR kind = @kind)
       AND (CAST(@since AS TEXT) IS NULL OR at >= @since) ORDER BY id
       ${options.limit === undefined ? '' : 'LIMIT @limit'}`,
    )
    .all({
      afterId: options.afterId ?? 0,
      ...(options.limit === undefined ? {} : { limit: options.limit }),
      kind: options.kind ?? null,
      since: options.since ?? null,
    })
    .map(toJournalRow);
}

/** JSON with object keys sorted at every level and no whitespace: the same value always hashes the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

function rowHash(row: Omit<AuditLogRow, 'hash' | 'mac'>): string {
  const { prev_hash: prevHash, ...content } = row;
  return createHash('sha256')
    .update(prevHash + canonicalJson(content))
    .digest('hex');
}

function rowMac(key: Buffer, hash: string): string {
  return createHmac('sha256', key)
    .update(MAC_CONTEXT + hash)
    .digest('hex');
}

function macMatches(key: Buffer, hash: string, mac: string): boolean {
  const expected = Buffer.from(rowMac(key, hash), 'hex');
  const given = Buffer.from(mac, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function readHead(db: Db): { id: number; hash: string } | null {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(HEAD_KEY) as { value: string } | undefined;
  if (!row) return null;
  const head = JSON.parse(row.value) as { id: number; hash: string };
  return { id: Number(head.id), hash: String(head.hash) };
}

function lastRowHead(db: Db): { id: number; hash: string } | null {
  const row = db.prepare('SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1').get() as
    { id: number; hash: string } | undefined;
  return row ?? null;
}

function toJournalRow(row: AuditLogRow): JournalRow {
  return {
    id: row.id,
    at: row.at,
    kind: row.kind as JournalKind,
    intentId: row.intent_id,
    actor: row.actor,
    findingId: row.finding_id,
    personId: row.person_id,
    source: row.source,
    accountId: row.account_id,
    action: row.action,
    status: row.status,
    reason: row.reason,
    detail: JSON.parse(row.detail) as Record<string, unknown>,
    prevHash: row.prev_hash,
    hash: row.hash,
    mac: row.mac,
  };
}
