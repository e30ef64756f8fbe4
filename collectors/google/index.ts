import type { CollectContext, CollectorDeps, CollectorFactory, DoctorCheck } from '../../src/contract/collector.js';
import { GOOGLE_SCOPES, type GoogleSourceConfig } from '../../src/config/config.js';
import { SourceError } from '../../src/contract/errors.js';
import type { Account, Credential, SignInEvent } from '../../src/contract/model.js';
import { googleAspToCredential, googleTokenToCredential } from './credentials-transform.js';
import { delegationFix, openDirectorySession, type DirectorySession, type GoogleScope } from './client.js';
import { googleLoginActivityToSignIns, googleUserToAccount, type GoogleDataProblem } from './transform.js';

/**
 * Google Workspace collector over the Admin SDK Directory API (@googleapis/admin, google-auth-library): users.list
 * for the customer (or one domain), 500 per page (the API's maximum), projection=full so admin flags, external ids
 * and aliases come back; suspended and archived users are listed like the others. Pages are yielded as they arrive.
 * Only the read-only scope is asked for: a scan never holds a token that could change anything.
 */

const PAGE_SIZE = 500;
const READ: readonly GoogleScope[] = ['read'];

const SECURITY: readonly GoogleScope[] = ['security'];

export const createGoogleCollector: CollectorFactory<GoogleSourceConfig> = (config, deps = {}) => ({
  collect: (context) => collectGoogleAccounts(config, deps, context),
  doctor: (context) => doctorGoogle(config, deps, context),
  collectCredentials: (context, atRisk) => collectGoogleCredentials(config, deps, context, atRisk),
  readSignIns: (context, window) => readGoogleSignIns(config, deps, context, window),
});

export const GOOGLE_CREDENTIALS_NOTICE =
  'third-party OAuth tokens and app passwords unreadable: tokens.list and asps.list need the ' +
  `${GOOGLE_SCOPES.security} scope authorised for domain-wide delegation — they are unknown, not none`;

/**
 * Per-user lists only, for at-risk users (Google has no org-wide list): the OAuth tokens each issued to third-party
 * apps (tokens.list) and their app passwords (asps.list). Both need the security scope, the only one Google offers
 * for them (it can also sign users out; the scan only lists). Without it the kinds are said once to be unknown.
 */
async function* collectGoogleCredentials(
  config: GoogleSourceConfig,
  deps: CollectorDeps,
  context: CollectContext,
  atRisk: ReadonlySet<string>,
): AsyncGenerator<Credential[]> {
  if (atRisk.size === 0) return;
  const session = await openDirectorySession(config, {
    signal: context.signal,
    log: context.log,
    retryPolicy: deps.retryPolicy,
  });
  try {
    await session.authorise(SECURITY);
  } catch (error) {
    if (!(error instanceof SourceError) || error.kind !== 'auth') throw error;
    context.notice(`${GOOGLE_CREDENTIALS_NOTICE} (${error.message})`);
    return;
  }
  const directory = session.directory(SECURITY);
  for (const userKey of atRisk) {
    try {
      const tokens = await session.call('tokens.list', SECURITY, () =>
        directory.tokens.list({ userKey }, { signal: context.signal }),
      );
      const asps = await session.call('asps.list', SECURITY, () =>
        directory.asps.list({ userKey }, { signal: context.signal }),
      );
      const credentials = [
        ...(tokens.data.items ?? []).map((token) => googleTokenToCredential(token, config.name, userKey)),
        ...(asps.data.items ?? []).map((asp) => googleAspToCredential(asp, config.name, userKey)),
      ].filter((credential): credential is Credential => credential !== null);
      if (credentials.length > 0) yield credentials;
    } catch (error) {
      // A user deleted since users.list has nothing left to revoke.
      if (error instanceof SourceError && error.kind === 'config' && /HTTP 404/.test(error.message)) continue;
      throw error;
    }
  }
}

const REPORTS: readonly GoogleScope[] = ['reports'];
/** Reports API: the largest page of activities. */
const ACTIVITIES_PAGE_SIZE = 1000;

/**
 * Reports API `activities.list` (userKey=all, applicationName=login) over [startTime, endTime], page by page through
 * nextPageToken. Google serves newest first; the engine aggregates in any order. Needs the
 * admin.reports.audit.readonly scope in the domain-wide delegation and a subject with the Reports admin privilege.
 */
async function* readGoogleSignIns(
  config: GoogleSourceConfig,
  deps: CollectorDeps,
  context: CollectContext,
  window: { since: Date; until: Date },
): AsyncGenerator<SignInEvent[]> {
  const session = await openDirectorySession(config, {
    signal: context.signal,
    log: context.log,
    retryPolicy: deps.retryPolicy,
  });
  const reports = session.reports(REPORTS);
  const customer = 'customer' in session.scope ? session.scope.customer : 'my_customer';
  let pageToken: string | undefined;
  do {
    const token = pageToken;
    const page = await session.call('activities.list (login)', REPORTS, () =>
      reports.activities.list(
        {
          userKey: 'all',
          applicationName: 'login',
          startTime: window.since.toISOString(),
          endTime: window.until.toISOString(),
          maxResults: ACTIVITIES_PAGE_SIZE,
          ...(customer === 'my_customer' ? {} : { customerId: customer }),
          pageToken: token,
        },
        { signal: context.signal },
      ),
    );
    const events: SignInEvent[] = [];
    for (const activity of page.data.items ?? []) events.push(...googleLoginActivityToSignIns(activity, config.name));
    if (events.length > 0) yield events;
    const next = page.data.nextPageToken ?? undefined;
    if (next !== undefined && next === pageToken) {
      throw new SourceError(config.name, 'activities.list returned the same nextPageToken twice', 'data');
    }
    pageToken = next;
  } while (pageToken);
}

async function* collectGoogleAccounts(
  config: GoogleSourceConfig,
  deps: CollectorDeps,
  context: CollectContext,
): AsyncGenerator<Account[]> {
  const session = await openDirectorySession(config, {
    signal: context.signal,
    log: context.log,
    retryPolicy: deps.retryPolicy,
  });
  const started = Date.now();
  const problems = new Map<GoogleDataProblem, { count: number; first: string }>();
  let total = 0;
  let pageToken: string | undefined;
  const directory = session.directory(READ);
  do {
    const page = await session.call('users.list', READ, () =>
      directory.users.list(
        { ...session.scope, maxResults: PAGE_SIZE, projection: 'full', pageToken },
        { signal: context.signal },
      ),
    );
    const users = page.data.users ?? [];
    const accounts: Account[] = [];
    for (const user of users) {
      if (!user.id) {
        throw new SourceError(config.name, 'users.list returned a user without an id: cannot keep track of it', 'data');
      }
      const mapped = googleUserToAccount(user, config.name, config.serviceOrgUnits);
      for (const problem of mapped.problems) {
        const seen = problems.get(problem);
        if (seen) seen.count++;
        else {
          problems.set(problem, { count: 1, first: user.id });
          context.log.warn(`google ${config.name}: user ${user.id} has ${problem}; mapped anyway`, {
            note: 'logged once per kind of problem',
          });
        }
      }
      accounts.push(mapped.account);
    }
    total += accounts.length;
    context.log.debug(`google ${config.name}: page of ${users.length}`, { total });
    if (accounts.length > 0) yield accounts;
    const next = page.data.nextPageToken ?? undefined;
    // A token that does not move would loop forever.
    if (next !== undefined && next === pageToken) {
      throw new SourceError(config.name, 'users.list returned the same nextPageToken twice', 'data');
    }
    pageToken = next;
  } while (pageToken);
  for (const [problem, { count, first }] of problems) {
    context.log.warn(`google ${config.name}: ${count} user(s) with ${problem} (first: ${first})`);
  }
  context.log.info(`${config.name}: collected ${total} users`, {
    seconds: Math.round((Date.now() - started) / 100) / 10,
  });
}

const SCOPE_CHECKS: { scope: GoogleScope; check: string; without: string }[] = [
  { scope: 'act', check: 'act scope', without: 'disable (suspend) is refused until it is authorised' },
  {
    scope: 'security',
    check: 'security scope',
    without: 'revoke-sessions (users.signOut) is refused until it is authorised',
  },
  {
    scope: 'reports',
    check: 'reports scope',
    without: 'sign-in evidence (Reports API login activity) is unavailable until it is authorised',
  },
];

async function doctorGoogle(
  config: GoogleSourceConfig,
  deps: CollectorDeps,
  context: CollectContext,
): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  const notChecked = (names: string[], why: string) =>
    names.forEach((check) => checks.push({ check, ok: false, detail: `not checked: ${why}` }));
  const later = ['reachable', 'authenticated', 'users readable', ...SCOPE_CHECKS.map((c) => c.check)];

  let session: DirectorySession;
  try {
    session = await openDirectorySession(config, {
      signal: context.signal,
      log: context.log,
      retryPolicy: deps.retryPolicy,
    });
  } catch (error) {
    checks.push({ check: 'key file', ok: false, limitation: false, detail: messageOf(error, config) });
    notChecked(later, 'no usable key');
    return checks;
  }
  checks.push({
    check: 'key file',
    ok: true,
    limitation: false,
    detail: `service account ${session.key.clientEmail}${session.key.clientId ? ` (client ID ${session.key.clientId})` : ''}`,
  });

  try {
    await session.authorise(READ);
    checks.push({ check: 'reachable', ok: true, detail: `${config.tokenUrl} answered` });
    checks.push({
      check: 'authenticated',
      ok: true,
      detail: `domain-wide delegation works: token for ${config.subject} with ${GOOGLE_SCOPES.read}`,
    });
  } catch (error) {
    if (error instanceof SourceError && error.kind === 'network') {
      checks.push({ check: 'reachable', ok: false, detail: messageOf(error, config) });
      notChecked(later.slice(1), 'not reachable');
      return checks;
    }
    checks.push({ check: 'reachable', ok: true, detail: `${config.tokenUrl} answered` });
    checks.push({ check: 'authenticated', ok: false, detail: messageOf(error, config) });
    notChecked(later.slice(2), 'no token for the read scope');
    return checks;
  }

  try {
    const directory = session.directory(READ);
    await session.call('users.list', READ, () =>
      directory.users.list({ ...session.scope, maxResults: 1, projection: 'full' }, { signal: context.signal }),
    );
    const target = 'domain' in session.scope ? `domain ${session.scope.domain}` : `customer ${session.scope.customer}`;
    checks.push({ check: 'users readable', ok: true, detail: `users.list for ${target} works as ${config.subject}` });
  } catch (error) {
    checks.push({ check: 'users readable', ok: false, detail: messageOf(error, config) });
  }

  for (const { scope, check, without } of SCOPE_CHECKS) {
    try {
      await session.authorise([scope]);
      checks.push({ check, ok: true, detail: `${GOOGLE_SCOPES[scope]} granted` });
    } catch (error) {
      const refused = error instanceof SourceError && error.kind === 'auth';
      checks.push({
        check,
        ok: false,
        limitation: true,
        detail: refused
          ? `${GOOGLE_SCOPES[scope]} not granted: ${without}; ${delegationFix(session.key, [scope])}`
          : messageOf(error, config),
      });
    }
  }
  return checks;
}

function messageOf(error: unknown, config: GoogleSourceConfig): string {
  if (error instanceof SourceError) return error.message;
  return `${config.name}: ${error instanceof Error ? error.message : String(error)}`;
}
