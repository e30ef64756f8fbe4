import { afterEach, describe, expect, it } from 'vitest';
import { createEntraCollector, SIGN_IN_LOG_P1_NOTICE } from '../../collectors/entra/index.js';
import { graphSignInToEvent } from '../../collectors/entra/transform.js';
import type { CollectContext } from '../../src/contract/collector.js';
import { SourceError } from '../../src/contract/errors.js';
import { silentLogger } from '../../src/common/logger.js';
import type { SignInEvent } from '../../src/contract/model.js';
import {
  ALL_PERMISSIONS,
  fakeSignIn,
  fakeUser,
  startGraphFake,
  type GraphFake,
  type GraphFakeOptions,
} from '../fakes/graph.js';

const SINCE = new Date('2026-11-19T12:00:00.000Z');
const UNTIL = new Date('2026-11-26T12:00:00.000Z');

let fake: GraphFake | null = null;
afterEach(async () => {
  await fake?.close();
  fake = null;
});

async function start(options: GraphFakeOptions = {}): Promise<GraphFake> {
  fake = await startGraphFake(options);
  return fake;
}

function collectorFor(graph: GraphFake, serverRetries = 2) {
  return createEntraCollector(
    {
      name: 'entra',
      type: 'entra',
      role: 'idp',
      timeoutSeconds: 30,
      tenantId: graph.tenantId,
      clientId: graph.clientId,
      clientSecret: graph.clientSecret,
      graphUrl: graph.url,
      authorityUrl: graph.authorityUrl,
    },
    { caCertificate: graph.caCertificate, retryPolicy: { baseDelayMs: 1, maxDelayMs: 20, serverRetries } },
  );
}

const context: CollectContext = {
  signal: new AbortController().signal,
  log: silentLogger,
  notice: () => {},
  now: UNTIL,
};

async function read(graph: GraphFake, serverRetries?: number): Promise<SignInEvent[][]> {
  const pages: SignInEvent[][] = [];
  for await (const page of collectorFor(graph, serverRetries).readSignIns!(context, { since: SINCE, until: UNTIL })) {
    pages.push(page);
  }
  return pages;
}

const alice = fakeUser(1);
const signInsRequests = (graph: GraphFake) => graph.state.requests.filter((request) => request.target === 'signIns');

describe('entra sign-in log', () => {
  it('filters on createdDateTime and follows @odata.nextLink', async () => {
    const signIns = Array.from({ length: 2_300 }, (_, index) =>
      fakeSignIn(index, alice, new Date(SINCE.getTime() + index * 60_000).toISOString(), {
        errorCode: index % 2 === 0 ? 0 : 50126,
      }),
    );
    signIns.push(fakeSignIn(9_001, alice, '2026-11-19T11:59:59.999Z'), fakeSignIn(9_002, alice, UNTIL.toISOString()));
    const graph = await start({ signIns });
    const pages = await read(graph);
    expect(pages.map((page) => page.length)).toEqual([1000, 1000, 300]);
    expect(new Set(pages.flat().map((event) => event.id)).size).toBe(2_300);
    const calls = signInsRequests(graph);
    expect(calls[0]!.query).toMatchObject({
      $filter: `createdDateTime ge ${SINCE.toISOString()} and createdDateTime lt ${UNTIL.toISOString()}`,
      $top: '1000',
    });
    expect(calls[1]!.query.$skiptoken).toBeTruthy();
    expect(calls.every((call) => call.hadBearer && call.status === 200)).toBe(true);
    const failure = pages.flat().find((event) => event.result === 'failure')!;
    expect(failure).toMatchObject({ accountId: alice.id, reason: 'Invalid username or password. (50126)' });
  });

  it('without P1 fails with a SourceError naming the licence', async () => {
    const graph = await start({ premium: false, signIns: [fakeSignIn(1, alice, '2026-11-20T00:00:00Z')] });
    const error = await read(graph).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).message).toContain(SIGN_IN_LOG_P1_NOTICE);
    expect((error as SourceError).message).toContain('Authentication_RequestFromNonPremiumTenantOrB2CTenant');
  });

  it('without AuditLog.Read.All names the permission', async () => {
    const graph = await start({ permissions: ALL_PERMISSIONS.filter((p) => p !== 'AuditLog.Read.All') });
    const error = await read(graph).catch((caught: unknown) => caught);
    expect((error as SourceError).message).toMatch(/AuditLog\.Read\.All/);
    expect((error as SourceError).kind).toBe('auth');
  });

  it('retries a 429 as told and fails when a later page keeps failing', async () => {
    const signIns = Array.from({ length: 1_500 }, (_, index) =>
      fakeSignIn(index, alice, new Date(SINCE.getTime() + index * 60_000).toISOString()),
    );
    const graph = await start({ signIns });
    graph.state.fail({ target: 'signIns', status: 429, retryAfterSeconds: 0 });
    expect((await read(graph)).flat()).toHaveLength(1_500);

    const pages: SignInEvent[][] = [];
    const error = await (async () => {
      for await (const page of collectorFor(graph, 1).readSignIns!(context, { since: SINCE, until: UNTIL })) {
        pages.push(page);
        graph.state.fail({ target: 'signIns', status: 503, times: 5 });
      }
    })().catch((caught: unknown) => caught);
    expect(pages).toHaveLength(1);
    expect(error).toBeInstanceOf(SourceError);
  });

  it('maps error codes: 0 success, others failure, interrupts dropped', () => {
    const entry = (errorCode: number) =>
      graphSignInToEvent(fakeSignIn(1, alice, '2026-11-20T00:00:00Z', { errorCode }), 'entra')?.result;
    expect([0, 50126, 50057, 50053, 50074, 50140].map(entry)).toEqual([
      'success',
      'failure',
      'failure',
      'failure',
      undefined,
      undefined,
    ]);
  });
});
