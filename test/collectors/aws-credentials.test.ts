import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAwsRemediator } from '../../collectors/aws/actions.js';
import {
  accessKeyToCredential,
  iamCredentialType,
  sshKeyToCredential,
  type IamKeyOwner,
} from '../../collectors/aws/credentials-transform.js';
import { createAwsCollector } from '../../collectors/aws/lazy.js';
import type { AwsSourceConfig } from '../../src/config/config.js';
import type { CredentialRef } from '../../src/contract/action.js';
import type { CollectContext } from '../../src/contract/collector.js';
import type { Account, Credential } from '../../src/contract/model.js';
import { silentLogger } from '../../src/common/logger.js';
import { ADMINISTRATOR_ACCESS, fakeIamUser, startFakeAws, type FakeAws, type FakeAwsAccount } from '../fakes/aws.js';

const NOW = Date.now();
const DAY = 86_400_000;
const ago = (days: number) => new Date(NOW - days * DAY).toISOString();
const ACCOUNT = '111122223333';
const signal = () => new AbortController().signal;

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

const OWNER: IamKeyOwner = { userId: 'AIDA00000000000000001', userName: 'bob', privileged: false };

describe('IAM keys as credentials (pure mapping)', () => {
  const key = { id: 'AKIABOB1', status: 'Active', createdAt: '2026-01-10T08:00:00.000Z' };
  it.each([
    {
      name: 'an active key used: usage known, last use and service kept',
      input: { key, lastUse: { date: '2026-11-01T10:00:00.000Z', service: 's3', region: 'eu-west-1' } },
      expected: { enabled: true, usageKnown: true, lastUsedAt: '2026-11-01T10:00:00.000Z' },
      attributes: { lastUsedService: 's3', lastUsedRegion: 'eu-west-1' },
    },
    {
      name: 'an active key never used (N/A): usage known, never',
      input: { key, lastUse: { date: null, service: 'N/A', region: 'N/A' } },
      expected: { enabled: true, usageKnown: true, lastUsedAt: null },
      attributes: { lastUsedService: null, lastUsedRegion: null },
    },
    {
      name: 'N/A on a key older than IAM tracking (2015-04-22): unknown, not never',
      input: {
        key: { ...key, createdAt: '2014-06-01T00:00:00.000Z' },
        lastUse: { date: null, service: 'N/A', region: 'N/A' },
      },
      expected: { usageKnown: false, lastUsedAt: null },
      attributes: {},
    },
    {
      name: 'an inactive key, last use not read: disabled, usage unknown',
      input: { key: { ...key, status: 'Inactive' }, lastUse: null },
      expected: { enabled: false, usageKnown: false },
      attributes: { status: 'Inactive' },
    },
    {
      name: 'an Expired key cannot be used',
      input: { key: { ...key, status: 'Expired' }, lastUse: null },
      expected: { enabled: false },
      attributes: {},
    },
  ])('$name', ({ input, expected, attributes }) => {
    const credential = accessKeyToCredential(input.key, OWNER, input.lastUse, 'aws');
    expect(credential).toMatchObject({
      source: 'aws',
      id: input.key.id,
      kind: 'personal-token',
      accountId: OWNER.userId,
      ownerAccountIds: [],
      name: `access key ${input.key.id} of bob`,
      createdAt: input.key.createdAt,
      expiresAt: null,
      privileged: false,
      ...expected,
    });
    expect(credential.attributes).toMatchObject({ credentialType: 'access-key', userName: 'bob', ...attributes });
    expect(iamCredentialType(credential)).toBe('access-key');
  });

  it("a key of an administrator is privileged: it acts with the user's rights", () => {
    expect(accessKeyToCredential(key, { ...OWNER, privileged: true }, null, 'aws').privileged).toBe(true);
  });

  it.each([
    ['Active', true],
    ['Inactive', false],
  ])('an SSH key (%s): usage never known, IAM reports none', (status, enabled) => {
    const credential = sshKeyToCredential(
      { id: 'APKABOB1', status, uploadedAt: '2025-03-01T00:00:00.000Z' },
      OWNER,
      'aws',
    );
    expect(credential).toMatchObject({
      id: 'APKABOB1',
      kind: 'personal-token',
      accountId: OWNER.userId,
      name: 'SSH key APKABOB1 of bob',
      createdAt: '2025-03-01T00:00:00.000Z',
      lastUsedAt: null,
      usageKnown: false,
      enabled,
      attributes: { credentialType: 'ssh-key', userName: 'bob', status },
    });
    expect(iamCredentialType(credential)).toBe('ssh-key');
    // Stored before the attribute existed: the id's prefix tells.
    expect(iamCredentialType({ id: 'APKAOLD', attributes: {} })).toBe('ssh-key');
    expect(iamCredentialType({ id: 'AKIAOLD', attributes: {} })).toBe('access-key');
  });
});

function account(denied: string[] = []): FakeAwsAccount {
  return {
    accountId: ACCOUNT,
    denied,
    users: [
      fakeIamUser(1, {
        userName: 'bob',
        tags: { email: 'bob@acme.com' },
        password: { created: ago(300), lastUsed: ago(2) },
        accessKeys: [
          { id: 'AKIABOB1', status: 'Active', created: ago(200), lastUsed: ago(120), lastUsedService: 's3' },
          { id: 'AKIABOB2', status: 'Inactive', created: ago(400), lastUsed: ago(390) },
        ],
        sshKeys: [{ id: 'APKABOB1', status: 'Active', created: ago(100) }],
      }),
      fakeIamUser(2, {
        userName: 'root-ish',
        groups: ['Admins'],
        accessKeys: [{ id: 'AKIAADMIN', status: 'Active', created: ago(30) }],
      }),
      fakeIamUser(3, { userName: 'nokeys', password: { created: ago(10), lastUsed: ago(1) } }),
    ],
    groups: [{ name: 'Admins', attachedPolicies: [ADMINISTRATOR_ACCESS] }],
  };
}

function config(target: FakeAws): AwsSourceConfig {
  return {
    name: 'aws',
    type: 'aws',
    role: 'app',
    timeoutSeconds: 60,
    region: 'us-east-1',
    endpoint: target.endpoint,
    emailTag: 'email',
    employeeIdTag: 'employee_id',
    typeTag: 'type',
    concurrency: 4,
    maxAttempts: 2,
  };
}

async function start(fakeAccount: FakeAwsAccount): Promise<FakeAws> {
  fake = await startFakeAws({ accounts: [fakeAccount], reportPolls: 0 });
  Object.assign(process.env, fake.env);
  return fake;
}

function context(): CollectContext & { notices: string[] } {
  const notices: string[] = [];
  return { signal: signal(), log: silentLogger, notice: (m) => notices.push(m), now: new Date(NOW), notices };
}

/** One scan's two phases through the registry's entry point (the lazy loader must keep one collector). */
async function scan(target: FakeAws) {
  const collector = createAwsCollector(config(target), { retryPolicy: { baseDelayMs: 5 } });
  const ctx = context();
  const accounts: Account[] = [];
  for await (const page of collector.collect(ctx)) accounts.push(...page);
  const credentials: Credential[] = [];
  for await (const page of collector.collectCredentials!(ctx, new Set())) credentials.push(...page);
  return { accounts, credentials, notices: ctx.notices };
}

describe('AWS credential collection against the fake', () => {
  it('lists every access key and SSH key with its owner; last use read for active keys only', async () => {
    const target = await start(account());
    const { accounts, credentials, notices } = await scan(target);
    const bob = accounts.find((a) => a.login === 'bob')!;
    const admin = accounts.find((a) => a.login === 'root-ish')!;
    const byId = new Map(credentials.map((c) => [c.id, c]));
    expect([...byId.keys()].sort()).toEqual(['AKIAADMIN', 'AKIABOB1', 'AKIABOB2', 'APKABOB1']);
    expect(byId.get('AKIABOB1')).toMatchObject({
      accountId: bob.id,
      enabled: true,
      usageKnown: true,
      lastUsedAt: ago(120),
      createdAt: ago(200),
      privileged: false,
      attributes: { lastUsedService: 's3' },
    });
    expect(byId.get('AKIABOB2')).toMatchObject({ accountId: bob.id, enabled: false, usageKnown: false });
    expect(byId.get('AKIAADMIN')).toMatchObject({
      accountId: admin.id,
      usageKnown: true,
      lastUsedAt: null,
      privileged: true,
    });
    expect(byId.get('APKABOB1')).toMatchObject({ accountId: bob.id, usageKnown: false, createdAt: ago(100) });
    expect(notices.filter((n) => /access key/i.test(n))).toEqual([]);

    const calls = (action: string) => target.state.requests.filter((r) => r.action === action).length;
    // One list per IAM user, one last-use lookup per active key, SSH keys from the account phase's own list.
    expect(calls('iam:ListAccessKeys')).toBe(3);
    expect(calls('iam:GetAccessKeyLastUsed')).toBe(2);
    expect(calls('iam:ListSSHPublicKeys')).toBe(3);
  });

  it('ListAccessKeys denied: accounts complete, access keys said once to be unknown, SSH keys still listed', async () => {
    const target = await start(account(['iam:ListAccessKeys']));
    const { accounts, credentials, notices } = await scan(target);
    expect(accounts).toHaveLength(3);
    expect(credentials.map((c) => c.id)).toEqual(['APKABOB1']);
    const said = notices.filter((n) => n.includes('access keys unreadable'));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/permission denied for iam:ListAccessKeys.*unknown, not none/);
    expect(target.state.requests.filter((r) => r.code === 'AccessDenied').length).toBe(3);
  });

  it('GetAccessKeyLastUsed denied: keys listed with usage unknown, said once, asked once', async () => {
    const target = await start(account(['iam:GetAccessKeyLastUsed']));
    const { credentials, notices } = await scan(target);
    const keys = credentials.filter((c) => c.id.startsWith('AKIA'));
    expect(keys).toHaveLength(3);
    expect(keys.every((c) => !c.usageKnown)).toBe(true);
    expect(notices.filter((n) => n.includes('last use unreadable'))).toHaveLength(1);
    // Both active keys are asked in one batch; nothing is asked after the refusal.
    expect(target.state.requests.filter((r) => r.action === 'iam:GetAccessKeyLastUsed').length).toBeLessThanOrEqual(2);
  });

  it('credentials before accounts is refused, not "none"', async () => {
    const target = await start(account());
    const collector = createAwsCollector(config(target), {});
    const read = async () => {
      for await (const page of collector.collectCredentials!(context(), new Set())) void page;
    };
    await expect(read()).rejects.toThrow(/after the accounts of the same scan/);
  });
});

describe('revoking IAM keys against the fake', () => {
  const ref = (credential: Credential): CredentialRef => ({
    source: credential.source,
    id: credential.id,
    kind: credential.kind,
    name: credential.name,
    accountId: credential.accountId,
    attributes: credential.attributes,
  });

  it('access key: UpdateAccessKey Inactive, read back; SSH key: UpdateSSHPublicKey Inactive, read back', async () => {
    const target = await start(account());
    const { credentials } = await scan(target);
    const remediator = createAwsRemediator(config(target));
    const hook = remediator.credentials!;
    expect(hook.unsupportedKind('personal-token')).toBeNull();
    expect(hook.unsupportedKind('oauth-grant')).toMatch(/no oauth-grant/);

    const key = ref(credentials.find((c) => c.id === 'AKIABOB1')!);
    expect(await hook.readCredential(key, signal())).toEqual({ found: true, enabled: true });
    const revoked = await hook.revokeCredential(key, signal());
    expect(revoked.status).toBe('applied');
    expect(revoked.reason).toMatch(/set access key AKIABOB1 of bob Inactive \(iam:UpdateAccessKey\); sessions/);
    expect(await hook.readCredential(key, signal())).toEqual({ found: true, enabled: false });
    expect(target.user(ACCOUNT, 'bob')!.accessKeys!.map((k) => k.status)).toEqual(['Inactive', 'Inactive']);

    const ssh = ref(credentials.find((c) => c.id === 'APKABOB1')!);
    expect((await hook.revokeCredential(ssh, signal())).reason).toMatch(/UpdateSSHPublicKey/);
    expect(await hook.readCredential(ssh, signal())).toEqual({ found: true, enabled: false });
    expect(target.user(ACCOUNT, 'bob')!.sshKeys![0]!.status).toBe('Inactive');
  });

  it('a deleted key or user reads as gone and revoking it is already done', async () => {
    const target = await start(account());
    const { credentials } = await scan(target);
    const hook = createAwsRemediator(config(target)).credentials!;
    const key = ref(credentials.find((c) => c.id === 'AKIAADMIN')!);
    target.user(ACCOUNT, 'root-ish')!.accessKeys = [];
    expect(await hook.readCredential(key, signal())).toEqual({ found: false, enabled: false });
    expect((await hook.revokeCredential(key, signal())).status).toBe('already-done');
    const bobKey = ref(credentials.find((c) => c.id === 'AKIABOB1')!);
    const users = target.state.accounts.get(ACCOUNT)!.users;
    target.state.accounts.get(ACCOUNT)!.users = users.filter((u) => u.userName !== 'bob');
    expect(await hook.readCredential(bobKey, signal())).toEqual({ found: false, enabled: false });
    expect((await hook.revokeCredential(bobKey, signal())).reason).toBe('the IAM user no longer exists');
  });

  it('a user replaced under the same name is never touched', async () => {
    const target = await start(account());
    const { credentials } = await scan(target);
    const hook = createAwsRemediator(config(target)).credentials!;
    target.user(ACCOUNT, 'bob')!.userId = 'AIDA99999999999999999';
    const key = ref(credentials.find((c) => c.id === 'AKIABOB1')!);
    await expect(hook.revokeCredential(key, signal())).rejects.toThrow(/the user was replaced/);
    expect(target.user(ACCOUNT, 'bob')!.accessKeys![0]!.status).toBe('Active');
  });

  it('disable and revoke-credential do not fight: whichever runs second finds nothing to do', async () => {
    const target = await start(account());
    const { accounts, credentials } = await scan(target);
    const remediator = createAwsRemediator(config(target));
    const hook = remediator.credentials!;
    const bob = accounts.find((a) => a.login === 'bob')!;
    const bobRef = {
      source: 'aws',
      id: bob.id,
      login: bob.login,
      email: bob.email,
      displayName: bob.displayName,
      attributes: bob.attributes,
    };
    // Revoke first: disable then deletes the password and deactivates the SSH key, never the key again.
    const key = ref(credentials.find((c) => c.id === 'AKIABOB1')!);
    await hook.revokeCredential(key, signal());
    target.state.requests.length = 0;
    const disabled = await remediator.perform('disable', bobRef, await remediator.read(bobRef, signal()), signal());
    expect(disabled.status).toBe('applied');
    expect(disabled.reason).not.toContain('AKIABOB1');
    expect(target.state.requests.filter((r) => r.action === 'iam:UpdateAccessKey')).toHaveLength(0);
    // Disable first (the admin's key): the key reads Inactive, so the engine records revoke-credential as done.
    const adminKey = ref(credentials.find((c) => c.id === 'AKIAADMIN')!);
    const admin = accounts.find((a) => a.login === 'root-ish')!;
    const adminRef = { ...bobRef, id: admin.id, login: admin.login, attributes: admin.attributes };
    await remediator.perform('disable', adminRef, await remediator.read(adminRef, signal()), signal());
    expect(await hook.readCredential(adminKey, signal())).toEqual({ found: true, enabled: false });
    expect(remediator.alreadyDone('disable', await remediator.read(adminRef, signal()))).toBe(true);
  });
});
