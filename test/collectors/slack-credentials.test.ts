import { afterEach, describe, expect, it } from 'vitest';
import { IntegrationFold } from '../../collectors/slack/credentials-transform.js';
import { createSlackCollector } from '../../collectors/slack/index.js';
import type { CollectContext } from '../../src/contract/collector.js';
import { slackSourceSchema, type SlackSourceConfig } from '../../src/config/config.js';
import { SourceError } from '../../src/contract/errors.js';
import { silentLogger } from '../../src/common/logger.js';
import type { Credential } from '../../src/contract/model.js';
import {
  FAKE_ADMIN_TOKEN,
  FAKE_BOT_TOKEN,
  slackMember,
  startSlackFake,
  type SlackFake,
  type SlackFakeOptions,
  type SlackIntegrationLogRow,
} from '../fakes/slack.js';

let fake: SlackFake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

function row(overrides: Partial<SlackIntegrationLogRow> & { date: string }): SlackIntegrationLogRow {
  return { user_id: 'U0BOB', user_name: 'bob', change_type: 'added', ...overrides };
}

const GIPHY_ADDED = row({ app_id: 'A0GIPHY', app_type: 'Giphy', date: '1700000000', scope: 'commands,chat:write' });

async function collect(options: SlackFakeOptions, overrides: Partial<SlackSourceConfig> = {}) {
  fake = await startSlackFake({ users: [slackMember({ id: 'U0BOB' })], ...options });
  const config = slackSourceSchema.parse({
    name: 'slack',
    type: 'slack',
    token: FAKE_BOT_TOKEN,
    adminToken: FAKE_ADMIN_TOKEN,
    apiUrl: fake.apiUrl,
    ...overrides,
  });
  const notices: string[] = [];
  const context: CollectContext = {
    signal: new AbortController().signal,
    log: silentLogger,
    notice: (message) => notices.push(message),
    now: new Date('2026-11-26T12:00:00Z'),
  };
  const collector = createSlackCollector(config, { retryPolicy: { baseDelayMs: 1, maxDelayMs: 50 } });
  const credentials: Credential[] = [];
  for await (const page of collector.collectCredentials!(context, new Set())) credentials.push(...page);
  return { credentials, notices, fake };
}

describe('slack installed apps: the fold of team.integrationLogs', () => {
  it('one credential per app or service, owned by the installing member; the latest change decides', () => {
    const fold = new IntegrationFold();
    // Newest first, as Slack sends them, split over two pages.
    fold.add([
      row({
        app_id: 'A0GIPHY',
        app_type: 'Giphy',
        date: '1700000300',
        change_type: 'expanded',
        user_id: 'U0ALICE',
        scope: 'commands,chat:write,admin',
      }),
      row({ app_id: 'A0JIRA', app_type: 'Jira Cloud', date: '1700000200', change_type: 'removed', reason: 'user' }),
    ]);
    fold.add([
      row({
        service_id: 12345,
        service_type: 'Incoming WebHooks',
        date: '1700000150',
        channel: 'C0OPS',
        scope: 'incoming-webhook',
      }),
      row({ app_id: 'A0JIRA', app_type: 'Jira Cloud', date: '1700000100' }),
      GIPHY_ADDED,
    ]);
    const byId = Object.fromEntries(fold.credentials('slack').map((c) => [c.id, c]));
    expect(Object.keys(byId).sort()).toEqual(['12345', 'A0GIPHY', 'A0JIRA']);
    expect(byId.A0GIPHY).toMatchObject({
      kind: 'oauth-grant',
      // Alice widened the scopes later; Bob installed it and owns it.
      accountId: 'U0BOB',
      name: 'Giphy',
      createdAt: '2023-11-14T22:13:20.000Z',
      enabled: true,
      usageKnown: false,
      lastUsedAt: null,
      scopes: ['commands', 'chat:write', 'admin'],
      privileged: true,
      attributes: { integration: 'app', lastChange: 'expanded', installedBy: 'bob' },
    });
    expect(byId.A0JIRA).toMatchObject({ enabled: false, attributes: { lastChange: 'removed', reason: 'user' } });
    expect(byId['12345']).toMatchObject({
      name: 'Incoming WebHooks',
      enabled: true,
      scopes: ['incoming-webhook'],
      privileged: false,
      attributes: { integration: 'service', channel: 'C0OPS' },
    });
  });

  it('re-enabled after a disable counts as working; a row without app or service is ignored', () => {
    const fold = new IntegrationFold();
    fold.add([
      row({ app_id: 'A1', app_type: 'Zoom', date: '300', change_type: 'enabled' }),
      row({ app_id: 'A1', app_type: 'Zoom', date: '200', change_type: 'disabled' }),
      row({ app_id: 'A1', app_type: 'Zoom', date: '100' }),
      row({ date: '400' }),
    ]);
    expect(fold.credentials('slack').map((c) => [c.id, c.enabled])).toEqual([['A1', true]]);
  });
});

describe('slack installed apps: collection from team.integrationLogs', () => {
  it('pages the classic way (count, page, paging.pages) with the admin token until the last page', async () => {
    // 2,500 changes to 3 apps: three pages of 1,000.
    const logs = Array.from({ length: 2500 }, (_, i) =>
      row({
        app_id: `A${i % 3}`,
        app_type: `App ${i % 3}`,
        date: String(1_700_000_000 + i),
        change_type: i === 0 ? 'added' : 'updated',
      }),
    );
    const { credentials, notices, fake: slack } = await collect({ integrationLogs: logs });
    expect(notices).toEqual([]);
    expect(credentials.map((c) => c.id).sort()).toEqual(['A0', 'A1', 'A2']);
    const calls = slack.calls('team.integrationLogs');
    expect(calls.map((call) => [call.params.page, call.params.count])).toEqual([
      ['1', '1000'],
      ['2', '1000'],
      ['3', '1000'],
    ]);
    expect(calls.every((call) => call.token === FAKE_ADMIN_TOKEN)).toBe(true);
  });

  it('waits out a 429 with Retry-After, then reads on', async () => {
    fake = await startSlackFake({ users: [], integrationLogs: [GIPHY_ADDED] });
    fake.inject('team.integrationLogs', { kind: 'rate-limit', retryAfterSeconds: 0 }, 2);
    const credentials = await collectAgainst(fake);
    expect(credentials.map((c) => c.id)).toEqual(['A0GIPHY']);
    expect(fake.calls('team.integrationLogs').map((call) => call.status)).toEqual([429, 429, 200]);
  });

  it.each([
    ['a bot token (not_allowed_token_type)', { adminToken: undefined }, {}, 'not_allowed_token_type'],
    [
      'a user token without the admin scope (missing_scope)',
      { adminToken: 'xoxp-no-admin' },
      {
        tokens: {
          [FAKE_BOT_TOKEN]: { type: 'bot' as const, scopes: ['users:read'], userId: 'U0BOT' },
          'xoxp-no-admin': { type: 'user' as const, scopes: ['users:read'], userId: 'U0BOB' },
        },
      },
      'missing_scope',
    ],
  ])('with %s: says once that installed apps are unknown, and yields none', async (_, overrides, options, code) => {
    const { credentials, notices } = await collect({ integrationLogs: [GIPHY_ADDED], ...options }, overrides);
    expect(credentials).toEqual([]);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain(`team.integrationLogs: ${code}: apps members installed are unknown, not none`);
  });

  it('a Slack outage fails the source (never "no apps")', async () => {
    fake = await startSlackFake({ users: [], integrationLogs: [GIPHY_ADDED] });
    fake.inject('team.integrationLogs', { kind: 'http', status: 503 }, 10);
    const error = await collectAgainst(fake).then(
      () => expect.unreachable('should have failed'),
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).message).toContain('team.integrationLogs: HTTP 503');
  });
});

async function collectAgainst(slack: SlackFake): Promise<Credential[]> {
  const config = slackSourceSchema.parse({
    name: 'slack',
    type: 'slack',
    token: FAKE_BOT_TOKEN,
    adminToken: FAKE_ADMIN_TOKEN,
    apiUrl: slack.apiUrl,
  });
  const context: CollectContext = {
    signal: new AbortController().signal,
    log: silentLogger,
    notice: () => {},
    now: new Date(),
  };
  const out: Credential[] = [];
  const collector = createSlackCollector(config, { retryPolicy: { baseDelayMs: 1, maxDelayMs: 50 } });
  for await (const page of collector.collectCredentials!(context, new Set())) out.push(...page);
  return out;
}
