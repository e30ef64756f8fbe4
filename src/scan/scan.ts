import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { CollectorDeps, SourceCollector } from '../contract/collector.js';
import type { Config, SourceConfig } from '../config/config.js';
import { RosterGuardError, SourceError, UsageError, ZombiescanError } from '../contract/errors.js';
import { RunEvaluator, type ExceptionRule, type RuleSet } from './evaluate.js';
import { accountsDisabledByZombiescan } from '../store/account-history.js';
import { AccountWriter, countRunAccounts, ownerAccountSummary } from '../store/accounts.js';
import type { ReconcileResult, ScanResult, SourceOutcome } from '../contract/run.js';
import { dropStagedDrafts, openBySeverity, stageDrafts } from '../store/findings.js';
import { acceptedRosterSize } from '../store/people.js';
import { abandonRun, beginRun, beginSourceCollection, finishSourceCollection, renewRunLease } from '../store/runs.js';
import { commitScan } from '../store/scan-commit.js';
import { countRunCredentials, CredentialWriter } from '../store/credentials.js';
import { endDatePassed, terminationInEffect } from '../contract/people.js';
import { pruneSnapshotRows, snapshotRuns } from '../store/sources.js';
import type { Logger } from '../common/logger.js';
import { Redactor } from '../common/logger.js';
import { IdentityIndex } from './matching.js';
import type { Account, Match, Person } from '../contract/model.js';
import { enterSnapshotWriteMode, type Db } from '../store/database.js';
import { endOfLocalDay } from '../common/time.js';
import { readSignInsDuringScan } from './sign-ins.js';
import { forEachPage } from '../common/pages.js';
import type { SignInRead } from '../store/sign-ins.js';

/**
 * One scan = one run: load and guard the roster, collect every selected source concurrently (each streaming pages
 * into SQLite, matched to people as they arrive), evaluate the rules over what was collected completely, and commit
 * snapshots, people and findings in one transaction. Rows written before that commit belong to this run only and
 * are invisible until it: a scan killed at any moment leaves the previous state intact.
 */

export interface ScanProgress {
  source(name: string, accounts: number): void;
  phase(text: string): void;
}

export interface ScanOptions {
  /** Names of sources to collect; all when empty. */
  sources?: readonly string[];
  acceptRosterChange?: boolean;
  /**
   * An empty roster resolves nothing but makes every account an orphan (and a later scan would then resolve every
   * finding): it needs its own explicit flag, never the shrink override.
   */
  acceptEmptyRoster?: boolean;
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

export async function runScan(db: Db, config: Config, options: ScanOptions): Promise<ScanResult> {
  const now = options.now ?? (() => new Date());
  const redactor = new Redactor(config.secrets);
  const selected = selectSources(config, options.sources ?? []);

  // Roster first: bad input or a suspicious shrink stops everything before a single row is written.
  options.progress?.phase('reading HR roster');
  const rosterStarted = performance.now();
  const people = await options.loadRoster(config);
  guardRoster(db, people.length, config.scan.maxRosterShrink, {
    change: options.acceptRosterChange ?? false,
    empty: options.acceptEmptyRoster ?? false,
  });
  // Sources' own input files (mapping CSVs) are checked as strictly as the roster, before anything is written.
  for (const source of selected) {
    await options.createCollector(source, options.collectorDeps).validateInput?.();
  }
  // A report URL is fetched inside loadRoster; its rows stand in for the file's bytes.
  const rosterSha = createHash('sha256')
    .update(config.roster.path !== undefined ? readFileSync(config.roster.path) : JSON.stringify(people))
    .digest('hex');
  options.onPhase?.('roster', performance.now() - rosterStarted, people.length);

  const runId = beginRun(db, {
    at: now(),
    rosterFile: config.roster.path ?? rosterUrlShown(config.roster.url!),
    people: people.length,
    rosterSha256: rosterSha,
    rosterChangeAccepted: (options.acceptRosterChange ?? false) || (options.acceptEmptyRoster ?? false),
    sources: selected.map((source) => source.name),
  });
  // The run's lease says "still scanning" to other processes and hosts; renewed well within SCAN_LEASE_MS.
  const heartbeat = setInterval(() => {
    try {
      renewRunLease(db, runId);
    } catch {
      // A busy database misses one beat; the lease outlasts several.
    }
  }, SCAN_HEARTBEAT_MS);
  heartbeat.unref();
  const snapshotWriteMode = enterSnapshotWriteMode(db);
  try {
    return await scanRun(db, config, options, runId, people, selected, redactor, now, snapshotWriteMode);
  } catch (error) {
    abandonRun(db, runId);
    throw error;
  } finally {
    clearInterval(heartbeat);
    const checkpointStarted = performance.now();
    await snapshotWriteMode.end();
    options.onPhase?.('checkpoint', performance.now() - checkpointStarted, 0);
  }
}

const SCAN_HEARTBEAT_MS = 60_000;

async function scanRun(
  db: Db,
  config: Config,
  options: ScanOptions,
  runId: number,
  people: Person[],
  selected: SourceConfig[],
  redactor: Redactor,
  now: () => Date,
  snapshotWriteMode: { rowsWritten(): void },
): Promise<ScanResult> {
  const startedAt = now();
  const phase = options.onPhase ?? (() => {});
  const collectionStarted = performance.now();
  const identity = new IdentityIndex(people, config.serviceAccounts, config.identity);
  const matching = { ms: performance.now() - collectionStarted, accounts: 0 };
  // Rules see the run as of one instant: accounts are evaluated as they arrive (see RunEvaluator).
  const evaluationTime = now();
  const evaluator = new RunEvaluator({
    sources: selected.map((source) => ({ name: source.name, role: source.role })),
    identity,
    disabledByZombiescan: accountsDisabledByZombiescan(db),
    rules: options.rules,
    exceptions: compileExceptions(config),
    now: evaluationTime,
    idpSources: config.sources.filter((source) => source.role === 'idp').map((source) => source.name),
    timezone: config.timezone,
  });

  const writer = new AccountWriter(db, runId);
  const signInReads: SignInRead[] = [];
  const outcomes = await Promise.all(
    selected.map((source) =>
      collectSource(db, runId, source, identity, redactor, options, now, {
        writer,
        evaluator,
        matching,
        signIns: { reads: signInReads, lookbackDays: config.signIns.lookbackDays },
      }),
    ),
  );
  options.signal?.throwIfAborted();
  writer.flush();
  snapshotWriteMode.rowsWritten();
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
  const ownerIdp = ownerAccountSummary(db, idpSnapshots);
  const evaluated = selected.filter((source) => complete.has(source.name));
  const rulesUsingIdp = new Set(options.rules.rules.filter((rule) => rule.usesIdpAccounts).map((rule) => rule.id));
  const credentialRules = options.rules.credentialRules ?? [];
  const scope = {
    sources: [...complete],
    rules: [
      ...options.rules.rules.map((rule) => rule.id).filter((rule) => !(failedIdp && rulesUsingIdp.has(rule))),
      ...credentialRules.map((rule) => rule.id),
    ],
  };
  let drafts: number;
  let finishedAt: Date;
  let reconciled: ReconcileResult;
  let savingStarted: number;
  try {
    drafts = stageDrafts(
      db,
      evaluator.drafts(db, {
        runId,
        complete: [...complete],
        ownerIdp,
        signInSources: new Set(signInReads.map((read) => read.source)),
      }),
      {
        source: new Map(evaluated.map((source, index) => [source.name, index])),
        rule: new Map([...options.rules.rules, ...credentialRules].map((rule, index) => [rule.id, index])),
      },
    );
    phase('rules', performance.now() - rulesStarted, drafts);

    options.progress?.phase('saving');
    options.signal?.throwIfAborted();
    savingStarted = performance.now();
    finishedAt = now();
    reconciled = commitScan(db, {
      runId,
      people,
      evaluatedAt: evaluationTime,
      finishedAt,
      scope,
      sources: outcomes,
      exceptions: config.exceptions,
      status: complete.size === selected.length ? 'complete' : 'partial',
      signIns: signInReads.filter((read) => complete.has(read.source)),
    });
  } finally {
    dropStagedDrafts(db);
  }
  phase('findings', performance.now() - savingStarted, drafts);

  const pruneStarted = performance.now();
  const pruned = pruneSnapshotRows(db, 'accounts', runId) + pruneSnapshotRows(db, 'credentials', runId);
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
function guardRoster(db: Db, people: number, maxShrink: number, accepted: { change: boolean; empty: boolean }): void {
  const refusal = rosterGuardRefusal(people, people === 0 ? 0 : acceptedRosterSize(db), maxShrink, accepted);
  if (refusal) throw new RosterGuardError(refusal);
}

/**
 * Why the roster guard refuses a roster of `people` after an accepted one of `previous` (0: none yet), or null.
 * `doctor` asks the same question, so the two agree on the exit code (2) for the same roster.
 */
export function rosterGuardRefusal(
  people: number,
  previous: number,
  maxShrink: number,
  accepted: { change: boolean; empty: boolean } = { change: false, empty: false },
): string | null {
  if (people === 0) {
    if (accepted.empty) return null;
    return (
      'the HR roster is empty: refusing to scan (every account would look orphaned). Check the HR export; ' +
      'only if the company really has no one on its roster, re-run with --accept-empty-roster'
    );
  }
  if (accepted.change) return null;
  if (previous > 0 && people < previous * (1 - maxShrink)) {
    const shrink = Math.round((1 - people / previous) * 100);
    return `the HR roster shrank by ${shrink}% (${previous} -> ${people} people), more than the ${Math.round(
      maxShrink * 100,
    )}% allowed: refusing to scan. Check the HR export; if the change is real, re-run with --accept-roster-change`;
  }
  return null;
}

async function collectSource(
  db: Db,
  runId: number,
  source: SourceConfig,
  identity: IdentityIndex,
  redactor: Redactor,
  options: ScanOptions,
  now: () => Date,
  {
    writer,
    evaluator,
    matching,
    signIns,
  }: {
    writer: AccountWriter;
    evaluator: RunEvaluator;
    matching: { ms: number; accounts: number };
    signIns: { reads: SignInRead[]; lookbackDays: number };
  },
): Promise<SourceOutcome> {
  const started = Date.now();
  const notices: string[] = [];
  beginSourceCollection(db, runId, source, now());
  const timeout = AbortSignal.timeout(source.timeoutSeconds * 1000);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let accounts = 0;
  let activityKnown: boolean | null = null;
  let error: string | null = null;
  let credentials: number | null = null;
  let credentialNotices: string[] | null = null;
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
    // Decided as the accounts arrive rather than read back from the store: the same facts, one pass fewer.
    const atRisk = collector.collectCredentials ? new Set<string>() : null;
    await forEachPage(collector.collect(context), (page) => {
      signal.throwIfAborted();
      const accountsOfPage = page.map((account) =>
        account.source === source.name ? account : { ...account, source: source.name },
      );
      const matchStarted = performance.now();
      const matches = accountsOfPage.map((account) => identity.match(account));
      matching.ms += performance.now() - matchStarted;
      matching.accounts += page.length;
      accountsOfPage.forEach((account, index) => {
        activityKnown = (activityKnown ?? true) && account.activityKnown;
        writer.add(account, matches[index]!);
        evaluator.arrive(account, matches[index]!);
        // As stored: an account listed twice counts as last listed.
        if (atRisk === null) return;
        if (isAtRisk(account, matches[index]!, identity, context.now)) atRisk.add(account.id);
        else atRisk.delete(account.id);
      });
      accounts += accountsOfPage.length;
      options.progress?.source(source.name, accounts);
    });
    // INSERT OR REPLACE collapses an account a source listed twice: count what is stored.
    writer.flush();
    accounts = countRunAccounts(db, source.name, runId);
    if (collector.collectCredentials && atRisk !== null) {
      const credentialWriter = new CredentialWriter(db, runId);
      // What it could not list is remembered apart (unknown, not none): `leavers` must not call that list complete.
      const saidAboutCredentials: string[] = [];
      credentialNotices = saidAboutCredentials;
      const credentialContext = {
        ...context,
        notice: (message: string) => {
          context.notice(message);
          const clean = redactor.redact(message);
          if (!saidAboutCredentials.includes(clean)) saidAboutCredentials.push(clean);
        },
      };
      await forEachPage(collector.collectCredentials(credentialContext, atRisk), (page) => {
        signal.throwIfAborted();
        credentialWriter.add(
          page.map((credential) =>
            credential.source === source.name ? credential : { ...credential, source: source.name },
          ),
        );
      });
      credentials = countRunCredentials(db, source.name, runId);
    }
    await readSignInsDuringScan(db, {
      runId,
      source: source.name,
      collector,
      context,
      person: (personId) => identity.person(personId),
      lookbackDays: signIns.lookbackDays,
      now: now(),
      reads: signIns.reads,
      onRefined: (accountIds) => evaluator.changed(source.name, accountIds),
    });
  } catch (caught) {
    if (options.signal?.aborted) throw caught;
    error = redactor.redact(describeFailure(caught, timeout.aborted, source));
    options.log.error(`${source.name}: collection failed: ${error}`);
  }
  const status = error === null ? 'complete' : 'failed';
  finishSourceCollection(db, runId, source.name, {
    status,
    accounts,
    activityKnown,
    error,
    notices,
    finishedAt: now(),
    ...(credentials === null ? {} : { credentials }),
    ...(credentialNotices === null ? {} : { credentialNotices }),
  });
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
    ...(credentials === null ? {} : { credentials }),
  };
}

/**
 * Whether an account's per-user credential lists are worth reading (SPEC): the owner is terminated, past their end date or
 * unknown (unmatched or ambiguous), the account is disabled, or it is privileged. Healthy accounts cost nothing.
 */
function isAtRisk(account: Account, match: Match, identity: IdentityIndex, now: Date): boolean {
  if (account.builtIn) return false;
  if (!account.enabled || account.privileged) return true;
  const person = identity.person(match.personId);
  if (person === null || match.method === 'none' || match.method === 'ambiguous') return true;
  // HR saying terminated counts even before the moment (as on main): the leaver queue revokes their credentials at
  // the moment, so their per-user lists must already be in the snapshot.
  return person.status === 'terminated' || terminationInEffect(person, now) || endDatePassed(person, now);
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
  const result = snapshotRuns(db);
  for (const name of complete) result.set(name, runId);
  return result;
}

function compileExceptions(config: Config): ExceptionRule[] {
  return config.exceptions.map((entry) => ({
    ...entry,
    expiresAt: endOfLocalDay(entry.expires, config.timezone),
    timezone: config.timezone,
  }));
}

/** The report URL as stored on the run: no userinfo, no query string. */
function rosterUrlShown(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
}
