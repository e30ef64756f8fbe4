import { afterEach, describe, expect, it } from 'vitest';
import {
  createSlackRemediator,
  SLACK_OWNER_REASON,
  SLACK_SCIM_ACCESS_REASON,
  SLACK_SESSION_RESET_ACCESS_REASON,
} from '../../collectors/slack/actions.js';
import { createSlackCollector } from '../../collectors/slack/index.js';
import { slackSourceSchema, type SlackSourceConfig } from '../../src/config/config.js';
import { SourceError } from '../../src/contract/errors.js';
import { silentLogger } from '../../src/common/logger.js';
import type { Account } from '../../src/contract/model.js';
import type { AccountRef, LiveState, SystemAction } from '../../src/contract/action.js';
import {
  FAKE_ADMIN_TOKEN,
  FAKE_BOT_TOKEN,
  type FakeToken,
  type SlackFake,
  type SlackFakeOptions,
  type SlackMember,
  slackbotMember,
  slackMember,
  startSlackFake,
} from '../fakes/slack.js';

const FAST_RETRIES = { baseDelayMs: 1, maxDelayMs: 5_000 };
/** Tokens with distinctive values, to prove none of them ever reaches a reason or an error. */
const SECRET_BOT_TOKEN = 'xoxb-secret-bot-0123456789';
const SECRET_ADMIN_TOKEN = 'xoxp-secret-admin-0123456789';
const SECRET_GRID_ADMIN_TOKEN = 'xoxp-secret-grid-admin-0123456789';

let fake: SlackFake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

function workspace(): SlackMember[] {
  return [
    slackbotMember(),
    slackMember({ id: 'UPRIMARY', name: 'founder', is_admin: true, is_owner: true, is_primary_owner: true }),
    slackMember({ id: 'UOWNER', name: 'co-owner', is_admin: true, is_owner: true }),
    slackMember({ id: 'UADMIN', name: 'it-admin', is_admin: true }),
    slackMember({ id: 'ULEAVER', name: 'leaver' }),
    slackMember({ id: 'UGONE', name: 'already-gone', deleted: true }),
    slackMember({ id: 'UBOT', name: 'deploybot', is_bot: true, profile: { bot_id: 'BDEPLOY', email: undefined } }),
  ];
}

function tokens(): Record<string, FakeToken> {
  return {
    [SECRET_BOT_TOKEN]: { type: 'bot', scopes: ['users:read', 'users:read.email'], userId: 'UBOTUSER' },
    [SECRET_ADMIN_TOKEN]: { type: 'user', scopes: ['admin', 'users:read', 'users:read.email'], userId: 'UADMIN' },
    [SECRET_GRID_ADMIN_TOKEN]: {
      type: 'user',
      scopes: ['admin', 'admin.users:write', 'users:read', 'users:read.email'],
      userId: 'UADMIN',
    },
  };
}

async function start(options: SlackFakeOptions = {}): Promise<SlackFake> {
  fake = await startSlackFake({ users: workspace(), tokens: tokens(), ...options });
  return fake;
}

function sourceConfig(slack: SlackFake, overrides: Partial<SlackSourceConfig> = {}): SlackSourceConfig {
  return slackSourceSchema.parse({
    name: 'slack',
    type: 'slack',
    token: SECRET_BOT_TOKEN,
    adminToken: SECRET_ADMIN_TOKEN,
    apiUrl: slack.apiUrl,
    scimUrl: slack.scimUrl,
    ...overrides,
  });
}

function remediator(slack: SlackFake, overrides: Partial<SlackSourceConfig> = {}) {
  return createSlackRemediator(sourceConfig(slack, overrides), { retryPolicy: FAST_RETRIES });
}

function ref(slack: SlackFake, id: string): AccountRef {
  const member = slack.state.users.find((candidate) => candidate.id === id);
  return {
    source: 'slack',
    id,
    login: member?.name ?? null,
    email: member?.profile.email ?? null,
    displayName: member?.real_name ?? null,
    attributes: { is_owner: member?.is_owner === true, is_primary_owner: member?.is_primary_owner === true },
  };
}

const signal = () => new AbortController().signal;
const ACTIVE: LiveState = { found: true, enabled: true, rawStatus: 'active' };

async function collectAccounts(config: SlackSourceConfig): Promise<Account[]> {
  const accounts: Account[] = [];
  const ctx = { signal: signal(), log: silentLogger, notice: () => {}, now: new Date() };
  for await (const page of createSlackCollector(config, { retryPolicy: FAST_RETRIES }).collect(ctx)) {
    accounts.push(...page);
  }
  return accounts;
}

function expectNoSecret(text: string): void {
  for (const secret of [SECRET_BOT_TOKEN, SECRET_ADMIN_TOKEN, SECRET_GRID_ADMIN_TOKEN, FAKE_ADMIN_TOKEN]) {
    expect(text).not.toContain(secret);
  }
}

describe('slack remediation: what it can do', () => {
  it('names why deactivate and remove-licenses are not Slack actions, and supports the rest', async () => {
    const slack = await start();
    const actions = remediator(slack);

    expect(actions.unsupportedReason('deactivate')).toBe('Slack has no separate deactivate; use disable');
    expect(actions.unsupportedReason('remove-licenses')).toBe(
      'Slack bills per active member: disabling the account releases the seat',
    );
    expect(actions.unsupportedReason('disable')).toBeNull();
    expect(actions.unsupportedReason('revoke-sessions')).toBeNull();
  });

  it.each<[SystemAction, LiveState, boolean]>([
    ['disable', ACTIVE, false],
    ['disable', { found: true, enabled: false, rawStatus: 'deleted' }, true],
    ['disable', { found: false, enabled: false, rawStatus: null }, true],
    ['revoke-sessions', ACTIVE, false],
    ['revoke-sessions', { found: true, enabled: false, rawStatus: 'deleted' }, false],
    ['revoke-sessions', { found: false, enabled: false, rawStatus: null }, true],
  ])('alreadyDone(%s, %o) is %s', async (action, state, expected) => {
    const slack = await start();
    expect(remediator(slack).alreadyDone(action, state)).toBe(expected);
  });
});

describe('slack remediation: read', () => {
  it('reads an active member with users.info and the collection token', async () => {
    const slack = await start();

    expect(await remediator(slack).read(ref(slack, 'ULEAVER'), signal())).toEqual(ACTIVE);
    expect(slack.calls('users.info')).toEqual([
      expect.objectContaining({ params: { user: 'ULEAVER' }, token: SECRET_BOT_TOKEN, error: null }),
    ]);
  });

  it('reads a deactivated member as found but disabled', async () => {
    const slack = await start();
    expect(await remediator(slack).read(ref(slack, 'UGONE'), signal())).toEqual({
      found: true,
      enabled: false,
      rawStatus: 'deleted',
    });
  });

  it('reads user_not_found as an account Slack no longer has', async () => {
    const slack = await start();
    expect(await remediator(slack).read(ref(slack, 'UNOBODY'), signal())).toEqual({
      found: false,
      enabled: false,
      rawStatus: null,
    });
    expect(slack.calls('users.info')[0]!.error).toBe('user_not_found');
  });

  it('waits out a 429 and throws a SourceError without the token when the token is refused', async () => {
    const slack = await start();
    slack.inject('users.info', { kind: 'rate-limit', retryAfterSeconds: 0 }, 2);
    expect(await remediator(slack).read(ref(slack, 'ULEAVER'), signal())).toEqual(ACTIVE);
    expect(slack.calls('users.info').map((call) => call.status)).toEqual([429, 429, 200]);

    const error = await remediator(slack, { token: 'xoxb-revoked-secret-token' })
      .read(ref(slack, 'ULEAVER'), signal())
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({ kind: 'auth', message: expect.stringContaining('invalid_auth') });
    expect((error as Error).message).not.toContain('xoxb-revoked-secret-token');
  });
});

describe('slack remediation: disable (SCIM deactivate)', () => {
  it('deactivates the member with SCIM DELETE and the admin token; users.list then shows it deleted', async () => {
    const slack = await start();
    const actions = remediator(slack);
    const account = ref(slack, 'ULEAVER');

    const before = await actions.read(account, signal());
    expect(actions.alreadyDone('disable', before)).toBe(false);
    const outcome = await actions.perform('disable', account, before, signal());

    expect(outcome).toEqual({
      status: 'applied',
      reason: 'SCIM DELETE /Users/ULEAVER: Slack deactivated the member, who can no longer sign in',
    });
    expect(slack.calls('scim DELETE Users')).toEqual([
      expect.objectContaining({ httpMethod: 'DELETE', params: { id: 'ULEAVER' }, token: SECRET_ADMIN_TOKEN }),
    ]);
    const after = await actions.read(account, signal());
    expect(after).toEqual({ found: true, enabled: false, rawStatus: 'deleted' });
    expect(actions.alreadyDone('disable', after)).toBe(true);

    const collected = await collectAccounts(sourceConfig(slack));
    expect(collected.find((candidate) => candidate.id === 'ULEAVER')).toMatchObject({
      enabled: false,
      rawStatus: 'deleted',
    });
    expect(collected.filter((candidate) => !candidate.enabled).map((candidate) => candidate.id)).toEqual([
      'ULEAVER',
      'UGONE',
    ]);
  });

  it('uses the collection token for SCIM when no adminToken is configured', async () => {
    const slack = await start();
    const actions = remediator(slack, { token: SECRET_ADMIN_TOKEN, adminToken: undefined });

    expect(await actions.perform('disable', ref(slack, 'ULEAVER'), ACTIVE, signal())).toMatchObject({
      status: 'applied',
    });
    expect(slack.calls('scim DELETE Users')[0]!.token).toBe(SECRET_ADMIN_TOKEN);
  });

  it('sees an already deactivated member as done before calling, and a 404 as already done', async () => {
    const slack = await start();
    const actions = remediator(slack);

    expect(actions.alreadyDone('disable', await actions.read(ref(slack, 'UGONE'), signal()))).toBe(true);
    expect(slack.calls('scim DELETE Users')).toHaveLength(0);

    // Deleted between the read and the call: SCIM answers 404 no_such_user.
    expect(await actions.perform('disable', ref(slack, 'UVANISHED'), ACTIVE, signal())).toEqual({
      status: 'already-done',
      reason: 'account no longer exists',
    });
    expect(slack.calls('scim DELETE Users')[0]).toMatchObject({ status: 404, error: 'no_such_user' });
  });

  it.each([
    ['an owner', 'UOWNER', 'cannot_modify_owner'],
    ['the primary owner', 'UPRIMARY', 'cannot_disable_primary_owner'],
  ])('refuses %s with the reason, leaving the member active', async (_name, id, code) => {
    const slack = await start({ plan: 'enterprise' });

    const outcome = await remediator(slack).perform('disable', ref(slack, id), ACTIVE, signal());

    expect(outcome).toEqual({ status: 'failed', reason: `${SLACK_OWNER_REASON} (Slack answered ${code})` });
    expect(slack.state.users.find((member) => member.id === id)!.deleted).toBe(false);
  });

  it('tells an owner apart from a plan limit when Slack sends a 403 without its error code', async () => {
    const slack = await start();
    const actions = remediator(slack);
    slack.inject('scim DELETE Users', { kind: 'http', status: 403 }, 2);

    expect(await actions.perform('disable', ref(slack, 'UOWNER'), ACTIVE, signal())).toEqual({
      status: 'failed',
      reason: SLACK_OWNER_REASON,
    });
    expect(await actions.perform('disable', ref(slack, 'ULEAVER'), ACTIVE, signal())).toEqual({
      status: 'failed',
      reason: SLACK_SCIM_ACCESS_REASON,
    });
  });

  it.each<[string, Partial<SlackFakeOptions>, Partial<SlackSourceConfig>, string]>([
    ['a Free plan', { plan: 'free' }, {}, 'plus_teams_only'],
    ['a Pro plan', { plan: 'pro' }, {}, 'plus_teams_only'],
    ['a bot token alone', {}, { adminToken: undefined }, 'invalid_authentication'],
    ['an unknown admin token', {}, { adminToken: 'xoxp-unknown-secret-0000' }, 'invalid_authentication'],
  ])('fails on %s with what is needed', async (_name, fakeOptions, configOverrides, code) => {
    const slack = await start(fakeOptions);

    const outcome = await remediator(slack, configOverrides).perform(
      'disable',
      ref(slack, 'ULEAVER'),
      ACTIVE,
      signal(),
    );

    expect(outcome).toEqual({ status: 'failed', reason: `${SLACK_SCIM_ACCESS_REASON} (Slack answered ${code})` });
    expect(outcome.reason).not.toContain('xoxp-unknown-secret-0000');
    expectNoSecret(outcome.reason);
    expect(slack.state.users.find((member) => member.id === 'ULEAVER')!.deleted).toBe(false);
  });

  it('refuses a bot, which SCIM cannot deactivate', async () => {
    const slack = await start();
    expect(await remediator(slack).perform('disable', ref(slack, 'UBOT'), ACTIVE, signal())).toEqual({
      status: 'failed',
      reason:
        'Slack bots cannot be deactivated through SCIM: remove the app from the workspace instead ' +
        '(Slack answered cannot_disable_bot_user_with_scim)',
    });
  });

  it('waits out SCIM 429s (Retry-After) and retries a 500, then deactivates', async () => {
    const slack = await start();
    slack.inject('scim DELETE Users', { kind: 'rate-limit', retryAfterSeconds: 0 }, 2);
    slack.inject('scim DELETE Users', { kind: 'http', status: 500 }, 1);

    const outcome = await remediator(slack).perform('disable', ref(slack, 'ULEAVER'), ACTIVE, signal());

    expect(outcome.status).toBe('applied');
    expect(slack.calls('scim DELETE Users').map((call) => call.status)).toEqual([429, 429, 500, 204]);
    expect(slack.state.users.find((member) => member.id === 'ULEAVER')!.deleted).toBe(true);
  });

  it('throws a SourceError without the token when SCIM keeps failing', async () => {
    const slack = await start();
    slack.inject(
      'scim DELETE Users',
      { kind: 'error', error: `boom ${SECRET_ADMIN_TOKEN}`, extra: { status: 502 } },
      9,
    );

    const error = await remediator(slack)
      .perform('disable', ref(slack, 'ULEAVER'), ACTIVE, signal())
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({ kind: 'server', message: expect.stringContaining('HTTP 502 after 3 retries') });
    expectNoSecret((error as Error).message);
  });

  it('gives up with a timeout SourceError after timeoutSeconds', async () => {
    const slack = await start();
    slack.inject('scim DELETE Users', { kind: 'stall', ms: 2_000 }, 1);

    const error = await remediator(slack, { timeoutSeconds: 0.2 })
      .perform('disable', ref(slack, 'ULEAVER'), ACTIVE, signal())
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({ kind: 'timeout', message: expect.stringContaining('gave up after 0.2s') });
  });
});

describe('slack remediation: revoke-sessions (admin.users.session.reset)', () => {
  it('ends every web and mobile session on Enterprise Grid with the admin token', async () => {
    const slack = await start({ plan: 'enterprise' });

    const outcome = await remediator(slack, { adminToken: SECRET_GRID_ADMIN_TOKEN }).perform(
      'revoke-sessions',
      ref(slack, 'ULEAVER'),
      ACTIVE,
      signal(),
    );

    expect(outcome).toEqual({
      status: 'applied',
      reason: 'admin.users.session.reset: every web and mobile session ended',
    });
    expect(slack.state.sessionResets).toEqual(['ULEAVER']);
    expect(slack.calls('admin.users.session.reset')).toEqual([
      expect.objectContaining({
        httpMethod: 'POST',
        contentType: expect.stringContaining('application/x-www-form-urlencoded'),
        params: { user_id: 'ULEAVER', mobile_only: 'false', web_only: 'false' },
        token: SECRET_GRID_ADMIN_TOKEN,
      }),
    ]);
  });

  it('works with the default fake admin token on an Enterprise fake', async () => {
    fake = await startSlackFake({ users: workspace(), plan: 'enterprise' });
    const actions = createSlackRemediator(
      slackSourceSchema.parse({
        name: 'slack',
        type: 'slack',
        token: FAKE_BOT_TOKEN,
        adminToken: FAKE_ADMIN_TOKEN,
        apiUrl: fake.apiUrl,
        scimUrl: fake.scimUrl,
      }),
      { retryPolicy: FAST_RETRIES },
    );

    expect(await actions.perform('revoke-sessions', ref(fake, 'ULEAVER'), ACTIVE, signal())).toMatchObject({
      status: 'applied',
    });
    expect(await actions.perform('disable', ref(fake, 'ULEAVER'), ACTIVE, signal())).toMatchObject({
      status: 'applied',
    });
  });

  it.each<[string, Partial<SlackFakeOptions>, string, string]>([
    ['Business+ with an admin token', { plan: 'business+' }, SECRET_ADMIN_TOKEN, 'missing_scope'],
    ['Business+ even with the scope', { plan: 'business+' }, SECRET_GRID_ADMIN_TOKEN, 'feature_not_enabled'],
    ['Free', { plan: 'free' }, SECRET_GRID_ADMIN_TOKEN, 'feature_not_enabled'],
    ['a bot token on Enterprise', { plan: 'enterprise' }, SECRET_BOT_TOKEN, 'not_allowed_token_type'],
  ])('fails on %s with what is needed', async (_name, fakeOptions, adminToken, code) => {
    const slack = await start(fakeOptions);

    const outcome = await remediator(slack, { adminToken }).perform(
      'revoke-sessions',
      ref(slack, 'ULEAVER'),
      ACTIVE,
      signal(),
    );

    expect(outcome).toEqual({
      status: 'failed',
      reason: `${SLACK_SESSION_RESET_ACCESS_REASON} (Slack answered ${code})`,
    });
    expectNoSecret(outcome.reason);
    expect(slack.state.sessionResets).toEqual([]);
  });

  it('answers already-done for a member Slack no longer has, and refuses the primary owner', async () => {
    const slack = await start({ plan: 'enterprise' });
    const actions = remediator(slack, { adminToken: SECRET_GRID_ADMIN_TOKEN });

    expect(await actions.perform('revoke-sessions', ref(slack, 'UVANISHED'), ACTIVE, signal())).toEqual({
      status: 'already-done',
      reason: 'account no longer exists',
    });
    expect(await actions.perform('revoke-sessions', ref(slack, 'UPRIMARY'), ACTIVE, signal())).toEqual({
      status: 'failed',
      reason:
        "only the primary owner can end the primary owner's Slack sessions (Slack answered cannot_reset_primary_owner)",
    });
  });

  it('waits out a 429 and resets the sessions once', async () => {
    const slack = await start({ plan: 'enterprise' });
    slack.inject('admin.users.session.reset', { kind: 'rate-limit', retryAfterSeconds: 0 }, 2);

    const outcome = await remediator(slack, { adminToken: SECRET_GRID_ADMIN_TOKEN }).perform(
      'revoke-sessions',
      ref(slack, 'ULEAVER'),
      ACTIVE,
      signal(),
    );

    expect(outcome.status).toBe('applied');
    expect(slack.calls('admin.users.session.reset').map((call) => call.status)).toEqual([429, 429, 200]);
    expect(slack.state.sessionResets).toEqual(['ULEAVER']);
  });

  it('throws a SourceError without the token when the admin token is revoked', async () => {
    const slack = await start({ plan: 'enterprise' });

    const error = await remediator(slack, { adminToken: 'xoxp-revoked-secret-0000' })
      .perform('revoke-sessions', ref(slack, 'ULEAVER'), ACTIVE, signal())
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({ kind: 'auth', message: expect.stringContaining('invalid_auth') });
    expect((error as Error).message).not.toContain('xoxp-revoked-secret-0000');
  });
});
