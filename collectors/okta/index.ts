import type { Client, Collection } from '@okta/okta-sdk-nodejs';
import type { CollectContext, CollectorDeps, CollectorFactory, DoctorCheck } from '../../src/contract/collector.js';
import type { OktaSourceConfig } from '../../src/config/config.js';
import { SourceError } from '../../src/contract/errors.js';
import type { Account, Credential, SignInEvent } from '../../src/contract/model.js';
import { oktaApiTokenToCredential, oktaGrantToCredential } from './credentials-transform.js';
import {
  createOktaClient,
  describeError,
  httpStatusOf,
  redact,
  transportFailure,
  USERS_READ_PERMISSION_HINT,
} from './client.js';
import { rateLimitReserve, type OktaRequestExecutor } from './http.js';
import { oktaLogEventToSignIn, oktaUserToAccount } from './transform.js';

/**
 * Okta collector over the official SDK (@okta/okta-sdk-nodejs). One scan:
 * 1. GET /api/v1/iam/assignees/users (every user holding an admin role) -> the set of privileged ids. Without
 *    permission (403) the scan goes on with privilege unknown for everyone (remediation treats them as privileged)
 *    and says so once.
 * 2. GET /api/v1/users, page by page: the plain list, which omits DEPROVISIONED users;
 * 3. then GET /api/v1/users?filter=status eq "DEPROVISIONED" for those. `filter` reads current data, unlike the
 *    eventually consistent `search` index. Running it second means a user deprovisioned mid-scan shows up in one
 *    list or both, never neither; ids already yielded are skipped, so each user comes out exactly once.
 * Pages are yielded as they arrive; only the ids are kept across pages.
 */

/** Users API: default and maximum page size. */
const USERS_PAGE_SIZE = 200;
const USERS_PATH = '/api/v1/users';
/** Role assignees API: its documented default page size. */
const ADMINS_PAGE_SIZE = 100;

const USER_LISTINGS: { label: string; filter?: string }[] = [
  { label: 'users' },
  { label: 'deprovisioned users', filter: 'status eq "DEPROVISIONED"' },
];

const ADMIN_PERMISSION_HINT =
  "the API token's admin needs a role that can view administrator assignments (Read-Only Administrator or higher; " +
  'OAuth service apps: okta.roles.read)';

const API_TOKENS_PERMISSION_HINT =
  "the API token's admin needs a role that can list API tokens (Super Administrator or Org Administrator; OAuth " +
  'service apps: okta.apiTokens.read)';
const GRANTS_PERMISSION_HINT =
  "the API token's admin needs a role that can read users' OAuth grants (OAuth service apps: okta.users.read)";
/** At-risk users whose grants are read at once. */
const GRANTS_CONCURRENCY = 8;
/** Grants API page size (its maximum). */
const GRANTS_PAGE_SIZE = 200;

export const createOktaCollector: CollectorFactory<OktaSourceConfig> = (config, deps = {}) => {
  // Collecting accounts learns who is an admin; an API token acts with its creator's rights.
  const privileged: { ids: Set<string> | null } = { ids: null };
  return {
    collect: (context) => collectOktaAccounts(config, deps, context, privileged),
    doctor: (context) => doctorOkta(config, deps, context),
    collectCredentials: (context, atRisk) => collectOktaCredentials(config, deps, context, atRisk, privileged),
    readSignIns: (context, window) => readOktaSignIns(config, deps, context, window),
  };
};

/**
 * Credentials: every API token of the org (GET /api/v1/api-tokens, one org-wide list), then the OAuth consent grants
 * of at-risk users only (GET /api/v1/users/{id}/grants), so a healthy population costs no calls. A 403 on either
 * kind is said once and that kind is left unread, never reported as none.
 */
async function* collectOktaCredentials(
  config: OktaSourceConfig,
  deps: CollectorDeps,
  context: CollectContext,
  atRisk: ReadonlySet<string>,
  privileged: { ids: Set<string> | null },
): AsyncGenerator<Credential[]> {
  const session = openSession(config, deps, context);
  const privilegedIds = privileged.ids ?? new Set<string>();
  try {
    try {
      const tokens = await session.client.apiTokenApi.listApiTokens();
      let page: Credential[] = [];
      for await (const token of tokens) {
        if (!token?.id) continue;
        page.push(oktaApiTokenToCredential(token, config.name, privilegedIds, context.now));
        if (page.length >= 200) {
          yield page;
          page = [];
        }
      }
      if (page.length > 0) yield page;
    } catch (error) {
      if (httpStatusOf(error) !== 403) throw error;
      context.notice(
        `okta ${config.name}: API tokens unreadable (${describeError(error)}), so they are unknown, not none; ` +
          API_TOKENS_PERMISSION_HINT,
      );
    }
    const users = [...atRisk];
    // A few users at a time: each is one small call, and the executor paces them against the org's rate limits.
    for (let start = 0; start < users.length; start += GRANTS_CONCURRENCY) {
      const batch = users.slice(start, start + GRANTS_CONCURRENCY);
      const results = await Promise.all(batch.map((userId) => readGrants(session, config, userId)));
      const denied = results.find((result): result is { denied: unknown } => 'denied' in result);
      if (denied) {
        context.notice(
          `okta ${config.name}: users' OAuth grants unreadable (${describeError(denied.denied)}), so they are ` +
            `unknown, not none; ${GRANTS_PERMISSION_HINT}`,
        );
        return;
      }
      const page = results.flatMap((result) => ('grants' in result ? result.grants : []));
      if (page.length > 0) yield page;
    }
  } catch (error) {
    throw session.toSourceError(error);
  }
}

/** One user's grants; a 403 is returned (said once by the caller), a user deleted meanwhile has none. */
async function readGrants(
  session: OktaSession,
  config: OktaSourceConfig,
  userId: string,
): Promise<{ grants: Credential[] } | { denied: unknown }> {
  try {
    const grants = await session.client.userApi.listUserGrants({ userId, limit: GRANTS_PAGE_SIZE });
    const page: Credential[] = [];
    for await (const grant of grants) {
      if (grant?.id) page.push(oktaGrantToCredential(grant, config.name, userId));
    }
    return { grants: page };
  } catch (error) {
    const status = httpStatusOf(error);
    if (status === 404) return { grants: [] };
    if (status === 403) return { denied: error };
    throw error;
  }
}

/** Sign-ins to Okta itself and SSO into apps, with their MFA steps (SPEC "Sign-in evidence"). */
export const SIGN_IN_EVENT_FILTER = 'eventType eq "user.session.start" or eventType sw "user.authentication."';
/** System Log: the largest page it serves. */
const LOGS_PAGE_SIZE = 1000;
const LOGS_PERMISSION_HINT =
  "the API token's admin needs a role that can read the System Log (Read-Only Administrator or higher; OAuth " +
  'service apps: okta.logs.read)';

/**
 * GET /api/v1/logs as a bounded request ([since, until), ascending): Okta sends a Link rel="next" while there are
 * more events, and the SDK follows it. Pages are transformed and yielded as they arrive.
 */
async function* readOktaSignIns(
  config: OktaSourceConfig,
  deps: CollectorDeps,
  context: CollectContext,
  window: { since: Date; until: Date },
): AsyncGenerator<SignInEvent[]> {
  const session = openSession(config, deps, context);
  try {
    const collection = await session.client.systemLogApi.listLogEvents({
      since: window.since.toISOString(),
      until: window.until.toISOString(),
      filter: SIGN_IN_EVENT_FILTER,
      limit: LOGS_PAGE_SIZE,
      sortOrder: 'ASCENDING',
    });
    for await (const events of serverPages(collection)) {
      const page: SignInEvent[] = [];
      for (const event of events) {
        const signIn = oktaLogEventToSignIn(event, config.name);
        if (signIn) page.push(signIn);
      }
      if (page.length > 0) yield page;
    }
  } catch (error) {
    if (httpStatusOf(error) === 403) {
      throw new SourceError(
        config.name,
        redact(`System Log unreadable (${describeError(error)}): ${LOGS_PERMISSION_HINT}`, config.token),
        'auth',
      );
    }
    throw session.toSourceError(error);
  }
}

async function* collectOktaAccounts(
  config: OktaSourceConfig,
  deps: CollectorDeps,
  context: CollectContext,
  privileged: { ids: Set<string> | null },
): AsyncGenerator<Account[]> {
  const session = openSession(config, deps, context);
  const started = Date.now();
  try {
    const privilegedIds = await readPrivilegedIds(session.client, config, context);
    privileged.ids = privilegedIds;
    const seen = new Set<string>();
    for (const listing of USER_LISTINGS) {
      const collection = await session.client.userApi.listUsers({ limit: USERS_PAGE_SIZE, filter: listing.filter });
      for await (const users of serverPages(collection)) {
        const accounts: Account[] = [];
        for (const user of users) {
          if (!user.id || seen.has(user.id)) continue;
          seen.add(user.id);
          accounts.push(oktaUserToAccount(user, config.name, privilegedIds));
        }
        context.log.debug(`okta ${config.name}: ${listing.label}: page of ${users.length}`, { total: seen.size });
        if (accounts.length > 0) yield accounts;
      }
    }
    context.log.info(`okta ${config.name}: collected ${seen.size} users`, {
      privileged: privilegedIds?.size ?? 'unknown',
      seconds: Math.round((Date.now() - started) / 100) / 10,
    });
  } catch (error) {
    throw session.toSourceError(error);
  }
}

async function doctorOkta(
  config: OktaSourceConfig,
  deps: CollectorDeps,
  context: CollectContext,
): Promise<DoctorCheck[]> {
  const session = openSession(config, deps, context);
  const checks: DoctorCheck[] = [];
  const notChecked = (names: string[], why: string) =>
    names.forEach((check) => checks.push({ check, ok: false, detail: `not checked: ${why}` }));

  try {
    const collection = await session.client.userApi.listUsers({ limit: 1 });
    await collection.next();
    checks.push({ check: 'reachable', ok: true, detail: `${config.orgUrl} answered` });
    checks.push({ check: 'authenticated', ok: true, detail: 'API token accepted' });
    checks.push({ check: 'users readable', ok: true, detail: 'GET /api/v1/users works' });
  } catch (error) {
    const failure = session.toSourceError(error).message;
    const status = httpStatusOf(error);
    const answered = `${config.orgUrl} answered`;
    if (status === null || status === 404) {
      checks.push({ check: 'reachable', ok: false, detail: failure });
      notChecked(['authenticated', 'users readable', 'admin roles readable'], 'not reachable');
    } else if (status === 401) {
      checks.push({ check: 'reachable', ok: true, detail: answered });
      checks.push({ check: 'authenticated', ok: false, detail: failure });
      notChecked(['users readable', 'admin roles readable'], 'not authenticated');
    } else if (status === 403) {
      checks.push({ check: 'reachable', ok: true, detail: answered });
      checks.push({ check: 'authenticated', ok: true, detail: 'API token accepted' });
      checks.push({ check: 'users readable', ok: false, detail: failure });
      notChecked(['admin roles readable'], 'users not readable');
    } else {
      // Rate limited or a server error: Okta answered but could not say whether the token is good.
      checks.push({ check: 'reachable', ok: true, detail: answered });
      notChecked(['authenticated', 'users readable', 'admin roles readable'], failure);
    }
    return checks;
  }

  try {
    await session.client.roleAssignmentApi.listUsersWithRoleAssignments({ limit: 1 });
    checks.push({
      check: 'admin roles readable',
      ok: true,
      detail: 'admin role assignments readable: privileged known',
    });
  } catch (error) {
    const detail =
      httpStatusOf(error) === 403
        ? `cannot read admin role assignments (${describeError(error)}): privilege unknown for every account, so ` +
          `remediation refuses to act on them without --include-privileged; ${ADMIN_PERMISSION_HINT}`
        : session.toSourceError(error).message;
    checks.push({ check: 'admin roles readable', ok: false, detail });
  }

  const window = session.executor.governor.window(USERS_PATH);
  if (window) {
    checks.push({
      check: 'rate limit',
      ok: true,
      detail:
        `users API: ${window.remaining} of ${window.limit} calls left in the current window; ` +
        `scans pause when ${rateLimitReserve(window.limit)} or fewer remain`,
    });
  }
  return checks;
}

interface OktaSession {
  client: Client;
  executor: OktaRequestExecutor;
  /** The one place SDK, transport and abort errors become SourceErrors (or the caller's own abort reason). */
  toSourceError(error: unknown): SourceError;
}

function openSession(config: OktaSourceConfig, deps: CollectorDeps, context: CollectContext): OktaSession {
  const connection = createOktaClient(config, deps, { signal: context.signal, log: context.log });
  const fail = (message: string, kind: SourceError['kind']) =>
    new SourceError(config.name, redact(message, config.token), kind);

  return {
    client: connection.client,
    executor: connection.executor,
    toSourceError(error) {
      const common = transportFailure(error, config, connection, 'collection');
      if (common) return common;
      const status = httpStatusOf(error);
      if (status === 403) {
        return fail(`permission denied (${describeError(error)}): ${USERS_READ_PERMISSION_HINT}`, 'auth');
      }
      if (status === 404) {
        return fail(`${describeError(error)} from ${config.orgUrl}: is orgUrl the Okta org's URL?`, 'config');
      }
      if (status !== null) return fail(describeError(error), 'server');
      return fail(`unexpected error: ${error instanceof Error ? error.message : String(error)}`, 'data');
    },
  };
}

async function readPrivilegedIds(
  client: Client,
  config: OktaSourceConfig,
  context: CollectContext,
): Promise<Set<string> | null> {
  const ids = new Set<string>();
  let after: string | undefined;
  try {
    do {
      const page = await client.roleAssignmentApi.listUsersWithRoleAssignments({ after, limit: ADMINS_PAGE_SIZE });
      for (const user of page.value ?? []) if (user.id) ids.add(user.id);
      const next = cursorOf(page._links?.next?.href);
      // A cursor that does not move would loop forever; treat it as the end.
      after = next !== after ? next : undefined;
    } while (after);
  } catch (error) {
    if (httpStatusOf(error) !== 403) throw error;
    // Unknown, not "nobody": remediation must not disable an admin it could not recognise.
    context.notice(
      `okta ${config.name}: roles unreadable: admin role assignments refused (${describeError(error)}), so privilege ` +
        `is unknown for every account and remediation refuses to act on them without --include-privileged; ` +
        ADMIN_PERMISSION_HINT,
    );
    return null;
  }
  return ids;
}

/** Yields the users of each page the server returned, as it arrives (the SDK's collection iterates item by item). */
async function* serverPages<Item>(collection: Collection<Item>): AsyncGenerator<Item[]> {
  let page: Item[] = [];
  for (;;) {
    const step = await collection.next();
    if (step.value) page.push(step.value);
    if (page.length > 0 && (step.done || collection.currentItems.length === 0)) {
      yield page;
      page = [];
    }
    if (step.done) return;
  }
}

function cursorOf(href: string | undefined): string | undefined {
  if (!href) return undefined;
  try {
    return new URL(href).searchParams.get('after') ?? undefined;
  } catch {
    return undefined;
  }
}
