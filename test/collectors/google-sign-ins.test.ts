import { afterEach, describe, expect, it } from 'vitest';
import { createGoogleCollector } from '../../collectors/google/index.js';
import { googleLoginActivityToSignIns } from '../../collectors/google/transform.js';
import { googleSourceSchema, type GoogleSourceConfig } from '../../src/config/config.js';
import type { CollectContext } from '../../src/contract/collector.js';
import { SourceError } from '../../src/contract/errors.js';
import { silentLogger } from '../../src/common/logger.js';
import type { SignInEvent } from '../../src/contract/model.js';
import {
  GOOGLE_SCOPE,
  makeLoginActivity,
  startFakeGoogle,
  type GoogleFake,
  type GoogleFakeOptions,
} from '../fakes/google.js';

const ADMIN = 'admin@example.com';
const SINCE = new Date('2026-11-19T12:00:00.000Z');
const UNTIL = new Date('2026-11-26T12:00:00.000Z');
const ACTIVITIES_PATH = '/admin/reports/v1/activity/users/all/applications/login';
const bob = { email: 'bob@example.com', profileId: '100000000000000000002' };

let fake: GoogleFake | undefined;
afterEach(async () => {
  if (fake) expect(fake.state.serverErrors).toEqual([]);
  await fake?.close();
  fake = undefined;
});

async function start(options: GoogleFakeOptions = {}): Promise<GoogleFake> {
  fake = await startFakeGoogle({
    ...options,
    users: [{ primaryEmail: ADMIN, isAdmin: true }, { primaryEmail: bob.email }],
  });
  return fake;
}

function configFor(target: GoogleFake): GoogleSourceConfig {
  return googleSourceSchema.parse({
    name: 'gws',
    type: 'google',
    role: 'idp',
    timeoutSeconds: 30,
    key: target.keyJson,
    subject: ADMIN,
    apiUrl: target.apiUrl,
    tokenUrl: target.tokenUrl,
  });
}

const context: CollectContext = {
  signal: new AbortController().signal,
  log: silentLogger,
  notice: () => {},
  now: UNTIL,
};

async function read(target: GoogleFake): Promise<SignInEvent[][]> {
  const collector = createGoogleCollector(configFor(target), { retryPolicy: { baseDelayMs: 5, maxDelayMs: 50 } });
  const pages: SignInEvent[][] = [];
  for await (const page of collector.readSignIns!(context, { since: SINCE, until: UNTIL })) pages.push(page);
  return pages;
}

function activities(count: number) {
  return Array.from({ length: count }, (_, index) =>
    makeLoginActivity(index, new Date(SINCE.getTime() + index * 60_000).toISOString(), bob, {
      name: index % 4 === 0 ? 'login_failure' : 'login_success',
    }),
  );
}

describe('google Reports API login activity', () => {
  it('lists login activities of every user in the window, page by page, with the reports scope only', async () => {
    const target = await start({
      loginActivities: [
        ...activities(2_100),
        makeLoginActivity(9_001, '2026-11-19T11:59:59.000Z', bob),
        makeLoginActivity(9_002, '2026-11-20T00:00:00.000Z', bob, { name: 'logout' }),
      ],
    });
    const pages = await read(target);
    // Three pages of up to 1,000 activities; the logout is not a sign-in outcome.
    expect(pages).toHaveLength(3);
    const all = pages.flat();
    expect(new Set(all.map((event) => event.id)).size).toBe(2_100);
    const calls = target.state.requests.filter((request) => request.path === ACTIVITIES_PATH);
    expect(calls).toHaveLength(3);
    expect(calls[0]!.query).toMatchObject({
      startTime: SINCE.toISOString(),
      endTime: UNTIL.toISOString(),
      maxResults: '1000',
    });
    expect(calls.every((call) => call.scopes?.join() === GOOGLE_SCOPE.reports)).toBe(true);
    const failure = all.find((event) => event.result === 'failure')!;
    expect(failure).toMatchObject({
      accountId: bob.profileId,
      login: bob.email,
      reason: 'login_failure_invalid_password',
      ip: '203.0.113.30',
      application: 'Google (google_password)',
    });
  });

  it('names the delegation fix when the reports scope is not authorised', async () => {
    const target = await start({ authorizedScopes: [GOOGLE_SCOPE.read] });
    const error = await read(target).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).kind).toBe('auth');
    expect((error as SourceError).message).toContain(GOOGLE_SCOPE.reports);
  });

  it('waits out quota errors and fails when a later page keeps failing', async () => {
    const target = await start({ loginActivities: activities(1_500) });
    target.state.inject({ status: 403, reason: 'userRateLimitExceeded', path: ACTIVITIES_PATH });
    expect((await read(target)).flat()).toHaveLength(1_500);

    const collector = createGoogleCollector(configFor(target), { retryPolicy: { baseDelayMs: 1, serverRetries: 1 } });
    const pages: SignInEvent[][] = [];
    const error = await (async () => {
      for await (const page of collector.readSignIns!(context, { since: SINCE, until: UNTIL })) {
        pages.push(page);
        target.state.inject({ status: 503, path: ACTIVITIES_PATH, times: 5 });
      }
    })().catch((caught: unknown) => caught);
    expect(pages).toHaveLength(1);
    expect(error).toBeInstanceOf(SourceError);
  });

  it('maps login_success and login_failure; other events are not outcomes', () => {
    const at = '2026-11-20T00:00:00.000Z';
    const map = (name: string) => googleLoginActivityToSignIns(makeLoginActivity(1, at, bob, { name }), 'gws');
    expect(map('login_success')[0]!.result).toBe('success');
    expect(map('login_failure')[0]!.result).toBe('failure');
    expect(map('login_challenge')).toEqual([]);
    expect(map('logout')).toEqual([]);
  });
});
