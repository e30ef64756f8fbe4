import { Client } from '@microsoft/microsoft-graph-client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createEntraCollector,
  GROUP_MEMBERS_NOTICE,
  ROLE_ASSIGNMENTS_NOTICE,
  SIGN_IN_ACTIVITY_NOTICE,
} from '../../collectors/entra/index.js';
import { httpOptionsFor } from '../../collectors/entra/http.js';
import { collectEmails, latestSignIn, toIsoInstant, USER_PROPERTIES } from '../../collectors/entra/transform.js';
import type { CollectContext, CollectorDeps } from '../../src/contract/collector.js';
import type { EntraSourceConfig } from '../../src/config/config.js';
import { SourceError } from '../../src/contract/errors.js';
import { silentLogger } from '../../src/common/logger.js';
import type { Account } from '../../src/contract/model.js';
import { fakeUser, fakeUsers, startGraphFake, type GraphFake, type GraphFakeOptions } from '../fakes/graph.js';

const FAST_RETRIES: CollectorDeps['retryPolicy'] = { baseDelayMs: 1, maxDelayMs: 20 };

let fake: GraphFake | null = null;
afterEach(async () => {
  await fake?.close();
  fake = null;
});

async function start(options: GraphFakeOptions = {}): Promise<GraphFake> {
  fake = await startGraphFake(options);
  return fake;
}

function configFor(graph: GraphFake, overrides: Partial<EntraSourceConfig> = {}): EntraSourceConfig {
  return {
    name: 'entra',
    type: 'entra',
    role: 'idp',
    timeoutSeconds: 30,
    tenantId: graph.tenantId,
    clientId: graph.clientId,
    clientSecret: graph.clientSecret,
    graphUrl: graph.url,
    authorityUrl: graph.authorityUrl,
    ...overrides,
  };
}

function collectorFor(graph: GraphFake, overrides: Partial<EntraSourceConfig> = {}, deps: CollectorDeps = {}) {
  return createEntraCollector(configFor(graph, overrides), {
    caCertificate: graph.caCertificate,
    retryPolicy: FAST_RETRIES,
    ...deps,
  });
}

function contextFor(signal: AbortSignal = new AbortController().signal) {
  const notices: string[] = [];
  const context: CollectContext = {
    signal,
    log: silentLogger,
    notice: (message) => notices.push(message),
    now: new Date('2026-11-26T12:00:00Z'),
  };
  return { context, notices };
}

async function collectPages(iterable: AsyncIterable<Account[]>): Promise<Account[][]> {
  const pages: Account[][] = [];
  for await (const page of iterable) pages.push(page);
  return pages;
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

const usersRequests = (graph: GraphFake) => graph.state.requests.filter((request) => request.target === 'users');

describe('entra collector against the Graph fake (real SDK)', () => {
  it('streams every page, asking $select and $top, following absolute nextLinks through capped pages', async () => {
    const graph = await start({ users: fakeUsers(2500), pageCaps: { maxTop: 999, signInActivity: 120 } });
    const { context, notices } = contextFor();
    const iterator = collectorFor(graph).collect(context)[Symbol.asyncIterator]();

    // Streaming: the first page is handed over before the second is even asked for.
    const first = await iterator.next();
    expect(first.done).toBe(false);
    expect(first.value).toHaveLength(120);
    expect(usersRequests(graph)).toHaveLength(1);

    const rest: Account[][] = [];
    for (let step = await iterator.next(); !step.done; step = await iterator.next()) rest.push(step.value);
    const pages = [first.value as Account[], ...rest];
    expect(pages.map((page) => page.length)).toEqual([...Array<number>(20).fill(120), 100]);
    const ids = new Set(pages.flat().map((account) => account.id));
    expect(ids.size).toBe(2500);
    expect(notices).toEqual([]);

    const requests = usersRequests(graph);
    expect(requests).toHaveLength(21);
    const selected = requests[0]!.query.$select!.split(',');
    expect(selected).toEqual(expect.arrayContaining([...USER_PROPERTIES, 'signInActivity']));
    expect(requests[0]!.query.$top).toBe('999');
    expect(requests[0]!.query.$skiptoken).toBeUndefined();
    for (const request of requests.slice(1)) {
      expect(request.query.$skiptoken).toBeTruthy();
      expect(request.query.$select).toBe(requests[0]!.query.$select);
    }
    // Every Graph call went through the SDK (its telemetry header) with the bearer token it attached.
    for (const request of graph.state.requests.filter((entry) => entry.target !== 'token')) {
      expect(request.sdkVersion).toMatch(/^graph-js\/3\.0\.7/);
      expect(request.hadBearer).toBe(true);
    }
    expect(graph.state.tokensIssued).toBe(1);
  });

  it('the fake serves only the default property set without $select, as Graph does', async () => {
    const graph = await start({ users: [fakeUser(1, { accountEnabled: false, userType: 'Guest' })] });
    const trustFake = await httpOptionsFor('test', graph.caCertificate);
    const tokenResponse = await fetch(`${graph.authorityUrl}/${graph.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      body: new URLSearchParams({
        client_id: graph.clientId,
        client_secret: graph.clientSecret,
        grant_type: 'client_credentials',
        scope: `${graph.url}/.default`,
      }),
      ...trustFake,
    } as RequestInit);
    const { access_token: token } = (await tokenResponse.json()) as { access_token: string };
    const client = Client.init({
      authProvider: (done) => done(null, token),
      baseUrl: graph.url,
      customHosts: new Set(['127.0.0.1']),
      fetchOptions: trustFake as RequestInit,
    });

    const naive = (await client.api('/users').get()) as { value: Record<string, unknown>[] };
    expect(naive.value[0]).toMatchObject({ id: expect.any(String), displayName: 'User 1', mail: 'user1@contoso.com' });
    // A collector that forgets $select sees this disabled guest with no accountEnabled and no userType at all.
    expect(naive.value[0]).not.toHaveProperty('accountEnabled');
    expect(naive.value[0]).not.toHaveProperty('userType');
    expect(naive.value[0]).not.toHaveProperty('signInActivity');

    const selected = (await client.api('/users').select(['accountEnabled', 'userType']).get()) as {
      value: Record<string, unknown>[];
    };
    expect(selected.value[0]).toEqual({ id: fakeUser(1).id, accountEnabled: false, userType: 'Guest' });

    const unknown = await failureOf(client.api('/users').select(['accountEnabld']).get());
    expect(unknown).toMatchObject({ statusCode: 400, code: 'Request_BadRequest' });
  });

  it('maps guests, disabled, privileged, latest of three sign-ins and SMTP proxy addresses', async () => {
    const admin = fakeUser(1, {
      userPrincipalName: 'Ada.Admin@contoso.com',
      mail: 'Ada.Admin@contoso.com',
      otherMails: ['ada@personal.example', 'ADA.ADMIN@contoso.com'],
      proxyAddresses: ['SMTP:Ada.Admin@contoso.com', 'smtp:ada@contoso.onmicrosoft.com', 'SIP:ada@contoso.com'],
      onPremisesSyncEnabled: true,
      signInActivity: {
        lastSignInDateTime: '2026-03-01T10:00:00Z',
        lastNonInteractiveSignInDateTime: '2026-11-20T07:30:00Z',
        lastSuccessfulSignInDateTime: '2026-11-19T07:30:00Z',
      },
    });
    const guest = fakeUser(2, {
      userPrincipalName: 'gus_partner.example#EXT#@contoso.onmicrosoft.com',
      mail: 'gus@partner.example',
      proxyAddresses: [],
      employeeId: null,
      userType: 'Guest',
      accountEnabled: false,
      externalUserState: 'PendingAcceptance',
      assignedLicenses: [],
      signInActivity: undefined,
    });
    const interactiveOnly = fakeUser(3, {
      // Graph's placeholder for "no value" in signInActivity.
      signInActivity: {
        lastSignInDateTime: '2026-09-09T09:09:09Z',
        lastNonInteractiveSignInDateTime: '0001-01-01T00:00:00Z',
        lastSuccessfulSignInDateTime: null,
      },
    });
    const graph = await start({
      users: [admin, guest, interactiveOnly],
      roleAssignments: [
        {
          id: 'ra-1',
          principalId: admin.id,
          roleDefinitionId: '62e90394-69f5-4237-9190-012177145e10',
          directoryScopeId: '/',
        },
        { id: 'ra-2', principalId: 'some-group-id', roleDefinitionId: 'x', directoryScopeId: '/' },
      ],
    });
    const { context } = contextFor();
    const accounts = (await collectPages(collectorFor(graph).collect(context))).flat();

    expect(accounts).toEqual([
      {
        source: 'entra',
        id: admin.id,
        login: 'Ada.Admin@contoso.com',
        email: 'Ada.Admin@contoso.com',
        emails: ['Ada.Admin@contoso.com', 'ada@personal.example', 'ada@contoso.onmicrosoft.com'],
        employeeId: 'E00001',
        displayName: 'User 1',
        enabled: true,
        rawStatus: 'enabled',
        type: 'human',
        createdAt: '2022-01-10T09:00:00.000Z',
        lastActivityAt: '2026-11-20T07:30:00.000Z',
        activityKnown: true,
        privileged: true,
        privilegeKnown: true,
        licenses: ['05e9a617-0261-4cee-bb44-138d3ef5d965'],
        builtIn: false,
        attributes: { onPremisesSyncEnabled: true, externalUserState: null, userType: 'Member' },
      },
      {
        source: 'entra',
        id: guest.id,
        login: 'gus_partner.example#EXT#@contoso.onmicrosoft.com',
        email: 'gus@partner.example',
        emails: ['gus@partner.example'],
        employeeId: null,
        displayName: 'User 2',
        enabled: false,
        rawStatus: 'disabled (PendingAcceptance)',
        type: 'guest',
        createdAt: '2022-01-10T09:00:00.000Z',
        lastActivityAt: null,
        activityKnown: true,
        privileged: false,
        privilegeKnown: true,
        licenses: [],
        builtIn: false,
        attributes: { onPremisesSyncEnabled: null, externalUserState: 'PendingAcceptance', userType: 'Guest' },
      },
      expect.objectContaining({
        id: interactiveOnly.id,
        lastActivityAt: '2026-09-09T09:09:09.000Z',
        privileged: false,
      }),
    ]);
    const roleRequests = graph.state.requests.filter((request) => request.target === 'roleAssignments');
    expect(roleRequests).toHaveLength(1);
    expect(roleRequests[0]!.query.$select).toBe('principalId');
    // Role holders are read before the first user page.
    expect(graph.state.requests.findIndex((r) => r.target === 'roleAssignments')).toBeLessThan(
      graph.state.requests.findIndex((r) => r.target === 'users'),
    );
  });

  it('pages through role assignments', async () => {
    const users = fakeUsers(30);
    const graph = await start({
      users,
      roleAssignments: users.slice(0, 25).map((user, index) => ({
        id: `ra-${index}`,
        principalId: user.id,
        roleDefinitionId: 'fe930be7-5e62-47db-91af-98c3a49a38b1',
        directoryScopeId: '/',
      })),
      pageCaps: { roleAssignments: 10 },
    });
    const accounts = (await collectPages(collectorFor(graph).collect(contextFor().context))).flat();
    expect(accounts.filter((account) => account.privileged)).toHaveLength(25);
    expect(graph.state.requests.filter((request) => request.target === 'roleAssignments')).toHaveLength(3);
  });

  it.each<[string, GraphFakeOptions, string]>([
    ['no Entra ID P1 licence', { premium: false }, 'Authentication_RequestFromNonPremiumTenantOrB2CTenant'],
    [
      'no AuditLog.Read.All',
      { permissions: ['User.Read.All', 'RoleManagement.Read.Directory'] },
      'Authorization_RequestDenied',
    ],
  ])('%s: lists users without signInActivity, activity unknown, one notice', async (_, options, code) => {
    const graph = await start({ users: fakeUsers(1500), ...options });
    const { context, notices } = contextFor();
    const pages = await collectPages(collectorFor(graph).collect(context));

    // Without signInActivity the 120 cap no longer applies.
    expect(pages.map((page) => page.length)).toEqual([999, 501]);
    const accounts = pages.flat();
    expect(accounts).toHaveLength(1500);
    expect(accounts.every((account) => !account.activityKnown && account.lastActivityAt === null)).toBe(true);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain(SIGN_IN_ACTIVITY_NOTICE);
    expect(notices[0]).toContain(code);

    const requests = usersRequests(graph);
    expect(requests[0]!.query.$select).toContain('signInActivity');
    expect(requests[0]!.status).toBe(403);
    expect(requests.slice(1).every((request) => !request.query.$select!.includes('signInActivity'))).toBe(true);
  });

  it('counts PIM-eligible roles and roles held through a group (nested members too) as privileged', async () => {
    const users = fakeUsers(6);
    const [direct, eligible, viaGroup, viaNested, eligibleViaGroup, nobody] = users.map((user) => user.id);
    const role = (id: string, principalId: string) => ({
      id,
      principalId,
      roleDefinitionId: '62e90394-69f5-4237-9190-012177145e10',
      directoryScopeId: '/',
    });
    const graph = await start({
      users,
      groups: [
        { id: 'g-admins', displayName: 'Tier 0 admins', isAssignableToRole: true, members: [viaGroup!, 'g-nested'] },
        { id: 'g-nested', displayName: 'Break-glass', isAssignableToRole: false, members: [viaNested!] },
        { id: 'g-pim', displayName: 'PIM helpdesk', isAssignableToRole: true, members: [eligibleViaGroup!] },
      ],
      roleAssignments: [role('ra-1', direct!), role('ra-2', 'g-admins'), role('ra-3', 'sp-automation')],
      roleEligibilities: [role('re-1', eligible!), role('re-2', 'g-pim')],
    });
    const { context, notices } = contextFor();
    const accounts = (await collectPages(collectorFor(graph).collect(context))).flat();
    const privileged = new Set(accounts.filter((account) => account.privileged).map((account) => account.id));
    expect(privileged).toEqual(new Set([direct, eligible, viaGroup, viaNested, eligibleViaGroup]));
    expect(privileged.has(nobody!)).toBe(false);
    expect(accounts.every((account) => account.privilegeKnown)).toBe(true);
    expect(notices).toEqual([]);
    const memberReads = graph.state.requests.filter((request) => request.target === 'groupMembers');
    expect(memberReads.map((request) => request.path).sort()).toEqual([
      '/v1.0/groups/g-admins/transitiveMembers',
      '/v1.0/groups/g-pim/transitiveMembers',
    ]);
  });

  it('without Entra ID P2 there is no PIM: active roles only, privilege still known', async () => {
    const users = fakeUsers(3);
    const graph = await start({
      users,
      p2: false,
      roleAssignments: [{ id: 'ra', principalId: users[0]!.id, roleDefinitionId: 'r', directoryScopeId: '/' }],
      roleEligibilities: [{ id: 're', principalId: users[1]!.id, roleDefinitionId: 'r', directoryScopeId: '/' }],
    });
    const accounts = (await collectPages(collectorFor(graph).collect(contextFor().context))).flat();
    expect(accounts.filter((account) => account.privileged).map((account) => account.id)).toEqual([users[0]!.id]);
    expect(accounts.every((account) => account.privilegeKnown)).toBe(true);
    const eligibility = graph.state.requests.find((request) => request.target === 'roleEligibilities')!;
    expect(eligibility.status).toBe(400);
  });

  it('a role-holding group whose members cannot be read makes privilege unknown for everyone', async () => {
    const users = fakeUsers(3);
    const graph = await start({
      users,
      permissions: ['User.Read.All', 'AuditLog.Read.All', 'RoleManagement.Read.Directory'],
      groups: [{ id: 'g-admins', displayName: 'Admins', isAssignableToRole: true, members: [users[1]!.id] }],
      roleAssignments: [{ id: 'ra', principalId: 'g-admins', roleDefinitionId: 'r', directoryScopeId: '/' }],
    });
    const { context, notices } = contextFor();
    const accounts = (await collectPages(collectorFor(graph).collect(context))).flat();
    expect(accounts.every((account) => !account.privilegeKnown && !account.privileged)).toBe(true);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain(GROUP_MEMBERS_NOTICE);
  });

  it('without RoleManagement.Read.Directory: says so once and marks no one privileged', async () => {
    const users = fakeUsers(5);
    const graph = await start({
      users,
      permissions: ['User.Read.All', 'AuditLog.Read.All'],
      roleAssignments: [{ id: 'ra', principalId: users[0]!.id, roleDefinitionId: 'r', directoryScopeId: '/' }],
    });
    const { context, notices } = contextFor();
    const accounts = (await collectPages(collectorFor(graph).collect(context))).flat();
    expect(accounts).toHaveLength(5);
    expect(accounts.some((account) => account.privileged)).toBe(false);
    // Unknown, never "not an admin": remediation fails closed on these.
    expect(accounts.every((account) => !account.privilegeKnown)).toBe(true);
    expect(accounts.every((account) => account.activityKnown)).toBe(true);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain(ROLE_ASSIGNMENTS_NOTICE);
  });

  it('without User.Read.All the source fails with the missing permission', async () => {
    const graph = await start({
      users: fakeUsers(5),
      permissions: ['AuditLog.Read.All', 'RoleManagement.Read.Directory'],
    });
    const { context, notices } = contextFor();
    const error = await failureOf(collectPages(collectorFor(graph).collect(context)));
    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({ kind: 'auth' });
    expect((error as SourceError).message).toContain('User.Read.All');
    expect(notices).toEqual([]);
  });

  it('waits out 429s (five in a row) and recovers', async () => {
    const graph = await start({ users: fakeUsers(300) });
    graph.state.fail({ target: 'users', status: 429, retryAfterSeconds: 1, times: 5 });
    const accounts = (await collectPages(collectorFor(graph).collect(contextFor().context))).flat();
    expect(accounts).toHaveLength(300);
    expect(usersRequests(graph).map((request) => request.status)).toEqual([429, 429, 429, 429, 429, 200, 200, 200]);
  });

  it('honours the Retry-After it is given', async () => {
    const graph = await start({ users: fakeUsers(3) });
    graph.state.fail({ target: 'users', status: 429, retryAfterSeconds: 1 });
    const started = performance.now();
    await collectPages(
      collectorFor(graph, {}, { retryPolicy: { baseDelayMs: 1, maxDelayMs: 5000 } }).collect(contextFor().context),
    );
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('retries 5xx and dropped connections, without the SDK multiplying the retries', async () => {
    const graph = await start({ users: fakeUsers(10) });
    graph.state.fail({ target: 'users', status: 503, times: 1 });
    graph.state.fail({ target: 'users', status: 500, times: 1 });
    graph.state.fail({ target: 'users', status: 'reset', times: 1 });
    const accounts = (await collectPages(collectorFor(graph).collect(contextFor().context))).flat();
    expect(accounts).toHaveLength(10);
    expect(usersRequests(graph).map((request) => request.status)).toEqual([503, 500, 'reset', 200]);
  });

  it('persistent 5xx: a server SourceError after exactly 3 retries, naming status and Graph code', async () => {
    const graph = await start({ users: fakeUsers(10) });
    graph.state.fail({ target: 'users', status: 503, times: 100 });
    const error = await failureOf(collectPages(collectorFor(graph).collect(contextFor().context)));
    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({ kind: 'server', source: 'entra' });
    expect((error as Error).message).toContain('HTTP 503 serviceNotAvailable');
    // 1 + serverRetries: the SDK's own RetryHandler (which also retries 503) is off.
    expect(usersRequests(graph)).toHaveLength(4);
  });

  it('a bad client secret is an auth SourceError that never shows the secret', async () => {
    const graph = await start({ users: fakeUsers(3) });
    const wrongSecret = 'Wr0ng~SecretValue.1234567890';
    const error = await failureOf(
      collectPages(collectorFor(graph, { clientSecret: wrongSecret }).collect(contextFor().context)),
    );
    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({ kind: 'auth' });
    const message = (error as Error).message;
    expect(message).toContain('AADSTS7000215');
    expect(message).toContain('HTTP 401 invalid_client');
    expect(message).not.toContain(wrongSecret);
    expect(message).not.toContain(graph.clientSecret);
    expect(message).not.toContain('Trace ID');
    // Refused credentials are not retried, and nothing reached Graph.
    expect(graph.state.requests.map((request) => request.target)).toEqual(['token']);
  });

  it('refreshes the token once when Graph answers 401, and fails as auth when it keeps answering 401', async () => {
    const graph = await start({ users: fakeUsers(250), pageCaps: { signInActivity: 100 } });
    const { context } = contextFor();
    const iterator = collectorFor(graph).collect(context)[Symbol.asyncIterator]();
    await iterator.next();
    graph.state.expireTokens();
    let count = 100;
    for (let step = await iterator.next(); !step.done; step = await iterator.next()) count += step.value.length;
    expect(count).toBe(250);
    expect(graph.state.tokensIssued).toBe(2);

    graph.state.fail({ target: 'graph', status: 401, times: 2 });
    const error = await failureOf(collectPages(collectorFor(graph).collect(contextFor().context)));
    expect(error).toMatchObject({ kind: 'auth' });
    expect((error as Error).message).toContain('InvalidAuthenticationToken');
  });

  it('stops when the signal is aborted, also in the middle of a Retry-After wait', async () => {
    const graph = await start({ users: fakeUsers(500) });
    const controller = new AbortController();
    const iterator = collectorFor(graph).collect(contextFor(controller.signal).context)[Symbol.asyncIterator]();
    await iterator.next();
    controller.abort();
    const afterPage = await failureOf(iterator.next());
    expect(afterPage).toMatchObject({ name: 'AbortError' });
    expect(usersRequests(graph)).toHaveLength(1);

    graph.state.fail({ target: 'users', status: 429, retryAfterSeconds: 30, times: 10 });
    const waiting = new AbortController();
    setTimeout(() => waiting.abort(), 100);
    const started = performance.now();
    const collector = collectorFor(graph, {}, { retryPolicy: { maxDelayMs: 60_000 } });
    const inWait = await failureOf(collectPages(collector.collect(contextFor(waiting.signal).context)));
    expect(inWait).toMatchObject({ name: 'AbortError' });
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('gives up after timeoutSeconds with a timeout SourceError', async () => {
    const graph = await start({ users: fakeUsers(5) });
    graph.state.fail({ target: 'users', status: 429, retryAfterSeconds: 30, times: 10 });
    const collector = collectorFor(graph, { timeoutSeconds: 0.2 }, { retryPolicy: { maxDelayMs: 60_000 } });
    const error = await failureOf(collectPages(collector.collect(contextFor().context)));
    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({ kind: 'timeout' });
  });

  it('refuses an http graphUrl: the SDK would silently drop the token there', async () => {
    const graph = await start();
    const collector = collectorFor(graph, { graphUrl: graph.url.replace('https:', 'http:') });
    const error = await failureOf(collectPages(collector.collect(contextFor().context)));
    expect(error).toMatchObject({ kind: 'config' });
    expect(graph.state.requests).toEqual([]);
  });

  it('ingests 10,000 users (throughput printed, not asserted)', async () => {
    const graph = await start({ users: fakeUsers(10_000) });
    const started = performance.now();
    let count = 0;
    for await (const page of collectorFor(graph).collect(contextFor().context)) count += page.length;
    const seconds = (performance.now() - started) / 1000;
    expect(count).toBe(10_000);
    console.log(
      `entra: ${count} users in ${usersRequests(graph).length} pages, ${seconds.toFixed(2)}s, ` +
        `${Math.round(count / seconds)} users/s (fake over https on loopback, 120 per page with signInActivity)`,
    );
  });
});

describe('entra doctor', () => {
  it('reports every check ok when everything is granted', async () => {
    const graph = await start({ users: fakeUsers(2) });
    const checks = await collectorFor(graph).doctor(contextFor().context);
    expect(checks.map((check) => [check.check, check.ok])).toEqual([
      ['reachable', true],
      ['authenticated', true],
      ['users readable', true],
      ['sign-in activity', true],
      ['role assignments', true],
    ]);
  });

  it('names the missing licence and permissions', async () => {
    const graph = await start({
      users: fakeUsers(2),
      premium: false,
      permissions: ['User.Read.All', 'AuditLog.Read.All'],
    });
    const checks = await collectorFor(graph).doctor(contextFor().context);
    const byName = Object.fromEntries(checks.map((check) => [check.check, check]));
    expect(byName['users readable']).toMatchObject({ ok: true });
    expect(byName['sign-in activity']).toMatchObject({ ok: false, detail: expect.stringContaining('P1/P2') });
    expect(byName['role assignments']).toMatchObject({
      ok: false,
      detail: expect.stringContaining('RoleManagement.Read.Directory'),
    });

    graph.state.premium = true;
    graph.state.permissions = new Set(['User.Read.All']);
    const again = Object.fromEntries(
      (await collectorFor(graph).doctor(contextFor().context)).map((check) => [check.check, check]),
    );
    expect(again['sign-in activity']).toMatchObject({
      ok: false,
      detail: expect.stringContaining('AuditLog.Read.All'),
    });

    graph.state.permissions = new Set();
    const none = Object.fromEntries(
      (await collectorFor(graph).doctor(contextFor().context)).map((check) => [check.check, check]),
    );
    expect(none['users readable']).toMatchObject({ ok: false, detail: expect.stringContaining('User.Read.All') });
    expect(none['sign-in activity']).toMatchObject({ ok: false, detail: expect.stringContaining('not checked') });
  });

  it('tells an unreachable endpoint from refused credentials', async () => {
    const graph = await start();
    const badSecret = await collectorFor(graph, { clientSecret: 'not-the-secret-value' }).doctor(contextFor().context);
    expect(badSecret[0]).toMatchObject({ check: 'reachable', ok: true });
    expect(badSecret[1]).toMatchObject({
      check: 'authenticated',
      ok: false,
      detail: expect.stringContaining('AADSTS7000215'),
    });
    expect(JSON.stringify(badSecret)).not.toContain('not-the-secret-value');

    const url = graph.url;
    await graph.close();
    fake = null;
    const unreachable = await collectorFor({ ...graph, url, authorityUrl: `${url}/login` }).doctor(
      contextFor().context,
    );
    expect(unreachable[0]).toMatchObject({
      check: 'reachable',
      ok: false,
      detail: expect.stringContaining('ECONNREFUSED'),
    });
    expect(unreachable.slice(1).every((check) => !check.ok)).toBe(true);
  });
});

describe('entra transform helpers', () => {
  it('takes the latest sign-in and ignores placeholders', () => {
    expect(latestSignIn(undefined)).toBeNull();
    expect(
      latestSignIn({ lastSignInDateTime: '0001-01-01T00:00:00Z', lastNonInteractiveSignInDateTime: null }),
    ).toBeNull();
    expect(
      latestSignIn({
        lastSignInDateTime: '2026-01-01T00:00:00Z',
        lastNonInteractiveSignInDateTime: '2025-12-31T23:59:59Z',
        lastSuccessfulSignInDateTime: '2026-01-01T00:00:01Z',
      }),
    ).toBe('2026-01-01T00:00:01.000Z');
    expect(toIsoInstant('not a date')).toBeNull();
  });

  it('collects SMTP proxy addresses only, deduplicated case-insensitively', () => {
    expect(
      collectEmails({
        mail: null,
        otherMails: ['a@x.example', ''],
        proxyAddresses: ['SMTP:A@X.example', 'smtp:b@x.example', 'X500:/o=Org/cn=a', 'SIP:a@x.example'],
      }),
    ).toEqual(['a@x.example', 'b@x.example']);
  });
});
