import { afterEach, describe, expect, it } from 'vitest';
import { createCollector } from '../../collectors/index.js';
import { remediatorLookup } from '../../collectors/remediators.js';
import { CREDENTIAL_RULES, RULES, resolveRuleOptions } from '../../rules/index.js';
import type { CollectorDeps } from '../../src/contract/collector.js';
import { runOffboard } from '../../src/remediation/offboard.js';
import { listFindings } from '../../src/store/findings.js';
import { gatherTerminationData } from '../../src/reporting/termination.js';
import { renderTerminationHtml } from '../../reports/termination.js';
import { verifyJournal } from '../../src/store/journal.js';
import { Harness, person } from '../engine/helpers.js';
import { fakeApplication, fakeUser, startGraphFake, type GraphFake } from '../fakes/graph.js';
import { startFakeGoogle, type GoogleFake } from '../fakes/google.js';
import {
  makeOktaApiToken,
  makeOktaGrant,
  makeOktaUser,
  OKTA_FAKE_TOKEN,
  startOktaFake,
  type OktaFake,
} from '../fakes/okta.js';
import { engineDeps, journalRows } from './helpers.js';

const BOB = 'bob@example.com';
const BOB_GOOGLE = '100000000000000000007';
const GOOGLE_TOKEN = {
  clientId: '1234.apps.googleusercontent.com',
  displayText: 'Calendar Sync',
  anonymous: false,
  nativeApp: false,
  scopes: ['https://www.googleapis.com/auth/calendar'],
};

let okta: OktaFake | undefined;
let graph: GraphFake | undefined;
let google: GoogleFake | undefined;
afterEach(async () => {
  await Promise.all([okta?.close(), graph?.close(), google?.close()]);
  okta = graph = google = undefined;
});

/** Bob left: he has an Okta API token and grant, owns an Entra app with a secret, and gave Calendar Sync access. */
async function leaverWithCredentials() {
  okta = await startOktaFake({
    users: (orgUrl) => [makeOktaUser(orgUrl, 1, { profile: { login: BOB, email: BOB } })],
  });
  const bobOkta = okta.state.users[0]!.id;
  okta.state.apiTokens.push(makeOktaApiToken(1, bobOkta, { name: 'deploy-bot' }));
  okta.state.grants.set(bobOkta, [makeOktaGrant(1, bobOkta)]);

  const bobEntra = fakeUser(7, { mail: BOB, userPrincipalName: BOB });
  graph = await startGraphFake({
    users: [bobEntra],
    applications: [
      fakeApplication(1, [bobEntra.id], {
        keyCredentials: [
          {
            keyId: 'cert-1',
            displayName: 'CN=reports',
            type: 'AsymmetricX509Cert',
            usage: 'Verify',
            startDateTime: '2026-01-01T00:00:00Z',
            endDateTime: '2028-01-01T00:00:00Z',
          },
        ],
      }),
    ],
  });
  google = await startFakeGoogle({
    users: [
      { primaryEmail: 'admin@example.com', isAdmin: true },
      { primaryEmail: BOB, id: BOB_GOOGLE },
    ],
    tokens: { [BOB_GOOGLE]: [GOOGLE_TOKEN] },
    asps: { [BOB_GOOGLE]: [{ codeId: 3, name: 'Thunderbird', creationTime: '1700000000000', lastTimeUsed: '0' }] },
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
`,
    { OKTA_TOKEN: OKTA_FAKE_TOKEN, ENTRA_SECRET: graph.clientSecret, GOOGLE_KEY: google.keyJson },
  );
  h.people = [
    person('E1', 'admin@example.com'),
    person('E2', BOB, { status: 'terminated', terminationEffectiveAt: '2026-11-20T00:00:00.000Z' }),
  ];
  const deps: CollectorDeps = { caCertificate: graph.caCertificate, retryPolicy: { baseDelayMs: 1, maxDelayMs: 20 } };
  const options = resolveRuleOptions(h.config.rules);
  const scan = await h.scan({
    createCollector: (source) => createCollector(source, deps),
    rules: { rules: RULES, byId: new Map(RULES.map((r) => [r.id, r])), options, credentialRules: CREDENTIAL_RULES },
  });
  return { h, deps, scan };
}

describe('offboard revokes every credential of the leaver', () => {
  it('collects them in the scan, then revokes, verifies, journals and reports each', async () => {
    const { h, deps, scan } = await leaverWithCredentials();
    expect(scan.sources.map((s) => [s.name, s.status, s.credentials])).toEqual([
      ['okta', 'complete', 2],
      ['entra', 'complete', 1],
      ['gws', 'complete', 2],
    ]);
    const outlived = listFindings(h.db, { rule: 'credential-outlived-owner' });
    expect(outlived.map((f) => f.credential?.kind).sort()).toEqual([
      'api-token',
      'oauth-grant',
      'oauth-grant',
      'personal-token',
    ]);
    expect(listFindings(h.db, { rule: 'ownerless-app-secret' })).toHaveLength(1);

    const dry = await runOffboard(
      h.db,
      h.config,
      { person: 'E2', apply: false },
      {
        ...engineDeps({}),
        remediatorFor: remediatorLookup(h.config, undefined, deps),
      },
    );
    expect(dry.report.credentials!.map((c) => c.action.status)).toEqual(Array(5).fill('planned'));
    expect(okta!.state.apiTokens).toHaveLength(1);

    const result = await runOffboard(
      h.db,
      h.config,
      { person: 'E2', apply: true, reason: 'left' },
      {
        ...engineDeps({}),
        remediatorFor: remediatorLookup(h.config, undefined, deps),
      },
    );
    const byKind = Object.fromEntries(result.report.credentials!.map((c) => [`${c.source}:${c.kind}`, c]));
    expect(Object.keys(byKind).sort()).toEqual([
      'entra:app-secret',
      'gws:oauth-grant',
      'gws:personal-token',
      'okta:api-token',
      'okta:oauth-grant',
    ]);
    for (const entry of result.report.credentials!) {
      expect(entry).toMatchObject({
        before: { enabled: true },
        action: { action: 'revoke-credential', status: 'applied' },
        after: { enabled: false },
        verified: true,
      });
    }
    expect(byKind['entra:app-secret']!.action.reason).toMatch(/removePassword.*PATCH keyCredentials/);
    expect(result.report.complete).toBe(true);
    expect(result.exitCode).toBe(0);

    // The systems really lost them.
    expect(okta!.state.apiTokens).toEqual([]);
    expect(okta!.state.grants.get(okta!.state.users[0]!.id)).toEqual([]);
    expect(graph!.state.applications[0]).toMatchObject({ passwordCredentials: [], keyCredentials: [] });
    expect(google!.state.tokens.get(BOB_GOOGLE)).toEqual([]);
    expect(google!.state.asps.get(BOB_GOOGLE)).toEqual([]);

    // Journaled like every action: an intent and a result per credential, the chain intact.
    const revocations = journalRows(h).filter((row) => row.action === 'revoke-credential');
    expect(revocations.filter((row) => row.kind === 'intent')).toHaveLength(5);
    expect(revocations.filter((row) => row.kind === 'result' && row.status === 'applied')).toHaveLength(5);
    expect(verifyJournal(h.db).ok).toBe(true);
    // Their findings are remediated.
    expect(listFindings(h.db, { rule: 'credential-outlived-owner' })).toEqual([]);

    // The termination report lists each credential with before and after.
    const data = gatherTerminationData(h.db, { person: 'E2', now: new Date(), timezone: 'UTC' });
    expect(
      data.offboarding!.credentials.map((c) => [c.kind, c.before.enabled, c.after.enabled, c.verified]),
    ).toContainEqual(['api-token', true, false, true]);
    const html = renderTerminationHtml(data);
    expect(html).toContain('deploy-bot');
    expect(html).toContain('revoke-credential');

    // Offboarding again finds nothing left to do.
    const again = await runOffboard(
      h.db,
      h.config,
      { person: 'E2', apply: true },
      {
        ...engineDeps({}),
        remediatorFor: remediatorLookup(h.config, undefined, deps),
      },
    );
    expect(again.report.credentials!.map((c) => c.action.status)).toEqual(Array(5).fill('already-done'));
  });
});
