import { afterEach, describe, expect, it } from 'vitest';
import { createGitHubRemediator } from '../../collectors/github/actions.js';
import {
  credentialAuthorizationToCredential,
  type GitHubCredentialAuthorization,
} from '../../collectors/github/credentials-transform.js';
import { createGitHubCollector } from '../../collectors/github/index.js';
import type { GitHubSourceConfig } from '../../src/config/config.js';
import type { CredentialRef } from '../../src/contract/action.js';
import type { CollectContext } from '../../src/contract/collector.js';
import type { Account, Credential } from '../../src/contract/model.js';
import { silentLogger } from '../../src/common/logger.js';
import {
  FAKE_OWNER_TOKEN,
  type FakeCredentialAuthorization,
  type FakeGitHub,
  type FakeGitHubData,
  startFakeGitHub,
} from '../fakes/github.js';

const DEPS = { waitScale: 0.01, retryPolicy: { baseDelayMs: 1, maxDelayMs: 20 } };
const NOW = new Date('2026-12-01T12:00:00Z');
const signal = () => new AbortController().signal;

let fake: FakeGitHub | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const pat = (
  id: number,
  login: string,
  extra: Partial<FakeCredentialAuthorization> = {},
): FakeCredentialAuthorization => ({
  login,
  credential_id: id,
  credential_type: 'personal access token',
  credential_authorized_at: '2026-01-05T09:00:00Z',
  credential_accessed_at: '2026-11-28T16:00:00Z',
  authorized_credential_id: 5000 + id,
  token_last_eight: `ab${String(id).padStart(6, '0')}`,
  scopes: ['repo', 'read:org'],
  authorized_credential_note: `deploy ${id}`,
  authorized_credential_expires_at: null,
  ...extra,
});

describe('credential authorizations as credentials (pure mapping)', () => {
  const owner = { accountId: '2', owner: false };
  it.each([
    {
      name: 'a PAT: named by its note and last eight, last access is its last use',
      item: pat(7, 'bob-gh'),
      owner,
      expected: {
        id: '7',
        accountId: '2',
        name: 'personal access token "deploy 7" …ab000007 of bob-gh',
        createdAt: '2026-01-05T09:00:00.000Z',
        lastUsedAt: '2026-11-28T16:00:00.000Z',
        usageKnown: true,
        enabled: true,
        expiresAt: null,
        scopes: ['repo', 'read:org'],
        privileged: false,
      },
    },
    {
      name: 'an SSH key: named by its title and fingerprint, never accessed = never used',
      item: {
        login: 'bob-gh',
        credential_id: 8,
        credential_type: 'SSH key',
        credential_authorized_at: '2025-03-01T00:00:00Z',
        credential_accessed_at: null,
        authorized_credential_id: 99,
        fingerprint: 'SHA256:abcdef',
        authorized_credential_title: 'laptop',
      } satisfies GitHubCredentialAuthorization,
      owner,
      expected: {
        name: 'SSH key "laptop" SHA256:abcdef of bob-gh',
        lastUsedAt: null,
        usageKnown: true,
        enabled: true,
        scopes: [],
      },
    },
    {
      name: 'an expired token cannot be used',
      item: pat(9, 'bob-gh', { authorized_credential_expires_at: '2026-11-30T00:00:00Z' }),
      owner,
      expected: { enabled: false, expiresAt: '2026-11-30T00:00:00.000Z' },
    },
    {
      name: "an org owner's token is privileged",
      item: pat(10, 'alice-gh'),
      owner: { accountId: '1', owner: true },
      expected: { accountId: '1', privileged: true },
    },
    {
      name: 'a login that is no account of the org: ownerless, not an error',
      item: pat(11, 'gone-gh'),
      owner: null,
      expected: { accountId: null, privileged: false },
    },
  ])('$name', ({ item, owner: itsOwner, expected }) => {
    const credential = credentialAuthorizationToCredential(item, itsOwner, 'github', NOW);
    expect(credential).toMatchObject({ source: 'github', kind: 'personal-token', ownerAccountIds: [], ...expected });
    expect(credential.attributes).toMatchObject({ login: item.login, credentialType: item.credential_type });
  });
});

function org(extra: Partial<FakeGitHubData> = {}): FakeGitHubData {
  return {
    org: 'acme',
    members: [
      { user: { id: 1, login: 'alice-gh' }, role: 'admin' },
      { user: { id: 2, login: 'bob-gh' }, role: 'member' },
    ],
    outsideCollaborators: [{ id: 50, login: 'vendor-jo' }],
    saml: { ssoUrl: 'https://idp.example/sso', identities: [] },
    credentialAuthorizations: [
      pat(1, 'alice-gh'),
      ...Array.from({ length: 230 }, (_, i) => pat(100 + i, i % 2 === 0 ? 'bob-gh' : 'Vendor-Jo')),
      pat(2, 'left-long-ago'),
    ],
    tokens: {
      [FAKE_OWNER_TOKEN]: { login: 'alice-gh', scopes: ['admin:org'] },
      ghp_reader: { login: 'alice-gh', scopes: ['read:org'] },
    },
    ...extra,
  };
}

function config(extra: Partial<GitHubSourceConfig> = {}): GitHubSourceConfig {
  return {
    name: 'github',
    type: 'github',
    role: 'app',
    timeoutSeconds: 30,
    org: 'acme',
    token: FAKE_OWNER_TOKEN,
    apiUrl: fake!.apiUrl,
    ...extra,
  } as GitHubSourceConfig;
}

function context(): CollectContext & { notices: string[] } {
  const notices: string[] = [];
  return { signal: signal(), log: silentLogger, notice: (m) => notices.push(m), now: NOW, notices };
}

async function scan(cfg: GitHubSourceConfig) {
  const collector = createGitHubCollector(cfg, DEPS);
  const ctx = context();
  const accounts: Account[] = [];
  for await (const page of collector.collect(ctx)) accounts.push(...page);
  const credentials: Credential[] = [];
  for await (const page of collector.collectCredentials!(ctx, new Set())) credentials.push(...page);
  return { accounts, credentials, notices: ctx.notices.filter((n) => n.includes('credential')) };
}

describe('GitHub credential collection against the fake', () => {
  it('reads every page of the org-wide list (100 a page, Link header) and ties each to its account', async () => {
    fake = await startFakeGitHub(org());
    const { credentials, notices } = await scan(config({ token: 'ghp_reader' }));
    expect(credentials).toHaveLength(232);
    expect(new Set(credentials.map((c) => c.id)).size).toBe(232);
    const requests = fake.requests.filter((r) => r.path === '/orgs/acme/credential-authorizations');
    expect(requests.map((r) => [r.query.per_page, r.query.page ?? '1', r.status])).toEqual([
      ['100', '1', 200],
      ['100', '2', 200],
      ['100', '3', 200],
    ]);
    const byId = new Map(credentials.map((c) => [c.id, c]));
    expect(byId.get('1')).toMatchObject({ accountId: '1', privileged: true });
    expect(byId.get('100')).toMatchObject({ accountId: '2', privileged: false });
    // Logins compare case-insensitively; an outside collaborator is an account of the org too.
    expect(byId.get('101')).toMatchObject({ accountId: '50' });
    expect(byId.get('2')).toMatchObject({ accountId: null });
    expect(notices).toEqual([]);
  });

  it.each([
    ['an org without SAML SSO (404)', { saml: null }, false, /HTTP 404 Not Found/],
    ['a token GitHub refuses for this list (403)', {}, true, /HTTP 403 Forbidden/],
  ])('%s: accounts complete, credentials said once to be unknown', async (_name, data, refuse, message) => {
    fake = await startFakeGitHub(org(data as Partial<FakeGitHubData>));
    if (refuse) fake.failures.push({ status: 403, times: 1, path: '/orgs/acme/credential-authorizations' });
    const { accounts, credentials, notices } = await scan(config());
    expect(accounts.length).toBeGreaterThan(0);
    expect(credentials).toEqual([]);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(message);
    expect(notices[0]).toMatch(/unknown, not none/);
  });

  it('a server error after retries fails the source (never "none")', async () => {
    fake = await startFakeGitHub(org());
    const collector = createGitHubCollector(config(), DEPS);
    const ctx = context();
    for await (const page of collector.collect(ctx)) void page;
    fake.failures.push({ status: 502, times: 10, path: '/orgs/acme/credential-authorizations' });
    const read = async () => {
      for await (const page of collector.collectCredentials!(ctx, new Set())) void page;
    };
    await expect(read()).rejects.toThrow(/HTTP 502 from GitHub after retries/);
  });
});

describe('revoking a credential authorization against the fake', () => {
  const ref = (credential: Credential): CredentialRef => ({
    source: credential.source,
    id: credential.id,
    kind: credential.kind,
    name: credential.name,
    accountId: credential.accountId,
    attributes: credential.attributes,
  });

  it('DELETE removes it; the read-back lists the login (login= filter) and no longer finds it', async () => {
    fake = await startFakeGitHub(org());
    const { credentials } = await scan(config());
    const hook = createGitHubRemediator(config(), DEPS).credentials!;
    expect(hook.unsupportedKind('personal-token')).toBeNull();
    expect(hook.unsupportedKind('app-secret')).toMatch(/no app-secret/);
    const target = ref(credentials.find((c) => c.id === '328')!);
    fake.requests.length = 0;
    expect(await hook.readCredential(target, signal())).toEqual({ found: true, enabled: true });
    const listed = fake.requests.filter((r) => r.method === 'GET');
    expect(listed.every((r) => r.query.login === 'bob-gh')).toBe(true);
    // bob-gh has 115 authorizations: the read pages through them.
    expect(listed).toHaveLength(2);

    const outcome = await hook.revokeCredential(target, signal());
    expect(outcome).toMatchObject({ status: 'applied' });
    expect(outcome.reason).toMatch(/^DELETE \/orgs\/acme\/credential-authorizations\/328: /);
    expect(fake.data.credentialAuthorizations.some((c) => c.credential_id === 328)).toBe(false);
    expect(await hook.readCredential(target, signal())).toEqual({ found: false, enabled: false });
    expect(await hook.revokeCredential(target, signal())).toMatchObject({ status: 'already-done' });
  });

  it('a read-only token may not remove it: failed with the permission it needs, nothing removed', async () => {
    fake = await startFakeGitHub(org());
    const { credentials } = await scan(config());
    const hook = createGitHubRemediator(config({ token: 'ghp_reader' }), DEPS).credentials!;
    const outcome = await hook.revokeCredential(ref(credentials.find((c) => c.id === '1')!), signal());
    expect(outcome.status).toBe('failed');
    expect(outcome.reason).toMatch(/HTTP 403 Must be an organization owner.*admin:org/);
    expect(fake.data.credentialAuthorizations.some((c) => c.credential_id === 1)).toBe(true);
  });
});
