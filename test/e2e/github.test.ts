import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../engine/helpers.js';
import { FAKE_OWNER_TOKEN, type FakeGitHub, startFakeGitHub } from '../fakes/github.js';
import { zombiescan } from './cli.js';

/**
 * The GitHub source through the built CLI with production settings (the throttling plugin's own 1 s GraphQL pacing):
 * doctor, scan, findings, offboard of a leaver, and a malformed identityMap refused with exit 2.
 */

const HR = `employee_id,email,name,status,termination_date
E1,alice@acme.com,Alice Owner,active,
E2,bob@acme.com,Bob Leaver,terminated,2026-01-15
E3,carol@acme.com,Carol Mapped,active,
`;

let fake: FakeGitHub;
let dir: string;
const env = { GITHUB_TOKEN: FAKE_OWNER_TOKEN };

beforeAll(async () => {
  fake = await startFakeGitHub({
    org: 'acme',
    members: [
      { user: { id: 1, login: 'alice-gh' }, role: 'admin' },
      { user: { id: 2, login: 'bob-gh' }, role: 'member' },
      { user: { id: 3, login: 'carol-gh' }, role: 'member' },
      { user: { id: 4, login: 'mystery-gh' }, role: 'member' },
    ],
    outsideCollaborators: [{ id: 50, login: 'vendor-jo' }],
    invitations: [
      { id: 900, login: null, email: 'bob@acme.com', role: 'direct_member', created_at: '2026-11-20T10:00:00Z' },
    ],
    saml: {
      ssoUrl: 'https://idp.example/sso',
      identities: [
        { guid: 'g1', nameId: 'alice@acme.com', emails: ['alice@acme.com'], userId: 1 },
        { guid: 'g2', nameId: 'bob@acme.com', emails: ['bob@acme.com'], userId: 2 },
      ],
    },
  });
  dir = tempDir('zombiescan-github-');
  writeFileSync(path.join(dir, 'hr.csv'), HR);
  writeFileSync(path.join(dir, 'github-identities.csv'), 'login,employee_id,email\ncarol-gh,E3,\n');
  writeFileSync(
    path.join(dir, 'zombiescan.yaml'),
    `database: ./z.db
roster: { path: ./hr.csv }
sources:
  - { name: github, type: github, org: acme, token: "\${GITHUB_TOKEN}", apiUrl: "${fake.apiUrl}", identityMap: ./github-identities.csv }
`,
  );
});

afterAll(async () => {
  await fake?.close();
});

describe('GitHub through the CLI', () => {
  it('doctor: reachable, authenticated, readable, admin:org, SAML; activity a limitation', async () => {
    const result = await zombiescan(['doctor', '--json'], { cwd: dir, env });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as {
      sources: { source: string; checks: { check: string; ok: boolean }[] }[];
    };
    const github = report.sources.find((s) => s.source === 'github')!;
    expect(Object.fromEntries(github.checks.map((c) => [c.check, c.ok]))).toMatchObject({
      file: true,
      reachable: true,
      authenticated: true,
      'users readable': true,
      permissions: true,
      'saml sso': true,
      activity: false,
    });
    expect(result.stdout).not.toContain(FAKE_OWNER_TOKEN);
  }, 60_000);

  it('scan finds the leaver, the leaver’s pending invitation and the unlinked personal account', async () => {
    const scan = await zombiescan(['scan', '--json'], { cwd: dir, env });
    expect(scan.code).toBe(0);
    const findings = JSON.parse((await zombiescan(['findings', '--json'], { cwd: dir, env })).stdout) as {
      rule: string;
      accountId: string;
      personId: string | null;
      message: string;
    }[];
    expect(findings.map((f) => `${f.rule} ${f.accountId}`).sort()).toEqual([
      'orphan-account 4',
      'terminated-still-active 2',
      'terminated-still-active invitation:900',
    ]);
    expect(findings.find((f) => f.accountId === '4')!.message).toContain('not linked to a corporate identity');
    const runs = JSON.parse((await zombiescan(['runs', '--json'], { cwd: dir, env })).stdout) as {
      sources: Record<string, { status: string; accounts: number }>;
    }[];
    expect(runs[0]!.sources.github).toMatchObject({ status: 'complete', accounts: 6 });
  }, 60_000);

  it('offboard removes the leaver from the org and cancels their invitation, verified', async () => {
    const result = await zombiescan(['offboard', 'E2', '--apply', '--json'], { cwd: dir, env });
    const report = JSON.parse(result.stdout) as {
      complete: boolean;
      accounts: { accountId: string; verified: boolean; after: { enabled: boolean } }[];
    };
    expect(report.accounts.map((a) => [a.accountId, a.verified, a.after.enabled])).toEqual([
      ['2', true, false],
      ['invitation:900', true, false],
    ]);
    expect(fake.data.members.map((m) => m.user.login)).not.toContain('bob-gh');
    expect(fake.data.invitations).toEqual([]);
    expect(report.complete).toBe(true);
  }, 60_000);

  it('a malformed identityMap: exit 2 naming file, line and column, nothing written', async () => {
    writeFileSync(path.join(dir, 'github-identities.csv'), 'login,employee_id,email\ncarol-gh,,carol-at-acme\n');
    const requests = fake.requests.length;
    const runsBefore = JSON.parse((await zombiescan(['runs', '--json'], { cwd: dir, env })).stdout) as unknown[];
    const result = await zombiescan(['scan'], { cwd: dir, env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('github-identities.csv:2: email: "carol-at-acme" is not an email address');
    const runsAfter = JSON.parse((await zombiescan(['runs', '--json'], { cwd: dir, env })).stdout) as unknown[];
    expect(runsAfter).toHaveLength(runsBefore.length);
    expect(fake.requests.length).toBe(requests);
  }, 60_000);
});
