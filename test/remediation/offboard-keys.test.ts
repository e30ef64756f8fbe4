import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCollector } from '../../collectors/index.js';
import { remediatorLookup } from '../../collectors/remediators.js';
import { CREDENTIAL_RULES, RULES, resolveRuleOptions } from '../../rules/index.js';
import type { CollectorDeps } from '../../src/contract/collector.js';
import { runOffboard } from '../../src/remediation/offboard.js';
import { listFindings } from '../../src/store/findings.js';
import { verifyJournal } from '../../src/store/journal.js';
import { Harness, person } from '../engine/helpers.js';
import { fakeIamUser, startFakeAws, type FakeAws } from '../fakes/aws.js';
import { FAKE_OWNER_TOKEN, startFakeGitHub, type FakeGitHub } from '../fakes/github.js';
import { fakeApplication, fakeUser, startGraphFake, type GraphFake } from '../fakes/graph.js';
import { engineDeps, journalRows } from './helpers.js';

const BOB = 'bob@example.com';
const ACCOUNT = '111122223333';
const NOW = new Date('2026-11-26T12:00:00Z');
const ago = (days: number) => new Date(NOW.getTime() - days * 86_400_000).toISOString();

let aws: FakeAws | undefined;
let github: FakeGitHub | undefined;
let graph: GraphFake | undefined;
const savedEnv = { ...process.env };
beforeEach(() => {
  for (const key of Object.keys(process.env)) if (key.startsWith('AWS_')) delete process.env[key];
});
afterEach(async () => {
  await Promise.all([aws?.close(), github?.close(), graph?.close()]);
  aws = github = graph = undefined;
  process.env = { ...savedEnv };
});

/** Bob left: an AWS access key, a PAT authorized for the GitHub org's SAML SSO, and an Entra app only he owns. */
async function leaverWithKeys() {
  aws = await startFakeAws({
    accounts: [
      {
        accountId: ACCOUNT,
        users: [
          fakeIamUser(1, {
            userName: 'bob',
            tags: { email: BOB },
            accessKeys: [{ id: 'AKIABOBDEPLOY', status: 'Active', created: ago(200), lastUsed: ago(3) }],
          }),
        ],
      },
    ],
    reportPolls: 0,
  });
  Object.assign(process.env, aws.env);
  github = await startFakeGitHub({
    org: 'acme',
    members: [
      { user: { id: 1, login: 'alice-gh' }, role: 'admin' },
      { user: { id: 2, login: 'bob-gh' }, role: 'member' },
    ],
    saml: {
      ssoUrl: 'https://idp.example/sso',
      identities: [
        { guid: 'g1', nameId: 'admin@example.com', emails: ['admin@example.com'], userId: 1 },
        { guid: 'g2', nameId: BOB, emails: [BOB], userId: 2 },
      ],
    },
    credentialAuthorizations: [
      {
        login: 'bob-gh',
        credential_id: 4242,
        credential_type: 'personal access token',
        credential_authorized_at: ago(100),
        credential_accessed_at: ago(2),
        authorized_credential_id: 77,
        token_last_eight: 'f00dcafe',
        scopes: ['repo'],
        authorized_credential_note: 'release script',
        authorized_credential_expires_at: null,
      },
    ],
    tokens: { [FAKE_OWNER_TOKEN]: { login: 'alice-gh', scopes: ['admin:org'] } },
  });
  const bobEntra = fakeUser(7, { mail: BOB, userPrincipalName: BOB });
  graph = await startGraphFake({ users: [bobEntra], applications: [fakeApplication(1, [bobEntra.id])] });

  const h = new Harness(
    `
database: ./z.db
timezone: UTC
roster: { path: ./hr.csv }
sources:
  - name: entra
    type: entra
    tenantId: ${graph.tenantId}
    clientId: ${graph.clientId}
    clientSecret: "\${ENTRA_SECRET}"
    graphUrl: ${graph.url}
    authorityUrl: ${graph.authorityUrl}
  - { name: github, type: github, org: acme, token: "\${GITHUB_TOKEN}", apiUrl: "${github.apiUrl}" }
  - { name: aws, type: aws, endpoint: "${aws.endpoint}", maxAttempts: 2 }
`,
    { ENTRA_SECRET: graph.clientSecret, GITHUB_TOKEN: FAKE_OWNER_TOKEN },
  );
  h.now = NOW;
  h.people = [
    person('E1', 'admin@example.com'),
    person('E2', BOB, { status: 'terminated', terminationEffectiveAt: ago(6) }),
  ];
  const deps: CollectorDeps = {
    caCertificate: graph.caCertificate,
    retryPolicy: { baseDelayMs: 1, maxDelayMs: 20 },
    waitScale: 0.01,
  };
  const options = resolveRuleOptions(h.config.rules);
  const scan = await h.scan({
    createCollector: (source) => createCollector(source, deps),
    rules: { rules: RULES, byId: new Map(RULES.map((r) => [r.id, r])), options, credentialRules: CREDENTIAL_RULES },
  });
  return { h, deps, scan };
}

describe('offboard revokes an AWS access key, a GitHub credential authorization and an Entra app secret', () => {
  it('collects them, then revokes, verifies and journals each; the account actions do not undo or repeat it', async () => {
    const { h, deps, scan } = await leaverWithKeys();
    expect(scan.sources.map((s) => [s.name, s.status, s.credentials])).toEqual([
      ['entra', 'complete', 1],
      ['github', 'complete', 1],
      ['aws', 'complete', 1],
    ]);
    const outlived = listFindings(h.db, { rule: 'credential-outlived-owner' });
    expect(outlived.map((f) => [f.source, f.credentialId, f.personId]).sort()).toEqual([
      ['aws', 'AKIABOBDEPLOY', 'E2'],
      ['github', '4242', 'E2'],
    ]);
    expect(listFindings(h.db, { rule: 'ownerless-app-secret' })).toHaveLength(1);

    const offboard = () =>
      runOffboard(
        h.db,
        h.config,
        { person: 'E2', apply: true, reason: 'left' },
        { ...engineDeps({}), remediatorFor: remediatorLookup(h.config, undefined, deps) },
      );
    const result = await offboard();
    const byKind = Object.fromEntries(result.report.credentials!.map((c) => [`${c.source}:${c.kind}`, c]));
    expect(Object.keys(byKind).sort()).toEqual(['aws:personal-token', 'entra:app-secret', 'github:personal-token']);
    for (const entry of result.report.credentials!) {
      expect(entry, entry.source).toMatchObject({
        before: { enabled: true },
        action: { action: 'revoke-credential' },
        after: { enabled: false },
        verified: true,
      });
    }
    expect(byKind['github:personal-token']!.action).toMatchObject({ status: 'applied' });
    expect(byKind['entra:app-secret']!.action).toMatchObject({ status: 'applied' });
    // The IAM user's disable deactivates its keys too, at the same time: whichever comes second has nothing left
    // to do, and either way the key reads Inactive afterwards.
    expect(['applied', 'already-done']).toContain(byKind['aws:personal-token']!.action.status);
    expect(result.report.complete).toBe(true);
    expect(result.exitCode).toBe(0);

    // The systems really lost them.
    expect(aws!.user(ACCOUNT, 'bob')!.accessKeys!.map((k) => k.status)).toEqual(['Inactive']);
    expect(github!.data.credentialAuthorizations).toEqual([]);
    expect(graph!.state.applications[0]).toMatchObject({ passwordCredentials: [] });

    // Journaled like every action: an intent before and a result after each revocation, the chain intact.
    const revocations = journalRows(h).filter((row) => row.action === 'revoke-credential');
    expect(revocations.filter((row) => row.kind === 'result')).toHaveLength(3);
    const applied = revocations.filter((row) => row.kind === 'result' && row.status === 'applied').length;
    expect(revocations.filter((row) => row.kind === 'intent')).toHaveLength(applied);
    expect(verifyJournal(h.db).ok).toBe(true);
    expect(listFindings(h.db, { rule: 'credential-outlived-owner' })).toEqual([]);

    // Offboarding again: all three read back revoked, nothing is called to change anything.
    aws!.state.requests.length = 0;
    const again = await offboard();
    expect(again.report.credentials!.map((c) => c.action.status)).toEqual(Array(3).fill('already-done'));
    expect(aws!.state.requests.filter((r) => r.action.startsWith('iam:Update'))).toEqual([]);
  });
});
