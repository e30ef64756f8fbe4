import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAwsCollector } from '../../collectors/aws/index.js';
import { parseCredentialReport, reportFlag } from '../../collectors/aws/transform.js';
import type { AwsSourceConfig } from '../../src/config/config.js';
import type { CollectContext } from '../../src/contract/collector.js';
import { SourceError } from '../../src/contract/errors.js';
import type { Account } from '../../src/contract/model.js';
import { silentLogger } from '../../src/common/logger.js';
import { parseConfig } from '../../src/config/config.js';
import {
  credentialReportCsv,
  FAKE_ACCESS_KEY_ID,
  FAKE_SECRET_ACCESS_KEY,
  fakeIamUser,
  startFakeAws,
  type FakeAws,
  type FakeAwsOptions,
  syntheticAwsAccount,
  syntheticIdentityCenterUsers,
} from '../fakes/aws.js';

const NOW = Date.now();
const DAY = 86_400_000;
const ago = (days: number) => new Date(NOW - days * DAY).toISOString();
const ACCOUNT = '111122223333';
const OTHER_ACCOUNT = '444455556666';
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

async function start(options: Partial<FakeAwsOptions> = {}): Promise<FakeAws> {
  fake = await startFakeAws({ accounts: [syntheticAwsAccount(12)], ...options });
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
  it('keeps at most `concurrency` IAM calls in flight', async () => {
    const target = await start({ accounts: [syntheticAwsAccount(30)], latencyMs: 15 });
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
    const account = { ...syntheticAwsAccount(3), denied: ['iam:ListSSHPublicKeys'] };
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
    const other = { ...syntheticAwsAccount(4), accountId: OTHER_ACCOUNT, root: undefined };
    const roleArn = `arn:aws:iam::${OTHER_ACCOUNT}:role/zombiescan-audit`;
    const target = await start({
      accounts: [syntheticAwsAccount(2), other],
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
    const target = await start({ accounts: [syntheticAwsAccount(3)] });
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

  it('a user deleted while the scan reads it is left out, not a failure', async () => {
    const target = await start({
      accounts: [syntheticAwsAccount(3)],
      beforeAction: (action, form, state) => {
        if (action === 'iam:ListUserTags' && form.get('UserName') === 'user1') {
          const account = state.accounts.get(ACCOUNT)!;
          account.users = account.users.filter((user) => user.userName !== 'user1');
        }
      },
    });
    const accounts = await collect(configFor(target));
    expect(accounts.map((a) => a.login)).toEqual(['<root_account>', 'user0', 'user2']);
  });

  it('doctor: identity, each IAM action, report permission, identity store', async () => {
    const account = { ...syntheticAwsAccount(2), denied: ['iam:ListServiceSpecificCredentials'] };
    const target = await start({
      accounts: [account],
      identityStores: [{ id: STORE, users: syntheticIdentityCenterUsers(3) }],
    });
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
    expect(by.get('iam:GetAccessKeyLastUsed')).toMatchObject({
      ok: true,
      detail: 'allowed (tried on AKIA000000000000K1)',
    });

    const missing = await createAwsCollector(configFor(target, { identityStoreId: 'd-0000000000' })).doctor(context());
    expect(missing.find((c) => c.check === 'identity store')).toMatchObject({ ok: false });
  });

  it('doctor without credentials, and with a role it cannot assume', async () => {
    const target = await start({ roles: [] });
    const roleChecks = await createAwsCollector(
      configFor(target, { assumeRoleArn: 'arn:aws:iam::444455556666:role/zombiescan-audit' }),
    ).doctor(context());
    expect(roleChecks.find((c) => c.check === 'authenticated')).toMatchObject({ ok: false });
    expect(roleChecks.find((c) => c.check === 'authenticated')!.detail).toContain('needs sts:AssumeRole');

    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    const checks = await createAwsCollector(configFor(target)).doctor(context());
    expect(checks.map((c) => [c.check, c.ok])).toEqual([
      ['reachable', false],
      ['authenticated', false],
    ]);
    expect(checks[1]!.detail).toMatch(/^no AWS credentials/);
  });

  it('an unknown identity store fails the source with the fix', async () => {
    const target = await start({ identityStores: [{ id: STORE, users: [] }] });
    const error = await failure(collect(configFor(target, { identityStoreId: 'd-9999999999' })));
    expect(error.message).toContain('identity store d-9999999999 not found');
  });
});

describe('credential report parsing', () => {
  it('reads the fake report as IAM writes it, booleans in either case', () => {
    const rows = parseCredentialReport(credentialReportCsv(syntheticAwsAccount(3)));
    expect(rows.map((r) => r.user)).toEqual(['<root_account>', 'user0', 'user1', 'user2']);
    expect(rows[0]!.password_enabled).toBe('not_supported');
    expect(reportFlag('TRUE')).toBe(true);
    expect(reportFlag('false')).toBe(false);
    expect(() => parseCredentialReport('user,arn\nbob,arn:x\n')).toThrow(/lacks column/);
  });

  it('keeps a user name with a comma whole', () => {
    const account = { ...syntheticAwsAccount(1), users: [fakeIamUser(1, { userName: 'ops,team' })] };
    const rows = parseCredentialReport(credentialReportCsv(account));
    expect(rows[1]!.user).toBe('ops,team');
  });
});

describe('aws config', () => {
  const yaml = (source: string) => `roster: { path: ./hr.csv }\nsources:\n  - ${source}\n`;
  it('defaults the tags, region and limits', () => {
    const config = parseConfig(yaml('{ name: aws-prod, type: aws }'), '/tmp/zombiescan.yaml', {});
    expect(config.sources[0]).toMatchObject({
      type: 'aws',
      region: 'us-east-1',
      emailTag: 'email',
      employeeIdTag: 'employee_id',
      typeTag: 'type',
      concurrency: 4,
      maxAttempts: 8,
      timeoutSeconds: 300,
    });
  });

  it('refuses keys in the config and a malformed role ARN, naming the line', () => {
    expect(() =>
      parseConfig(yaml('{ name: aws-prod, type: aws, accessKeyId: AKIAXXXX }'), '/tmp/zombiescan.yaml', {}),
    ).toThrow(/zombiescan\.yaml:3.*unknown setting accessKeyId/);
    expect(() =>
      parseConfig(yaml('{ name: aws-prod, type: aws, assumeRoleArn: "zombiescan-audit" }'), '/tmp/zombiescan.yaml', {}),
    ).toThrow(/zombiescan\.yaml:3.*a role ARN such as/);
  });
});
