import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCollector } from '../../collectors/index.js';
import { createRemediator } from '../../collectors/remediators.js';
import { runOffboard } from '../../src/remediation/offboard.js';
import { verifyJournal } from '../../src/store/journal.js';
import { listRuns } from '../../src/store/runs.js';
import type { Account } from '../../src/contract/model.js';
import {
  ADMINISTRATOR_ACCESS,
  everythingPolicyArn,
  fakeIamUser,
  startFakeAws,
  syntheticAwsAccount,
  syntheticIdentityCenterUsers,
  type FakeAws,
} from '../fakes/aws.js';
import { engineDeps } from '../remediation/helpers.js';
import { account, Harness, person } from './helpers.js';

/**
 * Two AWS accounts (one through an assumed role) and a third whose role cannot be assumed, scanned through the
 * engine with the real collector against the fake; then bob is offboarded with the real remediator.
 */

const PROD = '111122223333';
const DEV = '444455556666';
const NOW = new Date();
const ago = (days: number) => new Date(NOW.getTime() - days * 86_400_000).toISOString();
const STORE = 'd-1234567890';

let fake: FakeAws | undefined;
const savedEnv = { ...process.env };
beforeEach(() => {
  for (const key of Object.keys(process.env)) if (key.startsWith('AWS_')) delete process.env[key];
});
afterEach(async () => {
  await fake?.close();
  if (fake) expect(fake.state.signatureErrors).toEqual([]);
  fake = undefined;
  process.env = { ...savedEnv };
});

async function awsCompany() {
  fake = await startFakeAws({
    accounts: [
      {
        accountId: PROD,
        root: { created: ago(3000), passwordLastUsed: ago(5), accessKeys: [{ active: true, lastRotated: ago(900) }] },
        groups: [{ name: 'Admins', attachedPolicies: ['arn:aws:iam::aws:policy/AdministratorAccess'] }],
        users: [
          fakeIamUser(1, {
            userName: 'alice',
            created: ago(400),
            tags: { email: 'alice@acme.com', employee_id: 'E1' },
            password: { created: ago(400), lastUsed: ago(1) },
          }),
          fakeIamUser(2, {
            userName: 'bob',
            created: ago(400),
            tags: { email: 'bob@acme.com' },
            groups: ['Admins'],
            password: { created: ago(400), lastUsed: ago(40) },
            accessKeys: [{ id: 'AKIABOB1', status: 'Active', created: ago(300), lastUsed: ago(30) }],
            sshKeys: [{ id: 'APKABOB', status: 'Active' }],
          }),
          // A personal-looking user nobody can be tied to.
          fakeIamUser(3, {
            userName: 'temp-contractor',
            created: ago(200),
            accessKeys: [{ id: 'AKIATMP', status: 'Active', created: ago(200) }],
          }),
          fakeIamUser(4, {
            userName: 'ci-deploy',
            created: ago(500),
            tags: { type: 'service' },
            accessKeys: [{ id: 'AKIACI', status: 'Active', created: ago(500), lastUsed: ago(1) }],
          }),
        ],
      },
      {
        accountId: DEV,
        users: [
          fakeIamUser(11, {
            userName: 'bob@acme.com',
            created: ago(100),
            accessKeys: [{ id: 'AKIABOBDEV', status: 'Active', created: ago(100), lastUsed: ago(10) }],
          }),
        ],
      },
    ],
    roles: [{ arn: `arn:aws:iam::${DEV}:role/zombiescan-audit`, trusted: ['AKIAZOMBIESCANTEST01'] }],
    identityStores: [
      {
        id: STORE,
        users: [
          {
            UserId: 'ic-bob',
            UserName: 'bob',
            Emails: [{ Value: 'bob@acme.com', Primary: true }],
            UserStatus: 'ENABLED',
          },
          {
            UserId: 'ic-alice',
            UserName: 'alice',
            Emails: [{ Value: 'alice@acme.com', Primary: true }],
            UserStatus: 'ENABLED',
          },
        ],
      },
    ],
  });
  Object.assign(process.env, fake.env);
  const yaml = `
database: ./z.db
roster: { path: ./hr.csv }
sources:
  - { name: okta, type: csv, path: ./okta.csv, role: idp }
  - { name: aws-prod, type: aws, endpoint: "\${AWS_ENDPOINT}", identityStoreId: ${STORE}, maxAttempts: 2 }
  - { name: aws-dev, type: aws, endpoint: "\${AWS_ENDPOINT}", assumeRoleArn: "arn:aws:iam::${DEV}:role/zombiescan-audit" }
  - { name: aws-sandbox, type: aws, endpoint: "\${AWS_ENDPOINT}", assumeRoleArn: "arn:aws:iam::999999999999:role/zombiescan-audit" }
`;
  const h = new Harness(yaml, { AWS_ENDPOINT: fake.endpoint });
  h.now = NOW;
  h.people = [
    person('E1', 'alice@acme.com', { name: 'Alice' }),
    person('E2', 'bob@acme.com', { name: 'Bob', status: 'terminated', terminationEffectiveAt: ago(7) }),
  ];
  h.accounts.set('okta', [
    account('okta', 'o1', { email: 'alice@acme.com' }),
    account('okta', 'o2', { email: 'bob@acme.com', enabled: false }),
  ]);
  return { h, target: fake };
}

describe('aws through the engine', () => {
  it('an account of 2,000 IAM users (keys in every state) and 5,000 Identity Center users collects and scores correctly', async () => {
    const target = await startFakeAws({
      accounts: [syntheticAwsAccount(2000, NOW.getTime(), PROD)],
      identityStores: [{ id: STORE, users: syntheticIdentityCenterUsers(5000, NOW.getTime(), 2000) }],
      reportPolls: 2,
    });
    fake = target;
    Object.assign(process.env, target.env);
    const h = new Harness(
      `
database: ./z.db
roster: { path: ./hr.csv }
sources:
  - { name: aws-prod, type: aws, endpoint: "\${AWS_ENDPOINT}", identityStoreId: ${STORE}, concurrency: 6 }
`,
      { AWS_ENDPOINT: target.endpoint },
    );
    h.now = NOW;
    h.people = Array.from({ length: 2000 }, (_, i) =>
      i % 10 === 9
        ? person(`E${i}`, `user${i}@acme.com`, { status: 'terminated', terminationEffectiveAt: ago(30) })
        : person(`E${i}`, `user${i}@acme.com`),
    );
    // The real collector, with every page it yields kept for the mapping checks below.
    const accounts: Account[] = [];
    const started = Date.now();
    const result = await h.scan({
      createCollector: (source) => {
        const real = createCollector(source, { retryPolicy: { baseDelayMs: 5 } });
        return {
          doctor: (context) => real.doctor(context),
          async *collect(context) {
            for await (const page of real.collect(context)) {
              accounts.push(...page);
              yield page;
            }
          },
        };
      },
    });
    const seconds = (Date.now() - started) / 1000;
    expect(result.sources[0]).toMatchObject({ status: 'complete', accounts: 7001 });
    console.log(`aws: ${accounts.length} accounts in ${seconds.toFixed(1)}s, ${target.state.requests.length} requests`);

    expect(accounts).toHaveLength(1 + 2000 + 5000);
    expect(new Set(accounts.map((a) => a.id)).size).toBe(accounts.length);
    const byLogin = new Map(accounts.map((a) => [a.login, a]));

    const root = accounts[0]!;
    expect(root).toMatchObject({ id: PROD, login: '<root_account>', type: 'service', enabled: true, email: null });
    expect(root.attributes).toMatchObject({ cloudRoot: true, awsAccountId: PROD, mfaActive: false });

    // 0: active key used + password used.
    expect(byLogin.get('user0')).toMatchObject({
      id: 'AIDA00000000000000000',
      email: 'user0@acme.com',
      employeeId: 'E0',
      enabled: true,
      rawStatus: 'console password, 1 active access key',
      activityKnown: true,
      privileged: true,
      type: 'human',
    });
    expect(byLogin.get('user0')!.lastActivityAt!.slice(0, 10)).toBe(ago(3).slice(0, 10));
    expect(byLogin.get('user0')!.attributes.adminPolicies).toEqual([`group Admins: ${ADMINISTRATOR_ACCESS}`]);
    // 1: active key never used: enabled, activity known, never.
    expect(byLogin.get('user1')).toMatchObject({
      enabled: true,
      lastActivityAt: null,
      activityKnown: true,
      privileged: true,
    });
    expect(byLogin.get('user1')!.attributes.adminPolicies).toEqual([everythingPolicyArn(PROD)]);
    // 2: inactive key only: disabled, last use still reported.
    expect(byLogin.get('user2')).toMatchObject({
      enabled: false,
      rawStatus: 'no active credentials',
      privileged: true,
    });
    expect(byLogin.get('user2')!.attributes.adminPolicies).toEqual(['inline:breakglass']);
    // 3: rotated: the newer key's use is the latest activity.
    expect(byLogin.get('user3')).toMatchObject({ enabled: true, rawStatus: '1 active access key', privileged: false });
    expect(byLogin.get('user3')!.lastActivityAt!.slice(0, 10)).toBe(ago(1).slice(0, 10));
    expect((byLogin.get('user3')!.attributes.accessKeys as unknown[]).length).toBe(2);
    // 4: password, never used (no_information on a user created after 2014: never).
    expect(byLogin.get('user4')).toMatchObject({
      enabled: true,
      lastActivityAt: null,
      activityKnown: true,
      rawStatus: 'console password',
    });
    // 5: nothing, or an active SSH key only.
    expect(byLogin.get('user11')).toMatchObject({ enabled: false });
    expect(byLogin.get('user5')).toMatchObject({ enabled: true, rawStatus: '1 active SSH key' });
    expect(byLogin.get('user7')).toMatchObject({ type: 'service' });

    const iamUsers = accounts.filter((a) => a.attributes.kind === 'iam-user');
    expect(iamUsers).toHaveLength(2000);
    // by i % 6: 0, 1, 3, 4 enabled; 5 enabled when i % 12 == 5.
    const expectedEnabled = Array.from({ length: 2000 }, (_, i) => [0, 1, 3, 4].includes(i % 6) || i % 12 === 5).filter(
      Boolean,
    ).length;
    expect(iamUsers.filter((a) => a.enabled)).toHaveLength(expectedEnabled);
    const expectedAdmins = Array.from(
      { length: 2000 },
      (_, i) => i % 100 === 0 || i % 250 === 1 || i % 333 === 2,
    ).filter(Boolean).length;
    expect(iamUsers.filter((a) => a.privileged)).toHaveLength(expectedAdmins);

    const center = accounts.filter((a) => a.attributes.kind === 'identity-center-user');
    expect(center).toHaveLength(5000);
    expect(center[0]).toMatchObject({
      email: 'user0@acme.com',
      enabled: false,
      rawStatus: 'DISABLED',
      activityKnown: false,
    });
    expect(center[1]).toMatchObject({ enabled: true, rawStatus: 'ENABLED' });
    expect(center[3]).toMatchObject({ enabled: true, rawStatus: 'ENABLED (no UserStatus in the answer)' });
    expect(result.sources[0]!.notices.join('\n')).toContain('Identity Center has no sign-in data');

    // Paging, polling and the concurrency bound, as the service saw them.
    const calls = (action: string) => target.state.requests.filter((r) => r.action === action).length;
    expect(calls('iam:ListUsers')).toBe(20);
    expect(calls('identitystore:ListUsers')).toBe(50);
    // STARTED, INPROGRESS, COMPLETE.
    expect(calls('iam:GenerateCredentialReport')).toBe(3);
    expect(calls('iam:ListUserTags')).toBe(2000);
    // Group policies are read once per group, not per member.
    expect(calls('iam:ListAttachedGroupPolicies')).toBe(2);

    // Scored: the oracle below restates the synthetic data's rules per user index.
    const enabled = (i: number) => [0, 1, 3, 4].includes(i % 6) || i % 12 === 5;
    const service = (i: number) => i % 50 === 7;
    const left = (i: number) => i % 10 === 9;
    const count = (test: (i: number) => boolean, n = 2000) =>
      Array.from({ length: n }, (_, i) => i).filter(test).length;
    const icEnabled = (i: number) => !(i % 10 === 0 && i % 7 !== 3);
    const expected = {
      'root-credentials-in-use': 1,
      'terminated-still-active':
        count((i) => enabled(i) && !service(i) && left(i)) + count((i) => icEnabled(i) && left(i)),
      'never-logged-in': count((i) => enabled(i) && !service(i) && !left(i) && [1, 4, 5].includes(i % 6)),
      'dormant-account': count((i) => i % 12 === 6 && !service(i) && !left(i)),
      'unowned-service-account': count((i) => enabled(i) && service(i)),
      'orphan-account': count((i) => i >= 2000 && icEnabled(i), 5000),
    };
    const byRule = Object.fromEntries(
      (
        h.db.prepare(`SELECT rule, COUNT(*) AS n FROM findings WHERE status = 'open' GROUP BY rule`).all() as {
          rule: string;
          n: number;
        }[]
      ).map((row) => [row.rule, row.n]),
    );
    expect(byRule).toEqual(expected);
    console.log(`aws findings: ${JSON.stringify(byRule)}`);
  }, 600_000);

  it('scores IAM users, the root row and Identity Center users; a failed account does not stop the others', async () => {
    const { h } = await awsCompany();
    const result = await h.scan({
      createCollector: (source) =>
        source.type === 'aws' ? createCollector(source, { retryPolicy: { baseDelayMs: 5 } }) : h.collector(source.name),
    });
    expect(result.status).toBe('partial');
    const by = new Map(result.sources.map((s) => [s.name, s]));
    expect(by.get('aws-prod')).toMatchObject({ status: 'complete', accounts: 1 + 4 + 2 });
    expect(by.get('aws-dev')).toMatchObject({ status: 'complete', accounts: 1 });
    expect(by.get('aws-sandbox')!.status).toBe('failed');
    expect(by.get('aws-sandbox')!.error).toMatch(
      /^cannot assume arn:aws:iam::999999999999:role\/zombiescan-audit .*sts:AssumeRole/,
    );

    const runs = listRuns(h.db);
    expect(Object.keys(runs[0]!.sources).sort()).toEqual(['aws-dev', 'aws-prod', 'aws-sandbox', 'okta']);
    expect(runs[0]!.sources['aws-sandbox']!.status).toBe('failed');

    const findings = h
      .findings(`source LIKE 'aws-%'`)
      .map((f) => `${f.rule} ${f.source} ${f.account_id} ${f.severity}`);
    expect(findings.sort()).toEqual(
      [
        // Root: keys and a recent password; never matched to a person, never an unowned service account.
        `root-credentials-in-use aws-prod ${PROD} high`,
        // Bob left: his admin IAM user (critical already), his Identity Center user, his dev-account user.
        'terminated-still-active aws-prod AIDA00000000000000002 critical',
        'terminated-still-active aws-prod ic-bob critical',
        'terminated-still-active aws-dev AIDA00000000000000011 critical',
        'orphan-account aws-prod AIDA00000000000000003 high',
        'unowned-service-account aws-prod AIDA00000000000000004 medium',
      ].sort(),
    );
    const match = h.db
      .prepare(`SELECT match_method, person_id FROM accounts WHERE source = 'aws-prod' AND id = ?`)
      .get(PROD) as { match_method: string; person_id: string | null } | undefined;
    expect(match).toMatchObject({ match_method: 'none', person_id: null });
  }, 60_000);

  it('offboard disables the leaver’s IAM users and verifies; Identity Center becomes a ticket', async () => {
    const { h, target } = await awsCompany();
    await h.scan({
      createCollector: (source) =>
        source.type === 'aws' ? createCollector(source, { retryPolicy: { baseDelayMs: 5 } }) : h.collector(source.name),
    });
    const remediators = Object.fromEntries(
      h.config.sources.filter((s) => s.type === 'aws').map((s) => [s.name, createRemediator(s)]),
    );
    const { report } = await runOffboard(
      h.db,
      h.config,
      { person: 'E2', apply: true, reason: 'INC-1 leaver' },
      engineDeps(remediators, {}, () => new Date()),
    );
    const iamProd = report.accounts.find((a) => a.source === 'aws-prod' && a.accountId === 'AIDA00000000000000002')!;
    expect(iamProd).toMatchObject({ before: { enabled: true }, after: { enabled: false }, verified: true });
    const disable = iamProd.actions.find((a) => a.action === 'disable')!;
    expect(disable.status).toBe('applied');
    // Offboard also revokes Bob's keys as credentials, concurrently: whichever deactivates a key warns that STS
    // sessions issued from it live on.
    const keyReasons = [
      disable.reason,
      ...(report.credentials ?? []).filter((c) => c.source === 'aws-prod').map((c) => c.action.reason),
    ];
    expect(keyReasons.some((reason) => /not revoked by deactivating (it|them)/.test(reason))).toBe(true);
    expect((report.credentials ?? []).filter((c) => c.source === 'aws-prod').every((c) => c.verified)).toBe(true);
    const dev = report.accounts.find((a) => a.source === 'aws-dev')!;
    expect(dev).toMatchObject({ verified: true, after: { enabled: false } });
    // Identity Center: no API to disable; a ticket stands in (refused here: no tickets configured).
    const center = report.accounts.find((a) => a.accountId === 'ic-bob')!;
    expect(center.verified).toBe(false);
    expect(center.actions[0]).toMatchObject({ action: 'ticket' });
    expect(report.complete).toBe(false);

    const bob = target.user(PROD, 'bob')!;
    expect(bob.password).toBeNull();
    expect(bob.accessKeys![0]!.status).toBe('Inactive');
    expect(bob.sshKeys![0]!.status).toBe('Inactive');
    expect(target.user(DEV, 'bob@acme.com')!.accessKeys![0]!.status).toBe('Inactive');
    // Alice untouched, and the root never part of anyone's offboarding.
    expect(target.user(PROD, 'alice')!.password).not.toBeNull();
    expect(report.accounts.some((a) => a.accountId === PROD)).toBe(false);
    expect(verifyJournal(h.db).ok).toBe(true);
  }, 60_000);
});
