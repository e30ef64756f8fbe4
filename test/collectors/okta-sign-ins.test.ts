import { afterEach, describe, expect, it } from 'vitest';
import { createOktaCollector, SIGN_IN_EVENT_FILTER } from '../../collectors/okta/index.js';
import { oktaLogEventToSignIn } from '../../collectors/okta/transform.js';
import type { CollectContext } from '../../src/contract/collector.js';
import type { OktaSourceConfig } from '../../src/config/config.js';
import { SourceError } from '../../src/contract/errors.js';
import type { SignInEvent } from '../../src/contract/model.js';
import {
  makeOktaLogEvent,
  OKTA_FAKE_TOKEN,
  startOktaFake,
  type OktaFake,
  type OktaFakeOptions,
} from '../fakes/okta.js';

const LOGS_PATH = '/api/v1/logs';
const SINCE = new Date('2026-11-19T12:00:00.000Z');
const UNTIL = new Date('2026-11-26T12:00:00.000Z');

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

function configFor(target: OktaFake): OktaSourceConfig {
  return { name: 'okta', type: 'okta', role: 'idp', timeoutSeconds: 30, orgUrl: target.orgUrl, token: OKTA_FAKE_TOKEN };
}

function context(): CollectContext & { notices: string[] } {
  const notices: string[] = [];
  const quiet = () => {};
  return {
    signal: new AbortController().signal,
    log: { debug: quiet, info: quiet, warn: quiet, error: quiet },
    notice: (message) => notices.push(message),
    now: UNTIL,
    notices,
  };
}

async function read(target: OktaFake, window = { since: SINCE, until: UNTIL }): Promise<SignInEvent[][]> {
  const collector = createOktaCollector(configFor(target), { retryPolicy: { baseDelayMs: 5 } });
  const pages: SignInEvent[][] = [];
  for await (const page of collector.readSignIns!(context(), window)) pages.push(page);
  return pages;
}

/** `count` sign-ins spread over the window, one a minute from `SINCE`. */
function events(count: number) {
  return Array.from({ length: count }, (_, index) =>
    makeOktaLogEvent(index, new Date(SINCE.getTime() + index * 60_000).toISOString(), {
      result: index % 3 === 0 ? 'FAILURE' : 'SUCCESS',
      reason: index % 3 === 0 ? 'INVALID_CREDENTIALS' : null,
    }),
  );
}

describe('okta System Log sign-ins', () => {
  it('reads a bounded window page by page through Link paging, oldest first', async () => {
    const target = await start({ logEvents: events(2_500).reverse() });
    const pages = await read(target);
    expect(pages.map((page) => page.length)).toEqual([1000, 1000, 500]);
    const all = pages.flat();
    expect(new Set(all.map((event) => event.id)).size).toBe(2_500);
    expect(all.map((event) => event.at)).toEqual([...all.map((event) => event.at)].sort());
    const calls = target.state.requests.filter((request) => request.path === LOGS_PATH);
    expect(calls).toHaveLength(3);
    expect(calls[0]!.query).toMatchObject({
      since: SINCE.toISOString(),
      until: UNTIL.toISOString(),
      filter: SIGN_IN_EVENT_FILTER,
      limit: '1000',
      sortOrder: 'ASCENDING',
    });
    expect(calls[1]!.query.after).toBeTruthy();
    expect(all[0]).toMatchObject({ result: 'failure', reason: 'INVALID_CREDENTIALS', ip: '203.0.113.10' });
  });

  it('keeps since inclusive and until exclusive, and only sign-in event types', async () => {
    const target = await start({
      logEvents: [
        makeOktaLogEvent(1, SINCE.toISOString()),
        makeOktaLogEvent(2, UNTIL.toISOString()),
        makeOktaLogEvent(3, '2026-11-20T00:00:00.000Z', { eventType: 'user.lifecycle.suspend' }),
        makeOktaLogEvent(4, '2026-11-20T00:00:00.000Z', { eventType: 'user.authentication.sso', app: 'Salesforce' }),
        makeOktaLogEvent(5, '2026-11-20T00:00:00.000Z', { result: 'CHALLENGE' }),
      ],
    });
    const all = (await read(target)).flat();
    expect(all.map((event) => event.id.slice(0, 8))).toEqual(['00000001', '00000004']);
    expect(all[1]!.application).toBe('Salesforce');
  });

  it('names an unknown user by the login typed, with no account id', async () => {
    const target = await start({
      logEvents: [
        makeOktaLogEvent(1, '2026-11-20T00:00:00.000Z', { actorId: null, login: 'mallory', result: 'FAILURE' }),
      ],
    });
    const [event] = (await read(target)).flat();
    expect(event).toMatchObject({ accountId: null, login: 'mallory', result: 'failure' });
  });

  it('waits out the System Log rate limit and carries on', async () => {
    const target = await start({ logEvents: events(1_500) });
    target.state.inject({ status: 429, path: LOGS_PATH, times: 1, resetInSeconds: 1 });
    const pages = await read(target);
    expect(pages.flat()).toHaveLength(1_500);
    const calls = target.state.requests.filter((request) => request.path === LOGS_PATH);
    expect(calls[0]!.status).toBe(429);
    expect(calls.slice(1).every((call) => call.status === 200)).toBe(true);
  });

  it('fails with the missing permission when the token may not read the log', async () => {
    const target = await start({ logsForbidden: true });
    const error = await read(target).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).kind).toBe('auth');
    expect((error as SourceError).message).toMatch(/System Log unreadable.*okta\.logs\.read/);
    expect((error as SourceError).message).not.toContain(OKTA_FAKE_TOKEN);
  });

  it('fails (never ends early) when the log breaks mid-way', async () => {
    const target = await start({ logEvents: events(2_500) });
    const collector = createOktaCollector(configFor(target), { retryPolicy: { baseDelayMs: 1, serverRetries: 1 } });
    const pages: SignInEvent[][] = [];
    const failure = await (async () => {
      for await (const page of collector.readSignIns!(context(), { since: SINCE, until: UNTIL })) {
        pages.push(page);
        target.state.inject({ status: 503, path: LOGS_PATH, times: 10 });
      }
    })().catch((caught: unknown) => caught);
    expect(pages).toHaveLength(1);
    expect(failure).toBeInstanceOf(SourceError);
  });

  it('maps outcomes: SUCCESS and ALLOW succeed, FAILURE and DENY fail, anything else is not a sign-in', () => {
    const at = '2026-11-20T00:00:00.000Z';
    const result = (value: string) => oktaLogEventToSignIn(makeOktaLogEvent(1, at, { result: value }), 'okta')?.result;
    expect(['SUCCESS', 'ALLOW', 'FAILURE', 'DENY', 'CHALLENGE', 'SKIPPED', 'UNKNOWN'].map(result)).toEqual([
      'success',
      'success',
      'failure',
      'failure',
      undefined,
      undefined,
      undefined,
    ]);
  });
});
