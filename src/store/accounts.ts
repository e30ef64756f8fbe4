import type { Account, Match } from '../contract/model.js';
import type { Db } from './database.js';
import { bulkInsert } from './bulk.js';
import { arrivalOrder, caseInsensitiveLike, jsonArrayElements, notIndexed, outsidePrintableAscii } from './dialect.js';
import type { AccountRef } from '../contract/action.js';
import {
  ACCOUNT_COLUMNS,
  accountFromValues,
  accountRowValues,
  matchFromValues,
  rowToAccount,
  rowToMatch,
  splitAccountKey,
  type AccountRow,
} from './rows.js';

/**
 * Account snapshots. A scan writes each source's accounts stamped with its run; a source's snapshot is the run
 * `sources.snapshot_run_id` points at, so rows written by a scan stay invisible until its commit.
 */

/**
 * SQLite: account rows written per transaction, across every source being collected: about a second of the write
 * lock at most (the longest move took 0.6 s at 1M accounts, 0.8-1.2 s at 2M). Each commit writes every index page the
 * batch touched, and vendor ids arrive in random order, so a batch touches most of the run's `(run_id, source, id)`
 * index: the fewer the commits, the less of it is written again (2M accounts: 100,000-row batches wrote 986 MiB of
 * WAL, 200,000-row ones 781 MiB, 25,000-row ones 2.7 GB).
 */
const SQLITE_WRITE_BATCH = 200_000;

/** PostgreSQL: rows per COPY. They wait in the JS heap, and COPY holds no lock other writers wait for. */
const POSTGRES_WRITE_BATCH = 100_000;

/**
 * Buffers the account rows of every source being collected and writes them a batch at a time, one transaction each.
 * Sources page by 100 to 1,000 accounts: a commit per page (thousands per scan) cost more than the inserts
 * themselves. No transaction stays open while a source is being waited for.
 *
 * SQLite: rows wait in a TEMP table (this connection's own, no lock on the database) rather than in JavaScript, a few
 * hundred at a time: held in the JS heap, a batch outlived the young generation, and the old one filled with dead rows
 * (garbage collection grew faster than the organisation). They move in arrival order: sorting each batch by key cost
 * SQLite more than the ordered index inserts saved (1M accounts: moves 3.3 s sorted, 2.2 s not).
 */
export class AccountWriter {
  private pending: unknown[][] = [];
  private staged = 0;
  private readonly batchRows: number;
  /** PostgreSQL: a sorted batch, one COPY. */
  private readonly writeBatch: (rows: readonly unknown[][]) => void;
  /** SQLite: rows into the TEMP table, and from there into `accounts`. */
  private readonly staging: { stage(rows: readonly unknown[][]): void; move: { immediate(): void } } | null = null;

  constructor(
    db: Db,
    private readonly runId: number,
  ) {
    // An account a source lists twice is stored once, as last listed (PostgreSQL's sort is stable; SQLite's move keeps
    // arrival order).
    this.writeBatch = db.transaction((rows: readonly unknown[][]) => bulkInsert(db, ACCOUNTS_TABLE, rows));
    this.batchRows = db.engine === 'sqlite' ? SQLITE_WRITE_BATCH : POSTGRES_WRITE_BATCH;
    if (db.engine !== 'sqlite') return;
    const columns = ACCOUNT_COLUMNS.join(', ');
    db.exec(`DROP TABLE IF EXISTS temp.account_batch; CREATE TEMP TABLE account_batch (${columns})`);
    const insert = db.prepare(`INSERT INTO temp.account_batch VALUES (${ACCOUNT_COLUMNS.map(() => '?').join(', ')})`);
    const update = ACCOUNT_COLUMNS.filter((column) => !ACCOUNTS_TABLE.key.includes(column as never));
    const move = db.prepare(
      `INSERT INTO accounts (${columns}) SELECT ${columns} FROM temp.account_batch WHERE true ORDER BY rowid
       ON CONFLICT (run_id, source, id) DO UPDATE SET ${update.map((column) => `${column} = excluded.${column}`).join(', ')}`,
    );
    const empty = db.prepare('DELETE FROM temp.account_batch');
    this.staging = {
      stage: db.transaction((rows: readonly unknown[][]) => {
        for (const row of rows) insert.run(row);
      }),
      move: db.transaction(() => {
        move.run();
        empty.run();
      }),
    };
  }

  add(account: Account, match: Match): void {
    this.pending.push(accountRowValues(account, match, this.runId));
    if (this.staging && this.pending.length >= STAGE_ROWS) this.stageRows(this.staging);
    if (this.pending.length + this.staged >= this.batchRows) this.flush();
  }

  /** Writes what is buffered; call before reading the rows back. */
  flush(): void {
    if (this.staging) {
      this.stageRows(this.staging);
      if (this.staged > 0) this.staging.move.immediate();
      this.staged = 0;
      return;
    }
    if (this.pending.length === 0) return;
    const rows = this.pending.sort(byKey);
    this.pending = [];
    this.writeBatch(rows);
  }

  private stageRows(staging: NonNullable<AccountWriter['staging']>): void {
    if (this.pending.length === 0) return;
    staging.stage(this.pending);
    this.staged += this.pending.length;
    this.pending = [];
  }
}

/** Rows handed to the TEMP table at a time: young enough to die in the young generation. */
const STAGE_ROWS = 500;

/** (source, id): the run's key order, columns 0 and 2 of ACCOUNT_COLUMNS. */
function byKey(a: readonly unknown[], b: readonly unknown[]): number {
  const source = compare(a[0] as string, b[0] as string);
  return source !== 0 ? source : compare(a[2] as string, b[2] as string);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const ACCOUNTS_TABLE = { table: 'accounts', columns: ACCOUNT_COLUMNS, key: ['run_id', 'source', 'id'] } as const;

/** How many accounts of a source a run stored (a source listing one account twice stores it once). */
export function countRunAccounts(db: Db, source: string, runId: number): number {
  return (
    db.prepare('SELECT count(*) AS n FROM accounts WHERE source = ? AND run_id = ?').get(source, runId) as {
      n: number;
    }
  ).n;
}

/**
 * Accounts of a run to evaluate again after collection (see RunEvaluator): those named (accountKey), and every
 * account owned by one of `owners`. Read by key, and for the owners in one sequential pass (NOT INDEXED: through the
 * key index every row would be a random page read), OWNERS_READ_CHUNK rows a statement: the owners are every leaver
 * with IdP accounts, whose accounts read at once were a transient 200 MB of rows at 2M accounts.
 */
export function* runAccountsToReevaluate(
  db: Db,
  runId: number,
  wanted: { accounts: ReadonlySet<string>; owners: readonly string[] },
  chunkRows = OWNERS_READ_CHUNK,
): Generator<{ account: Account; match: Match }> {
  const byKey = db
    .prepare<[number, string, string], unknown[]>(
      `SELECT ${ACCOUNT_COLUMNS.join(', ')} FROM accounts WHERE run_id = ? AND source = ? AND id = ?`,
    )
    .raw(true);
  for (const key of wanted.accounts) {
    const [source, id] = splitAccountKey(key);
    const values = byKey.get(runId, source, id);
    if (values) yield { account: accountFromValues(values), match: matchFromValues(values) };
  }
  if (wanted.owners.length === 0) return;
  const order = arrivalOrder(db);
  const owned = db
    .prepare<[number, number, string, number], unknown[]>(
      `SELECT ${ACCOUNT_COLUMNS.join(', ')}, ${order} FROM accounts ${notIndexed(db)}
       WHERE ${order} > ? AND run_id = ? AND person_id IN (${jsonArrayElements(db, '?')}) ORDER BY ${order} LIMIT ?`,
    )
    .raw(true);
  const owners = JSON.stringify(wanted.owners);
  for (let after = 0; ;) {
    // No statement stays open between two yields: the caller writes what it is given.
    const chunk = owned.all(after, runId, owners, chunkRows);
    if (chunk.length === 0) return;
    after = chunk[chunk.length - 1]![ACCOUNT_COLUMNS.length] as number;
    for (const values of chunk) yield { account: accountFromValues(values), match: matchFromValues(values) };
  }
}

/** Large enough that the owners' list (each statement's IN set, built again) is read a few dozen times at most. */
const OWNERS_READ_CHUNK = 10_000;

/** Per person: how many accounts they have in the given snapshots, and how many of those are enabled. */
export function ownerAccountSummary(
  db: Db,
  snapshots: readonly { source: string; runId: number }[],
): Map<string, { total: number; enabled: number }> {
  const summary = new Map<string, { total: number; enabled: number }>();
  const query = db.prepare(
    `SELECT person_id, count(*) AS total, sum(enabled) AS enabled FROM accounts
     WHERE source = ? AND run_id = ? AND person_id IS NOT NULL AND match_method != 'service-account'
     GROUP BY person_id`,
  );
  for (const snapshot of snapshots) {
    for (const row of query.iterate(snapshot.source, snapshot.runId) as Iterable<{
      person_id: string;
      total: number;
      enabled: number;
    }>) {
      const entry = summary.get(row.person_id) ?? { total: 0, enabled: 0 };
      entry.total += row.total;
      entry.enabled += row.enabled;
      summary.set(row.person_id, entry);
    }
  }
  return summary;
}

/** Every source's accounts as of its latest successful collection (the `current_accounts` view), as remediation reads them. */

export interface CurrentAccount {
  ref: AccountRef;
  privileged: boolean;
  /** False when the source's roles could not be read: the account may be an admin. */
  privilegeKnown: boolean;
}

export function currentAccount(db: Db, source: string, accountId: string): CurrentAccount | null {
  const row = db
    .prepare(
      'SELECT source, id, login, email, display_name, attributes, privileged, privilege_known FROM current_accounts WHERE source = ? AND id = ?',
    )
    .get(source, accountId) as
    | {
        source: string;
        id: string;
        login: string | null;
        email: string | null;
        display_name: string | null;
        attributes: string;
        privileged: number;
        privilege_known: number;
      }
    | undefined;
  if (!row) return null;
  return {
    ref: {
      source: row.source,
      id: row.id,
      login: row.login,
      email: row.email,
      displayName: row.display_name,
      attributes: JSON.parse(row.attributes) as Record<string, unknown>,
    },
    privileged: row.privileged === 1,
    privilegeKnown: row.privilege_known === 1,
  };
}

/**
 * The current accounts (not built in) that may be one person's, by source and id: those matched to one of
 * `personIds`, and those whose email, other emails or login contain one of `emailLocalParts` (lower case). A superset
 * the caller narrows with its own rules (normalised emails): reading a million accounts into objects to find one
 * person's dozen took seconds.
 */
export function* currentAccountsOfPerson(
  db: Db,
  wanted: { personIds: readonly string[]; emailLocalParts: readonly string[] },
): Generator<{ account: Account; match: Match }> {
  const identifiers = ['email', 'login', 'emails'];
  // Case folding (LIKE on SQLite, ILIKE on PostgreSQL) is ASCII only in SQLite, and JSON escapes " and \ in `emails`:
  // identifiers outside printable ASCII are always candidates, and a local part outside it disables the text filter.
  const textFilter = wanted.emailLocalParts.every((local) => /^[\x20-\x7e]*$/.test(local) && !/["\\]/.test(local));
  const clauses = [`person_id IN (${jsonArrayElements(db, '?')})`];
  const params: unknown[] = [JSON.stringify(wanted.personIds)];
  if (!textFilter) clauses.push('1 = 1');
  else {
    clauses.push(...identifiers.map((column) => outsidePrintableAscii(db, column)));
    // LIKE's _ and % only widen the match: this is a filter before the caller's exact one.
    for (const local of wanted.emailLocalParts) {
      for (const column of identifiers) {
        clauses.push(`${column} ${caseInsensitiveLike(db)} ?`);
        params.push(`%${local}%`);
      }
    }
  }
  const rows = db
    .prepare<unknown[], AccountRow>(
      `SELECT * FROM current_accounts WHERE built_in = 0 AND (${clauses.join(' OR ')}) ORDER BY source, id`,
    )
    .iterate(...params);
  for (const row of rows) yield { account: rowToAccount(row), match: rowToMatch(row) };
}
