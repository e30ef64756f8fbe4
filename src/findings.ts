import type { Db } from './store/database.js';
import { rowToFinding, type FindingRow } from './store/rows.js';
import { NotFoundError, UsageError } from './errors.js';
import type { Finding, FindingStatus, Severity } from './model.js';

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
  exception: { reason: string; owner: string; expires: string } | null;
}

export interface ReconcileResult {
  opened: number;
  reopened: number;
  resolved: number;
}

const ACTIVE_STATUSES: readonly FindingStatus[] = ['open', 'acknowledged', 'suppressed'];

export function reconcileFindings(
  db: Db,
  input: {
    runId: number;
    now: Date;
    drafts: Iterable<FindingDraft>;
    /** (rule, source) pairs this scan saw completely. */
    inScope(rule: string, source: string): boolean;
    /** Sources reconciled in this scan (to load existing findings). */
    sources: readonly string[];
  },
): ReconcileResult {
  const nowIso = input.now.toISOString();
  const result: ReconcileResult = { opened: 0, reopened: 0, resolved: 0 };
  const existing = new Map<string, FindingRow>();
  const select = db.prepare<[string], FindingRow>('SELECT * FROM findings WHERE source = ?');
  for (const source of input.sources) {
    for (const row of select.iterate(source)) {
      if (input.inScope(row.rule, row.source)) existing.set(keyOf(row.rule, row.source, row.account_id), row);
    }
  }

  const insert = db.prepare(`
    INSERT INTO findings (rule, source, account_id, severity, status, person_id, login, email, display_name, message,
      evidence, first_seen, last_seen, last_run_id, status_changed_at, suppressed_until, suppress_reason,
      suppressed_by, suppression_origin)
    VALUES (@rule, @source, @accountId, @severity, @status, @personId, @login, @email, @displayName, @message,
      @evidence, @now, @now, @runId, @now, @suppressedUntil, @suppressReason, @suppressedBy, @suppressionOrigin)`);
  const update = db.prepare(`
    UPDATE findings SET severity = @severity, status = @status, person_id = @personId, login = @login, email = @email,
      display_name = @displayName, message = @message, evidence = @evidence, last_seen = @now, last_run_id = @runId,
      status_changed_at = CASE WHEN status = @status THEN status_changed_at ELSE @now END,
      suppressed_until = @suppressedUntil, suppress_reason = @suppressReason, suppressed_by = @suppressedBy,
      suppression_origin = @suppressionOrigin
    WHERE id = @id`);
  const resolve = db.prepare(
    `UPDATE findings SET status = 'resolved', status_changed_at = @now, suppressed_until = NULL,
       suppress_reason = NULL, suppressed_by = NULL, suppression_origin = NULL WHERE id = @id`,
  );
  const event = db.prepare(
    `INSERT INTO finding_events (finding_id, run_id, at, from_status, to_status, actor, reason)
     VALUES (?, ?, ?, ?, ?, 'scan', ?)`,
  );

  for (const draft of input.drafts) {
    const key = keyOf(draft.rule, draft.source, draft.accountId);
    const previous = existing.get(key);
    existing.delete(key);
    const next = nextState(previous, draft, input.now);
    const values = {
      ...draft,
      evidence: JSON.stringify(draft.evidence),
      now: nowIso,
      runId: input.runId,
      status: next.status,
      suppressedUntil: next.suppression?.until ?? null,
      suppressReason: next.suppression?.reason ?? null,
      suppressedBy: next.suppression?.by ?? null,
      suppressionOrigin: next.suppression?.origin ?? null,
    };
    if (!previous) {
      const id = Number(insert.run(values).lastInsertRowid);
      event.run(id, input.runId, nowIso, null, next.status, next.why);
      result.opened++;
    } else {
      update.run({ ...values, id: previous.id });
      if (previous.status !== next.status) {
        event.run(previous.id, input.runId, nowIso, previous.status, next.status, next.why);
        if (next.status === 'open' && (previous.status === 'resolved' || previous.status === 'remediated')) {
          result.reopened++;
        }
      }
    }
  }

  // Whatever is left was in scope and not found again: no longer true.
  for (const row of existing.values()) {
    if (!ACTIVE_STATUSES.includes(row.status as FindingStatus)) continue;
    resolve.run({ id: row.id, now: nowIso });
    event.run(row.id, input.runId, nowIso, row.status, 'resolved', 'no longer true in a complete scan');
    result.resolved++;
  }
  return result;
}

interface Suppression {
  until: string | null;
  reason: string;
  by: string;
  origin: 'manual' | 'exception';
}

function nextState(
  previous: FindingRow | undefined,
  draft: FindingDraft,
  now: Date,
): { status: FindingStatus; suppression: Suppression | null; why: string } {
  const exception: Suppression | null = draft.exception
    ? { until: draft.exception.expires, reason: draft.exception.reason, by: draft.exception.owner, origin: 'exception' }
    : null;
  if (!previous) {
    return exception
      ? { status: 'suppressed', suppression: exception, why: 'found; covered by a standing exception' }
      : { status: 'open', suppression: null, why: 'found' };
  }
  const status = previous.status as FindingStatus;
  if (status === 'resolved' || status === 'remediated') {
    return exception
      ? { status: 'suppressed', suppression: exception, why: `true again after ${status}; covered by an exception` }
      : { status: 'open', suppression: null, why: `true again after ${status}` };
  }
  if (status === 'suppressed' && previous.suppression_origin === 'manual') {
    const expired = previous.suppressed_until !== null && Date.parse(previous.suppressed_until) <= now.getTime();
    if (!expired) {
      return {
        status: 'suppressed',
        suppression: {
          until: previous.suppressed_until,
          reason: previous.suppress_reason ?? '',
          by: previous.suppressed_by ?? '',
          origin: 'manual',
        },
        why: '',
      };
    }
    return exception
      ? { status: 'suppressed', suppression: exception, why: 'suppression expired; covered by an exception' }
      : { status: 'open', suppression: null, why: `suppression expired on ${previous.suppressed_until}` };
  }
  if (exception) return { status: 'suppressed', suppression: exception, why: 'covered by a standing exception' };
  if (status === 'suppressed') {
    return { status: 'open', suppression: null, why: 'exception expired or removed' };
  }
  return { status, suppression: null, why: '' };
}

function keyOf(rule: string, source: string, accountId: string): string {
  return `${rule}\u0000${source}\u0000${accountId}`;
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
export function listFindings(db: Db, filter: FindingFilter = {}): Finding[] {
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
  const sql = `SELECT * FROM findings ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END,
      first_seen, id`;
  return db.prepare<Record<string, unknown>, FindingRow>(sql).all(params).map(rowToFinding);
}

export function getFinding(db: Db, id: number): Finding {
  const row = db.prepare<[number], FindingRow>('SELECT * FROM findings WHERE id = ?').get(id);
  if (!row) throw new NotFoundError(`no finding with id ${id} (see \`zombiescan findings --status all\`)`);
  return rowToFinding(row);
}

/** A per-finding exception with owner, reason and expiry; the next scan reopens it once `until` has passed. */
export function suppressFinding(
  db: Db,
  input: { id: number; reason: string; until: Date; by: string; now: Date },
): Finding {
  const finding = getFinding(db, input.id);
  if (finding.status === 'resolved' || finding.status === 'remediated') {
    throw new UsageError(`finding ${input.id} is ${finding.status}: nothing to suppress`);
  }
  if (input.until.getTime() <= input.now.getTime()) {
    throw new UsageError(`--until must be in the future (got ${input.until.toISOString()})`);
  }
  const nowIso = input.now.toISOString();
  db.transaction(() => {
    db.prepare(
      `UPDATE findings SET status = 'suppressed', suppressed_until = ?, suppress_reason = ?, suppressed_by = ?,
         suppression_origin = 'manual', status_changed_at = ? WHERE id = ?`,
    ).run(input.until.toISOString(), input.reason, input.by, nowIso, input.id);
    db.prepare(
      `INSERT INTO finding_events (finding_id, run_id, at, from_status, to_status, actor, reason)
       VALUES (?, NULL, ?, ?, 'suppressed', ?, ?)`,
    ).run(input.id, nowIso, finding.status, input.by, `${input.reason} (until ${input.until.toISOString()})`);
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
         suppression_origin = NULL, status_changed_at = ? WHERE id = ?`,
    ).run(nowIso, input.id);
    db.prepare(
      `INSERT INTO finding_events (finding_id, run_id, at, from_status, to_status, actor, reason)
       VALUES (?, NULL, ?, 'suppressed', 'open', ?, 'unsuppressed')`,
    ).run(input.id, nowIso, input.by);
  })();
  return getFinding(db, input.id);
}
