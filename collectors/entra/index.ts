import type {
  CollectContext,
  CollectorDeps,
  CollectorFactory,
  DoctorCheck,
  SourceCollector,
} from '../../src/contract/collector.js';
import type { EntraSourceConfig } from '../../src/config/config.js';
import { SourceError } from '../../src/contract/errors.js';
import type { Account, Credential, SignInEvent } from '../../src/contract/model.js';
import {
  applicationToCredential,
  isUserGrant,
  permissionGrantToCredential,
  type GraphApplication,
  type GraphPermissionGrant,
} from './credentials-transform.js';
import { describeGraphFailure, GraphSession, isGraphError, openGraphSession, type GraphPage } from './graph.js';
import {
  graphSignInToEvent,
  SIGN_IN_ACTIVITY,
  toAccount,
  USER_PROPERTIES,
  type GraphSignIn,
  type GraphUser,
} from './transform.js';

/**
 * Microsoft Entra ID through Microsoft Graph v1.0: every user with the properties zombiescan needs, sign-in activity
 * when the tenant and the app's permissions allow it, and directory role holders as privileged: active assignments,
 * PIM-eligible ones (an eligible admin is one activation away from the role), and both through role-assignable groups.
 *
 * Application permissions: User.Read.All (required); AuditLog.Read.All plus an Entra ID P1/P2 licence for sign-in
 * activity (without them activity is unknown); RoleManagement.Read.Directory for roles, and GroupMember.Read.All when
 * a group holds a role (without them privilege is unknown, and remediation refuses to act without
 * --include-privileged).
 */

/** Graph's largest page for /users; with signInActivity selected it serves at most 120 per page whatever we ask. */
const USERS_PAGE_SIZE = 999;
const ROLE_ASSIGNMENTS_PATH = '/roleManagement/directory/roleAssignments';
const ROLE_ELIGIBILITIES_PATH = '/roleManagement/directory/roleEligibilityScheduleInstances';
/** PIM needs Entra ID P2 (or Governance): without it nobody can be eligible, so there is nothing to read. */
const NO_PIM_LICENCE = 'AadPremiumLicenseRequired';
const GROUP_TYPE = '#microsoft.graph.group';
const USER_TYPE = '#microsoft.graph.user';

const NON_PREMIUM_TENANT = 'Authentication_RequestFromNonPremiumTenantOrB2CTenant';
/** Graph's 403 codes when signInActivity may not be read: no AuditLog.Read.All, or no P1/P2 licence. */
const SIGN_IN_ACTIVITY_REFUSED = ['Authorization_RequestDenied', NON_PREMIUM_TENANT];

const USERS_FORBIDDEN = 'reading users needs the application permission User.Read.All (admin consent)';

export const SIGN_IN_ACTIVITY_NOTICE =
  'sign-in activity unavailable: needs AuditLog.Read.All and Entra ID P1 — dormant and never-logged-in rules will not ' +
  'run for this source';

export const ROLE_ASSIGNMENTS_NOTICE =
  'roles unreadable: directory role assignments unavailable (needs RoleManagement.Read.Directory) — privilege is ' +
  'unknown for every account of this source, so remediation refuses to act on them without --include-privileged';

export const GROUP_MEMBERS_NOTICE =
  'roles unreadable: a group holds a directory role but its members cannot be read (needs GroupMember.Read.All) — ' +
  'privilege is unknown for every account of this source, so remediation refuses to act on them without ' +
  '--include-privileged';

interface RoleHolding {
  principalId?: string | null;
  principal?: { '@odata.type'?: string; id?: string } | null;
}

export const PERMISSION_GRANTS_NOTICE =
  'delegated permission grants unavailable: needs Directory.Read.All — OAuth grants of this source are unknown, not none';
export const APPLICATIONS_NOTICE =
  'app registrations unavailable: needs Application.Read.All — app secrets and certificates of this source are ' +
  'unknown, not none';
const PERMISSION_GRANTS_PATH = '/oauth2PermissionGrants';
const APPLICATIONS_PATH = '/applications';
const APPLICATION_PROPERTIES = [
  'id',
  'appId',
  'displayName',
  'createdDateTime',
  'passwordCredentials',
  'keyCredentials',
];
const SIGN_INS_PATH = '/auditLogs/signIns';
/** Graph's largest sign-in page. */
const SIGN_INS_PAGE_SIZE = 1000;

export const SIGN_IN_LOG_P1_NOTICE =
  'sign-in log unavailable: the tenant has no Entra ID P1/P2 licence, which GET /auditLogs/signIns needs — ' +
  'sign-in evidence (sign-in-after-termination, access-attempt-on-departed) will not run for this source';
const SIGN_IN_LOG_FORBIDDEN =
  'reading the sign-in log needs the application permission AuditLog.Read.All (with Directory.Read.All, admin consent)';

type UsersRequest = { withSignInActivity: boolean } | { nextLink: string };

export const createEntraCollector: CollectorFactory<EntraSourceConfig> = (config, deps = {}) =>
  new EntraCollector(config, deps);

class EntraCollector implements SourceCollector {
  private sessionPromise: Promise<GraphSession> | null = null;

  constructor(
    private readonly config: EntraSourceConfig,
    private readonly deps: CollectorDeps,
  ) {}

  async *collect(context: CollectContext): AsyncGenerator<Account[]> {
    const deadline = this.deadline(context.signal);
    const { signal } = deadline;
    try {
      const session = await this.session(context);
      const privilegedIds = await this.privilegedPrincipalIds(session, context, signal);

      let activityKnown = true;
      let page: GraphPage<GraphUser>;
      try {
        page = await this.usersPage(session, { withSignInActivity: true }, signal);
      } catch (error) {
        if (!isGraphError(error, 403, SIGN_IN_ACTIVITY_REFUSED)) {
          throw session.toSourceError(error, 'GET /users', USERS_FORBIDDEN);
        }
        // A tenant without P1, or an app without AuditLog.Read.All, still has users worth checking: list them without
        // signInActivity and say once that activity is unknown (unknown is never "never signed in").
        const refusal = describeGraphFailure(error);
        page = await this.usersPageOrFail(session, { withSignInActivity: false }, signal);
        activityKnown = false;
        context.log.warn(`${this.config.name}: signInActivity refused, activity unknown`, { graph: refusal });
        context.notice(`${SIGN_IN_ACTIVITY_NOTICE} (Graph said ${refusal})`);
      }

      const transform = { source: this.config.name, activityKnown, privilegedIds };
      let pages = 0;
      let users = 0;
      for (;;) {
        pages++;
        users += page.value.length;
        yield page.value.map((user) => toAccount(user, transform));
        const nextLink = page['@odata.nextLink'];
        if (!nextLink) break;
        page = await this.usersPageOrFail(session, { nextLink }, signal);
        if (page['@odata.nextLink'] === nextLink) {
          throw new SourceError(
            this.config.name,
            'Graph returned the same @odata.nextLink twice (paging loop)',
            'data',
          );
        }
      }
      context.log.info(`${this.config.name}: ${users} users in ${pages} pages`, { activityKnown });
    } catch (error) {
      throwIfCancelled(context.signal, deadline.timedOut());
      throw this.failure(error, deadline.timedOut());
    } finally {
      deadline.dispose();
    }
  }

  /**
   * Both lists are tenant-wide and read every scan (no per-user calls, so `atRisk` is not needed): every user's
   * delegated permission grants (GET /oauth2PermissionGrants, Principal consents only), and every app registration
   * with its secrets, certificates and owners (GET /applications?$expand=owners). A 403 on either is said once and
   * that kind stays unknown.
   */
  async *collectCredentials(context: CollectContext): AsyncGenerator<Credential[]> {
    const deadline = this.deadline(context.signal);
    const { signal } = deadline;
    try {
      const session = await this.session(context);
      for await (const grants of this.pages<GraphPermissionGrant>(
        session,
        PERMISSION_GRANTS_PATH,
        (s) => s.api(PERMISSION_GRANTS_PATH),
        PERMISSION_GRANTS_NOTICE,
        context,
        signal,
      )) {
        yield grants.filter(isUserGrant).map((grant) => permissionGrantToCredential(grant, this.config.name));
      }
      for await (const apps of this.pages<GraphApplication>(
        session,
        APPLICATIONS_PATH,
        (s) => s.api(APPLICATIONS_PATH).select(APPLICATION_PROPERTIES).expand('owners($select=id)'),
        APPLICATIONS_NOTICE,
        context,
        signal,
      )) {
        yield apps
          .map((app) => applicationToCredential(app, this.config.name, context.now))
          .filter((credential): credential is Credential => credential !== null);
      }
    } catch (error) {
      throwIfCancelled(context.signal, deadline.timedOut());
      throw this.failure(error, deadline.timedOut());
    } finally {
      deadline.dispose();
    }
  }

  /**
   * GET /auditLogs/signIns filtered on createdDateTime to the window, page by page through @odata.nextLink. Graph
   * serves newest first; the engine aggregates in any order. Without P1 it throws a SourceError saying so (the engine
   * notes it once per scan and carries on with this source's sign-ins unknown).
   */
  async *readSignIns(context: CollectContext, window: { since: Date; until: Date }): AsyncGenerator<SignInEvent[]> {
    const deadline = this.deadline(context.signal);
    const { signal } = deadline;
    const filter = `createdDateTime ge ${window.since.toISOString()} and createdDateTime lt ${window.until.toISOString()}`;
    try {
      const session = await this.session(context);
      let nextLink: string | undefined;
      do {
        const link = nextLink;
        let page: GraphPage<GraphSignIn>;
        try {
          page = await session.get<GraphPage<GraphSignIn>>(
            `GET ${SIGN_INS_PATH}`,
            (s) => (link ? s.api(link) : s.api(SIGN_INS_PATH).filter(filter).top(SIGN_INS_PAGE_SIZE)),
            signal,
          );
        } catch (error) {
          if (isGraphError(error, 403, [NON_PREMIUM_TENANT])) {
            throw new SourceError(
              this.config.name,
              `${SIGN_IN_LOG_P1_NOTICE} (Graph said ${describeGraphFailure(error)})`,
              'auth',
            );
          }
          throw session.toSourceError(error, `GET ${SIGN_INS_PATH}`, SIGN_IN_LOG_FORBIDDEN);
        }
        const events: SignInEvent[] = [];
        for (const entry of page.value) {
          const event = graphSignInToEvent(entry, this.config.name);
          if (event) events.push(event);
        }
        if (events.length > 0) yield events;
        nextLink = page['@odata.nextLink'];
        if (nextLink !== undefined && nextLink === link) {
          throw new SourceError(
            this.config.name,
            'Graph returned the same @odata.nextLink twice (paging loop)',
            'data',
          );
        }
      } while (nextLink);
    } catch (error) {
      throwIfCancelled(context.signal, deadline.timedOut());
      throw this.failure(error, deadline.timedOut());
    } finally {
      deadline.dispose();
    }
  }

  /** A Graph collection page by page; a 403 on the first page is a notice and no pages (unknown, not none). */
  private async *pages<T>(
    session: GraphSession,
    path: string,
    first: (session: GraphSession) => ReturnType<GraphSession['api']>,
    forbidden: string,
    context: CollectContext,
    signal: AbortSignal,
  ): AsyncGenerator<T[]> {
    let nextLink: string | undefined;
    let firstPage = true;
    do {
      let page: GraphPage<T>;
      try {
        const link = nextLink;
        page = await session.get(`GET ${path}`, (s) => (link ? s.api(link) : first(s)), signal);
      } catch (error) {
        if (!firstPage || !isGraphError(error, 403)) throw session.toSourceError(error, `GET ${path}`);
        context.notice(`${forbidden} (Graph said ${describeGraphFailure(error)})`);
        return;
      }
      firstPage = false;
      if (page['@odata.nextLink'] !== undefined && page['@odata.nextLink'] === nextLink) {
        throw new SourceError(this.config.name, `Graph returned the same @odata.nextLink twice on ${path}`, 'data');
      }
      yield page.value;
      nextLink = page['@odata.nextLink'];
    } while (nextLink);
  }

  async doctor(context: CollectContext): Promise<DoctorCheck[]> {
    const deadline = this.deadline(context.signal);
    const { signal } = deadline;
    const checks: DoctorCheck[] = [];
    const check = (name: string, ok: boolean, detail: string) => checks.push({ check: name, ok, detail });
    try {
      let session: GraphSession;
      try {
        session = await this.session(context);
        await session.tokens.get(signal);
      } catch (error) {
        throwIfCancelled(context.signal, deadline.timedOut());
        const failure = this.failure(error, deadline.timedOut());
        const reached = failure.kind === 'auth' || failure.kind === 'server' || failure.kind === 'rate-limit';
        check('reachable', reached, reached ? 'the token endpoint answered' : failure.message);
        check('authenticated', false, reached ? failure.message : 'not checked: token endpoint not reachable');
        for (const name of ['users readable', 'sign-in activity', 'role assignments']) {
          check(name, false, 'not checked: no access token');
        }
        return checks;
      }
      check('reachable', true, `token endpoint ${session.tokens.tokenEndpoint} answered`);
      check('authenticated', true, `client credentials of ${this.config.clientId} accepted`);

      /** One small request; the failure detail names the missing permission or licence. */
      const probe = async (path: string, select: readonly string[], forbidden: (code: string | null) => string) => {
        try {
          // No $top for role assignments: that list documents only $filter, $expand and $select.
          const top = path === '/users' ? 1 : null;
          await session.get(
            `GET ${path}`,
            (s) =>
              top === null
                ? s.api(path).select([...select])
                : s
                    .api(path)
                    .select([...select])
                    .top(top),
            signal,
          );
          return null;
        } catch (error) {
          throwIfCancelled(context.signal, deadline.timedOut());
          if (isGraphError(error, 403)) return `${forbidden(error.code)} (Graph said ${describeGraphFailure(error)})`;
          return this.failure(session.toSourceError(error, `GET ${path}`), deadline.timedOut()).message;
        }
      };

      const usersFailure = await probe('/users', USER_PROPERTIES, () => 'missing application permission User.Read.All');
      check('users readable', usersFailure === null, usersFailure ?? 'User.Read.All granted');

      const activityFailure =
        usersFailure !== null
          ? 'not checked: users are not readable'
          : await probe('/users', ['id', SIGN_IN_ACTIVITY], (code) =>
              code === NON_PREMIUM_TENANT
                ? 'the tenant has no Entra ID P1/P2 licence, which signInActivity needs: activity will be unknown'
                : 'missing application permission AuditLog.Read.All (signInActivity also needs an Entra ID P1/P2 ' +
                  'licence): activity will be unknown',
            );
      check(
        'sign-in activity',
        activityFailure === null,
        activityFailure ?? 'AuditLog.Read.All granted, tenant licensed',
      );

      const rolesFailure = await probe(
        ROLE_ASSIGNMENTS_PATH,
        ['principalId'],
        () =>
          'missing application permission RoleManagement.Read.Directory: privilege unknown for every account, so ' +
          'remediation refuses to act on them without --include-privileged',
      );
      check('role assignments', rolesFailure === null, rolesFailure ?? 'RoleManagement.Read.Directory granted');
      return checks;
    } finally {
      deadline.dispose();
    }
  }

  /** One token cache and SDK client per collector, created on first use (https is checked then, not at config load). */
  private session(context: CollectContext): Promise<GraphSession> {
    this.sessionPromise ??= openGraphSession(this.config, this.deps, context.log).catch((error: unknown) => {
      this.sessionPromise = null;
      throw error;
    });
    return this.sessionPromise;
  }

  private async usersPage(session: GraphSession, request: UsersRequest, signal: AbortSignal) {
    return session.get<GraphPage<GraphUser>>(
      'GET /users',
      (s) =>
        'nextLink' in request
          ? s.api(request.nextLink)
          : s
              .api('/users')
              .select(request.withSignInActivity ? [...USER_PROPERTIES, SIGN_IN_ACTIVITY] : [...USER_PROPERTIES])
              .top(USERS_PAGE_SIZE),
      signal,
    );
  }

  /**
   * Ids of every user holding a directory role, actively or PIM-eligible, directly or through a group (role-assignable
   * groups and their transitive members); null when any of it may not be read (privilege is then unknown).
   */
  private async privilegedPrincipalIds(
    session: GraphSession,
    context: CollectContext,
    signal: AbortSignal,
  ): Promise<Set<string> | null> {
    const refused = (notice: string, error: Parameters<typeof describeGraphFailure>[0]) => {
      const refusal = describeGraphFailure(error);
      context.log.warn(`${this.config.name}: role read refused, privilege unknown`, { graph: refusal });
      context.notice(`${notice} (Graph said ${refusal})`);
      return null;
    };
    let holdings: RoleHolding[];
    try {
      holdings = await this.allPages<RoleHolding>(session, ROLE_ASSIGNMENTS_PATH, signal);
    } catch (error) {
      if (!isGraphError(error, 403)) throw session.toSourceError(error, `GET ${ROLE_ASSIGNMENTS_PATH}`);
      return refused(ROLE_ASSIGNMENTS_NOTICE, error);
    }
    try {
      holdings.push(...(await this.allPages<RoleHolding>(session, ROLE_ELIGIBILITIES_PATH, signal)));
    } catch (error) {
      if (isGraphError(error, 400, [NO_PIM_LICENCE])) {
        context.log.info(`${this.config.name}: no Entra ID P2, so no PIM-eligible roles`);
      } else if (isGraphError(error, 403)) {
        return refused(ROLE_ASSIGNMENTS_NOTICE, error);
      } else {
        throw session.toSourceError(error, `GET ${ROLE_ELIGIBILITIES_PATH}`);
      }
    }

    const ids = new Set<string>();
    const groups = new Set<string>();
    for (const holding of holdings) {
      const id = holding.principalId ?? holding.principal?.id;
      if (!id) continue;
      if (holding.principal?.['@odata.type'] === GROUP_TYPE) groups.add(id);
      else ids.add(id);
    }
    for (const group of groups) {
      const path = `/groups/${encodeURIComponent(group)}/transitiveMembers`;
      try {
        const members = await this.allPages<{ '@odata.type'?: string; id?: string }>(session, path, signal, false);
        for (const member of members) if (member.id && member['@odata.type'] === USER_TYPE) ids.add(member.id);
      } catch (error) {
        // A role-holding group deleted since the assignment list was read grants nothing any more.
        if (isGraphError(error, 404)) continue;
        if (!isGraphError(error, 403)) throw session.toSourceError(error, `GET ${path}`);
        return refused(GROUP_MEMBERS_NOTICE, error);
      }
    }
    return ids;
  }

  /** Every page of a role collection (with each principal's type) or of a group's members. */
  private async allPages<T>(
    session: GraphSession,
    path: string,
    signal: AbortSignal,
    roleCollection = true,
  ): Promise<T[]> {
    const items: T[] = [];
    let nextLink: string | undefined;
    do {
      const link = nextLink;
      const page: GraphPage<T> = await session.get(
        `GET ${path}`,
        (s) =>
          link
            ? s.api(link)
            : roleCollection
              ? s.api(path).select(['principalId']).expand('principal')
              : s.api(path).select(['id']),
        signal,
      );
      items.push(...page.value);
      nextLink = page['@odata.nextLink'];
    } while (nextLink);
    return items;
  }

  private async usersPageOrFail(session: GraphSession, request: UsersRequest, signal: AbortSignal) {
    try {
      return await this.usersPage(session, request, signal);
    } catch (error) {
      throw session.toSourceError(error, 'GET /users', USERS_FORBIDDEN);
    }
  }

  /** The source's own timeoutSeconds on top of the caller's signal. */
  private deadline(outer: AbortSignal) {
    const timer = new AbortController();
    let fired = false;
    // setTimeout fires at once past 2^31-1 ms, so a very long timeout is capped (at ~24 days).
    const timeoutMs = Math.min(this.config.timeoutSeconds * 1000, 2 ** 31 - 1);
    const handle = setTimeout(() => {
      fired = true;
      timer.abort(new DOMException(`gave up after ${this.config.timeoutSeconds}s`, 'TimeoutError'));
    }, timeoutMs);
    handle.unref();
    return {
      signal: AbortSignal.any([outer, timer.signal]),
      timedOut: () => fired,
      dispose: () => clearTimeout(handle),
    };
  }

  /** A SourceError for anything collect() or doctor() hit. */
  private failure(error: unknown, timedOut: boolean): SourceError {
    const { name, timeoutSeconds } = this.config;
    if (timedOut) return new SourceError(name, `gave up after ${timeoutSeconds}s (timeoutSeconds)`, 'timeout');
    if (error instanceof SourceError) return error;
    return new SourceError(name, `unexpected failure: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The caller cancelled (not our own timeout): that is not a source failure, so its reason goes up unchanged. */
function throwIfCancelled(outer: AbortSignal, timedOut: boolean): void {
  if (outer.aborted && !timedOut) throw outer.reason;
}
