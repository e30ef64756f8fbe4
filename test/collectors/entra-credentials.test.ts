import { afterEach, describe, expect, it } from 'vitest';
import { APPLICATIONS_NOTICE, createEntraCollector, PERMISSION_GRANTS_NOTICE } from '../../collectors/entra/index.js';
import { applicationToCredential, permissionGrantToCredential } from '../../collectors/entra/credentials-transform.js';
import type { CollectContext } from '../../src/contract/collector.js';
import { SourceError } from '../../src/contract/errors.js';
import { silentLogger } from '../../src/common/logger.js';
import type { Credential } from '../../src/contract/model.js';
import {
  ALL_PERMISSIONS,
  fakeApplication,
  fakeUser,
  startGraphFake,
  type FakePermissionGrant,
  type GraphFake,
  type GraphFakeOptions,
} from '../fakes/graph.js';

const NOW = new Date('2026-11-26T12:00:00Z');
let fake: GraphFake | null = null;
afterEach(async () => {
  await fake?.close();
  fake = null;
});

function grant(index: number, principalId: string | null, scope = ' User.Read Mail.Read'): FakePermissionGrant {
  return {
    id: `grant-${index}`,
    clientId: 'sp-client-1',
    consentType: principalId === null ? 'AllPrincipals' : 'Principal',
    principalId,
    resourceId: 'sp-graph',
    scope,
  };
}

async function collect(options: GraphFakeOptions, before: (graph: GraphFake) => void = () => {}) {
  fake = await startGraphFake(options);
  before(fake);
  const collector = createEntraCollector(
    {
      name: 'entra',
      type: 'entra',
      role: 'idp',
      timeoutSeconds: 30,
      tenantId: fake.tenantId,
      clientId: fake.clientId,
      clientSecret: fake.clientSecret,
      graphUrl: fake.url,
      authorityUrl: fake.authorityUrl,
    },
    { caCertificate: fake.caCertificate, retryPolicy: { baseDelayMs: 1, maxDelayMs: 20 } },
  );
  const notices: string[] = [];
  const context: CollectContext = {
    signal: new AbortController().signal,
    log: silentLogger,
    notice: (message) => notices.push(message),
    now: NOW,
  };
  const credentials: Credential[] = [];
  for await (const page of collector.collectCredentials!(context, new Set())) credentials.push(...page);
  return { credentials, notices, fake };
}

describe('entra credential mapping', () => {
  it('maps a user grant: owner is the principal, scopes split, admin scopes privileged', () => {
    expect(permissionGrantToCredential(grant(1, 'u1', ' Directory.ReadWrite.All openid'), 'entra')).toMatchObject({
      id: 'grant-1',
      kind: 'oauth-grant',
      accountId: 'u1',
      scopes: ['Directory.ReadWrite.All', 'openid'],
      privileged: true,
      usageKnown: false,
      attributes: { clientId: 'sp-client-1', resourceId: 'sp-graph' },
    });
  });

  it('maps an app registration: one credential, its secrets and certificates by keyId, user owners only', () => {
    const app = fakeApplication(1, ['u1', 'sp-9'], {
      keyCredentials: [
        {
          keyId: 'cert-1',
          displayName: 'CN=app',
          type: 'AsymmetricX509Cert',
          usage: 'Verify',
          startDateTime: '2024-01-01T00:00:00Z',
          endDateTime: '2026-01-01T00:00:00Z',
        },
      ],
    });
    const owners = [
      { '@odata.type': '#microsoft.graph.user', id: 'u1' },
      { '@odata.type': '#microsoft.graph.servicePrincipal', id: 'sp-9' },
    ];
    const credential = applicationToCredential({ ...app, owners }, 'entra', NOW)!;
    expect(credential).toMatchObject({
      id: app.id,
      kind: 'app-secret',
      accountId: null,
      ownerAccountIds: ['u1'],
      name: 'App 1',
      enabled: true,
      expiresAt: '2027-02-01T09:00:00.000Z',
      attributes: {
        appId: app.appId,
        servicePrincipalOwners: ['sp-9'],
        secrets: [
          { keyId: app.passwordCredentials[0]!.keyId, type: 'password', endDateTime: '2027-02-01T09:00:00.000Z' },
          { keyId: 'cert-1', type: 'certificate', endDateTime: '2026-01-01T00:00:00.000Z' },
        ],
      },
    });
    expect(JSON.stringify(credential)).not.toContain('hint');
    const expired = applicationToCredential(
      { ...app, passwordCredentials: [], keyCredentials: app.keyCredentials, owners: [] },
      'entra',
      NOW,
    )!;
    expect(expired).toMatchObject({ enabled: false, expiresAt: '2026-01-01T00:00:00.000Z' });
    expect(
      applicationToCredential({ ...app, passwordCredentials: [], keyCredentials: [], owners: [] }, 'entra', NOW),
    ).toBeNull();
  });
});

describe('entra credential collection', () => {
  it('reads every user grant (not admin consents) and every app with owners, across pages', async () => {
    const users = [fakeUser(1), fakeUser(2)];
    const apps = Array.from({ length: 150 }, (_, i) => fakeApplication(i, i % 3 === 0 ? [] : [users[i % 2]!.id]));
    const {
      credentials,
      notices,
      fake: graph,
    } = await collect({
      users,
      permissionGrants: [grant(1, users[0]!.id), grant(2, null), grant(3, users[1]!.id)],
      applications: apps,
    });
    expect(notices).toEqual([]);
    expect(credentials.filter((c) => c.kind === 'oauth-grant').map((c) => c.accountId)).toEqual([
      users[0]!.id,
      users[1]!.id,
    ]);
    const appCredentials = credentials.filter((c) => c.kind === 'app-secret');
    expect(appCredentials).toHaveLength(150);
    expect(appCredentials.filter((c) => c.ownerAccountIds.length === 0)).toHaveLength(50);
    const appCalls = graph.state.requests.filter((r) => r.target === 'applications');
    expect(appCalls).toHaveLength(2);
    expect(appCalls[0]!.query.$expand).toBe('owners($select=id)');
  });

  it('says once which kinds it could not read, and keeps the rest', async () => {
    const { credentials, notices } = await collect({
      users: [fakeUser(1)],
      permissions: ALL_PERMISSIONS.filter((p) => p !== 'Directory.Read.All' && p !== 'Application.ReadWrite.All'),
      permissionGrants: [grant(1, 'u1')],
      applications: [fakeApplication(1, [])],
    });
    // DelegatedPermissionGrant.ReadWrite.All still reads grants; nothing reads applications.
    expect(credentials.map((c) => c.kind)).toEqual(['oauth-grant']);
    expect(notices).toEqual([expect.stringContaining(APPLICATIONS_NOTICE)]);

    await fake!.close();
    const none = await collect({
      users: [fakeUser(1)],
      permissions: ['User.Read.All', 'Application.Read.All'],
      permissionGrants: [grant(1, 'u1')],
      applications: [fakeApplication(1, [])],
    });
    expect(none.credentials.map((c) => c.kind)).toEqual(['app-secret']);
    expect(none.notices).toEqual([expect.stringContaining(PERMISSION_GRANTS_NOTICE)]);
  });

  it('a server error that outlasts retries fails the source (never "no credentials")', async () => {
    const failed = await collect({ applications: [fakeApplication(1, [])] }, (graph) =>
      graph.state.fail({ target: 'applications', status: 500, times: 10 }),
    ).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(SourceError);
    expect((failed as SourceError).message).toMatch(/applications/);
  });
});
