import { describe, expect, it } from 'vitest';
import type { SourceCollector } from '../../src/contract/collector.js';
import type { Account, SignInEvent } from '../../src/contract/model.js';
import { signInCursor, signInCursors } from '../../src/store/sign-ins.js';
import { createOktaCollector } from '../../collectors/okta/index.js';
import { makeOktaLogEvent, makeOktaUser, OKTA_FAKE_TOKEN, startOktaFake } from '../fakes/okta.js';
import { account, Harness, person } from './helpers.js';

const CONFIG = `
database: ./z.db
roster: { path: ./hr.csv }
sources:
  - { name: okta, type: csv, path: ./okta.csv, role: idp }
signIns: { lookbackDays: 7 }
`;

function event(
  id: string,
  at: string,
  accountId: string | null,
  result: SignInEvent['result'],
  extra = {},
): SignInEvent {
  return {
    source: 'okta',
    id,
    at,
    accountId,
    login: null,
    result,
    reason: result === 'failure' ? 'INVALID_CREDENTIALS' : null,
    ip: '203.0.113.9',
    application: 'Okta Dashboard',
    ...extra,
  };
}

/** An in-memory sign-in log: serves [since, until) two events a page; can fail after some pages. */
class Log {
  events: SignInEvent[] = [];
  windows: { since: string; until: string }[] = [];
  failAfterPages: number | null = null;

  reader(): NonNullable<SourceCollector['readSignIns']> {
    return async function* (this: void, _context, window) {
      log.windows.push({ since: window.since.toISOString(), until: window.until.toISOString() });
      const inWindow = log.events
        .filter((e) => Date.parse(e.at) >= window.since.getTime() && Date.parse(e.at) < window.until.getTime() + 1e10)
        .sort((a, b) => a.at.localeCompare(b.at));
      for (let i = 0, page = 0; i < inWindow.length; i += 2, page++) {
        if (log.failAfterPages !== null && page >= log.failAfterPages)
          throw new Error('okta: HTTP 503 from /api/v1/logs');
        yield inWindow.slice(i, i + 2);
      }
    };
  }
}
let log: Log;

function setUp(): Harness {
  const h = new Harness(CONFIG);
  log = new Log();
  h.now = new Date('2026-11-26T12:00:00Z');
  h.people = [
    person('E1', 'alice@acme.com'),
    person('E2', 'bob@acme.com', {
      status: 'terminated',
      terminationDate: '2026-11-20',
      terminationEffectiveAt: '2026-11-20T23:59:59.999Z',
    }),
    person('E3', 'carol@acme.com'),
  ];
  h.accounts.set('okta', [
    account('okta', 'o1', { email: 'alice@acme.com', activityKnown: true, lastActivityAt: '2026-11-01T00:00:00.000Z' }),
    account('okta', 'o2', { email: 'bob@acme.com', activityKnown: true, lastActivityAt: '2026-11-19T00:00:00.000Z' }),
    account('okta', 'o3', { email: 'carol@acme.com', enabled: false, rawStatus: 'SUSPENDED' }),
  ]);
  log.events = [
    // bob, before and after his termination took effect
    event('e1', '2026-11-20T09:00:00.000Z', 'o2', 'success'),
    event('e2', '2026-11-24T22:15:00.000Z', 'o2', 'success', { ip: '198.51.100.23', application: 'Salesforce' }),
    // carol's suspended account: someone keeps trying
    event('e3', '2026-11-25T08:00:00.000Z', 'o3', 'failure', { reason: 'VERIFICATION_ERROR' }),
    event('e4', '2026-11-25T08:01:00.000Z', 'o3', 'failure', { reason: 'LOCKED_OUT' }),
    // alice (healthy): only refines last activity; never stored as an event
    event('e5', '2026-11-25T10:00:00.000Z', 'o1', 'success'),
    // a user no snapshot holds, and an event stamped in the future (clock skew)
    event('e6', '2026-11-25T11:00:00.000Z', '00uUNKNOWN', 'failure', { login: 'mallory@evil.test' }),
    event('e7', '2026-11-26T13:00:00.000Z', 'o2', 'success'),
  ];
  const plain = h.collector.bind(h);
  h.collector = (name: string) => ({ ...plain(name), readSignIns: log.reader() });
  return h;
}

function storedEvents(h: Harness): { id: string; account_id: string }[] {
  return h.db.prepare('SELECT id, account_id FROM sign_in_events ORDER BY id').all() as {
    id: string;
    account_id: string;
  }[];
}

describe('sign-in evidence in a scan', () => {
  it('opens a critical finding for a leaver signing in and a high one for attempts on a disabled account', async () => {
    const h = setUp();
    const result = await h.scan();
    expect(result.sources[0]!.status).toBe('complete');
    expect(log.windows).toEqual([{ since: '2026-11-19T12:00:00.000Z', until: '2026-11-26T12:00:00.000Z' }]);

    const critical = h.db
      .prepare(`SELECT severity, account_id, message, evidence FROM findings WHERE rule = 'sign-in-after-termination'`)
      .all() as { severity: string; account_id: string; message: string; evidence: string }[];
    expect(critical).toHaveLength(1);
    expect(critical[0]).toMatchObject({ severity: 'critical', account_id: 'o2' });
    const evidence = JSON.parse(critical[0]!.evidence) as { events: { id: string; ip: string }[] };
    expect(evidence.events.map((e) => e.id)).toEqual(['e2']);
    expect(evidence.events[0]!.ip).toBe('198.51.100.23');

    const high = h.db
      .prepare(`SELECT severity, account_id, evidence FROM findings WHERE rule = 'access-attempt-on-departed'`)
      .all() as { severity: string; account_id: string; evidence: string }[];
    expect(high).toHaveLength(1);
    expect(high[0]).toMatchObject({ severity: 'high', account_id: 'o3' });
    expect((JSON.parse(high[0]!.evidence) as { failedAttempts: number }).failedAttempts).toBe(2);

    // Only accounts of interest are stored; the unknown user and the future event are not.
    expect(storedEvents(h).map((e) => e.id)).toEqual(['e1', 'e2', 'e3', 'e4']);
    expect(signInCursor(h.db, 'okta')).toBe('2026-11-26T12:00:00.000Z');
    // Alice's success refines her last activity.
    const alice = h.db.prepare(`SELECT last_activity_at FROM current_accounts WHERE id = 'o1'`).get() as {
      last_activity_at: string;
    };
    expect(alice.last_activity_at).toBe('2026-11-25T10:00:00.000Z');
  });

  it('decides again an account whose last activity the log refined: a recent sign-in is not dormancy', async () => {
    const dormantAlice = (h: Harness) =>
      h.findings().filter((f) => f.rule === 'dormant-account' && f.account_id === 'o1');
    // The directory says Alice last signed in in June (dormant when her account arrives); the log saw her yesterday.
    const refined = setUp();
    (refined.accounts.get('okta') as Account[])[0]!.lastActivityAt = '2026-06-01T00:00:00.000Z';
    await refined.scan();
    expect(dormantAlice(refined)).toEqual([]);
    // Without her sign-in in the log, the same account is dormant.
    const unrefined = setUp();
    (unrefined.accounts.get('okta') as Account[])[0]!.lastActivityAt = '2026-06-01T00:00:00.000Z';
    log.events = log.events.filter((event) => event.id !== 'e5');
    await unrefined.scan();
    expect(dormantAlice(unrefined)).toHaveLength(1);
  });

  it('a rescan over an overlapping window adds nothing twice', async () => {
    const h = setUp();
    await h.scan();
    const findings = h.findings();
    h.now = new Date('2026-11-26T12:05:00Z');
    await h.scan();
    expect(log.windows[1]).toEqual({ since: '2026-11-26T11:45:00.000Z', until: '2026-11-26T12:05:00.000Z' });
    expect(storedEvents(h)).toHaveLength(4);
    expect(signInCursors(h.db)[0]!.eventsTotal).toBe(4);
    expect(h.findings().map((f) => [f.id, f.rule, f.status])).toEqual(findings.map((f) => [f.id, f.rule, f.status]));
    // The first read window overlaps everything again: still stored once.
    h.db.prepare('DELETE FROM sign_in_cursors').run();
    await h.scan();
    expect(storedEvents(h)).toHaveLength(4);
  });

  it('a log that fails mid-way keeps the cursor and counts nothing; the source still completes', async () => {
    const h = setUp();
    log.failAfterPages = 1;
    const result = await h.scan();
    expect(result.sources[0]!.status).toBe('complete');
    expect(result.sources[0]!.notices.join(' ')).toMatch(
      /sign-in log unreadable \(okta: HTTP 503|sign-in log unreadable/,
    );
    expect(storedEvents(h)).toEqual([]);
    expect(signInCursor(h.db, 'okta')).toBeNull();
    expect(h.db.prepare('SELECT count(*) AS n FROM sign_in_events_staged').get()).toEqual({ n: 0 });
    expect(h.findings().filter((f) => f.rule === 'sign-in-after-termination')).toEqual([]);

    log.failAfterPages = null;
    await h.scan();
    expect(storedEvents(h)).toHaveLength(4);
    expect(h.findings().filter((f) => f.rule === 'sign-in-after-termination')).toHaveLength(1);
  });

  it('a scan killed before its commit leaves no events and no cursor', async () => {
    const h = setUp();
    const controller = new AbortController();
    const reader = log.reader();
    const plain = h.collector.bind(h);
    h.collector = (name: string) => ({
      ...plain(name),
      async *readSignIns(context, window) {
        for await (const page of reader(context, window)) {
          yield page;
          controller.abort(new Error('SIGTERM'));
        }
      },
    });
    await expect(h.scan({ signal: controller.signal })).rejects.toThrow();
    expect(storedEvents(h)).toEqual([]);
    expect(signInCursor(h.db, 'okta')).toBeNull();
  });
});

describe('sign-in evidence end to end with the Okta fake', () => {
  it('a leaver signing in after the effective moment opens a critical finding; a rescan adds nothing twice', async () => {
    const fake = await startOktaFake({
      users: (orgUrl) => [
        makeOktaUser(orgUrl, 1, { status: 'ACTIVE' }),
        makeOktaUser(orgUrl, 2, { status: 'SUSPENDED' }),
        makeOktaUser(orgUrl, 3, { status: 'ACTIVE' }),
      ],
      logEvents: [
        makeOktaLogEvent(1, '2026-11-25T09:00:00.000Z', { actorId: '00u0000000001FAKE0a7', ip: '198.51.100.7' }),
        makeOktaLogEvent(2, '2026-11-25T10:00:00.000Z', {
          actorId: '00u0000000002FAKE0a7',
          result: 'FAILURE',
          reason: 'VERIFICATION_ERROR',
        }),
        makeOktaLogEvent(3, '2026-11-25T11:00:00.000Z', { actorId: '00u0000000003FAKE0a7' }),
        makeOktaLogEvent(4, '2026-11-25T11:30:00.000Z', { actorId: null, login: 'nobody', result: 'FAILURE' }),
      ],
    });
    try {
      const h = new Harness(CONFIG);
      h.now = new Date('2026-11-26T12:00:00Z');
      h.people = [
        person('E1', 'user1@example.com', {
          status: 'terminated',
          terminationDate: '2026-11-24',
          terminationEffectiveAt: '2026-11-24T23:59:59.999Z',
        }),
        person('E2', 'user2@example.com'),
        person('E3', 'user3@example.com'),
      ];
      const okta = createOktaCollector(
        { name: 'okta', type: 'okta', role: 'idp', timeoutSeconds: 30, orgUrl: fake.orgUrl, token: OKTA_FAKE_TOKEN },
        { retryPolicy: { baseDelayMs: 5 } },
      );
      await h.scan({ createCollector: () => okta });
      const open = () =>
        h.findings(`rule IN ('sign-in-after-termination', 'access-attempt-on-departed')`).map((f) => ({
          id: f.id,
          rule: f.rule,
          severity: f.severity,
          account: f.account_id,
        }));
      const first = open();
      expect(first.map(({ rule, severity, account }) => [rule, severity, account])).toEqual([
        ['sign-in-after-termination', 'critical', '00u0000000001FAKE0a7'],
        ['access-attempt-on-departed', 'high', '00u0000000002FAKE0a7'],
      ]);
      expect(storedEvents(h).map((e) => e.account_id)).toEqual(['00u0000000001FAKE0a7', '00u0000000002FAKE0a7']);

      h.now = new Date('2026-11-26T12:10:00Z');
      await h.scan({ createCollector: () => okta });
      expect(open()).toEqual(first);
      expect(storedEvents(h)).toHaveLength(2);
      expect(fake.state.serverErrors).toEqual([]);
    } finally {
      await fake.close();
    }
  });
});
