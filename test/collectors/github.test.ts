import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createGitHubCollector } from '../../collectors/github/index.js';
import { parseConfig, type GitHubSourceConfig } from '../../src/config/config.js';
import type { CollectContext } from '../../src/contract/collector.js';
import { ConfigError, InputError, SourceError } from '../../src/contract/errors.js';
import type { Account } from '../../src/contract/model.js';
import { silentLogger } from '../../src/common/logger.js';
import { tempDir } from '../engine/helpers.js';
import {
  FAKE_OWNER_TOKEN,
  type FakeGitHub,
  type FakeGitHubData,
  startFakeGitHub,
  syntheticGitHubOrg,
} from '../fakes/github.js';

/** Scaled so a 1 s retry-after is 10 ms and GraphQL pacing 10 ms: production waits are the plugins' own. */
const DEPS = { waitScale: 0.01, retryPolicy: { baseDelayMs: 1, maxDelayMs: 20 } };

let fake: FakeGitHub | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

function source(extra: Partial<GitHubSourceConfig> = {}): GitHubSourceConfig {
  return {
    name: 'github',
    type: 'github',
    role: 'app',
    timeoutSeconds: 60,
    org: 'acme',
    token: FAKE_OWNER_TOKEN,
    apiUrl: fake!.apiUrl,
    ...extra,
  } as GitHubSourceConfig;
}

function context(notices: string[] = []): CollectContext {
  return {
    signal: new AbortController().signal,
    log: silentLogger,
    notice: (message) => {
      if (!notices.includes(message)) notices.push(message);
    },
    now: new Date('2026-12-01T00:00:00Z'),
  };
}

async function collectAll(config: GitHubSourceConfig, notices: string[] = [], deps = DEPS) {
  const pages: Account[][] = [];
  for await (const page of createGitHubCollector(config, deps).collect(context(notices))) pages.push(page);
  return { pages, accounts: pages.flat() };
}

async function failure(promise: Promise<unknown>): Promise<SourceError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(SourceError);
  return error as SourceError;
}

/** A small org: owner alice (SAML), bob (verified-domain email), carol (identityMap), dave (nothing). */
function smallOrg(extra: Partial<FakeGitHubData> = {}): FakeGitHubData {
  return {
    org: 'acme',
    members: [
      { user: { id: 1, login: 'alice-gh', name: 'Alice' }, role: 'admin' },
      { user: { id: 2, login: 'bobcodes', verifiedDomainEmails: ['bob@acme.com'] }, role: 'member' },
      { user: { id: 3, login: 'carol' }, role: 'member' },
      { user: { id: 4, login: 'dave-personal' }, role: 'member' },
    ],
    outsideCollaborators: [{ id: 50, login: 'vendor-jo' }],
    invitations: [
      { id: 900, login: null, email: 'erin@acme.com', role: 'direct_member', created_at: '2026-11-20T10:00:00Z' },
      { id: 901, login: 'mallory', email: null, role: 'admin', created_at: '2026-11-21T10:00:00Z' },
      {
        id: 902,
        login: null,
        email: 'old@acme.com',
        role: 'direct_member',
        created_at: '2026-10-01T10:00:00Z',
        failed_at: '2026-10-08T10:00:00Z',
      },
    ],
    saml: {
      ssoUrl: 'https://idp.example/sso',
      identities: [
        { guid: 'g1', nameId: 'alice@acme.com', emails: ['alice@acme.com'], userId: 1 },
        { guid: 'g9', nameId: 'unclaimed@acme.com', emails: [], userId: null },
      ],
    },
    ...extra,
  };
}

function identityMapFile(text: string): string {
  const file = path.join(tempDir('zs-github-'), 'github-identities.csv');
  writeFileSync(file, text);
  return file;
}

describe('github collector', () => {
  it('collects members with roles, outside collaborators and pending invitations, linked in SPEC order', async () => {
    fake = await startFakeGitHub(smallOrg());
    const notices: string[] = [];
    const map = identityMapFile(
      'login,employee_id,email\ncarol,E3,\nbobcodes,,robert@acme.com\nmallory,,mallory@acme.com\n',
    );
    const { accounts } = await collectAll(source({ identityMap: map }), notices);

    const byId = new Map(accounts.map((account) => [account.id, account]));
    expect([...byId.keys()]).toEqual(['1', '2', '3', '4', '50', 'invitation:900', 'invitation:901']);
    expect(byId.get('1')).toMatchObject({
      login: 'alice-gh',
      email: 'alice@acme.com',
      privileged: true,
      rawStatus: 'owner',
      type: 'human',
      enabled: true,
      activityKnown: false,
      lastActivityAt: null,
      attributes: { kind: 'member', role: 'admin', identityLink: 'saml', samlNameId: 'alice@acme.com' },
    });
    // Verified-domain email outranks the identityMap row for the same login.
    expect(byId.get('2')).toMatchObject({
      email: 'bob@acme.com',
      privileged: false,
      attributes: { identityLink: 'verified-domain-email' },
    });
    expect(byId.get('3')).toMatchObject({
      email: null,
      employeeId: 'E3',
      attributes: { identityLink: 'identity-map' },
    });
    expect(byId.get('4')).toMatchObject({ email: null, employeeId: null, attributes: { identityLink: null } });
    expect(byId.get('50')).toMatchObject({ type: 'guest', rawStatus: 'outside collaborator' });
    expect(byId.get('invitation:900')).toMatchObject({
      login: 'erin@acme.com',
      email: 'erin@acme.com',
      type: 'human',
      rawStatus: 'invited',
      enabled: true,
      createdAt: '2026-11-20T10:00:00Z',
      attributes: { kind: 'invitation', invitationId: 900, identityLink: 'invitation-email' },
    });
    expect(byId.get('invitation:901')).toMatchObject({
      login: 'mallory',
      email: 'mallory@acme.com',
      privileged: true,
      attributes: { identityLink: 'identity-map' },
    });
    expect(notices).toEqual([expect.stringContaining('GitHub reports no last activity')]);
  });

  it('pages REST lists 100 at a time through Link headers, and SAML identities by cursor', async () => {
    fake = await startFakeGitHub(syntheticGitHubOrg({ members: 250, outside: 120, invitations: 3 }));
    const { pages, accounts } = await collectAll(source());
    expect(accounts).toHaveLength(373);
    expect(new Set(accounts.map((a) => a.id)).size).toBe(373);
    expect(accounts.filter((a) => a.privileged)).toHaveLength(5);
    expect(accounts.every((a) => a.email !== null)).toBe(false);
    expect(accounts.filter((a) => a.attributes.identityLink === 'saml')).toHaveLength(250);
    expect(Math.max(...pages.map((p) => p.length))).toBe(100);

    const lists = fake.requests.filter(
      (r) => r.method === 'GET' && /^\/orgs\/acme\/(members|outside_collaborators|invitations)$/.test(r.path),
    );
    expect(lists.every((r) => r.query.per_page === '100')).toBe(true);
    expect(lists.filter((r) => r.path.endsWith('/members')).map((r) => `${r.query.role}:${r.query.page ?? 1}`)).toEqual(
      ['admin:1', 'member:1', 'member:2', 'member:3'],
    );
    const saml = fake.requests.filter((r) => r.graphql);
    expect(saml).toHaveLength(3);
  });

  it('links by verified-domain emails when the org has no SAML SSO, and says so once', async () => {
    fake = await startFakeGitHub(syntheticGitHubOrg({ members: 150, saml: false }));
    const notices: string[] = [];
    const { accounts } = await collectAll(source(), notices);
    expect(accounts.every((a) => a.attributes.identityLink === 'verified-domain-email')).toBe(true);
    expect(accounts.find((a) => a.id === '1149')?.email).toBe('dev149@acme.com');
    expect(notices.filter((n) => n.includes('no SAML SSO'))).toHaveLength(1);
    // One GraphQL query per REST page of members: the SAML probe, then pages of 3 (admins) , 100 and 47.
    expect(fake.requests.filter((r) => r.graphql)).toHaveLength(4);
  });

  it('refuses an unknown organization with 404 in plain words', async () => {
    fake = await startFakeGitHub(smallOrg());
    const error = await failure(collectAll(source({ org: 'acme-typo' })));
    expect(error.kind).toBe('config');
    expect(error.message).toContain('organization "acme-typo" not found, or the credentials cannot see it');
  });

  it('refuses a token whose user is not a member instead of listing only public members', async () => {
    fake = await startFakeGitHub(smallOrg({ tokens: { ghp_outsider: { login: 'stranger', scopes: ['read:org'] } } }));
    const error = await failure(collectAll(source({ token: 'ghp_outsider' })));
    expect(error.kind).toBe('auth');
    expect(error.message).toContain("the token's user is not a member of acme");
    expect(fake.requests.some((r) => r.path === '/orgs/acme/members')).toBe(false);
  });

  it('fails with a clear reason on a bad token, and never shows the token', async () => {
    fake = await startFakeGitHub(smallOrg());
    const error = await failure(collectAll(source({ token: 'ghp_revoked0000' })));
    expect(error.kind).toBe('auth');
    expect(error.message).toContain('HTTP 401 Bad credentials');
    expect(error.message).not.toContain('ghp_revoked0000');
  });

  it('a member-only token cannot list outside collaborators: the source fails, never short', async () => {
    fake = await startFakeGitHub(smallOrg({ tokens: { ghp_member: { login: 'carol', scopes: ['read:org'] } } }));
    const error = await failure(collectAll(source({ token: 'ghp_member' })));
    expect(error.kind).toBe('auth');
    expect(error.message).toMatch(/outside_collaborators: HTTP 403 Must be an organization owner/);
  });

  it('retries 5xx and succeeds; gives up after three retries', async () => {
    fake = await startFakeGitHub(smallOrg());
    fake.failures.push({ status: 502, times: 2, path: '/orgs/acme/members' });
    const { accounts } = await collectAll(source());
    expect(accounts).toHaveLength(7);

    fake.failures.push({ status: 503, times: 10, path: '/orgs/acme/outside_collaborators' });
    const error = await failure(collectAll(source()));
    expect(error.kind).toBe('server');
    expect(error.message).toContain('HTTP 503 from GitHub after retries');
    expect(fake.requests.filter((r) => r.path === '/orgs/acme/outside_collaborators' && r.status === 503)).toHaveLength(
      4,
    );
  });

  it('waits out a secondary rate limit for its retry-after without sending anything meanwhile', async () => {
    fake = await startFakeGitHub(smallOrg());
    fake.failures.push({ status: 403, times: 1, path: '/orgs/acme/members', secondaryRetryAfter: 5 });
    const { accounts } = await collectAll(source());
    expect(accounts).toHaveLength(7);
    const limited = fake.requests.findIndex((r) => r.status === 403);
    const next = fake.requests[limited + 1]!;
    // 5 s scaled by 0.01: nothing for at least 50 ms after the limit.
    expect(next.at - fake.requests[limited]!.at).toBeGreaterThanOrEqual(45);
  });

  it('gives up after repeated secondary limits instead of hammering', async () => {
    fake = await startFakeGitHub(smallOrg());
    fake.failures.push({ status: 429, times: 100, path: '/orgs/acme/members', secondaryRetryAfter: 1 });
    const error = await failure(collectAll(source()));
    expect(error.kind).toBe('rate-limit');
    expect(error.message).toContain('secondary rate limit hit 4 times');
    expect(fake.requests.filter((r) => r.status === 429)).toHaveLength(4);
  });

  it('waits for the primary limit to reset (x-ratelimit-reset), REST and GraphQL', async () => {
    fake = await startFakeGitHub(smallOrg());
    fake.exhaustPrimary(2, 1);
    const { accounts } = await collectAll(source());
    expect(accounts).toHaveLength(7);
    expect(fake.requests.filter((r) => r.status === 403)).toHaveLength(2);
  });

  it('fails a primary limit that resets after the source timeout, naming the reset time', async () => {
    fake = await startFakeGitHub(smallOrg());
    fake.exhaustPrimary(1, 3600);
    const error = await failure(collectAll(source({ timeoutSeconds: 10 }), [], { ...DEPS, waitScale: 1 }));
    expect(error.kind).toBe('rate-limit');
    expect(error.message).toMatch(/primary rate limit exhausted \(x-ratelimit-remaining 0\) until \d{4}-/);
  });

  it('refuses a malformed identityMap naming file, line and column, before calling GitHub', async () => {
    fake = await startFakeGitHub(smallOrg());
    const cases: [string, RegExp][] = [
      ['login,employee_id,email\ncarol,E3,\ncarol,E4,\n', /:3: login: duplicate login "carol" \(first on line 2\)/],
      ['login,employee_id,email\ncarol,,not-an-email\n', /:2: email: "not-an-email" is not an email address/],
      ['login,employee_id,email\ncarol,,\n', /:2: a row needs an employee_id or an email/],
      ['user,employee_id\ncarol,E3\n', /:1: login: required column not found/],
      ['login,employee_id,email\n"carol,E3,\n', /:2: .*unterminated quote/],
    ];
    for (const [text, expected] of cases) {
      const file = identityMapFile(text);
      const collector = createGitHubCollector(source({ identityMap: file }), DEPS);
      const error = await collector.validateInput!().then(
        () => null,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(InputError);
      expect((error as InputError).exitCode).toBe(2);
      expect((error as Error).message.startsWith(file)).toBe(true);
      expect((error as Error).message).toMatch(expected);
    }
    expect(fake.requests).toHaveLength(0);
  });

  it('authenticates as a GitHub App installation (JWT -> installation token)', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    fake = await startFakeGitHub(
      smallOrg({
        app: {
          appId: 4242,
          installationId: 77,
          publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
          permissions: { members: 'write' },
        },
      }),
    );
    const app = {
      appId: 4242,
      installationId: 77,
      privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    };
    const { accounts } = await collectAll(source({ token: undefined, app }));
    expect(accounts).toHaveLength(7);
    expect(fake.requests[0]).toMatchObject({
      method: 'POST',
      path: '/app/installations/77/access_tokens',
      status: 201,
    });
    expect(fake.requests.filter((r) => r.who === 'app-installation').length).toBeGreaterThan(3);

    const wrong = await failure(collectAll(source({ token: undefined, app: { ...app, installationId: 78 } })));
    expect(wrong.message).toMatch(/HTTP 404|credentials/);
  });

  it('works against GitHub Enterprise Server paths (/api/v3 and /api/graphql)', async () => {
    fake = await startFakeGitHub(smallOrg());
    const { accounts } = await collectAll(source({ apiUrl: `${fake.apiUrl}/api/v3` }));
    expect(accounts).toHaveLength(7);
    expect(accounts.find((a) => a.id === '1')?.attributes.identityLink).toBe('saml');
  });
});

describe('github doctor', () => {
  const checks = async (config: GitHubSourceConfig) =>
    Object.fromEntries((await createGitHubCollector(config, DEPS).doctor(context())).map((c) => [c.check, c]));

  it('an owner token with admin:org: everything readable, SAML present, activity a limitation', async () => {
    fake = await startFakeGitHub(smallOrg());
    const result = await checks(source());
    expect(result.reachable?.ok).toBe(true);
    expect(result.authenticated).toMatchObject({ ok: true, detail: 'token of alice-gh' });
    expect(result['users readable']?.ok).toBe(true);
    expect(result.permissions).toMatchObject({ ok: true, detail: expect.stringContaining('admin:org') });
    expect(result['saml sso']).toMatchObject({ ok: true });
    expect(result['credential authorizations']).toMatchObject({ ok: true });
    expect(result.activity).toMatchObject({ ok: false, limitation: true });
  });

  it('read:org can scan but not act; no SAML is a limitation', async () => {
    fake = await startFakeGitHub(
      smallOrg({ saml: null, tokens: { ghp_reader: { login: 'alice-gh', scopes: ['read:org'] } } }),
    );
    const result = await checks(source({ token: 'ghp_reader' }));
    expect(result['users readable']?.ok).toBe(true);
    expect(result.permissions).toMatchObject({
      ok: false,
      limitation: true,
      detail: expect.stringContaining('needs admin:org'),
    });
    expect(result['saml sso']).toMatchObject({
      ok: false,
      limitation: true,
      detail: expect.stringContaining('no SAML SSO'),
    });
    expect(result['credential authorizations']).toMatchObject({
      ok: false,
      limitation: true,
      detail: expect.stringMatching(/^not readable \(HTTP 404 Not Found\).*PATs and SSH keys stay unknown$/),
    });
  });

  it('a bad token and an unknown org are named', async () => {
    fake = await startFakeGitHub(smallOrg());
    const bad = await checks(source({ token: 'nope' }));
    expect(bad.reachable?.ok).toBe(true);
    expect(bad.authenticated).toMatchObject({ ok: false, detail: expect.stringContaining('401 Bad credentials') });
    const unknown = await checks(source({ org: 'nosuchorg' }));
    expect(unknown['users readable']).toMatchObject({
      ok: false,
      detail: expect.stringContaining('"nosuchorg" not found'),
    });
  });
});

describe('github config', () => {
  const parse = (sourceYaml: string, env: NodeJS.ProcessEnv = { GITHUB_TOKEN: 't0k3n' }) =>
    parseConfig(`roster: { path: ./hr.csv }\nsources:\n  - ${sourceYaml}\n`, '/tmp/cfg/zombiescan.yaml', env);

  it('takes a token only from the environment, and resolves identityMap against the config folder', () => {
    const config = parse('{ name: gh, type: github, org: acme, token: "${GITHUB_TOKEN}", identityMap: ./ids.csv }');
    expect(config.sources[0]).toMatchObject({
      type: 'github',
      org: 'acme',
      apiUrl: 'https://api.github.com',
      identityMap: '/tmp/cfg/ids.csv',
      timeoutSeconds: 1800,
    });
    expect(config.secrets).toContain('t0k3n');
    expect(() => parse('{ name: gh, type: github, org: acme, token: ghp_literal }')).toThrow(ConfigError);
  });

  it('needs exactly one of token and app; the App key only from the environment', () => {
    expect(() => parse('{ name: gh, type: github, org: acme }')).toThrow(/exactly one of token or app/);
    expect(() =>
      parse('{ name: gh, type: github, org: acme, app: { appId: 1, installationId: 2, privateKey: "-----BEGIN" } }'),
    ).toThrow(/environment reference/);
    const config = parse(
      '{ name: gh, type: github, org: acme, app: { appId: 1, installationId: 2, privateKey: "${KEY}" } }',
      { KEY: 'pem-text' },
    );
    expect(config.secrets).toContain('pem-text');
  });
});
