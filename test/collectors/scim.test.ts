import { afterEach, describe, expect, it } from 'vitest';
import { ScimClient, ScimRequestError } from '../../src/common/scim/client.js';
import { createScimCollector, NO_ACTIVITY_NOTICE } from '../../collectors/scim/index.js';
import { toAccount } from '../../collectors/scim/transform.js';
import type { CollectContext } from '../../src/contract/collector.js';
import { scimSourceSchema, type ScimSourceConfig } from '../../src/config/config.js';
import { SourceError } from '../../src/contract/errors.js';
import { silentLogger, type Logger } from '../../src/common/logger.js';
import type { Account } from '../../src/contract/model.js';
import type { RetryPolicy } from '../../src/common/retry.js';
import { makeScimUser, makeScimUsers, startScimFake, type ScimFake, type ScimFakeOptions } from '../fakes/scim.js';

const TOKEN = 'scim-test-token-5f2c9a7e';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const FAST_RETRIES: Partial<RetryPolicy> = { baseDelayMs: 1, maxDelayMs: 20 };

let fake: ScimFake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function start(options: ScimFakeOptions = {}): Promise<ScimFake> {
  fake = await startScimFake({ token: TOKEN, ...options });
  return fake;
}

function sourceConfig(baseUrl: string, overrides: Partial<ScimSourceConfig> = {}): ScimSourceConfig {
  return scimSourceSchema.parse({ name: 'zoom', type: 'scim', baseUrl, token: TOKEN, ...overrides });
}

interface TestContext extends CollectContext {
  notices: string[];
  warnings: string[];
}

function makeContext(signal: AbortSignal = new AbortController().signal): TestContext {
  const notices: string[] = [];
  const warnings: string[] = [];
  const log: Logger = { ...silentLogger, warn: (message) => warnings.push(message) };
  return { signal, log, notice: (message) => notices.push(message), now: new Date(), notices, warnings };
}

async function collectPages(
  baseUrl: string,
  overrides: Partial<ScimSourceConfig> = {},
  context = makeContext(),
  retryPolicy: Partial<RetryPolicy> = FAST_RETRIES,
): Promise<Account[][]> {
  const collector = createScimCollector(sourceConfig(baseUrl, overrides), { retryPolicy });
  const pages: Account[][] = [];
  for await (const page of collector.collect(context)) pages.push(page);
  return pages;
}

async function collectError(
  baseUrl: string,
  overrides: Partial<ScimSourceConfig> = {},
  context = makeContext(),
  retryPolicy: Partial<RetryPolicy> = FAST_RETRIES,
): Promise<unknown> {
  try {
    await collectPages(baseUrl, overrides, context, retryPolicy);
  } catch (error) {
    return error;
  }
  throw new Error('the collection was expected to fail');
}

const listRequests = (server: ScimFake) => server.state.requests.filter((request) => request.path === '/Users');

function expectEachOnce(accounts: Account[], expectedIds: string[]): void {
  const ids = accounts.map((account) => account.id);
  expect(new Set(ids).size).toBe(ids.length);
  expect([...ids].sort()).toEqual([...expectedIds].sort());
}

describe('SCIM transform', () => {
  it('maps a complete enterprise user', () => {
    const account = toAccount('zoom', makeScimUser(7, { userType: 'Employee' }));
    expect(account).toEqual({
      source: 'zoom',
      id: makeScimUser(7).id,
      login: 'user00007@example.com',
      email: 'user00007@example.com',
      emails: ['user00007@example.com'],
      employeeId: 'E00007',
      displayName: 'User 00007',
      enabled: true,
      rawStatus: 'active',
      type: 'human',
      createdAt: '2024-01-15T09:30:00.000Z',
      lastActivityAt: null,
      activityKnown: false,
      privileged: false,
      // The sample user carries no roles attribute: the app did not say.
      privilegeKnown: false,
      licenses: [],
      builtIn: false,
      attributes: { externalId: 'ext-00007', userType: 'Employee' },
    });
  });

  it.each([
    { name: 'active false', active: false, enabled: false, rawStatus: 'inactive' },
    { name: 'active true', active: true, enabled: true, rawStatus: 'active' },
    { name: 'active as the string "False"', active: 'False', enabled: false, rawStatus: 'inactive' },
    { name: 'active absent: enabled, status unknown', active: null, enabled: true, rawStatus: null },
  ])('$name', ({ active, enabled, rawStatus }) => {
    const account = toAccount('zoom', makeScimUser(1, { active }));
    expect(account.enabled).toBe(enabled);
    expect(account.rawStatus).toBe(rawStatus);
  });

  it('prefers the primary email, keeps every email once', () => {
    const account = toAccount(
      'zoom',
      makeScimUser(1, {
        emails: [
          { value: 'home@example.net', type: 'home' },
          { value: 'Work@Example.com', type: 'work', primary: true },
          { value: 'work@example.com', type: 'other' },
          { value: '  ', type: 'other' },
        ],
      }),
    );
    expect(account.email).toBe('Work@Example.com');
    expect(account.emails).toEqual(['home@example.net', 'Work@Example.com']);
  });

  it('falls back to the first email, then to none', () => {
    const first = toAccount('zoom', makeScimUser(1, { emails: [{ value: 'a@x.com' }, { value: 'b@x.com' }] }));
    expect(first.email).toBe('a@x.com');
    const none = toAccount('zoom', makeScimUser(1, { emails: null }));
    expect(none.email).toBeNull();
    expect(none.emails).toEqual([]);
  });

  it('reads employeeNumber from the enterprise extension only, keeps externalId as evidence', () => {
    const withoutExtension = toAccount('zoom', makeScimUser(1, { [ENTERPRISE]: null, externalId: 'E00001' }));
    expect(withoutExtension.employeeId).toBeNull();
    expect(withoutExtension.attributes.externalId).toBe('E00001');
    const numeric = toAccount('zoom', makeScimUser(1, { [ENTERPRISE]: { employeeNumber: 4711 } }));
    expect(numeric.employeeId).toBe('4711');
  });

  it.each([
    { roles: [{ value: 'Administrator' }], privileged: true },
    { roles: [{ value: 'member', display: 'Account Owner' }], privileged: true },
    { roles: ['super_admin'], privileged: true },
    { roles: [{ value: 'member' }, { value: 'billing' }], privileged: false },
    { roles: null, privileged: false },
  ])('roles $roles -> privileged $privileged', ({ roles, privileged }) => {
    expect(toAccount('zoom', makeScimUser(1, { roles })).privileged).toBe(privileged);
  });

  it('types guests by userType, everyone else as human', () => {
    expect(toAccount('zoom', makeScimUser(1, { userType: 'Guest' })).type).toBe('guest');
    expect(toAccount('zoom', makeScimUser(1, { userType: 'guest' })).type).toBe('guest');
    expect(toAccount('zoom', makeScimUser(1, { userType: 'Contractor' })).type).toBe('human');
    expect(toAccount('zoom', makeScimUser(1, { userType: null })).attributes).toEqual({ externalId: 'ext-00001' });
  });

  it('builds the display name from name.formatted, then given and family names', () => {
    expect(toAccount('zoom', makeScimUser(1, { displayName: null })).displayName).toBe('User 00001');
    const parts = makeScimUser(1, { displayName: null, name: { givenName: 'Ada', familyName: 'Lovelace' } });
    expect(toAccount('zoom', parts).displayName).toBe('Ada Lovelace');
    expect(toAccount('zoom', makeScimUser(1, { displayName: null, name: null })).displayName).toBeNull();
  });

  it('normalises times to UTC and ignores unreadable ones; accepts numeric ids', () => {
    const offset = makeScimUser(1, { id: 42, meta: { created: '2024-03-01T10:00:00+02:00' } });
    expect(toAccount('zoom', offset)).toMatchObject({ id: '42', createdAt: '2024-03-01T08:00:00.000Z' });
    expect(toAccount('zoom', makeScimUser(1, { meta: { created: 'yesterday' } })).createdAt).toBeNull();
  });
});

describe('SCIM collector paging', () => {
  it('collects 1,234 users once each when the server caps pages below pageSize', async () => {
    const users = makeScimUsers(1234);
    const server = await start({ users, maxPageSize: 100 });
    const pages = await collectPages(server.baseUrl, { pageSize: 500 });

    expectEachOnce(
      pages.flat(),
      users.map((user) => user.id),
    );
    const requests = listRequests(server);
    expect(requests.map((request) => Number(request.query.startIndex))).toEqual(
      Array.from({ length: 13 }, (_, page) => page * 100 + 1),
    );
    expect(requests.every((request) => request.query.count === '500')).toBe(true);
    expect(requests.every((request) => request.accept === 'application/scim+json')).toBe(true);
  });

  it('follows short pages by what came back', async () => {
    const users = makeScimUsers(1234);
    const server = await start({ users, maxPageSize: 100, shortPages: true });
    const pages = await collectPages(server.baseUrl, { pageSize: 100 });

    expectEachOnce(
      pages.flat(),
      users.map((user) => user.id),
    );
    expect(pages.some((page) => page.length < 100)).toBe(true);
    const requests = listRequests(server);
    for (const [index, request] of requests.slice(1).entries()) {
      const previous = requests[index]!;
      expect(Number(request.query.startIndex)).toBe(Number(previous.query.startIndex) + pages[index]!.length);
    }
  });

  it('maps users end to end and says once that activity is unknown', async () => {
    const users = [
      makeScimUser(1, { active: false, roles: [{ value: 'admin', primary: true }] }),
      makeScimUser(2, {
        emails: [{ value: 'second@example.com' }, { value: 'primary@example.com', primary: true }],
        [ENTERPRISE]: { employeeNumber: 'HR-2' },
      }),
      ...makeScimUsers(30).slice(2),
    ];
    const server = await start({ users, maxPageSize: 10 });
    const context = makeContext();
    const accounts = (await collectPages(server.baseUrl, { pageSize: 10 }, context)).flat();

    expect(accounts).toHaveLength(30);
    expect(accounts[0]).toMatchObject({
      enabled: false,
      rawStatus: 'inactive',
      privileged: true,
      privilegeKnown: true,
    });
    expect(accounts.slice(1).every((account) => !account.privilegeKnown)).toBe(true);
    expect(accounts[1]).toMatchObject({ email: 'primary@example.com', employeeId: 'HR-2', enabled: true });
    expect(accounts.every((account) => !account.activityKnown && account.lastActivityAt === null)).toBe(true);
    expect(context.notices).toEqual([NO_ACTIVITY_NOTICE]);
  });

  it('completes an empty directory with no pages', async () => {
    const server = await start({ users: [] });
    const context = makeContext();
    expect(await collectPages(server.baseUrl, {}, context)).toEqual([]);
    expect(listRequests(server)).toHaveLength(1);
    expect(context.notices).toEqual([NO_ACTIVITY_NOTICE]);
  });

  it('refuses a server that returns no users while claiming more', async () => {
    const server = await start({ users: makeScimUsers(500), maxPageSize: 100, emptyFrom: 201 });
    const context = makeContext();
    const error = await collectError(server.baseUrl, {}, context);

    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({ kind: 'data' });
    expect((error as Error).message).toContain('startIndex=201');
    expect(listRequests(server)).toHaveLength(3);
    expect(context.notices).toEqual([]);
  });

  it('refuses a server that ignores startIndex instead of reporting its first page as everything', async () => {
    const server = await start({ users: makeScimUsers(300), maxPageSize: 100, ignoreStartIndex: true });
    const error = await collectError(server.baseUrl);
    expect(error).toMatchObject({ kind: 'data' });
    expect((error as Error).message).toContain('does not honour startIndex');
  });

  it('does not double count when users are added at the front mid-listing', async () => {
    const users = makeScimUsers(250);
    let added = 0;
    const server = await start({
      users,
      maxPageSize: 100,
      onList: (state, startIndex) => {
        if (startIndex > 1 && added < 2) state.users.unshift(makeScimUser(9000 + ++added));
      },
    });
    const context = makeContext();
    const accounts = (await collectPages(server.baseUrl, {}, context)).flat();

    const ids = accounts.map((account) => account.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const user of users) expect(ids).toContain(user.id);
    expect(context.warnings.join('\n')).toContain('listed 250 users but the server last reported 252');
  });

  it('ends where the server says when users are removed mid-listing', async () => {
    const users = makeScimUsers(250);
    const server = await start({
      users,
      maxPageSize: 100,
      onList: (state, startIndex) => {
        if (startIndex === 101) state.users.splice(200, 50);
      },
    });
    const accounts = (await collectPages(server.baseUrl)).flat();
    expectEachOnce(
      accounts,
      users.slice(0, 200).map((user) => user.id),
    );
    expect(listRequests(server)).toHaveLength(2);
  });
});

describe('SCIM collector failures', () => {
  it('waits out five 429s in a row and completes', async () => {
    const users = makeScimUsers(150);
    const server = await start({ users, maxPageSize: 100 });
    server.inject({ status: 429, times: 5, retryAfter: '0', path: '/Users' });
    const accounts = (await collectPages(server.baseUrl)).flat();

    expectEachOnce(
      accounts,
      users.map((user) => user.id),
    );
    expect(listRequests(server).filter((request) => request.status === 429)).toHaveLength(5);
  });

  it('honours the Retry-After it is given', async () => {
    const server = await start({ users: makeScimUsers(5) });
    server.inject({ status: 429, times: 1, retryAfter: '1', path: '/Users' });
    await collectPages(server.baseUrl, {}, makeContext(), { baseDelayMs: 1 });

    const [throttled, retried] = listRequests(server);
    expect(throttled?.status).toBe(429);
    expect(retried!.at - throttled!.at).toBeGreaterThanOrEqual(950);
  });

  it('fails as rate-limited when throttling outlasts the policy', async () => {
    const server = await start({ users: makeScimUsers(5) });
    server.inject({ status: 429, times: 100, retryAfter: '0' });
    const error = await collectError(server.baseUrl, {}, makeContext(), { ...FAST_RETRIES, rateLimitRetries: 5 });
    expect(error).toMatchObject({ kind: 'rate-limit' });
    expect(listRequests(server)).toHaveLength(6);
  });

  it('recovers from two 503s', async () => {
    const users = makeScimUsers(20);
    const server = await start({ users });
    server.inject({ status: 503, times: 2 });
    expectEachOnce(
      (await collectPages(server.baseUrl)).flat(),
      users.map((user) => user.id),
    );
  });

  it('fails with a server SourceError after three retries of a persistent 500', async () => {
    const server = await start({ users: makeScimUsers(20) });
    server.inject({ status: 500, times: 1000 });
    const error = await collectError(server.baseUrl);

    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({ kind: 'server', status: 500 });
    expect((error as Error).message).toMatch(/^zoom: GET \/Users: HTTP 500 after 3 retries/);
    expect(listRequests(server)).toHaveLength(4);
  });

  it('fails at once with an auth SourceError that never shows the token', async () => {
    const server = await start({ users: makeScimUsers(3), echoAuthorizationInErrors: true });
    server.state.token = 'rotated-token';
    const error = await collectError(server.baseUrl);

    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({ kind: 'auth', status: 401 });
    expect((error as Error).message).toContain('HTTP 401');
    expect((error as Error).message).toContain('invalid credentials: Bearer [redacted]');
    expect((error as Error).message).not.toContain(TOKEN);
    expect(listRequests(server)).toHaveLength(1);
  });

  it('treats 403 as an auth failure', async () => {
    const server = await start({ users: makeScimUsers(3) });
    server.inject({ status: 403, times: 1 });
    expect(await collectError(server.baseUrl)).toMatchObject({ kind: 'auth', status: 403 });
  });

  it('names a wrong baseUrl as a config problem', async () => {
    const server = await start({ users: makeScimUsers(3) });
    const error = await collectError(server.baseUrl.replace('/scim/v2', '/api'));
    expect(error).toMatchObject({ kind: 'config', status: 404 });
  });

  it('fails as a network error when nothing listens', async () => {
    const server = await start();
    const baseUrl = server.baseUrl;
    await server.close();
    fake = undefined;
    const error = await collectError(baseUrl);
    expect(error).toMatchObject({ kind: 'network', status: null });
    expect((error as Error).message).toContain('ECONNREFUSED');
  });

  it('stops when the caller aborts, mid-request', async () => {
    const server = await start({ users: makeScimUsers(10), latencyMs: 5_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await collectError(server.baseUrl, {}, makeContext(controller.signal));
    expect(error).toMatchObject({ name: 'AbortError' });
    expect(error).not.toBeInstanceOf(SourceError);
  });

  it('gives up after timeoutSeconds with a timeout SourceError', async () => {
    const server = await start({ users: makeScimUsers(10), latencyMs: 5_000 });
    const error = await collectError(server.baseUrl, { timeoutSeconds: 0.2 });
    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({ kind: 'timeout' });
  });
});

describe('SCIM doctor', () => {
  const doctor = (baseUrl: string, overrides: Partial<ScimSourceConfig> = {}, context = makeContext()) =>
    createScimCollector(sourceConfig(baseUrl, overrides), { retryPolicy: FAST_RETRIES }).doctor(context);

  it('reports reachability, auth, readability and fields', async () => {
    const users = [...makeScimUsers(20), ...makeScimUsers(5).map((user) => ({ ...user, id: `x-${user.id}` }))];
    users[0] = makeScimUser(1, { [ENTERPRISE]: null });
    const server = await start({ users, maxPageSize: 200 });
    const context = makeContext();
    const checks = await doctor(server.baseUrl, {}, context);

    expect(checks.map((check) => [check.check, check.ok])).toEqual([
      ['reachable', true],
      ['authenticated', true],
      ['users readable', true],
      ['fields', true],
    ]);
    expect(checks[0]!.detail).toContain('PATCH supported');
    expect(checks[2]!.detail).toContain('25 users');
    expect(checks[3]!.detail).toBe('of 25 sampled users: emails on 25, enterprise employeeNumber on 24, active on 25');
    expect(context.notices).toEqual([NO_ACTIVITY_NOTICE]);
    expect(listRequests(server)[0]!.query.count).toBe('25');
  });

  it('says the token was refused', async () => {
    const server = await start({ users: makeScimUsers(3) });
    const checks = await doctor(server.baseUrl, { token: 'wrong-token-value' });
    expect(checks.map((check) => [check.check, check.ok])).toEqual([
      ['reachable', true],
      ['authenticated', false],
    ]);
    expect(checks[1]!.detail).toContain('HTTP 401');
    expect(checks[1]!.detail).not.toContain('wrong-token-value');
  });

  it('says when the host cannot be reached', async () => {
    const server = await start();
    const baseUrl = server.baseUrl;
    await server.close();
    fake = undefined;
    const checks = await doctor(baseUrl);
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({ check: 'reachable', ok: false });
  });

  it('flags users that carry nothing to match an owner by', async () => {
    const bare = makeScimUsers(3).map((user, index) =>
      makeScimUser(index + 1, { id: user.id, userName: `u${index}`, emails: null, [ENTERPRISE]: null }),
    );
    const server = await start({ users: bare });
    const checks = await doctor(server.baseUrl);
    expect(checks.at(-1)).toMatchObject({ check: 'fields', ok: false });
    expect(checks.at(-1)!.detail).toContain('every account would be an orphan');
  });
});

describe('SCIM client (reused by remediation)', () => {
  const client = (baseUrl: string) =>
    new ScimClient({ source: 'zoom', baseUrl: `${baseUrl}/`, token: TOKEN, retryPolicy: FAST_RETRIES });
  const signal = new AbortController().signal;

  it('reads, finds, deactivates and deletes a user', async () => {
    const users = makeScimUsers(3);
    const server = await start({ users });
    const scim = client(server.baseUrl);
    const target = users[1]!;

    expect(await scim.getUser(target.id, signal)).toMatchObject({ id: target.id, active: true });
    expect(await scim.findUserByUserName('USER00002@example.com', signal)).toMatchObject({ id: target.id });
    expect(await scim.findUserByUserName('nobody@example.com', signal)).toBeNull();

    expect(await scim.setActive(target.id, false, signal)).toMatchObject({ id: target.id, active: false });
    const patch = server.state.requests.find((request) => request.method === 'PATCH');
    expect(patch?.body).toEqual({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', path: 'active', value: false }],
    });
    const accounts = (await collectPages(server.baseUrl)).flat();
    expect(accounts.find((account) => account.id === target.id)?.enabled).toBe(false);

    expect(await scim.deleteUser(target.id, signal)).toBe(true);
    expect(await scim.deleteUser(target.id, signal)).toBe(false);
    expect(await scim.getUser(target.id, signal)).toBeNull();
  });

  it('raises ScimRequestError with the SCIM status for other refusals', async () => {
    const server = await start({ users: makeScimUsers(1) });
    const error = await client(server.baseUrl)
      .listUsers({ startIndex: 1, count: 1, filter: 'displayName co "x"' }, signal)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ScimRequestError);
    expect(error).toMatchObject({ status: 400, scimType: 'invalidFilter' });
  });
});

describe('SCIM collector throughput', () => {
  it('lists 10,000 users', async () => {
    const users = makeScimUsers(10_000);
    const server = await start({ users, maxPageSize: 100 });
    const started = performance.now();
    const accounts = (await collectPages(server.baseUrl, { pageSize: 100 })).flat();
    const seconds = (performance.now() - started) / 1000;

    expect(accounts).toHaveLength(10_000);
    console.log(
      `scim: ${accounts.length} users in ${seconds.toFixed(2)}s (${Math.round(accounts.length / seconds)} users/s)`,
    );
  });
});
