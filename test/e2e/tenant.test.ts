import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeUser, startGraphFake, type GraphFake } from '../fakes/graph.js';
import { makeOktaUser, OKTA_FAKE_TOKEN, startOktaFake, type OktaFake } from '../fakes/okta.js';
import { makeScimUser, startScimFake, type ScimFake } from '../fakes/scim.js';
import {
  accessLogRow,
  FAKE_ADMIN_TOKEN,
  FAKE_BOT_TOKEN,
  slackbotMember,
  slackMember,
  startSlackFake,
  type SlackFake,
} from '../fakes/slack.js';
import { tempDir } from '../engine/helpers.js';
import { zombiescan } from './cli.js';

/**
 * The whole product against loopback fakes of Okta, Microsoft Graph (https), Slack and a SCIM app, through the
 * official SDKs, driven through the built CLI exactly as a user would with real credentials.
 */

const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();
const CA = path.resolve(import.meta.dirname, '../fakes/certs/localhost-cert.pem');
const SCIM_TOKEN = 'zoom-scim-token-9f8e7d6c5b4a';

const HR = `employee_id,email,name,status,worker_type,termination_date
E1,alice@acme.com,Alice Admin,active,employee,
E2,bob@acme.com,Bob Gone,terminated,employee,${ago(26).slice(0, 10)}
E3,carol@acme.com,Carol Locked,active,employee,
E4,dave@acme.com,Dave Dormant,active,employee,
E5,erin@acme.com,Erin Contractor,active,contractor,${ago(25).slice(0, 10)}
`;

let okta: OktaFake;
let graph: GraphFake;
let slack: SlackFake;
let scim: ScimFake;
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  okta = await startOktaFake({
    users: (orgUrl) => {
      const user = (i: number, email: string, extra: Parameters<typeof makeOktaUser>[2] = {}) =>
        makeOktaUser(orgUrl, i, { ...extra, profile: { login: email, email, ...extra.profile } });
      return [
        user(1, 'alice@acme.com', { profile: { employeeNumber: 'E1' } }),
        user(2, 'bob@acme.com'),
        user(3, 'carol@acme.com', { status: 'SUSPENDED' }),
        user(4, 'dave@acme.com', { lastLogin: ago(200) }),
        user(5, 'erin@acme.com'),
        user(6, 'ghost@acme.com', { status: 'DEPROVISIONED' }),
      ];
    },
    adminIds: [makeOktaUser('', 1).id],
  });
  graph = await startGraphFake({
    users: [
      fakeUser(1, { userPrincipalName: 'alice@acme.com', mail: 'alice@acme.com', employeeId: 'E1' }),
      fakeUser(2, { userPrincipalName: 'bob@acme.com', mail: 'bob@acme.com', employeeId: null, accountEnabled: false }),
      fakeUser(3, {
        userPrincipalName: 'partner_ext#EXT#@acme.onmicrosoft.com',
        mail: 'pat@partner.example',
        employeeId: null,
        userType: 'Guest',
        externalUserState: 'Accepted',
        createdDateTime: ago(400),
        signInActivity: { lastSignInDateTime: ago(100), lastNonInteractiveSignInDateTime: ago(95) },
      }),
    ],
  });
  slack = await startSlackFake({
    users: [
      slackMember({ id: 'UALICE', name: 'alice', profile: { email: 'alice@acme.com' } }),
      slackMember({ id: 'UBOB', name: 'bob', deleted: true, profile: { email: 'bob@acme.com' } }),
      slackMember({ id: 'UCAROL', name: 'carol', profile: { email: 'carol+chat@acme.com' } }),
      slackMember({ id: 'UMAL', name: 'mallory', profile: { email: 'mallory@acme.com' } }),
      slackMember({ id: 'BDEPLOY', name: 'deploybot', is_bot: true, profile: { email: undefined, bot_id: 'B1' } }),
      slackbotMember(),
    ],
    accessLogs: [accessLogRow('UALICE', Math.floor(Date.now() / 1000) - 3600)],
  });
  scim = await startScimFake({
    token: SCIM_TOKEN,
    users: [
      makeScimUser(1, { userName: 'alice@acme.com', emails: [{ value: 'alice@acme.com', primary: true }] }),
      makeScimUser(2, { userName: 'bob@acme.com', emails: [{ value: 'bob@acme.com', primary: true }] }),
      makeScimUser(5, { userName: 'erin@acme.com', emails: [{ value: 'erin@acme.com', primary: true }] }),
    ],
  });
  dir = tempDir('zombiescan-tenant-');
  writeFileSync(path.join(dir, 'hr.csv'), HR);
  writeFileSync(
    path.join(dir, 'zombiescan.yaml'),
    `database: ./z.db
roster: { path: ./hr.csv }
sources:
  - { name: okta, type: okta, role: idp, orgUrl: "${okta.orgUrl}", token: "\${OKTA_API_TOKEN}" }
  - name: entra
    type: entra
    tenantId: ${graph.tenantId}
    clientId: ${graph.clientId}
    clientSecret: "\${ENTRA_CLIENT_SECRET}"
    graphUrl: ${graph.url}
    authorityUrl: ${graph.authorityUrl}
  - { name: slack, type: slack, apiUrl: "${slack.apiUrl}", token: "\${SLACK_TOKEN}", adminToken: "\${SLACK_ADMIN_TOKEN}" }
  - { name: zoom, type: scim, baseUrl: "${scim.baseUrl}", token: "\${ZOOM_SCIM_TOKEN}" }
`,
  );
  env = {
    NODE_EXTRA_CA_CERTS: CA,
    OKTA_API_TOKEN: OKTA_FAKE_TOKEN,
    ENTRA_CLIENT_SECRET: graph.clientSecret,
    SLACK_TOKEN: FAKE_BOT_TOKEN,
    SLACK_ADMIN_TOKEN: FAKE_ADMIN_TOKEN,
    ZOOM_SCIM_TOKEN: SCIM_TOKEN,
  };
});

afterAll(async () => {
  await Promise.all([okta?.close(), graph?.close(), slack?.close(), scim?.close()]);
});

describe('a scan of a whole tenant (Okta, Entra ID, Slack, SCIM) through the official SDKs', () => {
  it('doctor reports every source reachable and authenticated', async () => {
    const result = await zombiescan(['doctor', '--json'], { cwd: dir, env });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { ok: boolean; sources: { source: string; checks: object[] }[] };
    expect(report.ok).toBe(true);
    expect(report.sources.map((s) => s.source)).toEqual(['roster', 'okta', 'entra', 'slack', 'zoom']);
  });

  it('collects every source and finds exactly the zombies that are there', async () => {
    const result = await zombiescan(['scan', '--json'], { cwd: dir, env });
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(
      Object.fromEntries(summary.sources.map((s: { name: string; accounts: number }) => [s.name, s.accounts])),
    ).toEqual({ okta: 6, entra: 3, slack: 6, zoom: 3 });
    const zoom = summary.sources.find((s: { name: string }) => s.name === 'zoom');
    expect(zoom).toMatchObject({ activityKnown: false });
    expect(zoom.notices).toHaveLength(1);

    const findings = JSON.parse((await zombiescan(['findings', '--json'], { cwd: dir, env })).stdout) as {
      rule: string;
      source: string;
      login: string;
      severity: string;
    }[];
    expect(findings.map((f) => `${f.rule} ${f.source} ${f.login} ${f.severity}`).sort()).toEqual(
      [
        'terminated-still-active okta bob@acme.com critical',
        'terminated-still-active zoom bob@acme.com critical',
        'past-end-date okta erin@acme.com high',
        'past-end-date zoom erin@acme.com high',
        'idp-disabled-app-active slack carol+chat@acme.com high',
        'orphan-account slack mallory@acme.com high',
        'dormant-account okta dave@acme.com medium',
        'stale-guest entra partner_ext#EXT#@acme.onmicrosoft.com medium',
        'unowned-service-account slack deploybot medium',
      ].sort(),
    );
  });

  it('a source that fails is marked failed, the others complete, exit 1, and no secret is written anywhere', async () => {
    const before = JSON.parse(
      (await zombiescan(['findings', '--json', '--source', 'slack'], { cwd: dir, env })).stdout,
    );
    const wrongToken = 'xoxb-wrong-but-secret-7c1d2e3f';
    const result = await zombiescan(['scan', '--json'], { cwd: dir, env: { ...env, SLACK_TOKEN: wrongToken } });
    expect(result.code).toBe(1);
    const summary = JSON.parse(result.stdout);
    const byName = Object.fromEntries(summary.sources.map((s: { name: string }) => [s.name, s]));
    expect(byName.slack).toMatchObject({ status: 'failed' });
    expect(byName.slack.error).toMatch(/invalid_auth/);
    for (const name of ['okta', 'entra', 'zoom']) expect(byName[name].status).toBe('complete');
    const after = JSON.parse((await zombiescan(['findings', '--json', '--source', 'slack'], { cwd: dir, env })).stdout);
    expect(after).toEqual(before);

    const report = await zombiescan(['report', 'findings', '--format', 'json', '--status', 'all', '--out', 'out'], {
      cwd: dir,
      env,
    });
    const runs = await zombiescan(['runs', '--json'], { cwd: dir });
    const secrets = [wrongToken, OKTA_FAKE_TOKEN, graph.clientSecret, FAKE_BOT_TOKEN, FAKE_ADMIN_TOKEN, SCIM_TOKEN];
    const written = [
      result.stdout,
      result.stderr,
      report.stdout,
      report.stderr,
      runs.stdout,
      ...readdirSync(dir, { recursive: true })
        .map(String)
        .filter((f) => /\.(db|db-wal|json|csv)$/.test(f))
        .map((f) => readFileSync(path.join(dir, f)).toString('latin1')),
    ].join('\n');
    for (const secret of secrets) expect(written).not.toContain(secret);
  });
});
