import { describe, expect, it } from 'vitest';
import { CREDENTIAL_RULES, RULES, resolveRuleOptions } from '../../rules/index.js';
import type { SourceCollector } from '../../src/contract/collector.js';
import type { Credential } from '../../src/contract/model.js';
import { currentCredential, currentCredentialsOfPerson } from '../../src/store/credentials.js';
import { listFindings } from '../../src/store/findings.js';
import { findingToJson } from '../../src/contract/finding-json.js';
import { account, Harness, person } from './helpers.js';

const CONFIG = `
database: ./z.db
timezone: Europe/London
roster: { path: ./hr.csv }
sources:
  - { name: okta, type: csv, path: ./okta.csv, role: idp }
  - { name: entra, type: csv, path: ./entra.csv }
exceptions:
  - { source: okta, login: "carol@acme.com", reason: "CI token, reviewed", owner: E1, expires: 2026-12-31 }
  - { source: entra, login: "*", credential: app-excepted, reason: "Vendor app", owner: E1, expires: 2026-12-31 }
`;

function credential(source: string, id: string, extra: Partial<Credential> = {}): Credential {
  return {
    source,
    id,
    kind: 'api-token',
    accountId: null,
    ownerAccountIds: [],
    name: id,
    createdAt: '2026-10-01T00:00:00.000Z',
    lastUsedAt: null,
    usageKnown: false,
    expiresAt: null,
    enabled: true,
    scopes: [],
    privileged: false,
    attributes: {},
    ...extra,
  };
}

class CredentialHarness extends Harness {
  credentials = new Map<string, Credential[] | Error>();
  atRisk = new Map<string, string[]>();

  override collector(name: string): SourceCollector {
    const base = super.collector(name);
    return {
      ...base,
      collectCredentials: (_context, atRisk) => {
        this.atRisk.set(name, [...atRisk].sort());
        const planned = this.credentials.get(name) ?? [];
        return (async function* () {
          if (planned instanceof Error) throw planned;
          yield planned;
        })();
      },
    };
  }

  scanWithCredentials() {
    const options = resolveRuleOptions(this.config.rules);
    return this.scan({
      rules: { rules: RULES, byId: new Map(RULES.map((r) => [r.id, r])), options, credentialRules: CREDENTIAL_RULES },
    });
  }
}

function company(h: CredentialHarness) {
  h.people = [
    person('E1', 'alice@acme.com'),
    person('E2', 'bob@acme.com', { status: 'terminated', terminationEffectiveAt: '2026-10-01T00:00:00.000Z' }),
    person('E3', 'carol@acme.com', { status: 'terminated', terminationEffectiveAt: '2026-10-01T00:00:00.000Z' }),
  ];
  h.accounts.set('okta', [
    account('okta', 'o1', { email: 'alice@acme.com' }),
    account('okta', 'o2', { email: 'bob@acme.com' }),
    account('okta', 'o3', { email: 'carol@acme.com' }),
    account('okta', 'o4', { email: 'admin@acme.com', privileged: true }),
  ]);
  h.accounts.set('entra', [
    account('entra', 'e1', { email: 'alice@acme.com' }),
    account('entra', 'e2', { email: 'bob@acme.com', enabled: false }),
  ]);
  h.credentials.set('okta', [
    credential('okta', 'tok-alice', { accountId: 'o1' }),
    credential('okta', 'tok-bob', { accountId: 'o2', privileged: true }),
    credential('okta', 'tok-carol', { accountId: 'o3' }),
    credential('okta', 'tok-gone', { accountId: 'o9' }),
    credential('okta', 'grant-old', {
      kind: 'oauth-grant',
      accountId: 'o1',
      usageKnown: true,
      lastUsedAt: '2026-01-01T00:00:00.000Z',
    }),
  ]);
  h.credentials.set('entra', [
    credential('entra', 'app-orphan', { kind: 'app-secret', ownerAccountIds: [], expiresAt: '2027-06-01T00:00:00Z' }),
    credential('entra', 'app-bob', { kind: 'app-secret', ownerAccountIds: ['e2'], expiresAt: '2027-06-01T00:00:00Z' }),
    credential('entra', 'app-shared', { kind: 'app-secret', ownerAccountIds: ['e1', 'e2'] }),
    credential('entra', 'app-excepted', { kind: 'app-secret', ownerAccountIds: [] }),
  ]);
}

describe('credentials in a scan', () => {
  it('collects per-user lists only for at-risk accounts and opens credential findings keyed by credential', async () => {
    const h = new CredentialHarness(CONFIG);
    company(h);
    await h.scanWithCredentials();
    // bob and carol are terminated, admin@ is privileged and unmatched; alice is healthy.
    expect(h.atRisk.get('okta')).toEqual(['o2', 'o3', 'o4']);
    expect(h.atRisk.get('entra')).toEqual(['e2']);

    const findings = listFindings(h.db, { status: 'all' }).filter((f) => f.credentialId);
    const byKey = Object.fromEntries(findings.map((f) => [`${f.rule}/${f.credentialId}`, f]));
    expect(Object.keys(byKey).sort()).toEqual([
      'credential-outlived-owner/tok-bob',
      'credential-outlived-owner/tok-carol',
      'credential-outlived-owner/tok-gone',
      'ownerless-app-secret/app-bob',
      'ownerless-app-secret/app-excepted',
      'ownerless-app-secret/app-orphan',
      'unused-credential/grant-old',
    ]);
    const bob = byKey['credential-outlived-owner/tok-bob']!;
    expect(bob).toMatchObject({
      source: 'okta',
      accountId: 'o2',
      personId: 'E2',
      email: 'bob@acme.com',
      status: 'open',
      // critical stays critical; privileged cannot go higher
      severity: 'critical',
      credential: { kind: 'api-token', name: 'tok-bob', lastUsedAt: null, expiresAt: null },
    });
    // The owner's account exception covers the credential; the credential exception covers its one app.
    expect(byKey['credential-outlived-owner/tok-carol']!.status).toBe('suppressed');
    expect(byKey['ownerless-app-secret/app-excepted']!.status).toBe('suppressed');
    expect(byKey['ownerless-app-secret/app-orphan']!.status).toBe('open');
    expect(byKey['unused-credential/grant-old']!.severity).toBe('medium');
    // An ownerless credential's finding has no owner account.
    expect(findingToJson(byKey['ownerless-app-secret/app-orphan']!)).toMatchObject({
      accountId: null,
      credentialId: 'app-orphan',
      credential: { kind: 'app-secret' },
    });
    expect(findingToJson(listFindings(h.db, { rule: 'terminated-still-active' })[0]!)).toMatchObject({
      credentialId: null,
      credential: null,
    });
    expect(currentCredentialsOfPerson(h.db, 'E2').map((c) => c.id)).toEqual(['app-bob', 'app-shared', 'tok-bob']);
  });

  it('a failed source keeps its last complete credentials and their findings; a fixed one resolves', async () => {
    const h = new CredentialHarness(CONFIG);
    company(h);
    await h.scanWithCredentials();
    const before = listFindings(h.db, { rule: 'credential-outlived-owner' }).map((f) => f.credentialId);

    h.now = new Date('2026-11-27T12:00:00Z');
    h.credentials.set('okta', new Error('okta: HTTP 500 on /api/v1/api-tokens'));
    const failed = await h.scanWithCredentials();
    expect(failed.sources.find((s) => s.name === 'okta')).toMatchObject({ status: 'failed' });
    expect(listFindings(h.db, { rule: 'credential-outlived-owner' }).map((f) => f.credentialId)).toEqual(before);
    expect(currentCredential(h.db, 'okta', 'tok-bob')).toMatchObject({ accountId: 'o2' });

    // Revoked at the source: the next complete scan resolves it, and the old snapshot is pruned.
    h.credentials.set('okta', [credential('okta', 'tok-alice', { accountId: 'o1' })]);
    const fixed = await h.scanWithCredentials();
    expect(fixed.sources.find((s) => s.name === 'okta')).toMatchObject({ status: 'complete', credentials: 1 });
    expect(listFindings(h.db, { rule: 'credential-outlived-owner', status: 'resolved' }).length).toBe(3);
    expect(currentCredential(h.db, 'okta', 'tok-bob')).toBeNull();
    const rows = h.db.prepare(`SELECT count(*) AS n FROM credentials WHERE source = 'okta'`).get() as { n: number };
    expect(rows.n).toBe(1);
  });
});
