import { afterEach, describe, expect, it } from 'vitest';
import { createGoogleCollector, GOOGLE_CREDENTIALS_NOTICE } from '../../collectors/google/index.js';
import { googleAspToCredential, googleTokenToCredential } from '../../collectors/google/credentials-transform.js';
import type { CollectContext } from '../../src/contract/collector.js';
import { googleSourceSchema } from '../../src/config/config.js';
import { SourceError } from '../../src/contract/errors.js';
import { silentLogger } from '../../src/common/logger.js';
import type { Credential } from '../../src/contract/model.js';
import { GOOGLE_SCOPE, startFakeGoogle, type GoogleFake, type GoogleFakeOptions } from '../fakes/google.js';

const ADMIN = 'admin@example.com';
const LEAVER = '100000000000000000001';
const OTHER = '100000000000000000002';

let fake: GoogleFake | undefined;
afterEach(async () => {
  if (fake) expect(fake.state.serverErrors).toEqual([]);
  await fake?.close();
  fake = undefined;
});

const TOKEN = {
  clientId: '1234.apps.googleusercontent.com',
  displayText: 'Calendar Sync',
  anonymous: false,
  nativeApp: false,
  scopes: ['https://www.googleapis.com/auth/calendar', 'https://www.googleapis.com/auth/admin.directory.user'],
};
const ASP = { codeId: 1, name: 'Thunderbird', creationTime: '1700000000000', lastTimeUsed: '0' };

async function collect(options: GoogleFakeOptions, atRisk: string[]) {
  fake = await startFakeGoogle({
    users: [
      { primaryEmail: ADMIN, isAdmin: true, id: '100000000000000000000' },
      { primaryEmail: 'leaver@example.com', id: LEAVER },
      { primaryEmail: 'other@example.com', id: OTHER },
    ],
    ...options,
  });
  const collector = createGoogleCollector(
    googleSourceSchema.parse({
      name: 'gws',
      type: 'google',
      role: 'idp',
      timeoutSeconds: 30,
      key: fake.keyJson,
      subject: ADMIN,
      apiUrl: fake.apiUrl,
      tokenUrl: fake.tokenUrl,
    }),
    { retryPolicy: { baseDelayMs: 5, maxDelayMs: 50 } },
  );
  const notices: string[] = [];
  const context: CollectContext = {
    signal: new AbortController().signal,
    log: silentLogger,
    notice: (message) => notices.push(message),
    now: new Date('2026-12-01T12:00:00Z'),
  };
  const credentials: Credential[] = [];
  for await (const page of collector.collectCredentials!(context, new Set(atRisk))) credentials.push(...page);
  return { credentials, notices, fake };
}

describe('google credential mapping', () => {
  it('maps a third-party token: per-user id, app name, admin scopes privileged, usage unknown', () => {
    expect(googleTokenToCredential(TOKEN, 'gws', LEAVER)).toEqual({
      source: 'gws',
      id: `${LEAVER}/token/${TOKEN.clientId}`,
      kind: 'oauth-grant',
      accountId: LEAVER,
      ownerAccountIds: [],
      name: 'Calendar Sync',
      createdAt: null,
      lastUsedAt: null,
      usageKnown: false,
      expiresAt: null,
      enabled: true,
      scopes: TOKEN.scopes,
      privileged: true,
      attributes: { userKey: LEAVER, clientId: TOKEN.clientId, nativeApp: false, anonymous: false },
    });
  });

  it('maps an app password: int64 ms times, "0" = never used, usage known', () => {
    expect(googleAspToCredential(ASP, 'gws', LEAVER)).toMatchObject({
      id: `${LEAVER}/asp/1`,
      kind: 'personal-token',
      name: 'Thunderbird',
      createdAt: '2023-11-14T22:13:20.000Z',
      lastUsedAt: null,
      usageKnown: true,
      attributes: { userKey: LEAVER, codeId: 1 },
    });
    expect(googleAspToCredential({ ...ASP, lastTimeUsed: '1764000000000' }, 'gws', LEAVER)!.lastUsedAt).toBe(
      '2025-11-24T16:00:00.000Z',
    );
  });
});

describe('google credential collection', () => {
  it('lists tokens and app passwords of at-risk users only', async () => {
    const { credentials, fake: google } = await collect(
      { tokens: { [LEAVER]: [TOKEN], [OTHER]: [TOKEN] }, asps: { [LEAVER]: [ASP] } },
      [LEAVER],
    );
    expect(credentials.map((c) => c.id)).toEqual([`${LEAVER}/token/${TOKEN.clientId}`, `${LEAVER}/asp/1`]);
    const calls = google.state.requests.filter((r) => /\/(tokens|asps)$/.test(r.path)).map((r) => r.path);
    expect(calls).toEqual([`/admin/directory/v1/users/${LEAVER}/tokens`, `/admin/directory/v1/users/${LEAVER}/asps`]);
  });

  it('no at-risk user: no call at all', async () => {
    const { credentials, fake: google } = await collect({ tokens: { [LEAVER]: [TOKEN] } }, []);
    expect(credentials).toEqual([]);
    expect(google.state.requests).toEqual([]);
  });

  it('without the security scope says once that both kinds are unknown', async () => {
    const { credentials, notices } = await collect(
      { authorizedScopes: [GOOGLE_SCOPE.read, GOOGLE_SCOPE.act], tokens: { [LEAVER]: [TOKEN] } },
      [LEAVER, OTHER],
    );
    expect(credentials).toEqual([]);
    expect(notices).toEqual([expect.stringContaining(GOOGLE_CREDENTIALS_NOTICE)]);
  });

  it('a backend error that outlasts retries fails the source', async () => {
    fake = await startFakeGoogle({ users: [{ primaryEmail: ADMIN, isAdmin: true }] });
    fake.state.inject({ status: 503, times: 10, path: `/admin/directory/v1/users/${LEAVER}/tokens` });
    const collector = createGoogleCollector(
      googleSourceSchema.parse({
        name: 'gws',
        type: 'google',
        role: 'idp',
        timeoutSeconds: 30,
        key: fake.keyJson,
        subject: ADMIN,
        apiUrl: fake.apiUrl,
        tokenUrl: fake.tokenUrl,
      }),
      { retryPolicy: { baseDelayMs: 1, maxDelayMs: 5 } },
    );
    const context: CollectContext = {
      signal: new AbortController().signal,
      log: silentLogger,
      notice: () => {},
      now: new Date(),
    };
    const error = await (async () => {
      for await (const page of collector.collectCredentials!(context, new Set([LEAVER]))) void page;
    })().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).message).toMatch(/tokens\.list/);
  });
});
