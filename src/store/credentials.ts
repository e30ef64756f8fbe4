import type { Account, Credential, CredentialKind, Match } from '../contract/model.js';
import type { Db } from './database.js';
import { bulkInsert } from './bulk.js';
import { arrivalOrder, jsonArrayElements, notIndexed } from './dialect.js';
import { ACCOUNT_COLUMNS, accountFromValues, accountKey, matchFromValues } from './rows.js';

/**
 * Credential snapshots (tokens, grants, keys, app secrets), with the same semantics as accounts: a scan writes each
 * source's credentials stamped with its run, and they become the source's current credentials in the same commit
 * that points the source's snapshot at that run. A failed source keeps its last complete credentials.
 */

const CREDENTIAL_COLUMNS = [
  'source',
  'run_id',
  'id',
  'kind',
  'account_id',
  'owner_account_ids',
  'name',
  'created_at',
  'last_used_at',
  'usage_known',
  'expires_at',
  'enabled',
  'scopes',
  'privileged',
  'attributes',
] as const;

/** Rows read per statement: bounded memory, and no statement open while the caller writes what it yields. */
const READ_CHUNK = 2_000;

function credentialRowValues(credential: Credential, runId: number): unknown[] {
  return [
    credential.source,
    runId,
    credential.id,
    credential.kind,
    credential.accountId,
    JSON.stringify(credential.ownerAccountIds),
    credential.name,
    credential.createdAt,
    credential.lastUsedAt,
    credential.usageKnown ? 1 : 0,
    credential.expiresAt,
    credential.enabled ? 1 : 0,
    JSON.stringify(credential.scopes),
    credential.privileged ? 1 : 0,
    JSON.stringify(credential.attributes),
  ];
}

function credentialFromValues(values: readonly unknown[]): Credential {
  return {
    source: values[0] as string,
    id: values[2] as string,
    kind: values[3] as CredentialKind,
    accountId: values[4] as string | null,
    ownerAccountIds: JSON.parse(values[5] as string) as string[],
    name: values[6] as string | null,
    createdAt: values[7] as string | null,
    lastUsedAt: values[8] as string | null,
    usageKnown: values[9] === 1,
    expiresAt: values[10] as string | null,
    enabled: values[11] === 1,
    scopes: JSON.parse(values[12] as string) as string[],
    privileged: values[13] === 1,
    attributes: JSON.parse(values[14] as string) as Record<string, unknown>,
  };
}

/** Writes a source's credentials for a run, a page per transaction (credentials are about one per ten accounts). */
export class CredentialWriter {
  private readonly writePage: (credentials: readonly Credential[]) => void;

  constructor(db: Db, runId: number) {
    // A credential a source lists twice is stored once, as last listed.
    const table = { table: 'credentials', columns: CREDENTIAL_COLUMNS, key: ['run_id', 'source', 'id'] };
    this.writePage = db.transaction((credentials: readonly Credential[]) =>
      bulkInsert(
        db,
        table,
        credentials.map((credential) => credentialRowValues(credential, runId)),
      ),
    );
  }

  add(credentials: readonly Credential[]): void {
    if (credentials.length > 0) this.writePage(credentials);
  }
}

export function countRunCredentials(db: Db, source: string, runId: number): number {
  return (
    db.prepare('SELECT count(*) AS n FROM credentials WHERE source = ? AND run_id = ?').get(source, runId) as {
      n: number;
    }
  ).n;
}

/** One owner account of a credential as the same run stored it; null account = the source no longer lists it. */
export interface StoredCredentialOwner {
  accountId: string;
  account: Account | null;
  match: Match | null;
}

/**
 * The run's credentials with their owner accounts from the same run, in stored order, a chunk per statement (no
 * statement is open between two yields, so the caller may write).
 */
export function* evaluableRunCredentials(
  db: Db,
  runId: number,
): Generator<{ credential: Credential; owners: StoredCredentialOwner[] }> {
  const order = arrivalOrder(db);
  const next = db
    .prepare<[number, number, number], unknown[]>(
      `SELECT ${CREDENTIAL_COLUMNS.join(', ')}, ${order} FROM credentials ${notIndexed(db)}
       WHERE ${order} > ? AND run_id = ? ORDER BY ${order} LIMIT ?`,
    )
    .raw(true);
  const owner = db
    .prepare<[number, string, string], unknown[]>(
      `SELECT ${ACCOUNT_COLUMNS.join(', ')} FROM accounts WHERE run_id = ? AND source = ? AND id = ?`,
    )
    .raw(true);
  let after = 0;
  for (;;) {
    const chunk = next.all(after, runId, READ_CHUNK);
    if (chunk.length === 0) return;
    after = chunk[chunk.length - 1]![CREDENTIAL_COLUMNS.length] as number;
    const credentials = chunk.map(credentialFromValues);
    const ownerIds = (credential: Credential) =>
      credential.accountId !== null ? [credential.accountId] : credential.ownerAccountIds;
    // PostgreSQL: the chunk's owners in a few statements, not a round trip per credential.
    const known =
      db.engine === 'postgres'
        ? ownerRows(
            db,
            runId,
            credentials.flatMap((c) => ownerIds(c).map((id) => [c.source, id] as const)),
          )
        : null;
    const resolved = credentials.map((credential) => {
      const ids = ownerIds(credential);
      const owners = ids.map((accountId) => {
        const row = known
          ? known.get(accountKey(credential.source, accountId))
          : owner.get(runId, credential.source, accountId);
        return row
          ? { accountId, account: accountFromValues(row), match: matchFromValues(row) }
          : { accountId, account: null, match: null };
      });
      return { credential, owners };
    });
    yield* resolved;
  }
}

/**
 * PostgreSQL only: accounts of a run by (source, id), OWNER_BATCH keys a statement, joined through the accounts key
 * index (an IN list of row values would be a scan of the whole run per statement); keyed by accountKey.
 */
function ownerRows(db: Db, runId: number, keys: readonly (readonly [string, string])[]): Map<string, unknown[]> {
  const found = new Map<string, unknown[]>();
  const unique = [...new Map(keys.map((key) => [accountKey(key[0], key[1]), key])).values()];
  const lookup = db
    .prepare(
      `SELECT ${ACCOUNT_COLUMNS.map((column) => `a.${column}`).join(', ')}
       FROM json_to_recordset(CAST(? AS json)) AS k(source text, id text)
       JOIN accounts a ON a.run_id = ? AND a.source = k.source AND a.id = k.id`,
    )
    .raw(true);
  for (let start = 0; start < unique.length; start += OWNER_BATCH) {
    const batch = unique.slice(start, start + OWNER_BATCH).map(([source, id]) => ({ source, id }));
    for (const row of lookup.all(JSON.stringify(batch), runId) as unknown[][]) {
      found.set(accountKey(row[SOURCE_AT] as string, row[ID_AT] as string), row);
    }
  }
  return found;
}

const OWNER_BATCH = 5_000;
const SOURCE_AT = ACCOUNT_COLUMNS.indexOf('source');
const ID_AT = ACCOUNT_COLUMNS.indexOf('id');

/** A current credential (latest complete snapshot of its source), as remediation reads it; null when not listed. */
export function currentCredential(db: Db, source: string, id: string): Credential | null {
  const row = db
    .prepare<[string, string], unknown[]>(
      `SELECT ${CREDENTIAL_COLUMNS.join(', ')} FROM current_credentials WHERE source = ? AND id = ?`,
    )
    .raw(true)
    .get(source, id);
  return row ? credentialFromValues(row) : null;
}

/**
 * Every current credential of a person: those owned by one of their current accounts, and app registrations whose
 * owners include one (offboarding revokes both; for an app with other current owners the plan says so).
 */
export function currentCredentialsOfPerson(db: Db, personId: string): Credential[] {
  const rows = db
    .prepare<[string, string], unknown[]>(
      `SELECT ${CREDENTIAL_COLUMNS.map((column) => `c.${column}`).join(', ')} FROM current_credentials c
       WHERE EXISTS (SELECT 1 FROM current_accounts a WHERE a.source = c.source AND a.person_id = ?
         AND a.match_method != 'service-account' AND a.id = c.account_id)
       OR EXISTS (SELECT 1 FROM current_accounts a WHERE a.source = c.source AND a.person_id = ?
         AND a.match_method != 'service-account'
         AND a.id IN (${jsonArrayElements(db, 'c.owner_account_ids')}))
       ORDER BY c.source, c.kind, c.id`,
    )
    .raw(true)
    .all(personId, personId);
  return rows.map(credentialFromValues);
}

/** How many current credentials each source holds (for reports). */
export function currentCredentialCounts(db: Db): Map<string, number> {
  const rows = db.prepare('SELECT source, count(*) AS n FROM current_credentials GROUP BY source').all() as {
    source: string;
    n: number;
  }[];
  return new Map(rows.map((row) => [row.source, row.n]));
}

/**
 * Per source whose current snapshot listed credentials: what it could not list in that run (notices; empty = every
 * kind was read). Sources that collect no credentials are absent.
 */
export function currentCredentialNotices(db: Db): Map<string, string[]> {
  const rows = db
    .prepare(
      `SELECT rs.source, rs.credential_notices FROM run_sources rs
       JOIN sources s ON s.name = rs.source AND s.snapshot_run_id = rs.run_id
       WHERE rs.credential_notices IS NOT NULL`,
    )
    .all() as { source: string; credential_notices: string }[];
  return new Map(rows.map((row) => [row.source, JSON.parse(row.credential_notices) as string[]]));
}
