import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { CollectorDeps, SourceCollector } from '../contract/collector.js';
import type { Config, SourceConfig } from '../config/config.js';
import { RosterGuardError, SourceError, UsageError, ZombiescanError } from '../contract/errors.js';
import { evaluateRun, type ExceptionRule, type RuleSet } from './evaluate.js';
import { dropStagedDrafts, reconcileFindings, stageDrafts, type ReconcileResult } from './findings.js';
import type { Logger } from '../common/logger.js';
import { Redactor } from '../common/logger.js';
import { IdentityIndex } from './matching.js';
import type { Person, Severity } from '../contract/model.js';
import type { Db } from '../store/database.js';
import { ACCOUNT_COLUMNS, accountRowValues, personToRow } from '../store/rows.js';
import { processAlive } from '../store/runs.js';
import { endOfLocalDay } from '../common/time.js';

/**
 * One scan = one run: load and guard the roster, collect every selected source concurrently (each streaming pages
 * into SQLite, matched to people as they arrive), evaluate the rules over what was collected completely, and commit
 * snapshots, people and findings in one transaction. Rows written before that commit belong to this run only and
 * are invisible until it: a scan killed at any moment leaves the previous state intact.
 */

export interface SourceOutcome {
  name: string;
  type: string;
  role: 'idp' | 'app';
  status: 'complete' | 'failed';
  accounts: number;
  activityKnown: boolean | null;
  error: string | null;
  notices: string[];
  durationMs: number;
}

export interface ScanResult {
  runId: number;
  status: 'complete' | 'partial';
  startedAt: string;
  finishedAt: string;
  people: number;
  sources: SourceOutcome[];
  findings: ReconcileResult & { open: Record<Severity, number>; newThisRun: number };
}

export interface ScanProgress {
  source(name: string, accounts: number): void;
  phase(text: string): void;
}

export interface ScanOptions {
  /** Names of sources to collect; all when empty. */
  sources?: readonly string[];
  acceptRosterChange?: boolean;
  now?: () => Date;
  log: Logger;
  progress?: ScanProgress;
  /** Aborts every collection (SIGTERM in `serve`); nothing is committed then. */
  signal?: AbortSignal;
  createCollector(source: SourceConfig, deps?: CollectorDeps): SourceCollector;
  collectorDeps?: CollectorDeps;
  loadRoster(config: Config): Promise<Person[]>;
  rules: RuleSet;
  /**
   * Called as each phase ends with its wall time and the rows it handled (for `npm run bench`): roster,
   * collect:<source>, collection (all sources, concurrently), matching (CPU time spent matching accounts to people,
   * inside collection), rules, findings (the commit), prune.
   */
  onPhase?(phase: string, ms: number, rows: number): void;
}

/** Account rows written per transaction, across every source being collected. */
const ACCOUNT_WRITE_BATCH = 25_000;

/**
 * Buffers the account rows of every source being collected and writes them ACCOUNT_WRITE_BATCH at a time, one
 * transaction each. Sources page by 100 to 1,000 accounts: a commit per page (thousands per scan) cost more than the
 * inserts themselves. A batch is some tens of MB and holds the write lock for a fraction of a second; no transaction
 * stays open while a source is being waited for.
 */
class AccountWriter {
  private pending: unknown[][] = [];
  private readonly writeBatch: (rows: readonly unknown[][]) => void;

  constructor(db: Db) {
    // OR REPLACE: an account a source lists twice is stored once, as last listed.
    const insert = db.prepare(
      `INSERT OR REPLACE INTO accounts (${ACCOUNT_COLUMNS.join(', ')})
       VALUES (${ACCOUNT_COLUMNS.map(() => '?').join(', ')})`,
    );
    this.writeBatch = db.transaction((rows: readonly unknown[][]) => {
      for (const row of rows) insert.run(row);
    });
  }

  add(rows: readonly unknown[][]): void {
    for (const row of rows) this.pending.push(row);
    if (this.pending.length >= ACCOUNT_WRITE_BATCH) this.flush();
  }

  /** Writes what is buffered; call before reading the rows back. */
  flush(): void {
    if (this.pending.length === 0) return;
    const rows = this.pending;
    this.pending = [];
    this.writeBatch(rows);
  }
}

export async function runScan(db: Db, config: Config, options: ScanOptions): Promise<ScanResult> {
  const now = options.now ?? (() => new Date());
  const redactor = new Redactor(config.secrets);
  const selected = selectSources(config, options.sources ?? []);

  // Roster first: bad input or a suspicious shrink stops everything before a single row is written.
  options.progress?.phase('reading HR roster');
  const rosterStarted = performance.now();
  const people = await options.loadRoster(config);
  guardRoster(db, people.length, config.scan.maxRosterShrink, options.acceptRosterChange ?? false);
  const rosterSha = createHash('sha256').update(readFileSync(config.roster.path)).digest('hex');
  options.onPhase?.('roster', performance.now() - rosterStarted, people.length);

  const runId = beginRun(db, now(), config.roster.path, people.length, rosterSha, options.acceptRosterChange ?? false);
  try {
    return await scanRun(db, config, options, runId, people, selected, redactor, now);
  } catch (error) {
    abandonRun(db, runId);
    throw error;
  }
}

async function scanRun(
  db: Db,
  config: Config,
  options: ScanOptions,
  runId: number,
  people: Person[],
  selected: SourceConfig[],
  redactor: Redactor,
  now: () => Date,
): Promise<ScanResult> {
  const startedAt = now();
  const phase = options.onPhase ?? (() => {});
  const collectionStarted = performance.now();
  const identity = new IdentityIndex(people, config.serviceAccounts, config.identity);
  const matching = { ms: performance.now() - collectionStarted, accounts: 0 };

  const writer = new AccountWriter(db);
  const outcomes = await Promise.all(
    selected.map((source) => collectSource(db, runId, source, identity, redactor, options, now, { writer, matching })),
  );
  options.signal?.throwIfAborted();
  writer.flush();
  phase(
    'collection',
    performance.now() - collectionStarted,
    outcomes.reduce((sum, outcome) => sum + outcome.accounts, 0),
  );
  phase('matching', matching.ms, matching.accounts);

  options.progress?.phase('evaluating rules');
  const rulesStarted = performance.now();
  const complete = new Set(outcomes.filter((o) => o.status === 'complete').map((o) => o.name));
  const failedIdp = outcomes.some((o) => o.status === 'failed' && o.role === 'idp');
  const snapshotRuns = currentSnapshotRuns(db, runId, complete);
  const idpSnapshots = config.sources
    .filter((source) => source.role === 'idp' && snapshotRuns.has(source.name))
    .map((source) => ({ source: source.name, runId: snapshotRuns.get(source.name)! }));
  const ownerIdp = ownerIdpSummary(db, idpSnapshots);
  const exceptions = compileExceptions(config);
  const evaluationTime = now();
  const evaluated = selected.filter((source) => complete.has(source.name));
  const rulesUsingIdp = new Set(options.rules.rules.filter((rule) => rule.usesIdpAccounts).map((rule) => rule.id));
  const scope = {
    sources: [...complete],
    rules: options.rules.rules.map((rule) => rule.id).filter((rule) => !(failedIdp && rulesUsingIdp.has(rule))),
  };
  let drafts: number;
  let finishedAt: Date;
  let reconciled: ReconcileResult;
  let savingStarted: number;
  try {
    drafts = stageDrafts(
      db,
      evaluateRun(db, {
        runId,
        sources: evaluated,
        identity,
        ownerIdp,
        rules: options.rules,
        exceptions,
        now: evaluationTime,
      }),
      {
        source: new Map(evaluated.map((source, index) => [source.name, index])),
        rule: new Map(options.rules.rules.map((rule, index) => [rule.id, index])),
      },
    );
    phase('rules', performance.now() - rulesStarted, drafts);

    options.progress?.phase('saving');
    options.signal?.throwIfAborted();
    savingStarted = performance.now();
    finishedAt = now();
    reconciled = db.transaction(() => {
      replacePeople(db, people, runId);
      const result = reconcileFindings(db, { runId, now: evaluationTime, scope });
      const setSource = db.prepare(`
        INSERT INTO sources (name, type, role, snapshot_run_id, last_run_id, last_status, last_error)
        VALUES (@name, @type, @role, @snapshot, @runId, @status, @error)
        ON CONFLICT (name) DO UPDATE SET type = excluded.type, role = excluded.role,
          snapshot_run_id = COALESCE(excluded.snapshot_run_id, sources.snapshot_run_id),
          last_run_id = excluded.last_run_id, last_status = excluded.last_status, last_error = excluded.last_error`);
      for (const outcome of outcomes) {
        setSource.run({
          name: outcome.name,
          type: outcome.type,
          role: outcome.role,
          snapshot: outcome.status === 'complete' ? runId : null,
          runId,
          status: outcome.status,
          error: outcome.error,
        });
      }
      syncExceptions(db, config);
      const openCount = (db.prepare(`SELECT count(*) AS n FROM findings WHERE status = 'open'`).get() as { n: number })
        .n;
      db.prepare(
        `UPDATE runs SET finished_at = ?, status = ?, findings_opened = ?, findings_resolved = ?, findings_open = ?
         WHERE id = ?`,
      ).run(
        finishedAt.toISOString(),
        complete.size === selected.length ? 'complete' : 'partial',
        result.opened + result.reopened,
        result.resolved,
        openCount,
        runId,
      );
      db.prepare(
        `INSERT INTO meta (key, value) VALUES ('roster_people', ?)
        ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      ).run(String(people.length));
      return result;
    })();
  } finally {
    dropStagedDrafts(db);
  }
  phase('findings', performance.now() - savingStarted, drafts);

  const pruneStarted = performance.now();
  const pruned = pruneSnapshots(db, runId);
  phase('prune', performance.now() - pruneStarted, pruned);

  return {
    runId,
    status: complete.size === selected.length ? 'complete' : 'partial',
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    people: people.length,
    sources: outcomes,
    findings: {
      ...reconciled,
      open: openBySeverity(db),
      newThisRun: reconciled.opened + reconciled.reopened,
    },
  };
}

function selectSources(config: Config, names: readonly string[]): SourceConfig[] {
  if (config.sources.length === 0) {
    throw new UsageError(`${config.file}: no sources configured: add at least one under \`sources:\``);
  }
  if (names.length === 0) return config.sources;
  const known = new Map(config.sources.map((source) => [source.name, source]));
  return names.map((name) => {
    const source = known.get(name);
    if (!source) throw new UsageError(`--source ${name}: no such source (configured: ${[...known.keys()].join(', ')})`);
    return source;
  });
}

/** An HR export glitch must never turn everyone into an orphan. */
function guardRoster(db: Db, people: number, maxShrink: number, accepted: boolean): void {
  if (accepted) return;
  if (people === 0) {
    throw new RosterGuardError(
      'the HR roster is empty: refusing to scan (every account would look orphaned). ' +
        'If this is really intended, re-run with --accept-roster-change',
    );
  }
  const row = db.prepare(`SELECT value FROM meta WHERE key = 'roster_people'`).get() as { value: string } | undefined;
  const previous = row ? Number(row.value) : 0;
  if (previous > 0 && people < previous * (1 - maxShrink)) {
    const shrink = Math.round((1 - people / previous) * 100);
    throw new RosterGuardError(
      `the HR roster shrank by ${shrink}% (${previous} -> ${people} people), more than the ${Math.round(
        maxShrink * 100,
      )}% allowed: refusing to scan. Check the HR export; if the change is real, re-run with --accept-roster-change`,
    );
  }
}

function beginRun(
  db: Db,
  at: Date,
  rosterFile: string,
  people: number,
  rosterSha: string,
  changeAccepted: boolean,
): number {
  return db.transaction(() => {
    const running = db.prepare(`SELECT id, pid FROM runs WHERE status = 'running'`).all() as {
      id: number;
      pid: number | null;
    }[];
    for (const run of running) {
      if (run.pid !== null && run.pid !== process.pid && processAlive(run.pid)) {
        throw new UsageError(`another scan is running (run ${run.id}, pid ${run.pid}); try again when it has finished`);
      }
    }
    markInterrupted(db);
    return Number(
      db
        .prepare(
          `INSERT INTO runs (started_at, status, pid, roster_file, roster_people, roster_sha256, roster_change_accepted)
           VALUES (?, 'running', ?, ?, ?, ?, ?)`,
        )
        .run(at.toISOString(), process.pid, rosterFile, people, rosterSha, changeAccepted ? 1 : 0).lastInsertRowid,
    );
  })();
}

/** Nothing of an abandoned run (aborted, or failed while saving) is kept but its row saying so. */
function abandonRun(db: Db, runId: number): void {
  db.transaction(() => {
    db.prepare(`UPDATE runs SET status = 'interrupted', finished_at = ? WHERE id = ? AND status = 'running'`).run(
      new Date().toISOString(),
      runId,
    );
    db.prepare(`UPDATE run_sources SET status = 'interrupted' WHERE run_id = ? AND status = 'running'`).run(runId);
    // A run that never committed is no source's snapshot: its rows are garbage.
    db.prepare('DELETE FROM accounts WHERE run_id = ?').run(runId);
  })();
}

/** A run left 'running' by a process that is gone was interrupted: say so, and drop its invisible rows. */
export function markInterrupted(db: Db): void {
  const stale = db
    .prepare(`SELECT id FROM runs WHERE status = 'running' AND (pid IS NULL OR pid != ?)`)
    .all(process.pid) as { id: number }[];
  for (const { id } of stale) {
    db.prepare(`UPDATE runs SET status = 'interrupted' WHERE id = ?`).run(id);
    db.prepare(`UPDATE run_sources SET status = 'interrupted' WHERE run_id = ? AND status = 'running'`).run(id);
    db.prepare('DELETE FROM accounts WHERE run_id = ?').run(id);
  }
}

async function collectSource(
  db: Db,
  runId: number,
  source: SourceConfig,
  identity: IdentityIndex,
  redactor: Redactor,
  options: ScanOptions,
  now: () => Date,
  { writer, matching }: { writer: AccountWriter; matching: { ms: number; accounts: number } },
): Promise<SourceOutcome> {
  const started = Date.now();
  const notices: string[] = [];
  db.prepare(
    `INSERT INTO run_sources (run_id, source, type, role, status, started_at) VALUES (?, ?, ?, ?, 'running', ?)`,
  ).run(runId, source.name, source.type, source.role, now().toISOString());
  const timeout = AbortSignal.timeout(source.timeoutSeconds * 1000);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let accounts = 0;
  let activityKnown: boolean | null = null;
  let error: string | null = null;
  try {
    const collector = options.createCollector(source, options.collectorDeps);
    const context = {
      signal,
      log: options.log,
      now: now(),
      notice: (message: string) => {
        const clean = redactor.redact(message);
        if (!notices.includes(clean)) {
          notices.push(clean);
          options.log.warn(`${source.name}: ${clean}`);
        }
      },
    };
    for await (const page of collector.collect(context)) {
      signal.throwIfAborted();
      const accountsOfPage = page.map((account) =>
        account.source === source.name ? account : { ...account, source: source.name },
      );
      const matchStarted = performance.now();
      const matches = accountsOfPage.map((account) => identity.match(account));
      matching.ms += performance.now() - matchStarted;
      matching.accounts += page.length;
      const rows = accountsOfPage.map((account, index) => {
        activityKnown = (activityKnown ?? true) && account.activityKnown;
        return accountRowValues(account, matches[index]!, runId);
      });
      writer.add(rows);
      accounts += rows.length;
      options.progress?.source(source.name, accounts);
    }
    // INSERT OR REPLACE collapses an account a source listed twice: count what is stored.
    writer.flush();
    accounts = (
      db.prepare('SELECT count(*) AS n FROM accounts WHERE source = ? AND run_id = ?').get(source.name, runId) as {
        n: number;
      }
    ).n;
  } catch (caught) {
    if (options.signal?.aborted) throw caught;
    error = redactor.redact(describeFailure(caught, timeout.aborted, source));
    options.log.error(`${source.name}: collection failed: ${error}`);
  }
  const status = error === null ? 'complete' : 'failed';
  db.prepare(
    `UPDATE run_sources SET status = ?, accounts = ?, activity_known = ?, error = ?, notices = ?, finished_at = ?
     WHERE run_id = ? AND source = ?`,
  ).run(
    status,
    accounts,
    activityKnown === null ? null : activityKnown ? 1 : 0,
    error,
    JSON.stringify(notices),
    now().toISOString(),
    runId,
    source.name,
  );
  options.onPhase?.(`collect:${source.name}`, Date.now() - started, accounts);
  return {
    name: source.name,
    type: source.type,
    role: source.role,
    status,
    accounts,
    activityKnown,
    error,
    notices,
    durationMs: Date.now() - started,
  };
}

function describeFailure(error: unknown, timedOut: boolean, source: SourceConfig): string {
  if (timedOut) {
    // A collector that knows what it was waiting for (AWS: a credential report never COMPLETE) says so.
    const detail =
      error instanceof SourceError && error.kind === 'timeout'
        ? `: ${error.message.replace(new RegExp(`^${source.name}: `), '')}`
        : '';
    return `gave up after ${source.timeoutSeconds}s (timeoutSeconds)${detail}`;
  }
  if (error instanceof ZombiescanError) return error.message.replace(new RegExp(`^${source.name}: `), '');
  if (error instanceof Error) return error.message;
  return String(error);
}

/** Which run's rows are each source's snapshot for this evaluation: this run where it completed, else the last. */
function currentSnapshotRuns(db: Db, runId: number, complete: ReadonlySet<string>): Map<string, number> {
  const result = new Map<string, number>();
  const rows = db.prepare('SELECT name, snapshot_run_id FROM sources WHERE snapshot_run_id IS NOT NULL').all() as {
    name: string;
    snapshot_run_id: number;
  }[];
  for (const row of rows) result.set(row.name, row.snapshot_run_id);
  for (const name of complete) result.set(name, runId);
  return result;
}

/** Per person: how many accounts they have in idp sources, and how many of those are enabled. */
function ownerIdpSummary(
  db: Db,
  snapshots: { source: string; runId: number }[],
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

function compileExceptions(config: Config): ExceptionRule[] {
  return config.exceptions.map((entry) => ({
    ...entry,
    expiresAt: endOfLocalDay(entry.expires, config.timezone),
  }));
}

function syncExceptions(db: Db, config: Config): void {
  db.prepare('DELETE FROM exceptions').run();
  const insert = db.prepare(
    'INSERT INTO exceptions (source, login, reason, owner, expires, rules) VALUES (?, ?, ?, ?, ?, ?)',
  );
  for (const entry of config.exceptions) {
    insert.run(
      entry.source,
      entry.login,
      entry.reason,
      entry.owner,
      entry.expires,
      JSON.stringify(entry.rules ?? null),
    );
  }
}

function replacePeople(db: Db, people: readonly Person[], runId: number): void {
  db.prepare('DELETE FROM people').run();
  const insert = db.prepare(`INSERT INTO people (employee_id, email, name, status, worker_type, hire_date,
    termination_date, termination_effective_at, manager_id, department, aliases, run_id)
    VALUES (@employee_id, @email, @name, @status, @worker_type, @hire_date, @termination_date,
    @termination_effective_at, @manager_id, @department, @aliases, @run_id)`);
  for (const person of people) insert.run(personToRow(person, runId));
}

/** Snapshots no source points at any more are garbage; removed after the commit so the scan stays atomic. */
function pruneSnapshots(db: Db, runId: number): number {
  const stale = db
    .prepare(
      `DELETE FROM accounts WHERE run_id < ? AND NOT EXISTS (
       SELECT 1 FROM sources WHERE sources.name = accounts.source AND sources.snapshot_run_id = accounts.run_id)`,
    )
    .run(runId).changes;
  const failed = db
    .prepare(
      `DELETE FROM accounts WHERE run_id = ? AND source IN (
      SELECT source FROM run_sources WHERE run_id = ? AND status = 'failed')`,
    )
    .run(runId, runId).changes;
  return stale + failed;
}

export function openBySeverity(db: Db): Record<Severity, number> {
  const counts: Record<Severity, number> = { critical: 0, high: 0, medium: 0, low: 0 };
  const rows = db
    .prepare(`SELECT severity, count(*) AS n FROM findings WHERE status = 'open' GROUP BY severity`)
    .all() as {
    severity: Severity;
    n: number;
  }[];
  for (const row of rows) counts[row.severity] = row.n;
  return counts;
}
