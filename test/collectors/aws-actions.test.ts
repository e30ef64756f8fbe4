import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { awsUnsupportedReason, createAwsRemediator } from '../../collectors/aws/actions.js';
import type { AwsSourceConfig } from '../../src/config/config.js';
import type { AccountRef } from '../../src/contract/action.js';
import { SourceError } from '../../src/contract/errors.js';
import { fakeIamUser, startFakeAws, type FakeAws, type FakeAwsAccount } from '../fakes/aws.js';

const ACCOUNT = '111122223333';
const STORE = 'd-1234567890';
const signal = () => new AbortController().signal;
const iso = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();

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

function bobsAccount(denied: string[] = []): FakeAwsAccount {
  return {
    accountId: ACCOUNT,
    denied,
    users: [
      fakeIamUser(1, {
        userName: 'bob',
        password: { created: iso(300), lastUsed: iso(2) },
        accessKeys: [
          { id: 'AKIABOB1', status: 'Active', created: iso(200), lastUsed: iso(1) },
          { id: 'AKIABOB2', status: 'Inactive', created: iso(400) },
        ],
        sshKeys: [{ id: 'APKABOB1', status: 'Active' }],
        serviceCredentials: [{ id: 'ACCABOB1', status: 'Active', service: 'bedrock.amazonaws.com' }],
      }),
      fakeIamUser(2, { userName: 'carol', accessKeys: [{ id: 'AKIACAROL', status: 'Inactive', created: iso(50) }] }),
    ],
  };
}

async function start(account = bobsAccount()): Promise<FakeAws> {
  fake = await startFakeAws({
    accounts: [account],
    identityStores: [
      {
        id: STORE,
        users: [
          { UserId: 'ic-user-1', UserName: 'bob@acme.com', UserStatus: 'ENABLED' },
          { UserId: 'ic-user-2', UserName: 'carol@acme.com', UserStatus: 'DISABLED' },
        ],
      },
    ],
  });
  Object.assign(process.env, fake.env);
  return fake;
}

function remediator(target: FakeAws) {
  const config: AwsSourceConfig = {
    name: 'aws-prod',
    type: 'aws',
    role: 'app',
    timeoutSeconds: 30,
    region: 'us-east-1',
    endpoint: target.endpoint,
    emailTag: 'email',
    employeeIdTag: 'employee_id',
    typeTag: 'type',
    identityStoreId: STORE,
    concurrency: 4,
    maxAttempts: 3,
  };
  return createAwsRemediator(config);
}

const ref = (id: string, login: string): AccountRef => ({
  source: 'aws-prod',
  id,
  login,
  email: null,
  displayName: login,
  attributes: {},
});
const BOB = ref('AIDA00000000000000001', 'bob');

describe('aws remediation', () => {
  it('disable: deletes the console password, deactivates every key and credential, verifies, warns about STS sessions', async () => {
    const target = await start();
    const aws = remediator(target);
    const before = await aws.read(BOB, signal());
    expect(before).toEqual({
      found: true,
      enabled: true,
      rawStatus: 'console password, 1 active access key, 1 active SSH key, 1 active service-specific credential',
    });
    expect(aws.alreadyDone('disable', before)).toBe(false);

    const outcome = await aws.perform('disable', BOB, before, signal());
    expect(outcome.status).toBe('applied');
    expect(outcome.reason).toContain('deleted the console password (DeleteLoginProfile)');
    expect(outcome.reason).toContain('set access key AKIABOB1 Inactive');
    expect(outcome.reason).toContain('1 SSH key Inactive');
    expect(outcome.reason).toContain('(bedrock.amazonaws.com) Inactive');
    expect(outcome.reason).toContain('verified by re-reading bob');
    expect(outcome.reason).toContain('not revoked by deactivating them');

    const bob = target.user(ACCOUNT, 'bob')!;
    expect(bob.password).toBeNull();
    expect(bob.accessKeys!.map((k) => k.status)).toEqual(['Inactive', 'Inactive']);
    expect(bob.sshKeys![0]!.status).toBe('Inactive');
    expect(bob.serviceCredentials![0]!.status).toBe('Inactive');
    // Only the active key was touched; nothing was deleted.
    const writes = target.state.requests.filter((r) => /Update|Delete/.test(r.action)).map((r) => r.action);
    expect(writes).toEqual([
      'iam:DeleteLoginProfile',
      'iam:UpdateAccessKey',
      'iam:UpdateSSHPublicKey',
      'iam:UpdateServiceSpecificCredential',
    ]);

    const after = await aws.read(BOB, signal());
    expect(after).toEqual({ found: true, enabled: false, rawStatus: 'no active credentials' });
    expect(aws.alreadyDone('disable', after)).toBe(true);
  });

  it('a user with nothing active is already done; a deleted user is not found', async () => {
    const target = await start();
    const aws = remediator(target);
    const carol = await aws.read(ref('AIDA00000000000000002', 'carol'), signal());
    expect(carol).toMatchObject({ found: true, enabled: false });
    expect(aws.alreadyDone('disable', carol)).toBe(true);
    const gone = await aws.read(ref('AIDA00000000000000009', 'dave'), signal());
    expect(gone.found).toBe(false);
    expect(aws.alreadyDone('disable', gone)).toBe(true);
  });

  it('never touches a different user who took the name since the scan', async () => {
    const target = await start();
    const aws = remediator(target);
    const error = await aws.read(ref('AIDA00000000000000077', 'bob'), signal()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as Error).message).toContain('IAM user bob now has id AIDA00000000000000001');
    const outcome = await aws
      .perform(
        'disable',
        ref('AIDA00000000000000077', 'bob'),
        { found: true, enabled: true, rawStatus: null },
        signal(),
      )
      .catch((caught: unknown) => caught);
    expect(outcome).toBeInstanceOf(SourceError);
    expect(target.user(ACCOUNT, 'bob')!.password).not.toBeNull();
  });

  it('a missing write permission fails the action, naming it and what was already done', async () => {
    const target = await start(bobsAccount(['iam:UpdateAccessKey']));
    const aws = remediator(target);
    const outcome = await aws.perform('disable', BOB, await aws.read(BOB, signal()), signal());
    expect(outcome.status).toBe('failed');
    expect(outcome.reason).toMatch(/^permission denied for iam:UpdateAccessKey .*grant iam:UpdateAccessKey/);
    expect(outcome.reason).toContain('after it deleted the console password');
  });

  it('Identity Center users and the root user become tickets with the reason', async () => {
    const target = await start();
    const aws = remediator(target);
    expect(aws.unsupportedReason('disable', 'ic-user-1')).toMatch(
      /Identity Center has no API to disable a user: disable in the IdP/,
    );
    expect(aws.unsupportedReason('disable', ACCOUNT)).toMatch(/root user cannot be managed through IAM/);
    expect(aws.unsupportedReason('disable', BOB.id)).toBeNull();
    expect(awsUnsupportedReason('revoke-sessions', BOB.id)).toMatch(/STS credentials live until they expire/);
    expect(aws.unsupportedReason('remove-licenses')).toMatch(/no per-user licences/);
    expect(await aws.read(ref('ic-user-1', 'bob@acme.com'), signal())).toEqual({
      found: true,
      enabled: true,
      rawStatus: 'ENABLED',
    });
    expect(await aws.read(ref('ic-user-2', 'carol@acme.com'), signal())).toMatchObject({ enabled: false });
    expect((await aws.read(ref('ic-user-9', 'x'), signal())).found).toBe(false);
    const refused = await aws.perform(
      'disable',
      ref('ic-user-1', 'bob@acme.com'),
      { found: true, enabled: true, rawStatus: 'ENABLED' },
      signal(),
    );
    expect(refused).toMatchObject({ status: 'failed' });
    expect(target.state.requests.filter((r) => r.action.startsWith('iam:'))).toHaveLength(0);
  });
});
