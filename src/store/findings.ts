import type { ReconcileResult } from '../contract/run.js';
import type { Db } from './database.js';
import { bulkInsert } from './bulk.js';
import { rowToFinding, type FindingRow } from './rows.js';
import { NotFoundError, UsageError } from '../contract/errors.js';
import {
  describeTypedTime,
  type CredentialSummary,
  type Finding,
  type FindingStatus,
  type Severity,
  type TypedTime,
} from '../contract/model.js';
import { SIGN_IN_AFTER_TERMINATION_RULE } from '../contract/finding-facts.js';
import { jsonFieldIsTrue } from './dialect.js';

/**
 * The findings lifecycle. A finding is keyed by (rule, source, account id) and keeps its id, firstSeen and history
 * across scans. Only the scope a scan could see completely is reconciled: findings of a failed source are neither
 * opened nor resolved.
 */

/** What rule evaluation produced for one account in this scan. */
export interface FindingDraft {
  rule: string;
  source: string;
  accountId: string;
  severity: Severity;
  personId: string | null;
  login: string | null;
  email: string | null;
  displayName: string | null;
  message: string;
  evidence: Record<string, unknown>;
  /** Set when a standing exception (config) covers the account: the finding is kept, suppressed. */
  exception: { reason: string; owner: string; expires: string; expiresAsTyped?: TypedTime | null } | null;
  /**
   * A credential finding: keyed by (rule, source, credential id), so `accountId` must then be the credential id;
   * the owner account goes in `ownerAccountId` (null when ownerless).
   */
  credential?: { id: string; ownerAccountId: string | null; summary: CredentialSummary } | null;
}

/** What a scan saw completely: only findings of these sources and rules are opened, updated or resolved. */
export interface ReconcileScope {
  sources: readonly string[];
  rules: readonly string[];
}

const ACTIVE_STATUSES: readonly FindingStatus[] = ['open', 'acknowledged', 'suppressed'];
/**
 * Staged drafts read back per statement: bounded memory, no statement left open while decisions are written, and on
 * PostgreSQL few round trips (100,000 changed findings: ten reads, ten COPYs and three set-based statements).
 */
const RECONCILE_CHUNK = 10_000;

/** What reconcileFindings decided for one in-scope draft: staged, then applied by three set-based statements. */
const DECISIONS_TABLE = {
  table: 'finding_decisions',
  columns: [
    'decision_order',
    'previous_id',
    'previous_status',
    'event',
    'why',
    'rule',
    'source',
    'account_id',
    'severity',
    'status',
    'person_id',
    'login',
    'email',
    'display_name',
    'message',
    'evidence',
    'suppressed_until',
    'suppress_reason',
    'suppressed_by',
    'suppression_origin',
    'suppressed_until_typed',
    'suppressed_until_zone',
    'credential_id',
    'owner_account_id',
    'credential',
  ],
  key: ['decision_order'],
} as const;

const DECISIONS_DDL = `
  CREATE TEMP TABLE finding_decisions (
    decision_order INTEGER NOT NULL UNIQUE,
    previous_id BIGINT,
    previous_status TEXT,
    event INTEGER NOT NULL,
    why TEXT NOT NULL,
    rule TEXT NOT NULL,
    source TEXT NOT NULL,
    account_id TEXT NOT NULL,
    severity TEXT NOT NULL,
    status TEXT NOT NULL,
    person_id TEXT,
    login TEXT,
    email TEXT,
    display_name TEXT,
    message TEXT NOT NULL,
    evidence TEXT NOT NULL,
    suppressed_until TEXT,
    suppress_reason TEXT,
    suppressed_by TEXT,
    suppression_origin TEXT,
    suppressed_until_typed TEXT,
    suppressed_until_zone TEXT,
    credential_id TEXT,
    owner_account_id TEXT,
    credential TEXT
  )`;

function dropDecisions(db: Db): void {
  db.exec('DROP TABLE IF EXISTS finding_decisions');
}

/**
 * Stages a scan's drafts in a temporary table as rule evaluation produces them, so a scan never holds them in memory
 * however many accounts fire (a messy organisation can have hundreds of thousands). `order` numbers each draft's
 * source and rule: findings are numbered in (source, account id, rule) order, whatever order they were found in.
 * The temp database is the connection's own: staging takes no lock on the scan database.
 */
export function stageDrafts(
  db: Db,
  drafts: Iterable<FindingDraft>,
  order: { source: ReadonlyMap<string, number>; rule: ReadonlyMap<string, number> },
): number {
  dropStagedDrafts(db);
  db.exec(`
    CREATE TEMP TABLE finding_drafts (
      source_order INTEGER NOT NULL,
      rule_order INTEGER NOT NULL,
      rule TEXT NOT NULL,
      source TEXT NOT NULL,
      account_id TEXT NOT NULL,
      severity TEXT NOT NULL,
      person_id TEXT,
      login TEXT,
      email TEXT,
      display_name TEXT,
      message TEXT NOT NULL,
      evidence TEXT NOT NULL,
      exception_reason TEXT,
      exception_owner TEXT,
      exception_expires TEXT,
      exception_expires_typed TEXT,
      exception_expires_zone TEXT,
      credential_id TEXT,
      owner_account_id TEXT,
      credential TEXT,
      UNIQUE (rule, source, account_id)
    );
    CREATE INDEX finding_drafts_order ON finding_drafts (source_order, account_id, rule_order);`);
  // The same draft twice (a rule firing twice for an account) is staged once, as produced last.
  const write = db.transaction((rows: readonly unknown[][]) => bulkInsert(db, DRAFTS_TABLE, rows));
  let batch: unknown[][] = [];
  let count = 0;
  for (const { credential, ...draft } of drafts) {
    batch.push([
      order.source.get(draft.source) ?? 0,
      order.rule.get(draft.rule) ?? 0,
      draft.rule,
      draft.source,
      draft.accountId,
      draft.severity,
      draft.personId,
      draft.login,
      draft.email,
      draft.displayName,
      draft.message,
      JSON.stringify(draft.evidence),
      draft.exception?.reason ?? null,
      draft.exception?.owner ?? null,
      draft.exception?.expires ?? null,
      draft.exception?.expiresAsTyped?.value ?? null,
      draft.exception?.expiresAsTyped?.timezone ?? null,
      credential?.id ?? null,
      credential?.ownerAccountId ?? null,
      credential ? JSON.stringify(credential.summary) : null,
    ]);
    count++;
    if (batch.length >= STAGE_BATCH) {
      write(batch);
      batch = [];
    }
  }
  write(batch);
  return count;
}

/** Drafts written per transaction while rules are evaluated. */
const STAGE_BATCH = 5_000;

const DRAFTS_TABLE = {
  table: 'finding_drafts',
  columns: [
    'source_order',
    'rule_order',
    'rule',
    'source',
    'account_id',
    'severity',
    'person_id',
    'login',
    'email',
    'display_name',
    'message',
    'evidence',
    'exception_reason',
    'exception_owner',
    'exception_expires',
    'exception_expires_typed',
    'exception_expires_zone',
    'credential_id',
    'owner_account_id',
    'credential',
  ],
  key: ['rule', 'source', 'account_id'],
} as const;

export function dropStagedDrafts(db: Db): void {
  // Unqualified: the connection's temporary table comes first in both engines' name lookup.
  db.exec('DROP TABLE IF EXISTS finding_drafts');
}

/** A staged draft with the finding it continues, if any. */
interface StagedDraftRow {
  source_order: number;
  rule_order: number;
  rule: string;
  source: string;
  account_id: string;
  severity: string;
  person_id: string | null;
  login: string | null;
  email: string | null;
  display_name: string | null;
  message: string;
  evidence: string;
  exception_reason: string | null;
  exception_owner: string | null;
  exception_expires: string | null;
  exception_expires_typed: string | null;
  exception_expires_zone: string | null;
  credential_id: string | null;
  owner_account_id: string | null;
  credential: string | null;
  previous_id: number | null;
  previous_status: FindingStatus | null;
  previous_origin: 'manual' | 'exception' | null;
  previous_until: string | null;
  previous_reason: string | null;
  previous_by: string | null;
  previous_typed: string | null;
  previous_zone: string | null;
}

/**
 * Applies the staged drafts (stageDrafts) to the findings: new ones open (or start suppressed under a standing
 * exception), known ones are updated and change status where they must, and the findings in scope that were not
 * found again are resolved. Drafts out of scope (a rule that reads idp accounts while an idp source failed) change
 * nothing: a finding is neither opened nor resolved from partial data. Runs inside the scan's commit transaction
 * (commitScan): the staging below relies on it.
 */
export function reconcileFindings(db: Db, input: { runId: number; now: Date; scope: ReconcileScope }): ReconcileResult {
  const nowIso = input.now.toISOString();
  const result: ReconcileResult = { opened: 0, openedSuppressed: 0, reopened: 0, resolved: 0 };
  const sources = new Set(input.scope.sources);
  const rules = new Set(input.scope.rules);

  const nextChunk = db.prepare<[number, string, number, number], StagedDraftRow>(`
    SELECT d.*, f.id AS previous_id, f.status AS previous_status, f.suppression_origin AS previous_origin,
      f.suppressed_until AS previous_until, f.suppress_reason AS previous_reason, f.suppressed_by AS previous_by,
      f.suppressed_until_typed AS previous_typed, f.suppressed_until_zone AS previous_zone
    FROM finding_drafts d
    LEFT JOIN findings f ON f.rule = d.rule AND f.source = d.source AND f.account_id = d.account_id
    WHERE (d.source_order, d.account_id, d.rule_order) > (?, ?, ?)
    ORDER BY d.source_order, d.account_id, d.rule_order
    LIMIT ?`);

  // Decided here, written set-based below: a few statements per scan, not a round trip per changed finding.
  dropDecisions(db);
  db.exec(DECISIONS_DDL);
  let order = 0;
  let after: [number, string, number] = [-1, '', -1];
  for (;;) {
    const chunk = nextChunk.all(...after, RECONCILE_CHUNK);
    if (chunk.length === 0) break;
    const last = chunk[chunk.length - 1]!;
    after = [last.source_order, last.account_id, last.rule_order];
    const decisions: unknown[][] = [];
    for (const draft of chunk) {
      if (!sources.has(draft.source) || !rules.has(draft.rule)) continue;
      const previous: PreviousFinding | null =
        draft.previous_id === null
          ? null
          : {
              status: draft.previous_status!,
              origin: draft.previous_origin,
              until: draft.previous_until,
              reason: draft.previous_reason,
              by: draft.previous_by,
              typed:
                draft.previous_typed === null
                  ? null
                  : { value: draft.previous_typed, timezone: draft.previous_zone ?? 'UTC' },
            };
      const exception =
        draft.exception_reason === null
          ? null
          : {
              reason: draft.exception_reason,
              owner: draft.exception_owner!,
              expires: draft.exception_expires!,
              expiresAsTyped:
                draft.exception_expires_typed === null
                  ? null
                  : { value: draft.exception_expires_typed, timezone: draft.exception_expires_zone ?? 'UTC' },
            };
      const next = nextState(previous, exception, input.now);
      // A new finding always gets its first event; a known one only when its status changes.
      const event = previous === null || previous.status !== next.status;
      decisions.push([
        order++,
        draft.previous_id,
        previous?.status ?? null,
        event ? 1 : 0,
        next.why,
        draft.rule,
        draft.source,
        draft.account_id,
        draft.severity,
        next.status,
        draft.person_id,
        draft.login,
        draft.email,
        draft.display_name,
        draft.message,
        draft.evidence,
        next.suppression?.until ?? null,
        next.suppression?.reason ?? null,
        next.suppression?.by ?? null,
        next.suppression?.origin ?? null,
        next.suppression?.typed?.value ?? null,
        next.suppression?.typed?.timezone ?? null,
        draft.credential_id,
        draft.owner_account_id,
        draft.credential,
      ]);
      if (previous === null) {
        result.opened++;
        if (next.status === 'suppressed') result.openedSuppressed++;
      } else if (
        next.status === 'open' &&
        previous.status !== next.status &&
        (previous.status === 'resolved' || previous.status === 'remediated')
      ) {
        result.reopened++;
      }
    }
    bulkInsert(db, DECISIONS_TABLE, decisions);
  }
  // The planner has no statistics for a fresh temporary table: without them it may loop over 100,000 decisions.
  if (db.engine === 'postgres') db.exec('ANALYZE finding_decisions');

  const times = { now: nowIso, runId: input.runId };
  // New findings are numbered in draft order, as one INSERT per draft would have numbered them.
  db.prepare(
    `INSERT INTO findings (rule, source, account_id, severity, status, person_id, login, email, display_name, message,
      evidence, first_seen, last_seen, last_run_id, status_changed_at, suppressed_until, suppress_reason,
      suppressed_by, suppression_origin, suppressed_until_typed, suppressed_until_zone, credential_id,
      owner_account_id, credential)
     SELECT rule, source, account_id, severity, status, person_id, login, email, display_name, message, evidence,
       @now, @now, CAST(@runId AS BIGINT), @now, suppressed_until, suppress_reason, suppressed_by, suppression_origin,
       suppressed_until_typed, suppressed_until_zone, credential_id, owner_account_id, credential
     FROM finding_decisions WHERE previous_id IS NULL
     ORDER BY decision_order`,
  ).run(times);
  db.prepare(
    `UPDATE findings SET severity = d.severity, status = d.status, person_id = d.person_id, login = d.login,
       email = d.email, display_name = d.display_name, message = d.message, evidence = d.evidence, last_seen = @now,
       last_run_id = CAST(@runId AS BIGINT),
       status_changed_at = CASE WHEN findings.status = d.status THEN findings.status_changed_at ELSE @now END,
       suppressed_until = d.suppressed_until, suppress_reason = d.suppress_reason, suppressed_by = d.suppressed_by,
       suppression_origin = d.suppression_origin, suppressed_until_typed = d.suppressed_until_typed,
       suppressed_until_zone = d.suppressed_until_zone, credential_id = d.credential_id,
       owner_account_id = d.owner_account_id, credential = d.credential
     FROM finding_decisions d
     WHERE d.previous_id IS NOT NULL AND findings.id = d.previous_id`,
  ).run(times);
  // Events in draft order, each finding's by its key (new findings have their ids only now).
  db.prepare(
    `INSERT INTO finding_events (finding_id, run_id, at, from_status, to_status, actor, reason)
     SELECT f.id, CAST(@runId AS BIGINT), @now, d.previous_status, d.status, 'scan', d.why
     FROM finding_decisions d
     JOIN findings f ON f.rule = d.rule AND f.source = d.source AND f.account_id = d.account_id
     WHERE d.event = 1
     ORDER BY d.decision_order`,
  ).run(times);
  dropDecisions(db);

  // An empty scope matches nothing (IN () is not SQL).
  const sourceSlots = input.scope.sources.map((_, index) => `@s${index}`).join(', ') || 'NULL';
  const ruleSlots = input.scope.rules.map((_, index) => `@r${index}`).join(', ') || 'NULL';
  // Resolved in the scope's source order, then by id (a bare 0 would be read as a column number).
  const sourceOrder = input.scope.sources.length
    ? `CASE f.source ${input.scope.sources.map((_, index) => `WHEN @s${index} THEN ${index}`).join(' ')} END, `
    : '';
  // In scope, still active, and not found again: no longer true.
  const notFoundAgain = `
    FROM findings f
    WHERE f.status IN (${ACTIVE_STATUSES.map((status) => `'${status}'`).join(', ')})
      AND f.source IN (${sourceSlots}) AND f.rule IN (${ruleSlots})
      AND NOT EXISTS (SELECT 1 FROM finding_drafts d
        WHERE d.rule = f.rule AND d.source = f.source AND d.account_id = f.account_id)`;
  // One named value per source and rule (no JSON table function: the two engines spell it differently).
  const scope: Record<string, string> = {};
  input.scope.sources.forEach((source, index) => (scope[`s${index}`] = source));
  input.scope.rules.forEach((rule, index) => (scope[`r${index}`] = rule));
  db.prepare(
    `INSERT INTO finding_events (finding_id, run_id, at, from_status, to_status, actor, reason)
     SELECT f.id, CAST(@runId AS BIGINT), @now, f.status, 'resolved', 'scan', 'no longer true in a complete scan'
     ${notFoundAgain}
     ORDER BY ${sourceOrder}f.id`,
  ).run({ ...scope, runId: input.runId, now: nowIso });
  result.resolved = db
    .prepare(
      `UPDATE findings SET status = 'resolved', status_changed_at = @now, suppressed_until = NULL,
         suppress_reason = NULL, suppressed_by = NULL, suppression_origin = NULL, suppressed_until_typed = NULL,
         suppressed_until_zone = NULL
       WHERE id IN (SELECT f.id ${notFoundAgain})`,
    )
    .run({ ...scope, now: nowIso }).changes;
  return result;
}

interface PreviousFinding {
  status: FindingStatus;
  origin: 'manual' | 'exception' | null;
  until: string | null;
  reason: string | null;
  by: string | null;
  typed: TypedTime | null;
}

interface Suppression {
  until: string | null;
  reason: string;
  by: string;
  origin: 'manual' | 'exception';
  typed: TypedTime | null;
}

function nextState(
  previous: PreviousFinding | null,
  standing: { reason: string; owner: string; expires: string; expiresAsTyped?: TypedTime | null } | null,
  now: Date,
): { status: FindingStatus; suppression: Suppression | null; why: string } {
  const exception: Suppression | null = standing
    ? {
        until: standing.expires,
        reason: standing.reason,
        by: standing.owner,
        origin: 'exception',
        typed: standing.expiresAsTyped ?? null,
      }
    : null;
  if (!previous) {
    return exception
      ? { status: 'suppressed', suppression: exception, why: 'found; covered by a standing exception' }
      : { status: 'open', suppression: null, why: 'found' };
  }
  const status = previous.status;
  if (status === 'resolved' || status === 'remediated') {
    return exception
      ? { status: 'suppressed', suppression: exception, why: `true again after ${status}; covered by an exception` }
      : { status: 'open', suppression: null, why: `true again after ${status}` };
  }
  if (status === 'suppressed' && previous.origin === 'manual') {
    const expired = previous.until !== null && Date.parse(previous.until) <= now.getTime();
    if (!expired) {
      return {
        status: 'suppressed',
        suppression: {
          until: previous.until,
          reason: previous.reason ?? '',
          by: previous.by ?? '',
          origin: 'manual',
          typed: previous.typed,
        },
        why: '',
      };
    }
    return exception
      ? { status: 'suppressed', suppression: exception, why: 'suppression expired; covered by an exception' }
      : {
          status: 'open',
          suppression: null,
          why: `suppression expired (until ${describeTypedTime(previous.typed, previous.until)})`,
        };
  }
  if (exception) return { status: 'suppressed', suppression: exception, why: 'covered by a standing exception' };
  if (status === 'suppressed') {
    return { status: 'open', suppression: null, why: 'exception expired or removed' };
  }
  return { status, suppression: null, why: '' };
}

export interface FindingFilter {
  status?: FindingStatus | 'all';
  rule?: string;
  severity?: Severity;
  source?: string;
  person?: string;
  ids?: number[];
}

/** Most severe first, then oldest first. */
const FINDING_ORDER = `CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END,
  first_seen, id`;

/** In SQL, usedAfterTermination() of contract/finding-facts.ts: the two must agree. */
function usedAfterTerminationSql(db: Db): string {
  return `(rule = '${SIGN_IN_AFTER_TERMINATION_RULE}' OR ${jsonFieldIsTrue(db, 'evidence', 'usedAfterTermination')})`;
}

/**
 * The first `limit` open findings of one severity as a scan summary names them: those used after the owner's
 * termination first, then most severe and oldest. Only those are read: a large organisation's first scan opens tens
 * of thousands (the summary counts the rest with openBySeverity).
 */
export function firstOpenFindings(db: Db, severity: Severity, limit: number): Finding[] {
  return db
    .prepare<[Severity, number], FindingRow>(
      `SELECT * FROM findings WHERE status = 'open' AND severity = ?
       ORDER BY CASE WHEN ${usedAfterTerminationSql(db)} THEN 0 ELSE 1 END, ${FINDING_ORDER} LIMIT ?`,
    )
    .all(severity, limit)
    .map(rowToFinding);
}

/** Open and acknowledged findings whose account was used after the owner's termination (see usedAfterTermination). */
export function findingsUsedAfterTermination(db: Db): Finding[] {
  return db
    .prepare<[], FindingRow>(
      `SELECT * FROM findings WHERE status IN ('open', 'acknowledged') AND ${usedAfterTerminationSql(db)}
       ORDER BY ${FINDING_ORDER}`,
    )
    .all()
    .map(rowToFinding);
}

export function listFindings(db: Db, filter: FindingFilter = {}): Finding[] {
  const { sql, params } = findingsQuery(filter);
  return db.prepare<Record<string, unknown>, FindingRow>(sql).all(params).map(rowToFinding);
}

/**
 * listFindings one at a time, for an export written as it is read (see findingsCsvChunks). The statement stays open
 * until the last one: nothing else may use the database in between.
 */
export function* eachFinding(db: Db, filter: FindingFilter = {}): Generator<Finding> {
  const { sql, params } = findingsQuery(filter);
  for (const row of db.prepare<Record<string, unknown>, FindingRow>(sql).iterate(params)) yield rowToFinding(row);
}

function findingsQuery(filter: FindingFilter): { sql: string; params: Record<string, unknown> } {
  const where: string[] = [];
  const params: Record<string, unknown> = {};
  const status = filter.status ?? 'open';
  if (status !== 'all') {
    where.push('status = @status');
    params.status = status;
  }
  if (filter.rule) {
    where.push('rule = @rule');
    params.rule = filter.rule;
  }
  if (filter.severity) {
    where.push('severity = @severity');
    params.severity = filter.severity;
  }
  if (filter.source) {
    where.push('source = @source');
    params.source = filter.source;
  }
  if (filter.person) {
    where.push('(person_id = @person OR lower(email) = lower(@person))');
    params.person = filter.person;
  }
  if (filter.ids && filter.ids.length > 0) {
    where.push(`id IN (${filter.ids.map((id) => Number(id)).join(', ')})`);
  }
  const sql = `SELECT * FROM findings ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${FINDING_ORDER}`;
  return { sql, params };
}

export function getFinding(db: Db, id: number): Finding {
  const row = db.prepare<[number], FindingRow>('SELECT * FROM findings WHERE id = ?').get(id);
  if (!row) throw new NotFoundError(`no finding with id ${id} (see \`zombiescan findings --status all\`)`);
  return rowToFinding(row);
}

/** A per-finding exception with owner, reason and expiry; the next scan reopens it once `until` has passed. */
export function suppressFinding(
  db: Db,
  input: { id: number; reason: string; until: Date; untilAsTyped?: TypedTime | null; by: string; now: Date },
): Finding {
  const finding = getFinding(db, input.id);
  if (finding.status === 'resolved' || finding.status === 'remediated') {
    throw new UsageError(`finding ${input.id} is ${finding.status}: nothing to suppress`);
  }
  if (input.until.getTime() <= input.now.getTime()) {
    throw new UsageError(`--until must be in the future (got ${input.until.toISOString()})`);
  }
  const nowIso = input.now.toISOString();
  const untilIso = input.until.toISOString();
  const typed = input.untilAsTyped ?? null;
  db.transaction(() => {
    db.prepare(
      `UPDATE findings SET status = 'suppressed', suppressed_until = ?, suppress_reason = ?, suppressed_by = ?,
         suppression_origin = 'manual', suppressed_until_typed = ?, suppressed_until_zone = ?, status_changed_at = ?
       WHERE id = ?`,
    ).run(untilIso, input.reason, input.by, typed?.value ?? null, typed?.timezone ?? null, nowIso, input.id);
    db.prepare(
      `INSERT INTO finding_events (finding_id, run_id, at, from_status, to_status, actor, reason)
       VALUES (?, NULL, ?, ?, 'suppressed', ?, ?)`,
    ).run(input.id, nowIso, finding.status, input.by, `${input.reason} (until ${describeTypedTime(typed, untilIso)})`);
  })();
  return getFinding(db, input.id);
}

export function unsuppressFinding(db: Db, input: { id: number; by: string; now: Date }): Finding {
  const finding = getFinding(db, input.id);
  if (finding.status !== 'suppressed') throw new UsageError(`finding ${input.id} is ${finding.status}, not suppressed`);
  const nowIso = input.now.toISOString();
  db.transaction(() => {
    db.prepare(
      `UPDATE findings SET status = 'open', suppressed_until = NULL, suppress_reason = NULL, suppressed_by = NULL,
         suppression_origin = NULL, suppressed_until_typed = NULL, suppressed_until_zone = NULL, status_changed_at = ?
       WHERE id = ?`,
    ).run(nowIso, input.id);
    db.prepare(
      `INSERT INTO finding_events (finding_id, run_id, at, from_status, to_status, actor, reason)
       VALUES (?, NULL, ?, 'suppressed', 'open', ?, 'unsuppressed')`,
    ).run(input.id, nowIso, input.by);
  })();
  return getFinding(db, input.id);
}

export function countOpenFindings(db: Db): number {
  return (db.prepare(`SELECT count(*) AS n FROM findings WHERE status = 'open'`).get() as { n: number }).n;
}

export function openBySeverity(db: Db): Record<Severity, number> {
  const counts: Record<Severity, number> = { critical: 0, high: 0, medium: 0, low: 0 };
  const rows = db
    .prepare(`SELECT severity, count(*) AS n FROM findings WHERE status = 'open' GROUP BY severity`)
    .all() as { severity: Severity; n: number }[];
  for (const row of rows) counts[row.severity] = row.n;
  return counts;
}
