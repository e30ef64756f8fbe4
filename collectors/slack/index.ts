import type { CollectContext, CollectorFactory, DoctorCheck } from '../../src/contract/collector.js';
import type { SlackSourceConfig } from '../../src/config/config.js';
import { SlackApi, SlackCallError, sourceDeadline, type SourceDeadline } from './client.js';
import { IntegrationFold, type SlackIntegrationLogRow } from './credentials-transform.js';
import {
  foldLatestAccess,
  type SlackAccessLogRow,
  type SlackActivity,
  type SlackMember,
  slackMemberToAccount,
  toIsoByUser,
} from './transform.js';

/**
 * Slack: team.accessLogs first (the only last-seen date Slack has), reduced to the latest access per user; then
 * users.list page by page, each page yielded as accounts. Deactivated, invited, bot and guest members included.
 */

/** Slack recommends no more than 200 per users.list page. */
const USERS_PAGE_SIZE = 200;
/** team.accessLogs answers in cursor mode when `limit` is given; the SDK documents 999 as the largest limit. */
const ACCESS_LOGS_PAGE_SIZE = 999;

/** team.accessLogs answers that mean "this plan or token cannot read activity", not "the source is broken". */
const ADMIN_TOKEN_ERRORS = new Set([
  'missing_scope',
  'not_allowed_token_type',
  'not_an_admin',
  'is_bot',
  'no_permission',
  'access_denied',
]);

const INACTIVITY_RULES = 'dormant-account, never-logged-in and stale-guest will not run for this source';

/**
 * team.integrationLogs pages the classic way (count + page, `paging.pages`); Slack's classic paging elsewhere
 * (team.accessLogs) allows up to 1000 per page.
 */
const INTEGRATION_LOGS_PAGE_SIZE = 1000;
/** team.integrationLogs answers that mean "this token or plan cannot read installed apps". */
const INTEGRATION_LOG_LIMITS = new Set([...ADMIN_TOKEN_ERRORS, 'paid_only']);

export const createSlackCollector: CollectorFactory<SlackSourceConfig> = (config, deps = {}) => {
  const connect = (context: CollectContext, deadline: SourceDeadline) => {
    const api = (token: string) =>
      new SlackApi({
        source: config.name,
        token,
        apiUrl: config.apiUrl,
        signal: context.signal,
        deadline,
        retryPolicy: deps.retryPolicy,
        log: context.log,
      });
    const users = api(config.token);
    return { users, admin: config.adminToken ? api(config.adminToken) : users };
  };

  return {
    async *collect(context) {
      const { users, admin } = connect(context, sourceDeadline(config.timeoutSeconds));
      const activity = await readActivity(admin, context);
      for await (const members of listMembers(users)) {
        yield members.map((member) => slackMemberToAccount(member, config.name, activity));
      }
    },

    /**
     * Apps and integrations members installed, from team.integrationLogs (org-wide, every scan; admin user token):
     * the whole log is folded first, since the latest change per app decides whether it still works.
     */
    async *collectCredentials(context) {
      const { admin } = connect(context, sourceDeadline(config.timeoutSeconds));
      const fold = new IntegrationFold();
      try {
        for (let page = 1, pages = 1; page <= pages; page++) {
          const answer = await admin.call<IntegrationLogsPage>('team.integrationLogs', {
            count: INTEGRATION_LOGS_PAGE_SIZE,
            page,
          });
          fold.add(answer.logs ?? []);
          pages = answer.paging?.pages ?? 1;
        }
      } catch (error) {
        if (!(error instanceof SlackCallError) || !INTEGRATION_LOG_LIMITS.has(error.slackError)) throw error;
        const scopes = error.needed ? ` (needed: ${error.needed}; token has: ${error.provided || 'none'})` : '';
        context.notice(
          `team.integrationLogs: ${error.slackError}: apps members installed are unknown, not none; reading them ` +
            `needs an admin user token with the admin scope (adminToken)${scopes}`,
        );
        return;
      }
      yield fold.credentials(config.name);
    },

    async doctor(context) {
      const { users, admin } = connect(context, sourceDeadline(config.timeoutSeconds));
      return doctorChecks(users, admin, Boolean(config.adminToken));
    },
  };
};

async function* listMembers(api: SlackApi): AsyncGenerator<SlackMember[]> {
  for await (const page of api.pages<UsersListPage>('users.list', { limit: USERS_PAGE_SIZE })) {
    const members = page.members ?? [];
    if (members.some((member) => typeof member.id !== 'string')) {
      throw new SlackCallError(api.source, 'users.list: a member without an id', 'data', 'users.list', 'bad_member');
    }
    yield members;
  }
}

async function readActivity(api: SlackApi, context: CollectContext): Promise<SlackActivity> {
  const lastSeen = new Map<string, number>();
  try {
    for await (const page of api.pages<AccessLogsPage>('team.accessLogs', { limit: ACCESS_LOGS_PAGE_SIZE })) {
      foldLatestAccess(lastSeen, page.logins ?? []);
    }
  } catch (error) {
    const limitation = error instanceof SlackCallError ? activityLimitation(error) : null;
    if (limitation === null) throw error;
    context.notice(`${limitation}; ${INACTIVITY_RULES}`);
    return { known: false };
  }
  context.log.debug(`${api.source}: access logs cover ${lastSeen.size} users`);
  return { known: true, lastSeen: toIsoByUser(lastSeen) };
}

/** Why activity cannot be read, when it is a plan or permission limitation rather than a failure. */
function activityLimitation(error: SlackCallError): string | null {
  if (error.slackError === 'paid_only') {
    return 'team.accessLogs: paid_only: Slack Free exposes no last-activity date';
  }
  if (ADMIN_TOKEN_ERRORS.has(error.slackError)) {
    const scopes = error.needed ? ` (needed: ${error.needed}; token has: ${error.provided || 'none'})` : '';
    return `team.accessLogs: ${error.slackError}: needs an admin user token with the admin scope (adminToken)${scopes}`;
  }
  return null;
}

async function doctorChecks(users: SlackApi, admin: SlackApi, separateAdminToken: boolean): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  const failed = (check: string, error: unknown): DoctorCheck => ({
    check,
    ok: false,
    detail: error instanceof SlackCallError ? error.reason : String(error),
  });

  let identity: AuthTestResult;
  try {
    identity = await users.call<AuthTestResult>('auth.test');
  } catch (error) {
    if (!(error instanceof SlackCallError)) throw error;
    const reached = error.kind !== 'network' && error.kind !== 'timeout' && error.kind !== 'server';
    checks.push(reached ? { check: 'reachable', ok: true, detail: 'Slack answered' } : failed('reachable', error));
    checks.push(
      reached ? failed('authenticated', error) : { check: 'authenticated', ok: false, detail: 'not reached' },
    );
    return checks;
  }
  checks.push({ check: 'reachable', ok: true, detail: 'Slack answered auth.test' });
  const scopes = identity.response_metadata?.scopes?.join(', ');
  checks.push({
    check: 'authenticated',
    ok: true,
    detail: `team ${identity.team ?? '?'} (${identity.team_id ?? '?'}) as ${identity.user ?? '?'}${scopes ? `; scopes: ${scopes}` : ''}`,
  });

  try {
    const page = await users.call<UsersListPage>('users.list', { limit: USERS_PAGE_SIZE });
    const members = page.members ?? [];
    checks.push({ check: 'users readable', ok: true, detail: `users.list answered (${members.length} on page 1)` });
    const people = members.filter((member) => !member.deleted && !member.is_bot && !member.is_app_user);
    const withEmail = people.filter((member) => member.profile?.email);
    checks.push(
      people.length > 0 && withEmail.length === 0
        ? {
            check: 'user emails',
            ok: false,
            detail:
              'users.list returns no emails: the token needs users:read.email (accounts cannot be matched to people)',
          }
        : {
            check: 'user emails',
            ok: true,
            detail: `${withEmail.length} of ${people.length} people on page 1 have an email`,
          },
    );
  } catch (error) {
    checks.push(failed('users readable', error));
  }

  try {
    await admin.call('team.accessLogs', { limit: 1 });
    checks.push({
      check: 'activity',
      ok: true,
      detail: `team.accessLogs readable${separateAdminToken ? ' with adminToken' : ''}: last-activity dates available`,
    });
  } catch (error) {
    const limitation = error instanceof SlackCallError ? activityLimitation(error) : null;
    checks.push(
      limitation
        ? { check: 'activity', ok: false, detail: `${limitation}; ${INACTIVITY_RULES}` }
        : failed('activity', error),
    );
  }

  try {
    await admin.call('team.integrationLogs', { count: 1 });
    checks.push({
      check: 'installed apps',
      ok: true,
      detail: 'team.integrationLogs readable: apps and integrations members installed are collected as credentials',
    });
  } catch (error) {
    if (!(error instanceof SlackCallError) || !INTEGRATION_LOG_LIMITS.has(error.slackError)) {
      checks.push(failed('installed apps', error));
    } else {
      checks.push({
        check: 'installed apps',
        ok: false,
        limitation: true,
        detail:
          `team.integrationLogs: ${error.slackError}: apps members installed will be unknown; it needs an admin ` +
          'user token with the admin scope (adminToken)',
      });
    }
  }
  return checks;
}

interface UsersListPage {
  ok: boolean;
  members?: SlackMember[];
  response_metadata?: { next_cursor?: string };
}

interface AccessLogsPage {
  ok: boolean;
  logins?: SlackAccessLogRow[];
  response_metadata?: { next_cursor?: string };
}

interface IntegrationLogsPage {
  ok: boolean;
  logs?: SlackIntegrationLogRow[];
  paging?: { count?: number; total?: number; page?: number; pages?: number };
}

interface AuthTestResult {
  ok: boolean;
  team?: string;
  team_id?: string;
  user?: string;
  user_id?: string;
  response_metadata?: { scopes?: string[] };
}
