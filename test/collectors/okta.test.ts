import { afterEach, describe, expect, it } from 'vitest';
import { createOktaCollector } from '../../collectors/okta/index.js';
import { msUntilReset, RateLimitGovernor, rateLimitReserve } from '../../collectors/okta/http.js';
import {
  accountTypeFromUserType,
  isEnabledStatus,
  OKTA_STATUSES,
  oktaUserToAccount,
} from '../../collectors/okta/transform.js';
import type { CollectContext, SourceCollector } from '../../src/contract/collector.js';
import type { OktaSourceConfig } from '../../src/config/config.js';
import { SourceError } from '../../src/contract/errors.js';
import type { Account } from '../../src/contract/model.js';
import type { RetryPolicy } from '../../src/common/retry.js';
import {
  makeOktaUser,
  OKTA_FAKE_TOKEN,
  startOktaFake,
  type OktaFake,
  type OktaFakeOptions,
  type OktaFakeUser,
} from '../fakes/okta.js';

/** Short backoff; rate-limit waits still follow the fake's X-Rate-Limit-Reset. */
const FAST_RETRIES: Partial<RetryPolicy> = { baseDelayMs: 5 };
const USERS_PATH = '/api/v1/users';
const ADMINS_PATH = '/api/v1/iam/assignees/users';

let fake: OktaFake | undefined;
afterEach(async () => {
  if (fake) expect(fake.state.serverErrors).toEqual([]);
  await fake?.close();
  fake = undefined;
});

async function start(options: OktaFakeOptions = {}): Promise<OktaFake> {
  fake = await startOktaFake(options);
  return fake;
}

/** `count` users whose statuses cycle through every Okta status. */
function org(count: number, statusOf = (index: number) => OKTA_STATUSES[index % OKTA_STATUSES.length]!) {
  return (orgUrl: string) =>
    Array.from({ length: count }, (_, index) => makeOktaUser(orgUrl, index, { status: statusOf(index) }));
}

function configFor(target: OktaFake, overrides: Partial<OktaSourceConfig> = {}): OktaSourceConfig {
  return {
    name: 'okta',
    type: 'okta',
    role: 'idp',
    timeoutSeconds: 30,
    orgUrl: target.orgUrl,
    token: OKTA_FAKE_TOKEN,
    ...overrides,
  };
}

interface TestContext extends CollectContext {
  notices: string[];
  logged: string[];
}

function contextWith(signal = new AbortController().signal): TestContext {
  const notices: string[] = [];
  const logged: string[] = [];
  const record = (message: string, fields?: Record<string, unknown>) =>
    logged.push(`${message} ${JSON.stringify(fields ?? {})}`);
  return {
    signal,
    log: { debug: record, info: record, warn: record, error: record },
    notice: (message) => notices.push(message),
    now: new Date('2026-11-26T12:00:00Z'),
    notices,
    logged,
  };
}

async function collectPages(collector: SourceCollector, context: CollectContext = contextWith()): Promise<Account[][]> {
  const pages: Account[][] = [];
  for await (const page of collector.collect(context)) pages.push(page);
  return pages;
}

async function collectError(collector: SourceCollector, context: CollectContext = contextWith()): Promise<unknown> {
  try {
    await collectPages(collector, context);
  } catch (error) {
    return error;
  }
  throw new Error('collect succeeded but was expected to fail');
}

function idsOf(pages: Account[][]): string[] {
  return pages.flat().map((account) => account.id);
}

function userRequests(target: OktaFake) {
  return target.state.requests.filter((request) => request.path === USERS_PATH);
}

describe('okta transform', () => {
  const base: OktaFakeUser = makeOktaUser('https://acme.okta.com', 7);

  it.each([
    ['ACTIVE', true],
    ['LOCKED_OUT', true],
    ['PASSWORD_EXPIRED', true],
    ['RECOVERY', true],
    ['STAGED', true],
    ['PROVISIONED', true],
    ['SUSPENDED', false],
    ['DEPROVISIONED', false],
    ['SOME_FUTURE_STATUS', true],
  ])('status %s -> enabled %s, rawStatus kept', (status, enabled) => {
    const account = oktaUserToAccount({ ...base, status }, 'okta', new Set());
    expect(account.enabled).toBe(enabled);
    expect(account.rawStatus).toBe(status);
    expect(isEnabledStatus(status)).toBe(enabled);
  });

  it.each([
    [undefined, 'human'],
    ['Employee', 'human'],
    ['Contractor', 'human'],
    ['contractors', 'human'],
    ['Intern', 'human'],
    ['Guest', 'guest'],
    ['External', 'guest'],
    ['external user', 'guest'],
    ['Service', 'service'],
    ['Service Account', 'service'],
    ['System', 'service'],
    ['svc', 'service'],
    ['External System', 'service'],
  ] as const)('userType %s -> %s', (userType, type) => {
    expect(accountTypeFromUserType(userType)).toBe(type);
  });

  it('maps identity fields, dedupes emails case-insensitively and keeps attributes minimal', () => {
    const account = oktaUserToAccount(
      {
        id: '00uABC',
        status: 'ACTIVE',
        created: new Date('2024-02-03T04:05:06.000Z'),
        lastLogin: null,
        profile: {
          login: 'Ada@Example.com',
          email: 'ada@example.com',
          secondEmail: 'ada.lovelace@gmail.com ',
          firstName: 'Ada',
          lastName: 'Lovelace',
          employeeNumber: ' E1001 ',
          userType: 'Employee',
          manager: 'Charles Babbage',
        },
      },
      'okta',
      new Set(['00uABC']),
    );
    expect(account).toEqual({
      source: 'okta',
      id: '00uABC',
      login: 'Ada@Example.com',
      email: 'ada@example.com',
      emails: ['ada@example.com', 'ada.lovelace@gmail.com'],
      employeeId: 'E1001',
      displayName: 'Ada Lovelace',
      enabled: true,
      rawStatus: 'ACTIVE',
      type: 'human',
      createdAt: '2024-02-03T04:05:06.000Z',
      lastActivityAt: null,
      activityKnown: true,
      privileged: true,
      privilegeKnown: true,
      licenses: [],
      builtIn: false,
      attributes: { userType: 'Employee', manager: 'Charles Babbage' },
    });
  });

  it('prefers profile.displayName, adds a non-email login only as login, reads ISO strings', () => {
    const account = oktaUserToAccount(
      {
        id: '00uXYZ',
        status: 'SUSPENDED',
        created: '2020-01-01T00:00:00.000Z',
        lastLogin: '2025-06-01T10:00:00.000Z',
        profile: { login: 'svc-backup', email: 'backup@example.com', displayName: 'Backup Bot', userType: 'Service' },
      },
      'okta',
      new Set(),
    );
    expect(account.emails).toEqual(['backup@example.com']);
    expect(account.displayName).toBe('Backup Bot');
    expect(account.type).toBe('service');
    expect(account.lastActivityAt).toBe('2025-06-01T10:00:00.000Z');
    expect(account.privileged).toBe(false);
    expect(account.enabled).toBe(false);
  });
});

describe('okta rate-limit arithmetic', () => {
  it('measures the reset against the server Date header, not the local clock', () => {
    const date = 'Thu, 26 Nov 2026 12:00:00 GMT';
    const reset = String(Date.parse(date) / 1000 + 3);
    expect(msUntilReset(reset, date, 0)).toBe(3000);
    expect(msUntilReset(`${reset}, ${Number(reset) + 2}`, date, 0)).toBe(5000);
    expect(msUntilReset(null, date, 0)).toBeNull();
    // A local clock inside the Date header's second is the finer reading.
    expect(msUntilReset(reset, date, Date.parse(date) + 400)).toBe(2600);
  });

  it('keeps a reserve of the window and waits only when it is reached', () => {
    expect(rateLimitReserve(600)).toBe(60);
    expect(rateLimitReserve(3)).toBe(1);
    let now = 1_000_000;
    const governor = new RateLimitGovernor(() => now);
    const headers = (remaining: number) => ({
      get: (name: string) =>
        ({
          'x-rate-limit-limit': '10',
          'x-rate-limit-remaining': String(remaining),
          'x-rate-limit-reset': String(1_002),
          date: new Date(1_000_000).toUTCString(),
        })[name] ?? null,
    });
    governor.observe('/api/v1/users', headers(2));
    expect(governor.delayBefore('/api/v1/users')).toBe(0);
    governor.observe('/api/v1/users', headers(1));
    expect(governor.delayBefore('/api/v1/users')).toBe(2000);
    now += 500;
    expect(governor.delayBefore('/api/v1/users')).toBe(1500);
    expect(governor.delayBefore('/api/v1/other')).toBe(0);
  });
});

describe('okta collector against the fake Okta API', () => {
  it('collects every user exactly once across pages, DEPROVISIONED and SUSPENDED included', async () => {
    const target = await start({ users: org(1000) });
    const pages = await collectPages(createOktaCollector(configFor(target), { retryPolicy: FAST_RETRIES }));

    const ids = idsOf(pages);
    expect(ids).toHaveLength(1000);
    expect(new Set(ids).size).toBe(1000);
    expect(new Set(ids)).toEqual(new Set(target.state.users.map((user) => user.id)));
    expect(pages.every((page) => page.length > 0 && page.length <= 200)).toBe(true);

    const byStatus = new Map<string, Account[]>();
    for (const account of pages.flat()) {
      byStatus.set(account.rawStatus!, [...(byStatus.get(account.rawStatus!) ?? []), account]);
    }
    expect(byStatus.get('DEPROVISIONED')).toHaveLength(125);
    expect(byStatus.get('SUSPENDED')).toHaveLength(125);
    for (const [status, accounts] of byStatus) {
      const expected = !['SUSPENDED', 'DEPROVISIONED'].includes(status);
      expect(accounts.every((account) => account.enabled === expected)).toBe(true);
    }

    const requests = userRequests(target);
    expect(requests.every((request) => request.query.limit === '200')).toBe(true);
    expect(requests.filter((request) => request.query.after !== undefined).length).toBeGreaterThanOrEqual(4);
    expect(requests.some((request) => request.query.filter === 'status eq "DEPROVISIONED"')).toBe(true);
    // The admin listing comes first, so every page can carry its privileged flags.
    expect(target.state.requests[0]!.path).toBe(ADMINS_PATH);
  });

  it('marks holders of admin roles privileged, paging through the role assignees', async () => {
    const users = org(600);
    const adminIndexes = Array.from({ length: 150 }, (_, index) => index * 4);
    const target = await start({
      users,
      adminIds: adminIndexes.map((index) => makeOktaUser('', index).id),
    });
    const accounts = (await collectPages(createOktaCollector(configFor(target)))).flat();

    const privileged = accounts.filter((account) => account.privileged).map((account) => account.id);
    expect(new Set(privileged)).toEqual(target.state.adminIds);
    const adminRequests = target.state.requests.filter((request) => request.path === ADMINS_PATH);
    expect(adminRequests).toHaveLength(2);
    expect(adminRequests[1]!.query.after).toBeDefined();
  });

  it('goes on without privileged flags when role assignments are forbidden, and says so once', async () => {
    const target = await start({ users: org(300), adminIds: [makeOktaUser('', 1).id], adminsForbidden: true });
    const context = contextWith();
    const accounts = (await collectPages(createOktaCollector(configFor(target)), context)).flat();

    expect(accounts).toHaveLength(300);
    expect(accounts.some((account) => account.privileged)).toBe(false);
    // Unknown, never "not an admin".
    expect(accounts.every((account) => !account.privilegeKnown)).toBe(true);
    expect(context.notices).toHaveLength(1);
    expect(context.notices[0]).toMatch(/roles unreadable/);
    expect(context.notices[0]).toMatch(/403 E0000006/);
    expect(context.notices[0]).toMatch(/Read-Only Administrator/);
  });

  it('yields each user once when one is deprovisioned between pages', async () => {
    const target = await start({ users: org(450, () => 'ACTIVE') });
    const collector = createOktaCollector(configFor(target));
    const ids: string[] = [];
    for await (const page of collector.collect(contextWith())) {
      if (ids.length === 0) target.state.setStatus(page[0]!.id, 'DEPROVISIONED');
      ids.push(...page.map((account) => account.id));
    }
    expect(ids).toHaveLength(450);
    expect(new Set(ids).size).toBe(450);
  });

  it('waits out a 429 until X-Rate-Limit-Reset and retries', async () => {
    const target = await start({ users: org(250) });
    target.state.inject({ status: 429, path: USERS_PATH, resetInSeconds: 1 });
    const pages = await collectPages(createOktaCollector(configFor(target), { retryPolicy: FAST_RETRIES }));

    expect(idsOf(pages)).toHaveLength(250);
    const requests = userRequests(target);
    const throttled = requests.findIndex((request) => request.status === 429);
    expect(throttled).toBe(0);
    expect(requests[1]!.at).toBeGreaterThanOrEqual(requests[0]!.rateLimitReset! * 1000);
  });

  it('survives five 429 answers in a row', async () => {
    const target = await start({ users: org(50) });
    target.state.inject({ status: 429, path: USERS_PATH, times: 5, resetInSeconds: 0 });
    const pages = await collectPages(createOktaCollector(configFor(target), { retryPolicy: FAST_RETRIES }));
    expect(idsOf(pages)).toHaveLength(50);
    expect(userRequests(target).filter((request) => request.status === 429)).toHaveLength(5);
  });

  it('slows down before the limit: the fake never has to answer 429', async () => {
    const target = await start({ users: org(600), rateLimit: { requests: 3, windowSeconds: 1 } });
    const context = contextWith();
    const started = Date.now();
    const pages = await collectPages(createOktaCollector(configFor(target), { retryPolicy: FAST_RETRIES }), context);

    expect(idsOf(pages)).toHaveLength(600);
    expect(target.state.requests.filter((request) => request.status === 429)).toEqual([]);
    // Four calls on /api/v1/users (three pages of the plain list, one of DEPROVISIONED) at two per window, one
    // call kept in reserve: one pause for the reset.
    expect(userRequests(target)).toHaveLength(4);
    expect(context.logged.filter((line) => line.includes('pausing'))).toHaveLength(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it('retries 5xx answers and dropped connections', async () => {
    const target = await start({ users: org(250) });
    target.state.inject({ status: 503, path: USERS_PATH, times: 2 });
    target.state.inject({ status: 500, path: USERS_PATH });
    target.state.inject({ status: 0, path: ADMINS_PATH });
    const pages = await collectPages(createOktaCollector(configFor(target), { retryPolicy: FAST_RETRIES }));

    expect(idsOf(pages)).toHaveLength(250);
    expect(target.state.requests.filter((request) => request.injected)).toHaveLength(4);
  });

  it('fails as a server SourceError after three retries of a persistent 5xx', async () => {
    const target = await start({ users: org(10) });
    target.state.inject({ status: 503, path: USERS_PATH, times: 100 });
    const error = await collectError(createOktaCollector(configFor(target), { retryPolicy: FAST_RETRIES }));

    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({ kind: 'server', source: 'okta' });
    expect((error as SourceError).message).toMatch(/HTTP 503/);
    expect(userRequests(target)).toHaveLength(4);
  });

  it('fails as a rate-limit SourceError when still throttled after the allowed waits', async () => {
    const target = await start({ users: org(10) });
    target.state.inject({ status: 429, path: USERS_PATH, times: 100, resetInSeconds: 0 });
    const collector = createOktaCollector(configFor(target), {
      retryPolicy: { ...FAST_RETRIES, rateLimitRetries: 5 },
    });
    const error = await collectError(collector);

    expect(error).toMatchObject({ kind: 'rate-limit' });
    expect((error as SourceError).message).toMatch(/E0000047/);
    expect(userRequests(target)).toHaveLength(6);
  });

  it('reports a bad token as an auth SourceError without the token, and does not retry it', async () => {
    const target = await start({ users: org(10), token: 'the-real-token-0000' });
    const error = await collectError(createOktaCollector(configFor(target), { retryPolicy: FAST_RETRIES }));

    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({ kind: 'auth' });
    expect((error as SourceError).message).toMatch(/401 E0000011 Invalid token provided/);
    expect((error as SourceError).message).not.toContain(OKTA_FAKE_TOKEN);
    expect(JSON.stringify(error)).not.toContain(OKTA_FAKE_TOKEN);
    expect(target.state.requests).toHaveLength(1);
  });

  it('stops promptly when the caller aborts, even during a rate-limit wait', async () => {
    const target = await start({ users: org(10) });
    target.state.inject({ status: 429, path: USERS_PATH, resetInSeconds: 30 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('scan cancelled')), 150);
    const started = Date.now();
    const error = await collectError(createOktaCollector(configFor(target)), contextWith(controller.signal));

    expect(error).toEqual(new Error('scan cancelled'));
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('gives up after timeoutSeconds with a timeout SourceError', async () => {
    const target = await start({ users: org(10) });
    target.state.inject({ status: 429, path: USERS_PATH, resetInSeconds: 30 });
    const started = Date.now();
    const error = await collectError(createOktaCollector(configFor(target, { timeoutSeconds: 0.3 })));

    expect(error).toMatchObject({ kind: 'timeout' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('ingests 10,000 users (throughput printed, not asserted)', async () => {
    const target = await start({ users: org(10_000) });
    const started = performance.now();
    const pages = await collectPages(createOktaCollector(configFor(target), { retryPolicy: FAST_RETRIES }));
    const seconds = (performance.now() - started) / 1000;

    expect(idsOf(pages)).toHaveLength(10_000);
    console.log(
      `okta fake: ${Math.round(10_000 / seconds)} users/second (10,000 users in ${seconds.toFixed(2)}s, ${target.state.requests.length} calls)`,
    );
  });
});

describe('okta doctor', () => {
  it('reports a healthy org, with the rate-limit window', async () => {
    const target = await start({ users: org(5), adminIds: [makeOktaUser('', 1).id] });
    const checks = await createOktaCollector(configFor(target)).doctor(contextWith());

    expect(checks.map((check) => [check.check, check.ok])).toEqual([
      ['reachable', true],
      ['authenticated', true],
      ['users readable', true],
      ['admin roles readable', true],
      ['rate limit', true],
    ]);
    expect(checks[4]!.detail).toMatch(/9999 of 10000 calls left/);
  });

  it('names the missing permission when role assignments are forbidden', async () => {
    const target = await start({ users: org(5), adminsForbidden: true });
    const checks = await createOktaCollector(configFor(target)).doctor(contextWith());
    const admin = checks.find((check) => check.check === 'admin roles readable')!;

    expect(admin.ok).toBe(false);
    expect(admin.detail).toMatch(/E0000006/);
    expect(admin.detail).toMatch(/okta\.roles\.read/);
  });

  it('says the token was refused, without showing it', async () => {
    const target = await start({ token: 'another-token-1234' });
    const checks = await createOktaCollector(configFor(target), { retryPolicy: FAST_RETRIES }).doctor(contextWith());

    expect(checks.find((check) => check.check === 'reachable')!.ok).toBe(true);
    const auth = checks.find((check) => check.check === 'authenticated')!;
    expect(auth.ok).toBe(false);
    expect(auth.detail).toMatch(/E0000011/);
    expect(JSON.stringify(checks)).not.toContain(OKTA_FAKE_TOKEN);
  });

  it('says the org is unreachable', async () => {
    const target = await start();
    const orgUrl = target.orgUrl;
    await target.close();
    fake = undefined;
    const config: OktaSourceConfig = { ...configFor(target), orgUrl };
    const checks = await createOktaCollector(config, { retryPolicy: FAST_RETRIES }).doctor(contextWith());

    expect(checks[0]).toMatchObject({ check: 'reachable', ok: false });
    expect(checks[0]!.detail).toMatch(/ECONNREFUSED/);
    expect(checks.slice(1).every((check) => !check.ok)).toBe(true);
  });
});
