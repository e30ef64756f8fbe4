import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/config.js';
import type { SlackChat } from '../../src/contract/chat.js';
import type { SignInEvent } from '../../src/contract/model.js';
import { silentLogger } from '../../src/common/logger.js';
import { pollSignIns } from '../../src/scan/sign-ins.js';
import { createSignInPollJob } from '../../src/serve/sign-in-poll.js';
import { Scheduler } from '../../src/serve/schedule.js';
import { postNewCriticalFindings } from '../../src/slack/notify.js';
import { account, Harness, person } from '../engine/helpers.js';

const ENV = { SLACK_BOT_TOKEN: 'xoxb-test-token-0123456789' };
const CONFIG = `
database: ./z.db
roster: { path: ./hr.csv }
sources:
  - { name: okta, type: csv, path: ./okta.csv, role: idp }
  - { name: slack, type: csv, path: ./slack.csv }
signIns: { lookbackDays: 7, pollMinutes: 5 }
slack: { token: "\${SLACK_BOT_TOKEN}", channel: C0SECURITY }
`;

function signIn(id: string, at: string, accountId: string, result: SignInEvent['result']): SignInEvent {
  return {
    source: 'okta',
    id,
    at,
    accountId,
    login: null,
    result,
    reason: null,
    ip: '198.51.100.4',
    application: 'Okta',
  };
}

function setUp() {
  const h = new Harness(CONFIG, ENV);
  h.now = new Date('2026-11-26T12:00:00Z');
  h.people = [
    person('E1', 'alice@acme.com'),
    person('E2', 'bob@acme.com', {
      status: 'terminated',
      terminationDate: '2026-11-25',
      terminationEffectiveAt: '2026-11-25T23:59:59.999Z',
    }),
  ];
  h.accounts.set('okta', [
    account('okta', 'o1', { email: 'alice@acme.com' }),
    account('okta', 'o2', { email: 'bob@acme.com' }),
  ]);
  h.accounts.set('slack', [account('slack', 's1', { email: 'alice@acme.com' })]);
  const log: SignInEvent[] = [];
  const collected: string[] = [];
  const plain = h.collector.bind(h);
  h.collector = (name: string) => {
    const base = plain(name);
    if (name !== 'okta') return base;
    return {
      ...base,
      async *collect(context) {
        collected.push(name);
        yield* base.collect(context);
      },
      async *readSignIns(_context, window) {
        yield log.filter(
          (e) => Date.parse(e.at) >= window.since.getTime() && Date.parse(e.at) < window.until.getTime(),
        );
      },
    };
  };
  const posted: Record<string, unknown>[] = [];
  const chat: SlackChat = {
    async call(method, args) {
      posted.push({ method, ...args });
      return { ok: true, channel: 'C0SECURITY', ts: '1.2' };
    },
  };
  const job = createSignInPollJob({
    poll: (signal) =>
      pollSignIns(h.db, h.config, {
        createCollector: (source) => h.collector(source.name),
        loadRoster: async () => h.people,
        log: silentLogger,
        now: () => h.now,
        signal,
      }),
    scan: (signal, sources) => h.scan({ signal, sources }),
    postCritical: (runId) => postNewCriticalFindings(h.db, h.config, { chat, log: silentLogger }, runId),
    log: silentLogger,
    now: () => h.now,
  });
  return { h, log, collected, posted, job };
}

describe('serve: sign-in poll', () => {
  it('sees a leaver sign in within one poll, scans only that source and posts the critical finding at once', async () => {
    const { h, log, collected, posted, job } = setUp();
    await h.scan();
    expect(collected).toEqual(['okta']);

    h.now = new Date('2026-11-26T12:05:00Z');
    const quiet = await job(new AbortController().signal, 'poll');
    expect(quiet).toMatchObject({ status: 'complete', runId: null });
    expect(collected).toEqual(['okta']);
    expect(posted).toEqual([]);

    log.push(signIn('e1', '2026-11-26T12:06:00.000Z', 'o2', 'success'));
    log.push(signIn('e2', '2026-11-26T12:07:00.000Z', 'o1', 'success'));
    h.now = new Date('2026-11-26T12:10:00Z');
    const outcome = await job(new AbortController().signal, 'poll');
    expect(outcome.status).toBe('complete');
    expect(outcome.runId).not.toBeNull();
    expect(collected).toEqual(['okta', 'okta']);
    const critical = h.findings(`rule = 'sign-in-after-termination' AND status = 'open'`);
    expect(critical.map((f) => f.account_id)).toEqual(['o2']);
    expect(posted).toHaveLength(1);
    expect(posted[0]).toMatchObject({ method: 'chat.postMessage', channel: 'C0SECURITY' });
    expect(String(posted[0]!.text)).toContain('sign-in-after-termination');
    expect(String(posted[0]!.text)).toContain('198.51.100.4');

    // The same events read again in the next (overlapping) window: nothing new, no scan, no second post.
    h.now = new Date('2026-11-26T12:15:00Z');
    const again = await job(new AbortController().signal, 'poll');
    expect(again.runId).toBeNull();
    expect(posted).toHaveLength(1);
  });

  it('runs the poll through the scheduler guard and keeps /healthz on the last scheduled job', async () => {
    const { job } = setUp();
    const calls: string[] = [];
    const scheduler = new Scheduler({
      cron: '0 2 * * *',
      timezone: 'UTC',
      log: silentLogger,
      job: async (_signal, trigger) => {
        calls.push(trigger);
        return { trigger, startedAt: '', finishedAt: '', status: 'complete', runId: 1, error: null, exitCode: 0 };
      },
      poll: {
        everyMinutes: 5,
        job: async (signal, trigger) => {
          calls.push(trigger);
          return job(signal, trigger);
        },
      },
    });
    await scheduler.tick('once');
    await scheduler.tick('poll');
    expect(calls).toEqual(['once', 'poll']);
    expect(scheduler.status().lastJob?.trigger).toBe('once');
    await scheduler.stop();
  });

  it('parses signIns config and refuses nonsense', () => {
    expect(() => parseConfig(CONFIG.replace('pollMinutes: 5', 'pollMinutes: 0'), '/tmp/z.yaml', ENV)).toThrow(
      /pollMinutes/,
    );
  });
});
