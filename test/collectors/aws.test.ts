import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAwsCollector } from '../../collectors/aws/index.js';
import { parseCredentialReport, reportFlag } from '../../collectors/aws/transform.js';
import type { AwsSourceConfig } from '../../src/config/config.js';
import type { CollectContext } from '../../src/contract/collector.js';
import { SourceError } from '../../src/contract/errors.js';
import type { Account } from '../../src/contract/model.js';
import { silentLogger } from '../../src/common/logger.js';
import {
  credentialReportCsv,
  FAKE_ACCESS_KEY_ID,
  FAKE_SECRET_ACCESS_KEY,
  fakeIamUser,
  startFakeAws,
  type FakeAws,
  type FakeAwsAccount,
  type FakeAwsOptions,
  type FakeIamUser,
  type FakeIdentityCenterUser,
} from '../fakes/aws.js';

const NOW = Date.now();
const DAY = 86_400_000;
const ago = (days: number) => new Date(NOW - days * DAY).toISOString();
const ACCOUNT = '111122223333';
const OTHER_ACCOUNT = '444455556666';
const STORE = 'd-1234567890';
const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const CUSTOM_ALL = `arn:aws:iam::${ACCOUNT}:policy/EverythingEverywhere`;
const READ_ONLY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const ALLOW_ALL = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

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

/**
 * User i's credentials by i % 6: 0 active key used 5 days ago + password used 3 days ago; 1 active key never used;
 * 2 inactive key only; 3 rotated (old key inactive, new one used yesterday); 4 password never used; 5 nothing, but
 * every other one has an active CodeCommit SSH key. Admins through a group, a customer policy and an inline policy.
 */
export function largeAccount(users: number): FakeAwsAccount {
  const list: FakeIamUser[] = [];
  for (let i = 0; i < users; i++) {
    const key = (n: number, status: 'Active' | 'Inactive', created: string, lastUsed: string | null = null) => ({
      id: `AKIA${String(i).padStart(12, '0')}K${n}`,
      status,
      created,
      lastUsed,
    });
    const user: FakeIamUser = fakeIamUser(i, {
      created: ago(500),
      tags: { email: `user${i}@acme.com`, employee_id: `E${i}`, ...(i % 50 === 7 ? { type: 'service' } : {}) },
      groups: i % 100 === 0 ? ['Admins', 'Developers'] : ['Developers'],
      ...(i % 250 === 1 ? { attachedPolicies: [CUSTOM_ALL] } : { attachedPolicies: [READ_ONLY] }),
      ...(i % 333 === 2 ? { inlinePolicies: { breakglass: ALLOW_ALL } } : {}),
    });
    switch (i % 6) {
      case 0:
        user.accessKeys = [key(1, 'Active', ago(100), ago(5))];
        user.password = { created: ago(400), lastUsed: ago(3) };
        break;
      case 1:
        user.accessKeys = [key(1, 'Active', ago(200))];
        break;
      case 2:
        user.accessKeys = [key(1, 'Inactive', ago(300), ago(250))];
        break;
      case 3:
        user.accessKeys = [key(1, 'Inactive', ago(400), ago(300)), key(2, 'Active', ago(20), ago(1))];
        break;
      case 4:
        user.password = { created: ago(100), lastUsed: null };
        break;
      case 5:
        if (i % 12 === 5) user.sshKeys = [{ id: `APKA${String(i).padStart(12, '0')}`, status: 'Active' }];
        break;
    }
    list.push(user);
  }
  return {
    accountId: ACCOUNT,
    users: list,
    groups: [
      { name: 'Admins', attachedPolicies: [ADMIN] },
      { name: 'Developers', attachedPolicies: [READ_ONLY] },
    ],
    managedPolicies: { [CUSTOM_ALL]: ALLOW_ALL },
    root: {
      created: ago(2000),
      passwordLastUsed: ago(10),
      accessKeys: [{ active: true, lastRotated: ago(900), lastUsed: ago(2) }],
    },
  };
}

export function identityCenterUsers(count: number): FakeIdentityCenterUser[] {
  return Array.from({ length: count }, (_, i) => ({
    UserId: `9067${String(i).padStart(6, '0')}-a1b2-c3d4-e5f6-0123456789ab`,
    UserName: `person${i}@acme.com`,
    DisplayName: `Person ${i}`,
    Emails: [{ Value: `person${i}@acme.com`, Type: 'work', Primary: true }],
    ExternalIds: [{ Issuer: 'https://acme.okta.com', Id: `00u${i}` }],
    // Every 10th disabled; every 7th answered without UserStatus, as older stores do.
    ...(i % 7 === 3 ? {} : { UserStatus: i % 10 === 0 ? 'DISABLED' : 'ENABLED' }),
    CreatedAt: Math.floor((NOW - 100 * DAY) / 1000),
  }));
}

async function start(options: Partial<FakeAwsOptions> = {}): Promise<FakeAws> {
  fake = await startFakeAws({ accounts: [largeAccount(12)], ...options });
  Object.assign(process.env, fake.env);
  return fake;
}

function configFor(target: FakeAws, overrides: Partial<AwsSourceConfig> = {}): AwsSourceConfig {
  return {
    name: 'aws-prod',
    type: 'aws',
    role: 'app',
    timeoutSeconds: 60,
    region: 'us-east-1',
    endpoint: target.endpoint,
    emailTag: 'email',
    employeeIdTag: 'employee_id',
    typeTag: 'type',
    concurrency: 4,
    maxAttempts: 4,
    ...overrides,
  };
}

function context(signal = new AbortController().signal): CollectContext & { notices: string[] } {
  const notices: string[] = [];
  return { signal, log: silentLogger, notice: (message) => notices.push(message), now: new Date(NOW), notices };
}

async function collect(config: AwsSourceConfig, ctx = context()): Promise<Account[]> {
  const all: Account[] = [];
  for await (const page of createAwsCollector(config, { retryPolicy: { baseDelayMs: 5 } }).collect(ctx))
    all.push(...page);
  return all;
}

async function failure(promise: Promise<unknown>): Promise<SourceError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(SourceError);
  return error as SourceError;
}

describe('aws collector', () => {
  it('collects 2,000 IAM users (keys in every state), the root row and 5,000 Identity Center users', async () => {
    const target = await start({
      accounts: [largeAccount(2000)],
      identityStores: [{ id: STORE, users: identityCenterUsers(5000) }],
      reportPolls: 2,
    });
    const ctx = context();
    const started = Date.now();
    const accounts = await collect(configFor(target, { identityStoreId: STORE, concurrency: 6 }), ctx);
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `aws: ${accounts.length} accounts in ${seconds.toFixed(1)}s, ${target.state.requests.length} requests, max ${target.state.maxInFlight} in flight`,
    );

    expect(accounts).toHaveLength(1 + 2000 + 5000);
    expect(new Set(accounts.map((a) => a.id)).size).toBe(accounts.length);
    const byLogin = new Map(accounts.map((a) => [a.login, a]));

    const root = accounts[0]!;
    expect(root).toMatchObject({ id: ACCOUNT, login: '<root_account>', type: 'service', enabled: true, email: null });
    expect(root.attributes).toMatchObject({ cloudRoot: true, awsAccountId: ACCOUNT, mfaActive: false });

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
    expect(byLogin.get('user0')!.attributes.adminPolicies).toEqual([`group Admins: ${ADMIN}`]);
    // 1: active key never used: enabled, activity known, never.
    expect(byLogin.get('user1')).toMatchObject({
      enabled: true,
      lastActivityAt: null,
      activityKnown: true,
      privileged: true,
    });
    expect(byLogin.get('user1')!.attributes.adminPolicies).toEqual([CUSTOM_ALL]);
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
      email: 'person0@acme.com',
      enabled: false,
      rawStatus: 'DISABLED',
      activityKnown: false,
    });
    expect(center[1]).toMatchObject({ enabled: true, rawStatus: 'ENABLED' });
    expect(center[3]).toMatchObject({ enabled: true, rawStatus: 'ENABLED (no UserStatus in the answer)' });
    expect(ctx.notices.join('\n')).toContain('Identity Center has no sign-in data');

    // Paging, polling and the concurrency bound, as the service saw them.
    const calls = (action: string) => target.state.requests.filter((r) => r.action === action).length;
    expect(calls('iam:ListUsers')).toBe(20);
    expect(calls('identitystore:ListUsers')).toBe(50);
    // STARTED, INPROGRESS, COMPLETE.
    expect(calls('iam:GenerateCredentialReport')).toBe(3);
    expect(calls('iam:ListUserTags')).toBe(2000);
    // Group policies are read once per group, not per member.
    expect(calls('iam:ListAttachedGroupPolicies')).toBe(2);
  }, 400_000);

  it('keeps at most `concurrency` IAM calls in flight', async () => {
    const target = await start({ accounts: [largeAccount(30)], latencyMs: 15 });
    await collect(configFor(target, { concurrency: 3 }));
    expect(target.state.maxInFlight).toBe(3);
  });

  it('polls a report that is not ready, and generates again when it has expired', async () => {
    const target = await start({ reportPolls: 4 });
    const accounts = await collect(configFor(target));
    expect(accounts).toHaveLength(13);
    const generates = target.state.requests.filter((r) => r.action === 'iam:GenerateCredentialReport');
    // Four answers short of COMPLETE, then COMPLETE.
    expect(generates).toHaveLength(5);

    target.expireReport(ACCOUNT);
    target.state.requests.length = 0;
    await collect(configFor(target));
    const codes = target.state.requests
      .filter((r) => r.action.includes('CredentialReport'))
      .map((r) => r.code ?? r.action);
    expect(codes[0]).toBe('iam:GenerateCredentialReport');
    expect(
      target.state.requests.filter((r) => r.action === 'iam:GenerateCredentialReport').length,
    ).toBeGreaterThanOrEqual(2);
  });

  it('a report that never completes fails the source with the timeout and what to do', async () => {
    const target = await start({ reportNeverCompletes: true });
    const error = await failure(collect(configFor(target, { timeoutSeconds: 1 }), context(AbortSignal.timeout(400))));
    expect(error.kind).toBe('timeout');
    expect(error.message).toMatch(
      /^aws-prod: the IAM credential report was not COMPLETE within 1s \(last state: INPROGRESS\)/,
    );
    expect(error.message).toContain('raise timeoutSeconds');
  });

  it('rides out throttling and server errors with the SDK retry', async () => {
    const target = await start({
      failures: [
        { action: 'iam:ListUserTags', code: 'Throttling', times: 3 },
        { action: 'iam:ListUsers', code: 'ServiceFailure', times: 1 },
      ],
    });
    const accounts = await collect(configFor(target));
    expect(accounts).toHaveLength(13);
    expect(target.state.requests.filter((r) => r.code === 'Throttling')).toHaveLength(3);
  });

  it('throttling that never ends fails the source, naming the action', async () => {
    const target = await start({ failures: [{ action: 'iam:ListUserTags', code: 'Throttling', times: 1000 }] });
    const error = await failure(collect(configFor(target, { maxAttempts: 2 })));
    expect(error.kind).toBe('rate-limit');
    expect(error.message).toContain('iam:ListUserTags still throttled');
  });

  it('a missing permission names the source and the IAM action to grant', async () => {
    const account = { ...largeAccount(3), denied: ['iam:ListSSHPublicKeys'] };
    const target = await start({ accounts: [account] });
    const error = await failure(collect(configFor(target)));
    expect(error.kind).toBe('auth');
    expect(error.message).toMatch(
      /^aws-prod: permission denied for iam:ListSSHPublicKeys .*grant iam:ListSSHPublicKeys/,
    );
  });

  it('no credentials in the chain: a clear error, no IMDS wait', async () => {
    const target = await start();
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    const started = Date.now();
    const error = await failure(collect(configFor(target)));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(error.kind).toBe('auth');
    expect(error.message).toMatch(/^aws-prod: no AWS credentials from the default AWS credential chain/);
    expect(error.message).toContain('aws sso login');
    expect(target.state.requests).toHaveLength(0);
  });

  it('an expired session: says to refresh it', async () => {
    const target = await start({
      credentials: [
        { accessKeyId: FAKE_ACCESS_KEY_ID, secretAccessKey: FAKE_SECRET_ACCESS_KEY, accountId: ACCOUNT, expired: true },
      ],
    });
    const error = await failure(collect(configFor(target)));
    expect(error.message).toMatch(/^aws-prod: the AWS session has expired \(ExpiredToken/);
    expect(error.message).toContain('refresh it');
  });

  it('a wrong secret is refused by the signature check', async () => {
    const target = await start();
    process.env.AWS_SECRET_ACCESS_KEY = 'not-the-secret';
    const error = await failure(collect(configFor(target)));
    expect(error.message).toMatch(/AWS rejected the credentials \(SignatureDoesNotMatch/);
    target.state.signatureErrors.length = 0;
  });

  it('assumes a role per account; a role that cannot be assumed says why', async () => {
    const other = { ...largeAccount(4), accountId: OTHER_ACCOUNT, root: undefined };
    const roleArn = `arn:aws:iam::${OTHER_ACCOUNT}:role/zombiescan-audit`;
    const target = await start({
      accounts: [largeAccount(2), other],
      roles: [{ arn: roleArn, trusted: [FAKE_ACCESS_KEY_ID] }],
    });
    const ctx = context();
    const accounts = await collect(configFor(target, { name: 'aws-other', assumeRoleArn: roleArn }), ctx);
    expect(accounts.map((a) => a.login)).toEqual(['user0', 'user1', 'user2', 'user3']);
    expect(accounts[0]!.attributes.awsAccountId).toBe(OTHER_ACCOUNT);
    expect(ctx.notices.join()).toContain('no root row');
    // Every IAM call after AssumeRole was signed with the temporary keys.
    const iamCalls = target.state.requests.filter((r) => r.service === 'iam');
    expect(iamCalls.every((r) => r.accessKeyId?.startsWith('ASIA'))).toBe(true);

    const error = await failure(
      collect(configFor(target, { assumeRoleArn: `arn:aws:iam::${OTHER_ACCOUNT}:role/not-trusted` })),
    );
    expect(error.kind).toBe('auth');
    expect(error.message).toMatch(
      /^aws-prod: cannot assume arn:aws:iam::444455556666:role\/not-trusted \(AccessDenied: .*\): the caller needs sts:AssumeRole/,
    );
  });

  it('a user created after the report was generated is read directly', async () => {
    const target = await start({ accounts: [largeAccount(3)] });
    await collect(configFor(target));
    target.state.accounts.get(ACCOUNT)!.users.push(
      fakeIamUser(99, {
        password: { created: ago(1) },
        accessKeys: [{ id: 'AKIANEW', status: 'Active', created: ago(1) }],
      }),
    );
    const accounts = await collect(configFor(target));
    expect(accounts.find((a) => a.login === 'user99')).toMatchObject({
      enabled: true,
      rawStatus: 'console password, 1 active access key',
      activityKnown: false,
    });
  });

  it('doctor: identity, each IAM action, report permission, identity store', async () => {
    const account = { ...largeAccount(2), denied: ['iam:ListServiceSpecificCredentials'] };
    const target = await start({ accounts: [account], identityStores: [{ id: STORE, users: identityCenterUsers(3) }] });
    const checks = await createAwsCollector(configFor(target, { identityStoreId: STORE })).doctor(context());
    const by = new Map(checks.map((c) => [c.check, c]));
    expect(by.get('authenticated')).toMatchObject({ ok: true });
    expect(by.get('authenticated')!.detail).toContain(`account ${ACCOUNT}`);
    expect(by.get('users readable')).toMatchObject({ ok: true });
    expect(by.get('credential report')).toMatchObject({ ok: true });
    expect(by.get('credential report readable')).toMatchObject({ ok: true });
    expect(by.get('iam:ListUserTags')).toMatchObject({ ok: true });
    expect(by.get('iam:ListServiceSpecificCredentials')).toMatchObject({ ok: false });
    expect(by.get('iam:ListServiceSpecificCredentials')!.detail).toContain(
      'permission denied for iam:ListServiceSpecificCredentials',
    );
    expect(by.get('identity store')).toMatchObject({ ok: true });

    const missing = await createAwsCollector(configFor(target, { identityStoreId: 'd-0000000000' })).doctor(context());
    expect(missing.find((c) => c.check === 'identity store')).toMatchObject({ ok: false });
  });

  it('an unknown identity store fails the source with the fix', async () => {
    const target = await start({ identityStores: [{ id: STORE, users: [] }] });
    const error = await failure(collect(configFor(target, { identityStoreId: 'd-9999999999' })));
    expect(error.message).toContain('identity store d-9999999999 not found');
  });
});

describe('credential report parsing', () => {
  it('reads the fake report as IAM writes it, booleans in either case', () => {
    const rows = parseCredentialReport(credentialReportCsv(largeAccount(3)));
    expect(rows.map((r) => r.user)).toEqual(['<root_account>', 'user0', 'user1', 'user2']);
    expect(rows[0]!.password_enabled).toBe('not_supported');
    expect(reportFlag('TRUE')).toBe(true);
    expect(reportFlag('false')).toBe(false);
    expect(() => parseCredentialReport('user,arn\nbob,arn:x\n')).toThrow(/lacks column/);
  });

  it('keeps a user name with a comma whole', () => {
    const account = { ...largeAccount(1), users: [fakeIamUser(1, { userName: 'ops,team' })] };
    const rows = parseCredentialReport(credentialReportCsv(account));
    expect(rows[1]!.user).toBe('ops,team');
  });
});
