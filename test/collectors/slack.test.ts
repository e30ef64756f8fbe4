import { afterEach, describe, expect, it } from 'vitest';
import { createSlackCollector } from '../../collectors/slack/index.js';
import type { CollectContext } from '../../src/contract/collector.js';
import { slackSourceSchema, type SlackSourceConfig } from '../../src/config/config.js';
import { SourceError } from '../../src/contract/errors.js';
import type { Logger } from '../../src/common/logger.js';
import type { Account } from '../../src/contract/model.js';
import {
  accessLogRow,
  FAKE_ADMIN_TOKEN,
  FAKE_BOT_TOKEN,
  generateMembers,
  type SlackFake,
  type SlackFakeOptions,
  slackbotMember,
  slackMember,
  startSlackFake,
} from '../fakes/slack.js';

const FAST_RETRIES = { baseDelayMs: 1, maxDelayMs: 5_000 };

let fake: SlackFake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function start(options: SlackFakeOptions): Promise<SlackFake> {
  fake = await startSlackFake(options);
  return fake;
}

function sourceConfig(apiUrl: string, overrides: Partial<SlackSourceConfig> = {}): SlackSourceConfig {
  return slackSourceSchema.parse({ name: 'slack', type: 'slack', token: FAKE_BOT_TOKEN, apiUrl, ...overrides });
}

function context(signal = new AbortController().signal) {
  const notices: string[] = [];
  const logLines: string[] = [];
  const record =
    (level: string) =>
    (message: string, fields?: Record<string, unknown>): void => {
      logLines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
    };
  const log: Logger = { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
  const ctx: CollectContext = { signal, log, notice: (message) => notices.push(message), now: new Date() };
  return { ctx, notices, logLines };
}

async function collectPages(config: SlackSourceConfig, ctx: CollectContext): Promise<Account[][]> {
  const pages: Account[][] = [];
  for await (const page of createSlackCollector(config, { retryPolicy: FAST_RETRIES }).collect(ctx)) pages.push(page);
  return pages;
}

async function collectError(config: SlackSourceConfig, ctx: CollectContext): Promise<unknown> {
  return collectPages(config, ctx).then(
    () => expect.unreachable('collect should have failed'),
    (error: unknown) => error,
  );
}

describe('slack collector: users.list paging', () => {
  it('pages 1,050 users 200 at a time with the cursor until next_cursor is empty', async () => {
    const members = [slackbotMember(), ...generateMembers(1049)];
    const slack = await start({ users: members });
    const { ctx } = context();

    const pages = await collectPages(sourceConfig(slack.apiUrl), ctx);

    expect(pages.map((page) => page.length)).toEqual([200, 200, 200, 200, 200, 50]);
    const ids = pages.flat().map((account) => account.id);
    expect(new Set(ids).size).toBe(1050);
    expect(ids).toEqual(members.map((member) => member.id));

    const calls = slack.calls('users.list');
    expect(calls).toHaveLength(6);
    expect(calls[0]!.params.cursor).toBeUndefined();
    for (const call of calls) {
      expect(call).toMatchObject({
        httpMethod: 'POST',
        contentType: 'application/x-www-form-urlencoded',
        token: FAKE_BOT_TOKEN,
      });
      expect(call.params.limit).toBe('200');
      expect(call.params).not.toHaveProperty('token');
    }
    // Each cursor is the one the previous page handed out, so nobody is skipped or read twice.
    expect(new Set(calls.slice(1).map((call) => call.params.cursor)).size).toBe(5);
  });

  it('keeps deleted and invited members (disabled ones too) and Slackbot as a built-in', async () => {
    const slack = await start({ users: [slackbotMember(), ...generateMembers(100)] });
    const accounts = (await collectPages(sourceConfig(slack.apiUrl), context().ctx)).flat();

    expect(accounts.filter((account) => account.rawStatus === 'deleted' && !account.enabled)).toHaveLength(2);
    expect(accounts.filter((account) => account.rawStatus === 'invited' && account.enabled)).toHaveLength(2);
    expect(accounts.filter((account) => account.builtIn).map((account) => account.id)).toEqual(['USLACKBOT']);
  });
});

describe('slack collector: member mapping', () => {
  const cases: Array<{ name: string; member: Parameters<typeof slackMember>[0]; expected: Partial<Account> }> = [
    {
      name: 'a regular member',
      member: { id: 'UHUMAN', name: 'ana', real_name: 'Ana Lima' },
      expected: {
        login: 'ana@example.com',
        email: 'ana@example.com',
        emails: ['ana@example.com'],
        displayName: 'Ana Lima',
        type: 'human',
        enabled: true,
        rawStatus: 'active',
        privileged: false,
        builtIn: false,
        employeeId: null,
        createdAt: null,
        licenses: [],
      },
    },
    {
      name: 'a bot user',
      member: { id: 'UBOT', name: 'deploybot', is_bot: true, profile: { bot_id: 'B1', email: undefined } },
      expected: { type: 'bot', login: 'deploybot', email: null, emails: [], activityKnown: false },
    },
    { name: 'an app user', member: { id: 'UAPP', is_app_user: true }, expected: { type: 'bot' } },
    { name: 'a workflow bot', member: { id: 'UFLOW', is_workflow_bot: true }, expected: { type: 'bot' } },
    { name: 'a multi-channel guest', member: { id: 'UGUEST', is_restricted: true }, expected: { type: 'guest' } },
    {
      name: 'a single-channel guest',
      member: { id: 'UGUEST1', is_restricted: true, is_ultra_restricted: true },
      expected: { type: 'guest', privileged: false },
    },
    { name: 'an admin', member: { id: 'UADMIN', is_admin: true }, expected: { type: 'human', privileged: true } },
    {
      name: 'an owner',
      member: { id: 'UOWNER', is_admin: true, is_owner: true },
      expected: { privileged: true, attributes: { is_owner: true, is_primary_owner: false, team_id: 'T0FAKETEAM' } },
    },
    {
      name: 'the primary owner',
      member: { id: 'UPRIMARY', is_owner: true, is_primary_owner: true },
      expected: { privileged: true, attributes: { is_owner: true, is_primary_owner: true, team_id: 'T0FAKETEAM' } },
    },
    {
      name: 'a deactivated member',
      member: { id: 'UGONE', deleted: true },
      expected: { enabled: false, rawStatus: 'deleted', type: 'human' },
    },
    {
      name: 'an invited member who never accepted',
      member: { id: 'UINVITED', is_invited_user: true, real_name: '', profile: { real_name: '' } },
      expected: { enabled: true, rawStatus: 'invited', displayName: 'uinvited' },
    },
  ];

  it.each(cases)('maps $name', async ({ member, expected }) => {
    const slack = await start({ users: [slackMember(member)] });
    const [account] = (await collectPages(sourceConfig(slack.apiUrl), context().ctx)).flat();
    expect(account).toMatchObject({ source: 'slack', id: member.id, ...expected });
  });

  it('maps USLACKBOT as a built-in bot that is never evaluated', async () => {
    const slack = await start({ users: [slackbotMember()] });
    const [account] = (await collectPages(sourceConfig(slack.apiUrl), context().ctx)).flat();
    expect(account).toMatchObject({ id: 'USLACKBOT', builtIn: true, type: 'bot', enabled: true, login: 'slackbot' });
  });

  it('falls back to the handle as login when the token cannot read emails', async () => {
    const slack = await start({
      users: [slackMember({ id: 'UANA', name: 'ana' })],
      tokens: { [FAKE_BOT_TOKEN]: { type: 'bot', scopes: ['users:read'], userId: 'UBOT' } },
    });
    const [account] = (await collectPages(sourceConfig(slack.apiUrl), context().ctx)).flat();
    expect(account).toMatchObject({ login: 'ana', email: null, emails: [] });
  });
});

describe('slack collector: activity from team.accessLogs', () => {
  const day = 86_400;
  const now = 1_767_225_600; // 2026-01-01T00:00:00Z

  it('takes the latest date_last across every row of a user, with the admin token', async () => {
    const slack = await start({
      users: [
        slackMember({ id: 'UANA' }),
        slackMember({ id: 'UBEN' }),
        slackMember({ id: 'UNEVER' }),
        slackMember({ id: 'UBOT', is_bot: true }),
      ],
      accessLogs: [
        accessLogRow('UANA', now - 30 * day, { ip: '192.0.2.1' }),
        accessLogRow('UANA', now - 2 * day, { ip: '198.51.100.7', user_agent: 'Slack iOS' }),
        accessLogRow('UANA', now - 400 * day, { ip: '203.0.113.9' }),
        accessLogRow('UBEN', now - 100 * day),
      ],
    });
    const config = sourceConfig(slack.apiUrl, { adminToken: FAKE_ADMIN_TOKEN });
    const { ctx, notices } = context();

    const accounts = new Map((await collectPages(config, ctx)).flat().map((account) => [account.id, account]));

    expect(accounts.get('UANA')).toMatchObject({ activityKnown: true, lastActivityAt: '2025-12-30T00:00:00.000Z' });
    expect(accounts.get('UBEN')).toMatchObject({ activityKnown: true, lastActivityAt: '2025-09-23T00:00:00.000Z' });
    expect(accounts.get('UNEVER')).toMatchObject({ activityKnown: true, lastActivityAt: null });
    // Bots act through tokens, never through sign-ins: the logs cannot speak for them.
    expect(accounts.get('UBOT')).toMatchObject({ activityKnown: false, lastActivityAt: null });
    expect(notices).toEqual([]);
    expect(slack.calls('team.accessLogs').map((call) => call.token)).toEqual([FAKE_ADMIN_TOKEN]);
    expect(slack.calls('users.list').map((call) => call.token)).toEqual([FAKE_BOT_TOKEN]);
    // Activity is read before the first page of users is yielded.
    expect(slack.state.requests.map((request) => request.method)).toEqual(['team.accessLogs', 'users.list']);
  });

  it('pages the access logs by cursor (no 100-page cap) and keeps one entry per user', async () => {
    const users = generateMembers(500);
    const rows = users.flatMap((member, index) =>
      [0, 1, 2, 3, 4].map((client) => accessLogRow(member.id, now - ((index * 7 + client * 13) % 365) * day)),
    );
    const slack = await start({ users, accessLogs: rows });
    const config = sourceConfig(slack.apiUrl, { adminToken: FAKE_ADMIN_TOKEN });

    const accounts = (await collectPages(config, context().ctx)).flat();

    const calls = slack.calls('team.accessLogs');
    expect(calls).toHaveLength(Math.ceil(rows.length / 999));
    expect(calls.every((call) => call.params.limit === '999' && call.params.page === undefined)).toBe(true);
    for (const account of accounts.filter((candidate) => candidate.type !== 'bot')) {
      const latest = Math.max(...rows.filter((row) => row.user_id === account.id).map((row) => row.date_last));
      expect(account.lastActivityAt).toBe(new Date(latest * 1000).toISOString());
    }
  });

  it('on Slack Free (paid_only) completes with activity unknown for everyone and says so once', async () => {
    const slack = await start({
      users: generateMembers(450),
      accessLogs: [accessLogRow('U00000001', now)],
      plan: 'free',
    });
    const { ctx, notices } = context();

    const accounts = (await collectPages(sourceConfig(slack.apiUrl, { adminToken: FAKE_ADMIN_TOKEN }), ctx)).flat();

    expect(accounts).toHaveLength(450);
    expect(accounts.every((account) => !account.activityKnown && account.lastActivityAt === null)).toBe(true);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/^team\.accessLogs: paid_only: Slack Free exposes no last-activity date; /);
    expect(notices[0]).toContain('dormant-account, never-logged-in and stale-guest will not run');
    expect(slack.calls('team.accessLogs')).toHaveLength(1);
  });

  it('with only a bot token, says an admin user token is needed instead of failing', async () => {
    const slack = await start({ users: generateMembers(3), accessLogs: [accessLogRow('U00000001', now)] });
    const { ctx, notices } = context();

    const accounts = (await collectPages(sourceConfig(slack.apiUrl), ctx)).flat();

    expect(accounts.every((account) => !account.activityKnown)).toBe(true);
    expect(notices).toEqual([expect.stringMatching(/^team\.accessLogs: not_allowed_token_type: needs an admin user/)]);
  });

  it('with a user token lacking the admin scope, names the scope that is missing', async () => {
    const slack = await start({
      users: generateMembers(3),
      tokens: {
        [FAKE_BOT_TOKEN]: { type: 'bot', scopes: ['users:read', 'users:read.email'], userId: 'UBOT' },
        'xoxp-plain-user': { type: 'user', scopes: ['users:read'], userId: 'U00000001' },
      },
    });
    const { ctx, notices } = context();

    await collectPages(sourceConfig(slack.apiUrl, { adminToken: 'xoxp-plain-user' }), ctx);

    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain('missing_scope: needs an admin user token with the admin scope');
    expect(notices[0]).toContain('(needed: admin; token has: users:read)');
  });

  it('fails the source when a configured admin token is rejected', async () => {
    const slack = await start({ users: generateMembers(3) });
    const error = await collectError(
      sourceConfig(slack.apiUrl, { adminToken: 'xoxp-revoked-admin-secret' }),
      context().ctx,
    );
    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({ kind: 'auth' });
    expect((error as Error).message).toContain('team.accessLogs: invalid_auth');
    expect((error as Error).message).not.toContain('xoxp-revoked-admin-secret');
  });
});

describe('slack collector: API limits and failures', () => {
  it('waits out five 429s in a row on one call and completes', async () => {
    const slack = await start({ users: generateMembers(250) });
    slack.inject('users.list', { kind: 'rate-limit', retryAfterSeconds: 0 }, 5);

    const accounts = (await collectPages(sourceConfig(slack.apiUrl), context().ctx)).flat();

    expect(accounts).toHaveLength(250);
    expect(slack.calls('users.list').map((call) => call.status)).toEqual([429, 429, 429, 429, 429, 200, 200]);
  });

  it('honours Retry-After when Slack throttles the method tier', async () => {
    // Tier 2 shrunk to 3 calls per second: pages 4 and up are answered 429 with Retry-After: 1.
    const slack = await start({
      users: generateMembers(1000),
      throttle: { windowMs: 1000, perWindow: { 2: 3 } },
    });

    const accounts = (await collectPages(sourceConfig(slack.apiUrl), context().ctx)).flat();

    expect(accounts).toHaveLength(1000);
    const calls = slack.calls('users.list');
    const throttled = calls.filter((call) => call.status === 429);
    expect(throttled.length).toBeGreaterThan(0);
    expect(calls.filter((call) => call.status === 200)).toHaveLength(5);
    for (const call of throttled) {
      const retry = calls[calls.indexOf(call) + 1]!;
      expect(retry.params.cursor).toBe(call.params.cursor);
      expect(retry.at - call.at).toBeGreaterThanOrEqual(950);
    }
  });

  it('retries network failures and 5xx, then completes', async () => {
    const slack = await start({ users: generateMembers(10) });
    slack.inject('users.list', { kind: 'network' }, 1);
    slack.inject('users.list', { kind: 'http', status: 503 }, 1);
    slack.inject('users.list', { kind: 'error', error: 'internal_error' }, 1);

    const accounts = (await collectPages(sourceConfig(slack.apiUrl), context().ctx)).flat();

    expect(accounts).toHaveLength(10);
    expect(slack.calls('users.list')).toHaveLength(4);
  });

  it('fails with a server SourceError after 3 retries of a persistent 500, without SDK retries on top', async () => {
    const slack = await start({ users: generateMembers(10) });
    slack.inject('users.list', { kind: 'http', status: 500 }, 100);

    const error = await collectError(sourceConfig(slack.apiUrl), context().ctx);

    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({ kind: 'server', message: 'slack: users.list: HTTP 500 from Slack after 3 retries' });
    expect(slack.calls('users.list')).toHaveLength(4);
  });

  it('fails with an auth SourceError on invalid_auth, at once and without the token', async () => {
    const secret = 'xoxb-1234-not-a-real-secret-token';
    const slack = await start({ users: generateMembers(10) });
    const { ctx, logLines, notices } = context();

    const error = await collectError(sourceConfig(slack.apiUrl, { token: secret }), ctx);

    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({ kind: 'auth' });
    expect((error as Error).message).toMatch(/invalid_auth/);
    for (const text of [(error as Error).message, (error as Error).stack ?? '', ...logLines, ...notices]) {
      expect(text).not.toContain(secret);
    }
    expect(slack.calls('team.accessLogs')).toHaveLength(1);
    expect(slack.calls('users.list')).toHaveLength(0);
  });

  it('names the scope Slack says is missing', async () => {
    const slack = await start({
      users: generateMembers(10),
      tokens: { [FAKE_BOT_TOKEN]: { type: 'bot', scopes: ['chat:write'], userId: 'UBOT' } },
    });

    const error = await collectError(sourceConfig(slack.apiUrl), context().ctx);

    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({ kind: 'auth', needed: 'users:read' });
    expect((error as Error).message).toBe(
      'slack: users.list: missing_scope: the token needs the users:read scope (it has: chat:write)',
    );
  });

  it('stops between pages when the scan is aborted', async () => {
    const slack = await start({ users: generateMembers(1000) });
    const controller = new AbortController();
    const { ctx } = context(controller.signal);
    const seen: number[] = [];

    const run = (async () => {
      for await (const page of createSlackCollector(sourceConfig(slack.apiUrl)).collect(ctx)) {
        seen.push(page.length);
        controller.abort();
      }
    })();

    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toEqual([200]);
    expect(slack.calls('users.list')).toHaveLength(1);
  });

  it('cuts a request in flight when the scan is aborted', async () => {
    const slack = await start({ users: generateMembers(10) });
    slack.inject('users.list', { kind: 'stall', ms: 10_000 }, 1);
    const controller = new AbortController();
    const { ctx } = context(controller.signal);
    setTimeout(() => controller.abort(), 100);
    const seen: Account[][] = [];

    const run = (async () => {
      for await (const page of createSlackCollector(sourceConfig(slack.apiUrl)).collect(ctx)) seen.push(page);
    })();

    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    // Had the request run to its end (10 s), its page would have been yielded before the abort was noticed.
    expect(seen).toEqual([]);
    expect(slack.calls('users.list')).toHaveLength(1);
  });

  it('gives up after timeoutSeconds with a timeout SourceError', async () => {
    const slack = await start({ users: generateMembers(10) });
    slack.inject('users.list', { kind: 'stall', ms: 10_000 }, 1);

    const error = await collectError(sourceConfig(slack.apiUrl, { timeoutSeconds: 0.3 }), context().ctx);

    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({ kind: 'timeout', message: 'slack: users.list: gave up after 0.3s (timeoutSeconds)' });
  });
});

describe('slack collector: doctor', () => {
  const byCheck = (checks: Array<{ check: string; ok: boolean; detail: string }>) =>
    Object.fromEntries(checks.map((check) => [check.check, check]));

  it('reports every check ok with a bot token and an admin token on a paid plan', async () => {
    const slack = await start({ users: [slackbotMember(), ...generateMembers(20)] });
    const checks = byCheck(
      await createSlackCollector(sourceConfig(slack.apiUrl, { adminToken: FAKE_ADMIN_TOKEN })).doctor(context().ctx),
    );

    expect(Object.keys(checks)).toEqual([
      'reachable',
      'authenticated',
      'users readable',
      'user emails',
      'activity',
      'installed apps',
    ]);
    expect(Object.values(checks).every((check) => check.ok)).toBe(true);
    expect(checks.authenticated!.detail).toContain('scopes: users:read, users:read.email, chat:write');
  });

  it('names the missing email scope and the plan that hides activity', async () => {
    const slack = await start({
      users: generateMembers(20),
      plan: 'free',
      tokens: {
        [FAKE_BOT_TOKEN]: { type: 'bot', scopes: ['users:read'], userId: 'UBOT' },
        [FAKE_ADMIN_TOKEN]: { type: 'user', scopes: ['admin', 'users:read'], userId: 'U00000001' },
      },
    });
    const checks = byCheck(
      await createSlackCollector(sourceConfig(slack.apiUrl, { adminToken: FAKE_ADMIN_TOKEN })).doctor(context().ctx),
    );

    expect(checks['users readable']!.ok).toBe(true);
    expect(checks['user emails']).toMatchObject({ ok: false, detail: expect.stringContaining('users:read.email') });
    expect(checks.activity).toMatchObject({ ok: false, detail: expect.stringContaining('paid_only') });
    // The admin token reads installed apps on any plan.
    expect(checks['installed apps']).toMatchObject({ ok: true });
  });

  it('says installed apps will be unknown without an admin token (a limitation, not a blocker)', async () => {
    const slack = await start({ users: generateMembers(5) });
    const checks = byCheck(await createSlackCollector(sourceConfig(slack.apiUrl)).doctor(context().ctx));
    expect(checks['installed apps']).toMatchObject({
      ok: false,
      limitation: true,
      detail: expect.stringContaining('team.integrationLogs: not_allowed_token_type'),
    });
  });

  it('says when the token is rejected, and when Slack cannot be reached', async () => {
    const slack = await start({ users: generateMembers(5) });
    const rejected = byCheck(
      await createSlackCollector(sourceConfig(slack.apiUrl, { token: 'xoxb-wrong' })).doctor(context().ctx),
    );
    expect(rejected.reachable!.ok).toBe(true);
    expect(rejected.authenticated).toMatchObject({ ok: false, detail: expect.stringContaining('invalid_auth') });

    const apiUrl = slack.apiUrl;
    await slack.close();
    fake = undefined;
    const unreachable = byCheck(
      await createSlackCollector(sourceConfig(apiUrl), { retryPolicy: { serverRetries: 0 } }).doctor(context().ctx),
    );
    expect(unreachable.reachable).toMatchObject({ ok: false, detail: expect.stringContaining('ECONNREFUSED') });
  });
});

describe('slack fake', () => {
  it('accepts JSON where Slack does and records chat.postMessage for later assertions', async () => {
    const slack = await start({});
    const response = await fetch(`${slack.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${FAKE_BOT_TOKEN}`, 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ channel: 'C0SECOPS', text: 'digest' }),
    });
    expect(await response.json()).toMatchObject({ ok: true, channel: 'C0SECOPS' });
    expect(slack.state.messages).toMatchObject([{ channel: 'C0SECOPS', text: 'digest', token: FAKE_BOT_TOKEN }]);
    expect(slack.calls('chat.postMessage')[0]!.params).toEqual({ channel: 'C0SECOPS', text: 'digest' });

    const unknown = await fetch(`${slack.apiUrl}users.nope`, { method: 'POST' });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ ok: false, error: 'unknown_method' });
  });
});

describe('slack collector: throughput', () => {
  it('collects 10,000 users', async () => {
    const slack = await start({ users: generateMembers(10_000), accessLogs: [] });
    const started = performance.now();

    const accounts = (await collectPages(sourceConfig(slack.apiUrl), context().ctx)).flat();

    const seconds = (performance.now() - started) / 1000;
    expect(accounts).toHaveLength(10_000);
    console.log(
      `slack collector: ${accounts.length} users in ${seconds.toFixed(2)}s = ${Math.round(accounts.length / seconds)} users/s (50 pages of 200)`,
    );
  });
});
