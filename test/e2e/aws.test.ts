import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAws, syntheticAwsAccount, syntheticIdentityCenterUsers, type FakeAws } from '../fakes/aws.js';
import { tempDir } from '../engine/helpers.js';
import { zombiescan } from './cli.js';

/**
 * The built CLI with an `aws` source against the loopback fake: credentials reach the SDK only through the
 * standard chain (environment variables here), never the config file.
 */

const STORE = 'd-1234567890';
let fake: FakeAws;
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  fake = await startFakeAws({
    accounts: [syntheticAwsAccount(24)],
    identityStores: [{ id: STORE, users: syntheticIdentityCenterUsers(30, Date.now(), 24) }],
  });
  dir = tempDir();
  const roster = ['employee_id,email,status,termination_date'];
  for (let i = 0; i < 24; i++)
    roster.push(`E${i},user${i}@acme.com,${i === 9 ? 'terminated' : 'active'},${i === 9 ? '2026-01-05' : ''}`);
  writeFileSync(path.join(dir, 'hr.csv'), `${roster.join('\n')}\n`);
  writeFileSync(
    path.join(dir, 'zombiescan.yaml'),
    `database: ./z.db
roster: { path: ./hr.csv }
sources:
  - { name: aws-prod, type: aws, endpoint: "\${AWS_ENDPOINT}", identityStoreId: ${STORE} }
`,
  );
  env = { ...fake.env, AWS_ENDPOINT: fake.endpoint };
});

afterAll(async () => {
  await fake.close();
  expect(fake.state.signatureErrors).toEqual([]);
});

describe('zombiescan with an aws source (built binary)', () => {
  it('doctor: identity, permissions, report, identity store; nothing on stderr', async () => {
    const result = await zombiescan(['doctor', '--json'], { cwd: dir, env });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as {
      ok: boolean;
      sources: { source: string; checks: { check: string; ok: boolean }[] }[];
    };
    const aws = report.sources.find((s) => s.source === 'aws-prod')!;
    expect(aws.checks.filter((c) => !c.ok)).toEqual([]);
    expect(aws.checks.map((c) => c.check)).toEqual(
      expect.arrayContaining(['authenticated', 'credential report', 'iam:ListUserTags', 'identity store']),
    );
  });

  it('scan, findings and offboard', async () => {
    const scan = await zombiescan(['scan', '--json'], { cwd: dir, env });
    expect(scan.code).toBe(0);
    const summary = JSON.parse(scan.stdout) as { sources: { name: string; accounts: number; status: string }[] };
    expect(summary.sources).toEqual([
      expect.objectContaining({ name: 'aws-prod', status: 'complete', accounts: 1 + 24 + 30 }),
    ]);

    const findings = JSON.parse((await zombiescan(['findings', '--json'], { cwd: dir, env })).stdout) as {
      rule: string;
      accountId: string;
      personId: string | null;
      severity: string;
    }[];
    expect(findings.find((f) => f.rule === 'root-credentials-in-use')).toMatchObject({
      accountId: '111122223333',
      personId: null,
      severity: 'high',
    });
    expect(
      findings
        .filter((f) => f.rule === 'terminated-still-active')
        .map((f) => f.accountId)
        .sort(),
    ).toEqual([
      // E9's Identity Center user and IAM user.
      '9067000009-a1b2-c3d4-e5f6-0123456789ab',
      'AIDA00000000000000009',
    ]);

    const offboard = await zombiescan(['offboard', 'E9', '--apply', '--json'], { cwd: dir, env });
    const report = JSON.parse(offboard.stdout) as {
      accounts: {
        accountId: string;
        verified: boolean;
        actions: { action: string; status: string; reason: string }[];
      }[];
    };
    const iam = report.accounts.find((a) => a.accountId === 'AIDA00000000000000009')!;
    expect(iam.verified).toBe(true);
    // user9 authenticates only with an access key, which offboard also revokes as a credential, at the same time:
    // whichever of the two reaches it second finds it Inactive already, and says so instead of failing.
    const disable = iam.actions.find((a) => a.action === 'disable')!;
    expect(['applied', 'already-done']).toContain(disable.status);
    const revoked = (report as unknown as { credentials: { credentialId: string; verified: boolean }[] }).credentials;
    expect(revoked.find((c) => c.credentialId === 'AKIA000000000009K2')).toMatchObject({ verified: true });
    expect(fake.user('111122223333', 'user9')!.accessKeys!.every((k) => k.status === 'Inactive')).toBe(true);
  });
});
