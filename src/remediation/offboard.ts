import type { Config } from '../config/config.js';
import { NotFoundError } from '../contract/errors.js';
import { normaliseEmail } from '../scan/matching.js';
import type { Account, Person } from '../contract/model.js';
import type { Db } from '../store/database.js';
import { currentAccountsOfPerson } from '../store/accounts.js';
import { currentCredentialsOfPerson } from '../store/credentials.js';
import { credentialRef, revokeCredential, type TerminationCredential } from './credentials.js';
import { actionableFindingIds, markFindingRemediated } from '../store/finding-remediation.js';
import { appendEntry, journaledTicket } from '../store/journal.js';
import { listPeople } from '../store/people.js';
import { saveTerminationReport } from '../store/termination-reports.js';
import { acquireRemediationLock, reconcileInterrupted, runSystemAction } from './apply.js';
import {
  ActionJournal,
  describe,
  loadedRemediator,
  openTicket,
  rethrowIfAborted,
  withDeadline,
  type ActionContext,
  type EngineDeps,
  type StepOutcome,
} from './engine.js';
import type { AccountRef, ActionName, LiveState, SourceRemediator } from '../contract/action.js';
import { actionKey, type ActionStatus } from './plan.js';
import { isSystemAction, resolveActions, type ResolvedAction } from './policy.js';
import { ticketForOffboarding } from './tickets.js';

/**
 * `offboard PERSON`: the emergency kill-all for one person. Every account of theirs in every source's current
 * snapshot is re-read (concurrently), the identity providers are locked first (disable and revoke sessions, sent
 * together), then every other system at once; a system that cannot disable gets a ticket; every account is read back
 * once its actions are done, and the termination report says which ones are verified disabled. The critical path is
 * four round trips: read the IdP account, lock it, act on the slowest other system, read that back.
 * Naming the person is the confirmation: privileged accounts are included and no per-run limit applies. A source
 * whose latest scan failed is still acted on (an emergency uses whatever answers); one that does not answer is
 * reported unverified.
 */

export interface OffboardRequest {
  /** Employee id or email (normalised like matching). */
  person: string;
  apply: boolean;
  /** Why: journaled with the decision and put on tickets. */
  reason?: string;
  /**
   * The actions to take on every account, in order (default: disable, then revoke-sessions). Graceful offboarding
   * (src/lifecycle) passes its decay step's actions; `delete` is refused on privileged accounts and journaled with
   * the account's last snapshot.
   */
  actions?: readonly ActionName[];
  /**
   * Revoke the person's credentials too (default true). The leaver queue passes false: its decay policy says when
   * (`revoke-credentials`), and a lock-out step alone must not do it.
   */
  credentials?: boolean;
}

/** The termination report (SPEC shape). */
export interface TerminationReport {
  person: { employeeId: string; email: string; name: string | null; status: string };
  startedAt: string;
  finishedAt: string;
  complete: boolean;
  accounts: TerminationAccount[];
  /** Every credential of the person (tokens, grants, keys, app secrets): revoked and verified like the accounts. */
  credentials?: TerminationCredential[];
}

export interface TerminationAccount {
  source: string;
  accountId: string;
  login: string | null;
  /** null when the source could not be read. */
  before: { enabled: boolean | null };
  actions: TerminationAction[];
  after: { enabled: boolean | null };
  verified: boolean;
}

export interface TerminationAction {
  action: ActionName;
  status: ActionStatus;
  at: string;
  reason: string;
}

export interface OffboardResult {
  report: TerminationReport;
  /** Row id in termination_reports (applied runs only). */
  reportId: number | null;
  /** Service accounts the person owns: left alone (others depend on them) and named so someone reassigns them. */
  ownedServiceAccounts: { source: string; accountId: string; login: string | null }[];
  exitCode: 0 | 1;
}

const PRIVILEGED_DELETE = 'never deleted: the account is privileged (an admin deletes it by hand, if at all)';

/** Disable so nobody signs in again, and end the sessions already open (both at once: see lockAccount). */
const OFFBOARD_ACTIONS: readonly ActionName[] = ['disable', 'revoke-sessions'];

interface Target {
  account: AccountRef;
  /** The account as the last complete scan stored it (journaled before a delete). */
  snapshot: Account | null;
  privileged: boolean;
  idp: boolean;
  /** Set once the source's remediator is loaded (see remediatorLoads), with the steps it supports. */
  remediator: SourceRemediator | null;
  /** Why the source cannot be used at all (not configured, or its remediator cannot be made). */
  unusable: string | null;
  steps: ResolvedAction[];
  before: LiveState | null;
  readError: string | null;
  actions: TerminationAction[];
  after: LiveState | null;
}

/** How long an offboarding waits for another remediation to finish: it is the emergency path, so not at all long. */
export const OFFBOARD_LOCK_WAIT_MS = 30_000;

export async function runOffboard(
  db: Db,
  config: Config,
  request: OffboardRequest,
  deps: EngineDeps,
): Promise<OffboardResult> {
  if (!request.apply) return offboard(db, config, request, deps);
  // The same lock as `remediate --apply`: two processes never act on the same accounts at once.
  const release = await acquireRemediationLock(db, { waitMs: OFFBOARD_LOCK_WAIT_MS });
  try {
    return await offboard(db, config, request, deps);
  } finally {
    release();
  }
}

async function offboard(db: Db, config: Config, request: OffboardRequest, deps: EngineDeps): Promise<OffboardResult> {
  const { person, records } = resolvePerson(db, config, request.person);
  const startedAt = deps.now().toISOString();
  const { accounts, ownedServiceAccounts } = personAccounts(db, config, records);
  for (const owned of ownedServiceAccounts) {
    deps.log.warn(
      `${owned.source} service account ${owned.login ?? owned.accountId} is owned by ${person.employeeId}: ` +
        'left enabled (others may depend on it); give it a new owner',
    );
  }
  if (accounts.length === 0) deps.log.warn(`no account of ${person.employeeId} in any source's current snapshot`);

  const actions = request.actions ?? OFFBOARD_ACTIONS;
  const targets = accounts.map((account) => target(config, account));
  const remediators = remediatorLoads(deps, loadOrder(config, targets));
  const prepared = new Map(targets.map((entry) => [entry, prepare(entry, actions, remediators)]));
  const journal = new ActionJournal(db, deps, 'offboard');
  let unconfirmed = new Map<string, string>();
  if (request.apply) {
    unconfirmed = (await reconcileInterrupted(db, config, deps)).unconfirmed;
    appendEntry(db, {
      at: deps.now(),
      kind: 'decision',
      actor: deps.actor,
      personId: person.employeeId,
      action: 'offboard',
      status: 'approved',
      reason: request.reason ?? null,
      detail: { named: request.person, accounts: targets.map((t) => ({ source: t.account.source, id: t.account.id })) },
    });
  }

  const reads = new Map(
    targets.map((entry) => [entry, prepared.get(entry)!.then(() => readBefore(config, entry, deps))]),
  );
  const credentialsDone =
    request.credentials === false
      ? Promise.resolve([])
      : offboardCredentials(
          db,
          config,
          journal,
          person,
          records,
          targets.map((entry) => entry.account),
          unconfirmed,
          request,
          deps,
          remediators,
        );

  if (request.apply) {
    const act = (entry: Target) => lockAccount(db, config, journal, person, entry, unconfirmed, request, deps);
    // Each account moves on as soon as what it depends on is done, not when the slowest source is: an IdP is locked
    // once its own account is re-read (another system's slower read, say an Entra token first, must not hold up the
    // lockout); every other system acts once its account is re-read and every IdP is locked; each account is read
    // back as soon as its own actions are done (an IdP's once every IdP is locked).
    const idpsLocked = Promise.all(
      targets.filter((entry) => entry.idp).map((entry) => reads.get(entry)!.then(() => act(entry))),
    );
    await Promise.all(
      targets.map(async (entry) => {
        if (entry.idp) await idpsLocked;
        else {
          await Promise.all([reads.get(entry), idpsLocked]);
          await act(entry);
        }
        await readAfter(config, entry, deps);
      }),
    );
    for (const entry of targets) {
      if (verified(entry.after)) closeFindings(db, entry.account, person, deps);
    }
    for (const entry of await credentialsDone) {
      if (entry.verified) closeCredentialFindings(db, entry, person, deps);
    }
  } else {
    await Promise.all(reads.values());
    for (const entry of targets) {
      entry.actions = dryRunActions(db, config, person, entry, deps.now().toISOString());
      entry.after = entry.before;
    }
  }

  const credentials = await credentialsDone;
  const report: TerminationReport = {
    person: { employeeId: person.employeeId, email: person.email, name: person.name, status: person.status },
    startedAt,
    finishedAt: deps.now().toISOString(),
    complete:
      targets.every((entry) => verified(entry.after)) &&
      credentials.every((entry) => entry.verified || entry.leftAlone === true),
    accounts: targets.map((entry) => ({
      source: entry.account.source,
      accountId: entry.account.id,
      login: entry.account.login,
      before: { enabled: enabledOf(entry.before) },
      actions: entry.actions,
      after: { enabled: enabledOf(entry.after) },
      verified: verified(entry.after),
    })),
    credentials,
  };
  let reportId: number | null = null;
  if (request.apply) {
    reportId = saveTerminationReport(db, { personId: person.employeeId, startedAt, report });
  }
  const exitCode = request.apply
    ? report.complete
      ? 0
      : 1
    : targets.some((entry) => entry.readError !== null || entry.unusable !== null)
      ? 1
      : 0;
  return { report, reportId, ownedServiceAccounts, exitCode };
}

/**
 * Every credential of the person's current accounts is revoked and read back, concurrently with the accounts (a
 * token does not need its account disabled first, and disabling does not revoke it). An app registration other
 * current accounts also own is left alone and listed: removing its secrets would break their application.
 */
async function offboardCredentials(
  db: Db,
  config: Config,
  journal: ActionJournal,
  person: Person,
  records: readonly Person[],
  accounts: readonly AccountRef[],
  unconfirmed: ReadonlyMap<string, string>,
  request: Pick<OffboardRequest, 'apply' | 'reason'>,
  deps: EngineDeps,
  remediators = remediatorLoads(deps, []),
): Promise<TerminationCredential[]> {
  const mine = new Set(accounts.map((account) => `${account.source}\u0000${account.id}`));
  const owners = new Map(accounts.map((account) => [`${account.source}\u0000${account.id}`, account]));
  const seen = new Set<string>();
  const credentials = records
    .flatMap((record) => currentCredentialsOfPerson(db, record.employeeId))
    .filter((credential) => {
      const key = `${credential.source}\u0000${credential.id}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  return Promise.all(
    credentials.map(async (credential): Promise<TerminationCredential> => {
      const ref = credentialRef(credential);
      const ownerKey =
        credential.accountId ?? credential.ownerAccountIds.find((id) => mine.has(`${credential.source}\u0000${id}`));
      const owner = ownerKey === undefined ? null : (owners.get(`${credential.source}\u0000${ownerKey}`) ?? null);
      const others = credential.ownerAccountIds.filter((id) => !mine.has(`${credential.source}\u0000${id}`));
      if (credential.kind === 'app-secret' && others.length > 0) {
        return {
          source: credential.source,
          credentialId: credential.id,
          kind: credential.kind,
          name: credential.name,
          ownerAccountId: null,
          before: { enabled: credential.enabled },
          action: {
            action: 'revoke-credential',
            status: 'refused',
            at: deps.now().toISOString(),
            reason: `also owned by ${others.join(', ')}: not revoked (it would break their application); review its owners`,
          },
          after: { enabled: credential.enabled },
          verified: false,
          leftAlone: true,
        };
      }
      // Loaded before revokeCredential asks remediatorFor; a failure to load is reported there, as "cannot act on".
      await remediators(credential.source).catch(() => null);
      return revokeCredential(
        config,
        journal,
        ref,
        {
          apply: request.apply,
          person,
          findingId: null,
          owner: owner ? { login: owner.login, email: owner.email } : null,
          reason: `offboarding ${person.employeeId}${request.reason ? `: ${request.reason}` : ''}`,
          blocked: unconfirmed.get(actionKey(credential.source, credential.id, 'revoke-credential')),
        },
        deps,
      );
    }),
  );
}

/**
 * Only the credentials of one person (the lifecycle's `revoke-credentials` step): the same revocation as `offboard`
 * (re-read, intent, revoke, result, read back; an app registration other current accounts also own is left alone),
 * under the same lock, with interrupted earlier revocations reconciled first; each one verified revoked closes its
 * findings.
 */
export async function revokePersonCredentials(
  db: Db,
  config: Config,
  request: Pick<OffboardRequest, 'person' | 'apply' | 'reason'>,
  deps: EngineDeps,
): Promise<TerminationCredential[]> {
  const run = async () => {
    const { person, records } = resolvePerson(db, config, request.person);
    const { accounts } = personAccounts(db, config, records);
    const journal = new ActionJournal(db, deps, 'offboard');
    const unconfirmed = request.apply
      ? (await reconcileInterrupted(db, config, deps)).unconfirmed
      : new Map<string, string>();
    const done = await offboardCredentials(
      db,
      config,
      journal,
      person,
      records,
      accounts.map((entry) => entry.ref),
      unconfirmed,
      request,
      deps,
    );
    if (request.apply) {
      for (const entry of done) if (entry.verified) closeCredentialFindings(db, entry, person, deps);
    }
    return done;
  };
  if (!request.apply) return run();
  const release = await acquireRemediationLock(db, { waitMs: OFFBOARD_LOCK_WAIT_MS });
  try {
    return await run();
  } finally {
    release();
  }
}

/**
 * PERSON as an employee id, else as an email (normalised like matching, aliases included). A rehired person can have
 * two roster records: all of them are offboarded; the report names the one given (or the non-terminated one).
 */
export function resolvePerson(db: Db, config: Config, query: string): { person: Person; records: Person[] } {
  const people = listPeople(db);
  const wanted = query.trim();
  const byId =
    people.find((entry) => entry.employeeId === wanted) ??
    people.find((entry) => entry.employeeId.toLowerCase() === wanted.toLowerCase());
  const emailsOf = (entry: Person) =>
    [entry.email, ...entry.aliases].map((email) => normaliseEmail(email, config.identity)).filter(isString);
  let records: Person[];
  if (byId) {
    const emails = new Set(emailsOf(byId));
    records = [byId, ...people.filter((entry) => entry !== byId && emailsOf(entry).some((email) => emails.has(email)))];
  } else {
    const email = normaliseEmail(wanted, config.identity);
    records = email ? people.filter((entry) => emailsOf(entry).includes(email)) : [];
  }
  if (records.length === 0) {
    throw new NotFoundError(`"${query}" is neither an employee id nor an email on the HR roster (as of the last scan)`);
  }
  const person = byId ?? records.find((entry) => entry.status !== 'terminated') ?? records[0]!;
  return { person, records };
}

function personAccounts(
  db: Db,
  config: Config,
  records: readonly Person[],
): {
  accounts: { ref: AccountRef; snapshot: Account }[];
  ownedServiceAccounts: OffboardResult['ownedServiceAccounts'];
} {
  const ids = new Set(records.map((entry) => entry.employeeId));
  const emails = new Set(
    records
      .flatMap((entry) => [entry.email, ...entry.aliases])
      .map((email) => normaliseEmail(email, config.identity))
      .filter(isString),
  );
  const accounts: { ref: AccountRef; snapshot: Account }[] = [];
  const ownedServiceAccounts: OffboardResult['ownedServiceAccounts'] = [];
  const emailLocalParts = [...new Set([...emails].map((email) => email.slice(0, email.lastIndexOf('@'))))];
  for (const { account, match } of currentAccountsOfPerson(db, { personIds: [...ids], emailLocalParts })) {
    const ownedById = match.personId !== null && ids.has(match.personId);
    if (match.method === 'service-account') {
      if (ownedById) ownedServiceAccounts.push({ source: account.source, accountId: account.id, login: account.login });
      continue;
    }
    // An employee id tying the account to someone else outranks a shared email (matching uses the same order).
    if (match.method === 'employee-id' && !ownedById) continue;
    const byEmail = [account.email, ...account.emails, account.login].some((value) => {
      const email = normaliseEmail(value, config.identity);
      return email !== null && emails.has(email);
    });
    if (!ownedById && !byEmail) continue;
    accounts.push({
      ref: {
        source: account.source,
        id: account.id,
        login: account.login,
        email: account.email,
        displayName: account.displayName,
        attributes: account.attributes,
      },
      snapshot: account,
    });
  }
  return { accounts, ownedServiceAccounts };
}

function target(config: Config, { ref: account, snapshot }: { ref: AccountRef; snapshot: Account }): Target {
  const source = config.sources.find((entry) => entry.name === account.source);
  return {
    account,
    snapshot,
    privileged: snapshot.privileged,
    idp: source?.role === 'idp',
    remediator: null,
    unusable: source ? null : `source ${account.source} is no longer in the config`,
    steps: [],
    before: null,
    readError: null,
    actions: [],
    after: null,
  };
}

/**
 * Each source's remediator, loaded once per run, one after another in `order` (a source not in it: when asked for).
 * Loading a remediator compiles its vendor SDK (tens to hundreds of milliseconds of CPU each): loaded one at a time,
 * the IdP's first request leaves as soon as the IdP's own SDK is in, not behind five others, and each other system's
 * as soon as its own is (a token request first, for some), while the IdP's round trips are under way. Nothing waits
 * for a system's remediator but that system's own steps.
 */
function remediatorLoads(
  deps: EngineDeps,
  order: readonly string[],
): (source: string) => Promise<SourceRemediator | null> {
  const loads = new Map<string, Promise<SourceRemediator | null>>();
  let previous: Promise<unknown> = Promise.resolve();
  for (const source of order) {
    const loading = previous.then(() => loadedRemediator(deps, source));
    loads.set(source, loading);
    previous = loading.catch(() => undefined);
  }
  return (source) => {
    let loading = loads.get(source);
    if (!loading) loads.set(source, (loading = loadedRemediator(deps, source)));
    return loading;
  };
}

/** The sources of the person's accounts in the order their remediators load: the IdPs first, then the config's order. */
function loadOrder(config: Config, targets: readonly Target[]): string[] {
  const used = new Set(targets.map((entry) => entry.account.source));
  const sources = config.sources.filter((source) => used.has(source.name));
  return [
    ...sources.filter((source) => source.role === 'idp'),
    ...sources.filter((source) => source.role !== 'idp'),
  ].map((source) => source.name);
}

/** The account's remediator and the steps it supports, once its source's remediator is loaded. */
async function prepare(
  entry: Target,
  actions: readonly ActionName[],
  remediators: (source: string) => Promise<SourceRemediator | null>,
): Promise<void> {
  const source = entry.account.source;
  if (entry.unusable === null) {
    try {
      entry.remediator = await remediators(source);
      if (!entry.remediator) entry.unusable = `source ${source} is no longer in the config`;
    } catch (error) {
      entry.unusable = `cannot act on ${source}: ${describe(error)}`;
    }
  }
  entry.steps = resolveActions(actions, (action) =>
    isSystemAction(action) ? (entry.remediator?.unsupportedReason(action, entry.account.id) ?? null) : null,
  );
}

async function readBefore(config: Config, entry: Target, deps: EngineDeps): Promise<void> {
  const remediator = entry.remediator;
  if (!remediator) {
    entry.readError = entry.unusable;
    return;
  }
  try {
    entry.before = await withDeadline(config, entry.account.source, deps.signal, (signal) =>
      remediator.read(entry.account, signal),
    );
  } catch (error) {
    rethrowIfAborted(error, deps.signal);
    entry.readError = describe(error);
  }
}

async function readAfter(config: Config, entry: Target, deps: EngineDeps): Promise<void> {
  const remediator = entry.remediator;
  if (!remediator) return;
  try {
    entry.after = await withDeadline(config, entry.account.source, deps.signal, (signal) =>
      remediator.read(entry.account, signal),
    );
  } catch (error) {
    rethrowIfAborted(error, deps.signal);
    deps.log.warn(`${entry.account.source} ${entry.account.id}: could not verify: ${describe(error)}`);
  }
}

/**
 * Performs every step of one account at once and records them in step order. Disable and revoke-sessions are
 * independent calls in every system (Okta suspend / clear sessions, Entra accountEnabled / revokeSignInSessions,
 * Slack SCIM deactivate / session reset, Google suspended / signOut): sent together, the window in which a revoked
 * session could sign in again before the disable lands is the difference of two server round trips, not a round
 * trip of our own, and the account costs one round trip instead of two.
 */
async function lockAccount(
  db: Db,
  config: Config,
  journal: ActionJournal,
  person: Person,
  entry: Target,
  unconfirmed: ReadonlyMap<string, string>,
  request: OffboardRequest,
  deps: EngineDeps,
): Promise<void> {
  entry.actions = await Promise.all(
    entry.steps.map(async (step): Promise<TerminationAction> => {
      const outcome = await lockStep(db, config, journal, person, entry, step, unconfirmed, request, deps);
      return { action: step.action, status: outcome.status, at: outcome.at, reason: outcome.reason };
    }),
  );
}

async function lockStep(
  db: Db,
  config: Config,
  journal: ActionJournal,
  person: Person,
  entry: Target,
  step: ResolvedAction,
  unconfirmed: ReadonlyMap<string, string>,
  request: OffboardRequest,
  deps: EngineDeps,
): Promise<StepOutcome> {
  const context: ActionContext = {
    findingId: null,
    personId: person.employeeId,
    account: entry.account,
    action: step.action,
  };
  const blocked = unconfirmed.get(actionKey(entry.account.source, entry.account.id, step.action));
  if (entry.unusable !== null) return journal.result(context, null, 'failed', entry.unusable);
  if (step.action === 'delete' && entry.privileged) return journal.result(context, null, 'refused', PRIVILEGED_DELETE);
  if (blocked) return journal.result(context, null, 'refused', blocked);
  if (isSystemAction(step.action)) {
    if (step.action === 'delete' && entry.before?.found) {
      // What is about to be destroyed, kept in the journal so the report can show what was deleted.
      appendEntry(db, {
        at: deps.now(),
        kind: 'decision',
        actor: deps.actor,
        personId: person.employeeId,
        source: entry.account.source,
        accountId: entry.account.id,
        action: 'delete',
        status: 'snapshot',
        reason: request.reason ?? null,
        detail: { snapshot: entry.snapshot, before: entry.before },
      });
    }
    return entry.remediator && entry.before
      ? runSystemAction(config, journal, entry.remediator, { ...context, action: step.action }, entry.before, deps)
      : journal.result(context, null, 'failed', `could not read the account before acting: ${entry.readError}`);
  }
  return offboardTicket(db, journal, person, entry, step, context, request, deps);
}

async function offboardTicket(
  db: Db,
  journal: ActionJournal,
  person: Person,
  entry: Target,
  step: ResolvedAction,
  context: ActionContext,
  request: OffboardRequest,
  deps: EngineDeps,
): Promise<StepOutcome> {
  const ticket = ticketForOffboarding(person, entry.account, step.fallbackFor, request.reason ?? null);
  const existing = journaledTicket(db, ticket.label);
  if (existing) {
    return journal.result(context, null, 'already-done', `ticket ${existing} is already open for this account`, {
      label: ticket.label,
      ticketKey: existing,
    });
  }
  if (!deps.tickets) {
    return journal.result(
      context,
      null,
      'refused',
      `no \`tickets\` configured to ask for it by hand (${step.fallbackFor.map((f) => f.reason).join('; ')})`,
    );
  }
  return openTicket(journal, deps.tickets, context, ticket, deps);
}

function dryRunActions(db: Db, config: Config, person: Person, entry: Target, at: string): TerminationAction[] {
  return entry.steps.map((step): TerminationAction => {
    const action = step.action;
    if (entry.unusable !== null) return { action, status: 'refused', at, reason: entry.unusable };
    if (action === 'delete' && entry.privileged) return { action, status: 'refused', at, reason: PRIVILEGED_DELETE };
    if (isSystemAction(action)) {
      if (!entry.before) {
        return {
          action,
          status: 'planned',
          at,
          reason: `would be tried; the account could not be read: ${entry.readError}`,
        };
      }
      if (!entry.before.found) return { action, status: 'already-done', at, reason: 'the source no longer has it' };
      if (entry.remediator?.alreadyDone(action, entry.before)) {
        return { action, status: 'already-done', at, reason: 'the source already shows it done' };
      }
      return { action, status: 'planned', at, reason: `offboarding ${person.employeeId}` };
    }
    const fallback = step.fallbackFor.map((f) => `instead of ${f.action}: ${f.reason}`).join('; ');
    const ticket = ticketForOffboarding(person, entry.account, step.fallbackFor, null);
    const existing = journaledTicket(db, ticket.label);
    if (existing) return { action, status: 'already-done', at, reason: `ticket ${existing} is already open` };
    if (!config.tickets) return { action, status: 'refused', at, reason: `no \`tickets\` configured (${fallback})` };
    return { action, status: 'planned', at, reason: fallback };
  });
}

function closeFindings(db: Db, account: AccountRef, person: Person, deps: EngineDeps): void {
  for (const findingId of actionableFindingIds(db, account.source, account.id)) {
    markFindingRemediated(db, {
      findingId,
      actor: deps.actor,
      at: deps.now(),
      reason: `offboarding ${person.employeeId}: account verified disabled`,
    });
  }
}

/** Credential findings are keyed by credential id in the findings' account column. */
function closeCredentialFindings(db: Db, entry: TerminationCredential, person: Person, deps: EngineDeps): void {
  for (const findingId of actionableFindingIds(db, entry.source, entry.credentialId)) {
    markFindingRemediated(db, {
      findingId,
      actor: deps.actor,
      at: deps.now(),
      reason: `offboarding ${person.employeeId}: credential verified revoked`,
    });
  }
}

function verified(state: LiveState | null): boolean {
  return state !== null && (!state.found || !state.enabled);
}

function enabledOf(state: LiveState | null): boolean | null {
  if (state === null) return null;
  return state.found ? state.enabled : false;
}

function isString(value: string | null): value is string {
  return value !== null;
}
