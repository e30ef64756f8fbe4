import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGoogle, type GoogleFake, type GoogleUserData } from '../fakes/google.js';
import { tempDir } from '../engine/helpers.js';
import { zombiescan } from './cli.js';

/**
 * A Google Workspace of 10,000 users as the identity provider, behind the loopback fake (real JWT-bearer grant,
 * paging, quota errors), driven through the built CLI: scan, findings, doctor, offboard of a leaver.
 */

const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();
const USERS = 10_000;
const ADMIN = 'admin@acme.com';

/**
 * Person i (E{i}) has user i; the exceptions are what the scan must find:
 * 1 terminated (offboarded below), 2 terminated but already suspended, 3 suspended while HR says active (so their
 * app account is idp-disabled-app-active), 4 dormant, 5 never signed in, 6 an orphan (no HR record), 7 a service
 * account in /Service Accounts, 8 matched by an alias only.
 */
function users(): GoogleUserData[] {
  const recent = ago(2);
  return Array.from({ length: USERS }, (_, i): GoogleUserData => {
    const base: GoogleUserData = {
      primaryEmail: i === 0 ? ADMIN : `user${i}@acme.com`,
      employeeId: `E${i}`,
      lastLoginTime: recent,
      creationTime: ago(400),
      isAdmin: i === 0,
    };
    switch (i) {
      case 2:
        return { ...base, suspended: true };
      case 3:
        return { ...base, suspended: true };
      case 4:
        return { ...base, lastLoginTime: ago(200) };
      case 5:
        return { ...base, lastLoginTime: '1970-01-01T00:00:00.000Z' };
      case 6:
        return { primaryEmail: 'stranger@acme.com', lastLoginTime: recent, creationTime: ago(400) };
      case 7:
        return { primaryEmail: 'ci-bot@acme.com', orgUnitPath: '/Service Accounts/CI', lastLoginTime: recent };
      case 8:
        return { primaryEmail: 'h.eight@acme.com', aliases: ['user8@acme.com'], lastLoginTime: recent };
      default:
        return base;
    }
  });
}

function roster(): string {
  const lines = ['employee_id,email,name,status,worker_type,termination_date'];
  for (let i = 0; i < USERS; i++) {
    if (i === 6 || i === 7) continue;
    const terminated = i === 1 || i === 2;
    lines.push(
      `E${i},${i === 0 ? ADMIN : `user${i}@acme.com`},Person ${i},${terminated ? 'terminated' : 'active'},employee,${
        terminated ? ago(10).slice(0, 10) : ''
      }`,
    );
  }
  return lines.join('\n') + '\n';
}

let google: GoogleFake;
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  google = await startFakeGoogle({ users: users(), domains: ['acme.com'] });
  dir = tempDir('zombiescan-google-');
  writeFileSync(path.join(dir, 'hr.csv'), roster());
  writeFileSync(path.join(dir, 'sa-key.json'), google.keyJson);
  writeFileSync(
    path.join(dir, 'figma.csv'),
    'id,login,email,status\nF3,user3@acme.com,user3@acme.com,active\nF9,user9@acme.com,user9@acme.com,active\n',
  );
  writeFileSync(
    path.join(dir, 'zombiescan.yaml'),
    `database: ./z.db
roster: { path: ./hr.csv }
sources:
  - name: google
    type: google
    role: idp
    subject: ${ADMIN}
    keyFile: ./sa-key.json
    apiUrl: "${google.apiUrl}"
    tokenUrl: "${google.tokenUrl}"
    serviceOrgUnits: ["/Service Accounts"]
  - { name: figma, type: csv, path: ./figma.csv }
`,
  );
  env = {};
});

afterAll(async () => {
  await google?.close();
});

describe('Google Workspace as the identity provider, through the built CLI', () => {
  it('doctor: key, delegation, users and scopes all ok', async () => {
    const result = await zombiescan(['doctor', '--json'], { cwd: dir, env });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { ok: boolean; sources: { source: string; checks: object[] }[] };
    expect(report.ok).toBe(true);
    // key file, reachable, authenticated, users readable, and the act, security and reports scopes.
    expect(report.sources.find((s) => s.source === 'google')?.checks).toHaveLength(7);
  });

  it('scans 10,000 users in pages of 500 and finds exactly the zombies there are', async () => {
    const before = google.state.requests.length;
    const started = Date.now();
    const result = await zombiescan(['scan', '--json'], { cwd: dir, env });
    const seconds = (Date.now() - started) / 1000;
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as { sources: { name: string; accounts: number; status: string }[] };
    expect(summary.sources.find((s) => s.name === 'google')).toMatchObject({ accounts: USERS, status: 'complete' });
    const lists = google.state.requests.slice(before).filter((r) => r.path === '/admin/directory/v1/users');
    expect(lists).toHaveLength(USERS / 500);
    expect(lists.every((r) => r.query.maxResults === '500' && r.query.projection === 'full')).toBe(true);
    console.log(`google e2e: scan of ${USERS} users took ${seconds.toFixed(1)}s`);

    const findings = JSON.parse((await zombiescan(['findings', '--json'], { cwd: dir, env })).stdout) as {
      rule: string;
      source: string;
      login: string;
      severity: string;
      personId: string | null;
    }[];
    expect(findings.map((f) => `${f.rule} ${f.source} ${f.login} ${f.severity}`).sort()).toEqual(
      [
        'terminated-still-active google user1@acme.com critical',
        'idp-disabled-app-active figma user3@acme.com high',
        'dormant-account google user4@acme.com medium',
        'never-logged-in google user5@acme.com low',
        'orphan-account google stranger@acme.com high',
        'unowned-service-account google ci-bot@acme.com medium',
      ].sort(),
    );
  });

  it('offboard of a leaver signs out and suspends in Google, then verifies', async () => {
    const leaverId = google.state.user('user1@acme.com')!.id;
    const result = await zombiescan(['offboard', 'E1', '--apply', '--json'], { cwd: dir, env });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as {
      complete: boolean;
      accounts: {
        source: string;
        accountId: string;
        before: { enabled: boolean };
        after: { enabled: boolean };
        verified: boolean;
        actions: { action: string; status: string; reason: string }[];
      }[];
    };
    expect(report.complete).toBe(true);
    expect(report.accounts).toHaveLength(1);
    const [account] = report.accounts;
    expect(account).toMatchObject({
      source: 'google',
      accountId: leaverId,
      before: { enabled: true },
      after: { enabled: false },
      verified: true,
    });
    expect(account!.actions.map((a) => `${a.action} ${a.status}`).sort()).toEqual([
      'disable applied',
      'revoke-sessions applied',
    ]);
    expect(google.state.user('user1@acme.com')).toMatchObject({ suspended: true, suspensionReason: 'ADMIN' });
    expect(google.state.signOuts.map((s) => s.userId)).toEqual([leaverId]);

    const verify = await zombiescan(['audit-log', 'verify'], { cwd: dir, env });
    expect(verify.code).toBe(0);
  });

  it('a broken key file fails the source (exit 1) and keeps the last snapshot; no key is written anywhere', async () => {
    writeFileSync(
      path.join(dir, 'sa-key.json'),
      '{"type": "authorized_user", "client_secret": "d-FL95Q19q7MQmFpd7hHD0Ty"}',
    );
    try {
      const result = await zombiescan(['scan', '--json'], { cwd: dir, env });
      expect(result.code).toBe(1);
      const summary = JSON.parse(result.stdout) as { sources: { name: string; status: string; error: string }[] };
      const source = summary.sources.find((s) => s.name === 'google')!;
      expect(source.status).toBe('failed');
      expect(source.error).toContain('sa-key.json: not a service account key');
      expect(result.stdout + result.stderr).not.toContain('d-FL95Q19q7MQmFpd7hHD0Ty');
      const findings = JSON.parse((await zombiescan(['findings', '--json'], { cwd: dir, env })).stdout) as object[];
      expect(findings.length).toBeGreaterThan(0);
    } finally {
      writeFileSync(path.join(dir, 'sa-key.json'), google.keyJson);
    }
    const keyLines = google.serviceAccountKey.private_key.split('\n').filter((line) => line.length > 20);
    const written = readdirSync(dir, { recursive: true })
      .map(String)
      .filter((f) => /\.(db|db-wal|json|csv|html)$/.test(f) && !f.endsWith('sa-key.json'))
      .map((f) => readFileSync(path.join(dir, f)).toString('latin1'))
      .join('\n');
    for (const line of keyLines) expect(written).not.toContain(line);
  });

  it('an inline key that is not a service account key is a config error (exit 2)', async () => {
    const config = readFileSync(path.join(dir, 'zombiescan.yaml'), 'utf8').replace(
      'keyFile: ./sa-key.json',
      'key: "${GOOGLE_SA_KEY}"',
    );
    writeFileSync(path.join(dir, 'inline.yaml'), config);
    const result = await zombiescan(['--config', 'inline.yaml', 'scan'], {
      cwd: dir,
      env: { GOOGLE_SA_KEY: 'this is not json at all' },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('sources[0].key: not JSON');
    expect(result.stderr).not.toContain('this is not json at all');
  });
});
