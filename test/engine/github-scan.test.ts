import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCollector } from '../../collectors/index.js';
import { createRemediator } from '../../collectors/remediators.js';
import { InputError } from '../../src/contract/errors.js';
import type { Person } from '../../src/contract/model.js';
import { runOffboard } from '../../src/remediation/offboard.js';
import { FAKE_OWNER_TOKEN, type FakeGitHub, startFakeGitHub, syntheticGitHubOrg } from '../fakes/github.js';
import { engineDeps } from '../remediation/helpers.js';
import { Harness, person } from './helpers.js';

/**
 * A 5,000-member GitHub org with 200 outside collaborators and 50 pending invitations, collected through the real
 * collector (Octokit against the loopback fake), matched to the roster and scored by the engine; then a leaver is
 * offboarded and verified gone from the org.
 */

const DEPS = { waitScale: 0.001, retryPolicy: { baseDelayMs: 1, maxDelayMs: 20 } };
const MEMBERS = 5000;
const LEAVERS = [10, 11, 12, 13, 14];
const LEFT_AT = '2026-11-01T00:00:00.000Z';

let fake: FakeGitHub;

beforeAll(async () => {
  const org = syntheticGitHubOrg({ members: MEMBERS, outside: 200, invitations: 50 });
  // Three personal accounts nothing links to a corporate identity.
  org.saml!.identities = org.saml!.identities.filter(
    (identity) => !['dev4997', 'dev4998', 'dev4999'].includes(identity.nameId!.split('@')[0]!),
  );
  fake = await startFakeGitHub(org);
});
afterAll(async () => {
  await fake?.close();
});

function roster(): Person[] {
  const people: Person[] = [];
  for (let i = 0; i < 4990; i++) {
    people.push(
      LEAVERS.includes(i)
        ? person(`E${i}`, `dev${i}@acme.com`, { status: 'terminated', terminationEffectiveAt: LEFT_AT })
        : person(`E${i}`, `dev${i}@acme.com`),
    );
  }
  for (let i = 0; i < 48; i++) {
    people.push(
      i >= 45
        ? person(`I${i}`, `invitee${i}@acme.com`, { status: 'terminated', terminationEffectiveAt: LEFT_AT })
        : person(`I${i}`, `invitee${i}@acme.com`),
    );
  }
  return people;
}

function harness(extra = ''): Harness {
  const h = new Harness(
    `
database: ./z.db
roster: { path: ./hr.csv }
sources:
  - { name: github, type: github, org: acme, token: "\${GITHUB_TOKEN}", apiUrl: "${fake.apiUrl}"${extra} }
`,
    { GITHUB_TOKEN: FAKE_OWNER_TOKEN },
  );
  h.people = roster();
  return h;
}

const scanOptions = { createCollector, collectorDeps: DEPS };

describe('a 5,000-member GitHub org through the engine', () => {
  it('collects, links and scores every member, collaborator and invitation', async () => {
    const h = harness();
    fake.requests.length = 0;
    const result = await h.scan(scanOptions);
    expect(result.status).toBe('complete');
    expect(result.sources[0]).toMatchObject({
      name: 'github',
      status: 'complete',
      accounts: 5250,
      activityKnown: false,
    });
    expect(result.sources[0]!.notices).toEqual([expect.stringContaining('GitHub reports no last activity')]);

    const open = h.findings(`status = 'open'`);
    const byRule = (rule: string) =>
      open
        .filter((f) => f.rule === rule)
        .map((f) => f.account_id)
        .sort();
    expect(byRule('terminated-still-active')).toEqual(
      [...LEAVERS.map((i) => String(1000 + i)), 'invitation:70045', 'invitation:70046', 'invitation:70047'].sort(),
    );
    expect(byRule('orphan-account')).toEqual(
      [4990, 4991, 4992, 4993, 4994, 4995, 4996, 4997, 4998, 4999]
        .map((i) => String(1000 + i))
        .concat(['invitation:70048', 'invitation:70049'])
        .sort(),
    );
    // Unknown activity: no inactivity rule fires; guests are never orphans.
    expect(open.filter((f) => !['terminated-still-active', 'orphan-account'].includes(f.rule))).toEqual([]);

    const unlinked = h.db
      .prepare(`SELECT message, evidence FROM findings WHERE rule = 'orphan-account' AND account_id = '5999'`)
      .get() as { message: string; evidence: string };
    expect(unlinked.message).toContain('dev4999 is enabled but not linked to a corporate identity');
    expect(JSON.parse(unlinked.evidence)).toMatchObject({ identityLink: 'not linked to a corporate identity' });
    const linkedOrphan = JSON.parse(
      (
        h.db.prepare(`SELECT evidence FROM findings WHERE rule = 'orphan-account' AND account_id = '5990'`).get() as {
          evidence: string;
        }
      ).evidence,
    );
    expect(linkedOrphan).toMatchObject({ identityLink: 'saml', email: 'dev4990@acme.com' });

    // REST: the org and membership checks, 1 page of owners + 49 of members, 2 of collaborators, 1 of invitations,
    // 1 of SAML SSO credential authorizations (none here).
    // GraphQL: 50 pages of SAML identities, one verified-domain query for the three members SAML left unlinked.
    expect(fake.requests.filter((r) => !r.graphql)).toHaveLength(2 + 1 + 49 + 2 + 1 + 1);
    expect(fake.requests.filter((r) => r.graphql)).toHaveLength(50 + 1);
  }, 60_000);

  it('offboards a leaver: removed from the org, verified by re-reading, journaled', async () => {
    const h = harness();
    await h.scan(scanOptions);
    const source = h.config.sources[0]!;
    const result = await runOffboard(
      h.db,
      h.config,
      { person: 'E12', apply: true, reason: 'INC-1 leaver' },
      engineDeps({ github: createRemediator(source, DEPS) }),
    );
    expect(result.exitCode).toBe(0);
    expect(result.report.complete).toBe(true);
    expect(result.report.accounts).toEqual([
      expect.objectContaining({
        source: 'github',
        accountId: '1012',
        login: 'dev12',
        before: { enabled: true },
        after: { enabled: false },
        verified: true,
      }),
    ]);
    const actions = result.report.accounts[0]!.actions;
    expect(actions.find((a) => a.action === 'disable')).toMatchObject({
      status: 'applied',
      reason: expect.stringContaining('DELETE /orgs/acme/memberships/dev12'),
    });
    // No session API: the engine asks for a ticket instead (refused here: no tickets configured).
    expect(actions.find((a) => a.action === 'ticket')).toMatchObject({
      reason: expect.stringContaining("GitHub has no API to end a user's sessions"),
    });
    expect(fake.data.members.some((m) => m.user.login === 'dev12')).toBe(false);
  }, 60_000);

  it('a malformed identityMap stops the scan with exit 2 before anything is written', async () => {
    const file = path.join(harness().dir, 'ids.csv');
    writeFileSync(file, 'login,employee_id,email\ndev1,E1,\ndev1,E2,\n');
    const h = harness(`, identityMap: "${file}"`);
    const before = fake.requests.length;
    const error = await h.scan(scanOptions).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).exitCode).toBe(2);
    expect((error as Error).message).toBe(`${file}:3: login: duplicate login "dev1" (first on line 2)`);
    expect(h.db.prepare('SELECT count(*) AS n FROM runs').get()).toEqual({ n: 0 });
    expect(fake.requests.length).toBe(before);
  });
});
