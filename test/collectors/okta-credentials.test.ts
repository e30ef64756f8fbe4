import { afterEach, describe, expect, it } from 'vitest';
import { createOktaCollector } from '../../collectors/okta/index.js';
import { oktaApiTokenToCredential, oktaGrantToCredential } from '../../collectors/okta/credentials-transform.js';
import type { CollectContext, SourceCollector } from '../../src/contract/collector.js';
import type { OktaSourceConfig } from '../../src/config/config.js';
import type { Credential } from '../../src/contract/model.js';
import {
  makeOktaApiToken,
  makeOktaGrant,
  makeOktaUser,
  OKTA_FAKE_TOKEN,
  startOktaFake,
  type OktaFake,
  type OktaFakeOptions,
} from '../fakes/okta.js';

const NOW = new Date('2026-11-26T12:00:00Z');
let fake: OktaFake | undefined;
afterEach(async () => {
  if (fake) expect(fake.state.serverErrors).toEqual([]);
  await fake?.close();
  fake = undefined;
});

function context(notices: string[] = []): CollectContext {
  const quiet = () => {};
  return {
    signal: new AbortController().signal,
    log: { debug: quiet, info: quiet, warn: quiet, error: quiet },
    notice: (message) => notices.push(message),
    now: NOW,
  };
}

async function start(options: OktaFakeOptions): Promise<{ fake: OktaFake; collector: SourceCollector }> {
  fake = await startOktaFake({ users: (orgUrl) => [0, 1, 2].map((i) => makeOktaUser(orgUrl, i)), ...options });
  const config: OktaSourceConfig = {
    name: 'okta',
    type: 'okta',
    role: 'idp',
    timeoutSeconds: 30,
    orgUrl: fake.orgUrl,
    token: OKTA_FAKE_TOKEN,
  };
  return { fake, collector: createOktaCollector(config, { retryPolicy: { baseDelayMs: 5 } }) };
}

async function credentialsOf(collector: SourceCollector, atRisk: string[], notices: string[] = []) {
  const ctx = context(notices);
  for await (const page of collector.collect(ctx)) void page;
  const all: Credential[] = [];
  for await (const page of collector.collectCredentials!(ctx, new Set(atRisk))) all.push(...page);
  return all;
}

const user = (index: number) => `00u${String(index).padStart(10, '0')}FAKE0a7`;

describe('okta credential mapping', () => {
  it('maps an API token: owner is its creator, privileged when the creator is an admin, usage unknown', () => {
    const token = makeOktaApiToken(1, user(0), { expiresAt: '2026-12-20T00:00:00.000Z' });
    expect(oktaApiTokenToCredential(token, 'okta', new Set([user(0)]), NOW)).toEqual({
      source: 'okta',
      id: token.id,
      kind: 'api-token',
      accountId: user(0),
      ownerAccountIds: [],
      name: 'token-1',
      createdAt: '2025-06-01T10:00:00.000Z',
      lastUsedAt: null,
      usageKnown: false,
      expiresAt: '2026-12-20T00:00:00.000Z',
      enabled: true,
      scopes: [],
      privileged: true,
      attributes: { clientName: 'Okta API', tokenWindow: 'P30D', network: 'ANYWHERE' },
    });
    const expired = makeOktaApiToken(2, user(1), { expiresAt: '2026-01-01T00:00:00.000Z' });
    expect(oktaApiTokenToCredential(expired, 'okta', new Set(), NOW)).toMatchObject({
      enabled: false,
      privileged: false,
    });
  });

  it('maps a consent grant: client and scope as its name, revoked grants disabled', () => {
    const grant = makeOktaGrant(1, user(2), { scopeId: 'okta.users.manage' });
    expect(oktaGrantToCredential(grant, 'okta', user(2))).toMatchObject({
      kind: 'oauth-grant',
      accountId: user(2),
      name: '0oa1fakeclient000000: okta.users.manage',
      scopes: ['okta.users.manage'],
      privileged: true,
      enabled: true,
      attributes: { userId: user(2) },
    });
    expect(oktaGrantToCredential({ ...grant, status: 'REVOKED' }, 'okta', user(2)).enabled).toBe(false);
  });
});

describe('okta credential collection', () => {
  it('reads every API token across pages, and grants only of at-risk users', async () => {
    const tokens = Array.from({ length: 45 }, (_, i) => makeOktaApiToken(i, user(i % 3)));
    const { fake: target, collector } = await start({
      apiTokens: tokens,
      adminIds: [user(1)],
      grants: {
        [user(0)]: [makeOktaGrant(1, user(0))],
        [user(2)]: [makeOktaGrant(2, user(2)), makeOktaGrant(3, user(2))],
      },
    });
    const credentials = await credentialsOf(collector, [user(2)]);
    expect(credentials.filter((c) => c.kind === 'api-token')).toHaveLength(45);
    expect(credentials.filter((c) => c.kind === 'api-token' && c.privileged)).toHaveLength(15);
    expect(credentials.filter((c) => c.kind === 'oauth-grant').map((c) => c.accountId)).toEqual([user(2), user(2)]);
    // 45 tokens at the default 20 a page: three pages; one grants call, for the at-risk user only.
    expect(target.state.requests.filter((r) => r.path === '/api/v1/api-tokens')).toHaveLength(3);
    expect(target.state.requests.filter((r) => r.path.endsWith('/grants')).map((r) => r.path)).toEqual([
      `/api/v1/users/${user(2)}/grants`,
    ]);
  });

  it('says once which kinds it could not read, and still returns the others', async () => {
    const { collector } = await start({
      apiTokensForbidden: true,
      grants: { [user(0)]: [makeOktaGrant(1, user(0))] },
    });
    const notices: string[] = [];
    const credentials = await credentialsOf(collector, [user(0), user(1)], notices);
    expect(credentials.map((c) => c.kind)).toEqual(['oauth-grant']);
    expect(notices).toEqual([expect.stringMatching(/API tokens unreadable .*unknown, not none/)]);

    await fake!.close();
    fake = undefined;
    const forbidden = await start({ apiTokens: [makeOktaApiToken(1, user(0))], grantsForbidden: true });
    const more: string[] = [];
    const onlyTokens = await credentialsOf(forbidden.collector, [user(0), user(1), user(2)], more);
    expect(onlyTokens.map((c) => c.kind)).toEqual(['api-token']);
    expect(more).toEqual([expect.stringMatching(/OAuth grants unreadable/)]);
    // Said once: the batch that met the 403 is the last one read (three users, one batch).
    expect(forbidden.fake.state.requests.filter((r) => r.path.endsWith('/grants'))).toHaveLength(3);
  });

  it('fails the source on a server error that outlasts retries (never "no credentials")', async () => {
    const { fake: target, collector } = await start({ apiTokens: [makeOktaApiToken(1, user(0))] });
    const ctx = context();
    for await (const page of collector.collect(ctx)) void page;
    target.state.inject({ status: 500, times: 10, path: '/api/v1/api-tokens' });
    await expect(async () => {
      for await (const page of collector.collectCredentials!(ctx, new Set())) void page;
    }).rejects.toThrow(/okta/);
  });
});
