import { afterEach, describe, expect, it } from 'vitest';
import { createCollector } from '../../collectors/index.js';
import { runRemediation } from '../../src/remediation/apply.js';
import { listRuns } from '../../src/store/runs.js';
import { makeOktaUser, OKTA_FAKE_TOKEN, startOktaFake, type OktaFake } from '../fakes/okta.js';
import { Harness, person } from '../engine/helpers.js';
import { engineDeps, findingId, MemorySystem } from './helpers.js';

/**
 * Least-privilege Okta (a token that may not read admin role assignments): the scan cannot tell an admin apart, so
 * remediation must not disable anyone there without --include-privileged. Scanned through the engine with the real
 * collector against the fake.
 */

let fake: OktaFake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const ADMIN = makeOktaUser('', 1).id;

async function oktaCompany(adminsForbidden: boolean): Promise<Harness> {
  fake = await startOktaFake({
    users: (orgUrl) => [
      makeOktaUser(orgUrl, 1, { profile: { email: 'dave@acme.com', login: 'dave@acme.com' } }),
      makeOktaUser(orgUrl, 2, { profile: { email: 'erin@acme.com', login: 'erin@acme.com' } }),
    ],
    adminIds: [ADMIN],
    adminsForbidden,
  });
  const h = new Harness(
    'database: ./z.db\nroster: { path: ./hr.csv }\n' +
      'sources:\n  - { name: okta, type: okta, orgUrl: "${ORG}", token: "${TOKEN}", role: idp }\n',
    { ORG: fake.orgUrl, TOKEN: OKTA_FAKE_TOKEN },
  );
  const left = { status: 'terminated' as const, terminationEffectiveAt: '2026-10-01T00:00:00.000Z' };
  h.people = [person('E4', 'dave@acme.com', left), person('E5', 'erin@acme.com', left)];
  await h.scan({ createCollector: (source) => createCollector(source, { retryPolicy: { baseDelayMs: 1 } }) });
  return h;
}

function oktaSystem() {
  const ids = [makeOktaUser('', 1).id, makeOktaUser('', 2).id];
  return { okta: new MemorySystem('okta', Object.fromEntries(ids.map((id) => [id, {}]))) };
}

describe('privilege unknown fails closed', () => {
  it('refuses system actions on every account when the token cannot read roles, unless --include-privileged', async () => {
    const h = await oktaCompany(true);
    const run = listRuns(h.db)[0]!;
    expect(run.sources.okta!.notices.join('\n')).toMatch(/roles unreadable/);

    const admin = findingId(h, 'terminated-still-active', 'okta', ADMIN);
    const systems = oktaSystem();
    const plan = await runRemediation(h.db, h.config, { apply: false, findingIds: [admin] }, engineDeps(systems));
    expect(plan.records.map((r) => [r.action, r.status])).toEqual([
      ['revoke-sessions', 'refused'],
      ['disable', 'refused'],
    ]);
    expect(plan.records[1]!.reason).toMatch(/^roles unreadable: okta could not say/);

    // autoApply and `remediate --apply` take the same plan: nothing is called.
    const apply = await runRemediation(h.db, h.config, { apply: true }, engineDeps(systems));
    expect(apply.records.every((r) => r.status === 'refused')).toBe(true);
    expect(systems.okta.performed()).toEqual([]);

    const included = await runRemediation(
      h.db,
      h.config,
      { apply: true, findingIds: [admin], includePrivileged: true },
      engineDeps(systems),
    );
    expect(included.records.map((r) => r.status)).toEqual(['applied', 'applied']);
  });

  it('acts on a known non-admin and refuses the known admin when roles are readable', async () => {
    const h = await oktaCompany(false);
    const systems = oktaSystem();
    const plan = await runRemediation(h.db, h.config, { apply: false }, engineDeps(systems));
    const byAccount = (id: string) => plan.records.filter((r) => r.accountId === id).map((r) => r.status);
    expect(byAccount(makeOktaUser('', 2).id)).toEqual(['planned', 'planned']);
    expect(byAccount(ADMIN)).toEqual(['refused', 'refused']);
    expect(plan.records.find((r) => r.accountId === ADMIN)!.reason).toMatch(/^privileged account/);
  });
});
