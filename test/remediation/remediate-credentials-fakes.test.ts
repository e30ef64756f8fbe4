import { afterEach, describe, expect, it } from 'vitest';
import { createCollector } from '../../collectors/index.js';
import { remediatorLookup } from '../../collectors/remediators.js';
import { CREDENTIAL_RULES, RULES, resolveRuleOptions } from '../../rules/index.js';
import type { CollectorDeps } from '../../src/contract/collector.js';
import { runRemediation } from '../../src/remediation/apply.js';
import { listFindings } from '../../src/store/findings.js';
import { verifyJournal } from '../../src/store/journal.js';
import { Harness, person } from '../engine/helpers.js';
import { fakeApplication, fakeUser, startGraphFake, type GraphFake } from '../fakes/graph.js';
import { startFakeGoogle, type GoogleFake } from '../fakes/google.js';
import { makeOktaApiToken, makeOktaUser, OKTA_FAKE_TOKEN, startOktaFake, type OktaFake } from '../fakes/okta.js';
import { FAKE_ADMIN_TOKEN, FAKE_BOT_TOKEN, slackMember, startSlackFake, type SlackFake } from '../fakes/slack.js';
import { engineDeps, journalRows } from './helpers.js';

const BOB = 'bob@example.com';
const BOB_GOOGLE = '100000000000000000007';

let okta: OktaFake | undefined;
let graph: GraphFake | undefined;
let google: GoogleFake | undefined;
let slack: SlackFake | undefined;
afterEach(async () => {
  await Promise.all([okta?.close(), graph?.close(), google?.close(), slack?.close()]);
  okta = graph = google = slack = undefined;
});

/**
 * Bob left. Okta holds his API token, Entra his delegated permission grant and an app registration only he owned
 * (with a live client secret), Google a third-party OAuth token he granted. The real collectors scan the fakes.
 */
async function leaver() {
  okta = await startOktaFake({
    users: (orgUrl) => [makeOktaUser(orgUrl, 1, { profile: { login: BOB, email: BOB } })],
  });
  const bobOkta = okta.state.users[0]!.id;
  okta.state.apiTokens.push(makeOktaApiToken(1, bobOkta, { name: 'deploy-bot' }));

  const bobEntra = fakeUser(7, { mail: BOB, userPrincipalName: BOB });
  graph = await startGraphFake({
    users: [bobEntra],
    applications: [fakeApplication(1, [bobEntra.id], { displayName: 'Nightly Reports' })],
    permissionGrants: [
      {
        id: 'grant-bob-1',
        clientId: 'sp-client-1',
        consentType: 'Principal',
        principalId: bobEntra.id,
        resourceId: 'sp-graph',
        scope: 'Mail.Read offline_access',
      },
    ],
  });
  google = await startFakeGoogle({
    users: [
      { primaryEmail: 'admin@example.com', isAdmin: true },
      { primaryEmail: BOB, id: BOB_GOOGLE },
    ],
    tokens: {
      [BOB_GOOGLE]: [
        {
          clientId: '1234.apps.googleusercontent.com',
          displayText: 'Calendar Sync',
          anonymous: false,
          nativeApp: false,
          scopes: ['https://www.googleapis.com/auth/calendar'],
        },
      ],
    },
  });

  const h = new Harness(
    `
database: ./z.db
timezone: UTC
roster: { path: ./hr.csv }
sources:
  - { name: okta, type: okta, role: idp, orgUrl: "${okta.orgUrl}", token: "\${OKTA_TOKEN}" }
  - name: entra
    type: entra
    tenantId: ${graph.tenantId}
    clientId: ${graph.clientId}
    clientSecret: "\${ENTRA_SECRET}"
    graphUrl: ${graph.url}
    authorityUrl: ${graph.authorityUrl}
  - { name: gws, type: google, key: "\${GOOGLE_KEY}", subject: admin@example.com, apiUrl: "${google.apiUrl}", tokenUrl: "${google.tokenUrl}" }
remediation:
  policy: { terminated-still-active: [ticket] }
`,
    { OKTA_TOKEN: OKTA_FAKE_TOKEN, ENTRA_SECRET: graph.clientSecret, GOOGLE_KEY: google.keyJson },
  );
  h.people = [
    person('E1', 'admin@example.com'),
    person('E2', BOB, { status: 'terminated', terminationEffectiveAt: '2026-11-20T00:00:00.000Z' }),
  ];
  const deps: CollectorDeps = { caCertificate: graph.caCertificate, retryPolicy: { baseDelayMs: 1, maxDelayMs: 20 } };
  const options = resolveRuleOptions(h.config.rules);
  await h.scan({
    createCollector: (source) => createCollector(source, deps),
    rules: { rules: RULES, byId: new Map(RULES.map((r) => [r.id, r])), options, credentialRules: CREDENTIAL_RULES },
  });
  return { h, engine: { ...engineDeps({}), remediatorFor: remediatorLookup(h.config, undefined, deps) } };
}

describe('remediate --apply revokes credentials in the real systems (loopback fakes)', () => {
  it('Okta API token, Entra grant and app secret, Google token: revoked, verified, journaled, findings closed', async () => {
    const { h, engine } = await leaver();
    const credentialFindings = listFindings(h.db).filter((f) => f.credentialId);
    expect(credentialFindings.map((f) => `${f.rule} ${f.source} ${f.credential?.kind}`).sort()).toEqual([
      'credential-outlived-owner entra oauth-grant',
      'credential-outlived-owner gws oauth-grant',
      'credential-outlived-owner okta api-token',
      'ownerless-app-secret entra app-secret',
    ]);

    const plan = await runRemediation(h.db, h.config, { apply: false }, engine);
    const planned = plan.records.filter((r) => r.credentialId);
    expect(planned.map((r) => [r.source, r.action, r.status])).toEqual(
      expect.arrayContaining([
        ['okta', 'revoke-credential', 'planned'],
        ['entra', 'revoke-credential', 'planned'],
        ['gws', 'revoke-credential', 'planned'],
      ]),
    );
    expect(planned).toHaveLength(4);
    // A dry run touches nothing.
    expect(okta!.state.apiTokens).toHaveLength(1);

    const run = await runRemediation(
      h.db,
      h.config,
      { apply: true, findingIds: credentialFindings.map((f) => f.id) },
      engine,
    );
    expect(run.records.map((r) => [r.source, r.action, r.status])).toEqual(
      Array(4).fill(expect.arrayContaining(['revoke-credential', 'applied'])),
    );
    expect(run.exitCode).toBe(0);
    const appRecord = run.records.find((r) => r.rule === 'ownerless-app-secret')!;
    expect(appRecord.reason).toMatch(/removePassword/);

    // The systems really lost them.
    expect(okta!.state.apiTokens).toEqual([]);
    expect(graph!.state.permissionGrants).toEqual([]);
    expect(graph!.state.applications[0]).toMatchObject({ passwordCredentials: [] });
    expect(google!.state.tokens.get(BOB_GOOGLE)).toEqual([]);

    // Intent before, result after, for each; the chain holds; the findings are remediated (verified by re-reading).
    const rows = journalRows(h).filter((row) => row.action === 'revoke-credential');
    expect(rows.filter((row) => row.kind === 'intent')).toHaveLength(4);
    expect(rows.filter((row) => row.kind === 'result' && row.status === 'applied')).toHaveLength(4);
    expect(verifyJournal(h.db).ok).toBe(true);
    expect(listFindings(h.db, { status: 'remediated' }).filter((f) => f.credentialId)).toHaveLength(4);

    // Nothing left: applying again acts on nothing.
    const again = await runRemediation(h.db, h.config, { apply: true }, engine);
    expect(again.records.filter((r) => r.credentialId)).toEqual([]);
  });
});

describe('a Slack app a leaver installed', () => {
  it('is collected from team.integrationLogs, outlives its deactivated installer, and is planned as a ticket', async () => {
    slack = await startSlackFake({
      users: [
        slackMember({ id: 'U0ADMIN', is_primary_owner: true, profile: { email: 'admin@example.com' } }),
        slackMember({ id: 'U0BOB', deleted: true, profile: { email: BOB } }),
      ],
      integrationLogs: [
        {
          app_id: 'A0GIPHY',
          app_type: 'Giphy',
          user_id: 'U0BOB',
          user_name: 'bob',
          date: '1760000000',
          change_type: 'added',
          scope: 'commands,chat:write',
        },
      ],
    });
    const h = new Harness(
      `
database: ./z.db
roster: { path: ./hr.csv }
sources:
  - { name: slack, type: slack, apiUrl: "${slack.apiUrl}", token: "\${SLACK_TOKEN}", adminToken: "\${SLACK_ADMIN}" }
tickets: { type: webhook, url: "https://tickets.example.com/hook" }
`,
      { SLACK_TOKEN: FAKE_BOT_TOKEN, SLACK_ADMIN: FAKE_ADMIN_TOKEN },
    );
    h.people = [
      person('E1', 'admin@example.com'),
      person('E2', BOB, { status: 'terminated', terminationEffectiveAt: '2026-11-20T00:00:00.000Z' }),
    ];
    const deps: CollectorDeps = { retryPolicy: { baseDelayMs: 1, maxDelayMs: 20 } };
    const options = resolveRuleOptions(h.config.rules);
    const scan = await h.scan({
      createCollector: (source) => createCollector(source, deps),
      rules: { rules: RULES, byId: new Map(RULES.map((r) => [r.id, r])), options, credentialRules: CREDENTIAL_RULES },
    });
    expect(scan.sources[0]).toMatchObject({ status: 'complete', credentials: 1 });
    const [finding] = listFindings(h.db, { rule: 'credential-outlived-owner' });
    expect(finding).toMatchObject({
      source: 'slack',
      credentialId: 'A0GIPHY',
      accountId: 'U0BOB',
      personId: 'E2',
      credential: { kind: 'oauth-grant', name: 'Giphy' },
    });
    const plan = await runRemediation(
      h.db,
      h.config,
      { apply: false, findingIds: [finding!.id] },
      { ...engineDeps({}), remediatorFor: remediatorLookup(h.config, undefined, deps) },
    );
    expect(plan.records).toEqual([
      expect.objectContaining({
        action: 'ticket',
        status: 'planned',
        credentialId: 'A0GIPHY',
        reason: 'instead of revoke-credential: slack cannot revoke credentials through its API',
      }),
    ]);
  });
});
