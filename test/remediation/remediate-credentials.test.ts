import { describe, expect, it } from 'vitest';
import { CREDENTIAL_RULES, RULES, resolveRuleOptions } from '../../rules/index.js';
import type { SourceCollector } from '../../src/contract/collector.js';
import { SourceError } from '../../src/contract/errors.js';
import type { Credential } from '../../src/contract/model.js';
import { runRemediation } from '../../src/remediation/apply.js';
import { ActionJournal } from '../../src/remediation/engine.js';
import { renderRemediation } from '../../src/cli/commands/remediate.js';
import { colors } from '../../reports/terminal.js';
import { planRecords, planRemediation } from '../../src/remediation/plan.js';
import { listFindings } from '../../src/store/findings.js';
import { verifyJournal } from '../../src/store/journal.js';
import { account, Harness, person } from '../engine/helpers.js';
import type { OpenedTicket, TicketClient, TicketRequest } from '../../src/remediation/tickets.js';
import { engineDeps, journalRows, MemoryCredentials, MemorySystem } from './helpers.js';

const CONFIG = `
database: ./z.db
roster: { path: ./hr.csv }
sources:
  - { name: okta, type: csv, path: ./okta.csv, role: idp }
  - { name: entra, type: csv, path: ./entra.csv }
  - { name: slack, type: csv, path: ./slack.csv }
remediation:
  policy: { terminated-still-active: [revoke-credential, disable], POLICY }
exceptions:
  - { source: entra, login: "*", credential: app-excepted, reason: "Vendor app", owner: E1, expires: 2027-12-31 }
`;

function credential(source: string, id: string, extra: Partial<Credential> = {}): Credential {
  return {
    source,
    id,
    kind: 'api-token',
    accountId: null,
    ownerAccountIds: [],
    name: id,
    createdAt: '2026-01-01T00:00:00.000Z',
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

/** A ticket system that cannot be searched (a webhook): records what it was asked to open. */
class MemoryTickets implements TicketClient {
  readonly kind = 'webhook' as const;
  readonly searchable = false;
  readonly opened: TicketRequest[] = [];
  async find(): Promise<OpenedTicket | null> {
    return null;
  }
  async open(request: TicketRequest): Promise<OpenedTicket> {
    this.opened.push(request);
    return { key: `T-${this.opened.length}`, url: null };
  }
}

class CredentialHarness extends Harness {
  credentials = new Map<string, Credential[]>();

  override collector(name: string): SourceCollector {
    const base = super.collector(name);
    const planned = this.credentials.get(name) ?? [];
    return {
      ...base,
      collectCredentials: () =>
        (async function* () {
          yield planned;
        })(),
    };
  }

  scanWithCredentials() {
    const options = resolveRuleOptions(this.config.rules);
    return this.scan({
      rules: { rules: RULES, byId: new Map(RULES.map((r) => [r.id, r])), options, credentialRules: CREDENTIAL_RULES },
    });
  }
}

/**
 * Bob left (terminated); his credentials in three systems, one of each situation the plan must tell apart. Okta and
 * Entra revoke credentials through their API; Slack has no credential hook (an installed app is removed by hand).
 */
async function company(extraYaml = '', policy = 'unused-credential: [revoke-credential]') {
  const h = new CredentialHarness(CONFIG.replace('POLICY', policy) + extraYaml);
  const left = { status: 'terminated' as const, terminationEffectiveAt: '2026-10-01T00:00:00.000Z' };
  h.people = [person('E1', 'alice@acme.com'), person('E2', 'bob@acme.com', left)];
  h.accounts.set('okta', [
    account('okta', 'o1', { email: 'alice@acme.com' }),
    account('okta', 'o2', { email: 'bob@acme.com', enabled: false }),
    account('okta', 'o4', { email: 'alice@acme.com', login: 'alice-admin', privileged: true }),
  ]);
  h.accounts.set('entra', [
    account('entra', 'e1', { email: 'alice@acme.com' }),
    account('entra', 'e2', { email: 'bob@acme.com', privilegeKnown: false }),
  ]);
  h.accounts.set('slack', [account('slack', 's2', { email: 'bob@acme.com' })]);
  const old = { usageKnown: true, lastUsedAt: '2026-01-01T00:00:00.000Z' };
  h.credentials.set('okta', [
    credential('okta', 'tok-bob', { accountId: 'o2', name: 'deploy-bot' }),
    credential('okta', 'tok-bob-admin', { accountId: 'o2', privileged: true }),
    credential('okta', 'tok-alice-admin', { accountId: 'o4', ...old }),
    credential('okta', 'grant-alice', { kind: 'oauth-grant', accountId: 'o1', ...old }),
  ]);
  h.credentials.set('entra', [
    credential('entra', 'grant-bob', { kind: 'oauth-grant', accountId: 'e2' }),
    credential('entra', 'app-bob', { kind: 'app-secret', ownerAccountIds: ['e2'], expiresAt: '2027-06-01T00:00:00Z' }),
    credential('entra', 'app-excepted', { kind: 'app-secret', ownerAccountIds: [] }),
  ]);
  h.credentials.set('slack', [credential('slack', 'A0BOB', { kind: 'oauth-grant', accountId: 's2', name: 'Giphy' })]);
  await h.scanWithCredentials();
  const okta = new MemorySystem('okta', { o1: {}, o2: { enabled: false }, o4: {} });
  const oktaCredentials = new MemoryCredentials(['tok-bob', 'tok-bob-admin', 'tok-alice-admin', 'grant-alice']);
  okta.credentials = oktaCredentials;
  const entra = new MemorySystem('entra', { e1: {}, e2: {} });
  const entraCredentials = new MemoryCredentials(['grant-bob', 'app-bob', 'app-excepted']);
  entra.credentials = entraCredentials;
  const slack = new MemorySystem('slack', { s2: {} });
  return { h, systems: { okta, entra, slack }, oktaCredentials, entraCredentials };
}

function table(records: { rule: string; source: string; action: string; status: string; reason: string }[]) {
  return records.map(
    (r) =>
      `${r.rule} ${r.source}/${(r as { credentialId?: string }).credentialId ?? '-'} ${r.action} ${r.status}: ${r.reason}`,
  );
}

describe('remediate plans revoke-credential for credential findings', () => {
  it('plans, falls back to a ticket, or refuses each credential finding, saying why', async () => {
    const { h, systems } = await company();
    const plan = planRemediation(h.db, h.config, {
      now: h.now,
      remediatorFor: (name) => systems[name as keyof typeof systems] ?? null,
    });
    const records = planRecords(plan, h.now).filter((r) => r.credentialId || r.action === 'revoke-credential');
    expect(table(records).sort()).toEqual(
      [
        // Bob's token outlived him: revoked through Okta's API.
        'credential-outlived-owner okta/tok-bob revoke-credential planned: policy for credential-outlived-owner',
        // A token with admin rights: a human decides (--include-privileged).
        'credential-outlived-owner okta/tok-bob-admin revoke-credential refused: privileged credential (or owner account): re-run with --include-privileged to act on it',
        // Unused for 90+ days, but its owner account is an admin: privileged too.
        'unused-credential okta/tok-alice-admin revoke-credential refused: privileged credential (or owner account): re-run with --include-privileged to act on it',
        'unused-credential okta/grant-alice revoke-credential planned: policy for unused-credential',
        // Entra could not say whether bob's account holds a role: the grant may act as an admin (fails closed).
        'credential-outlived-owner entra/grant-bob revoke-credential refused: roles unreadable: entra could not say whether the owner account holds an admin role, so the credential may act as one (see `zombiescan doctor`); re-run with --include-privileged to act on it',
        // The app's only owner left; Entra removes its secrets.
        'ownerless-app-secret entra/app-bob revoke-credential planned: policy for ownerless-app-secret',
        // An account finding whose owner's roles are unknown: refused before anything else is asked.
        'terminated-still-active entra/- revoke-credential refused: roles unreadable: entra could not say whether this account holds an admin role (see `zombiescan doctor`); re-run with --include-privileged to act on it',
        // Slack cannot revoke an installed app through its API: a ticket, and none configured.
        'credential-outlived-owner slack/A0BOB ticket refused: no `tickets` configured: add a tickets section (jira or webhook) to the config',
        // An account finding whose policy names revoke-credential.
        'terminated-still-active slack/- revoke-credential refused: revoke-credential applies only to credential findings',
      ].sort(),
    );

    // The exception naming one credential suppressed its finding: named explicitly, it is refused.
    const excepted = listFindings(h.db, { status: 'all' }).find((f) => f.credentialId === 'app-excepted')!;
    const [exceptedRecord] = planRecords(
      planRemediation(h.db, h.config, {
        now: h.now,
        findingIds: [excepted.id],
        remediatorFor: (name) => systems[name as keyof typeof systems] ?? null,
      }),
      h.now,
    );
    expect(exceptedRecord).toMatchObject({
      status: 'refused',
      reason: expect.stringMatching(/^finding is suppressed by E1 .*Vendor app$/),
    });

    // --include-privileged lifts the privilege guards, and unknown privilege with them.
    const privileged = planRecords(
      planRemediation(h.db, h.config, {
        now: h.now,
        includePrivileged: true,
        remediatorFor: (name) => systems[name as keyof typeof systems] ?? null,
      }),
      h.now,
    ).filter((r) => r.credentialId);
    expect(
      privileged
        .filter((r) => ['tok-bob-admin', 'tok-alice-admin', 'grant-bob'].includes(r.credentialId!))
        .map((r) => [r.credentialId, r.status]),
    ).toEqual(
      expect.arrayContaining([
        ['tok-bob-admin', 'planned'],
        ['tok-alice-admin', 'planned'],
        ['grant-bob', 'planned'],
      ]),
    );
  });

  it('plans a ticket (with the reason) when the source cannot revoke, and refuses account actions on a credential', async () => {
    const { h, systems } = await company(`
tickets: { type: webhook, url: "https://tickets.example.com/hook" }
`);
    (systems.entra.credentials as MemoryCredentials).unsupported = { 'app-secret': 'no Application.ReadWrite.All' };
    const records = planRecords(
      planRemediation(h.db, h.config, {
        now: h.now,
        remediatorFor: (name) => systems[name as keyof typeof systems] ?? null,
      }),
      h.now,
    );
    expect(records.find((r) => r.credentialId === 'app-bob')).toMatchObject({
      action: 'ticket',
      status: 'planned',
      reason: 'instead of revoke-credential: no Application.ReadWrite.All',
    });
    expect(records.find((r) => r.credentialId === 'A0BOB')).toMatchObject({
      action: 'ticket',
      status: 'planned',
      reason: 'instead of revoke-credential: slack cannot revoke credentials through its API',
    });

    const disabling = await company('', 'unused-credential: [disable]');
    const refused = planRecords(
      planRemediation(disabling.h.db, disabling.h.config, {
        now: disabling.h.now,
        remediatorFor: (name) => disabling.systems[name as keyof typeof disabling.systems] ?? null,
      }),
      disabling.h.now,
    ).find((r) => r.credentialId === 'grant-alice');
    expect(refused).toMatchObject({
      action: 'disable',
      status: 'refused',
      reason:
        'disable acts on accounts, and this finding is about a credential: its policy takes revoke-credential (or ticket)',
    });
  });

  it('refuses credential findings of a source whose latest collection failed', async () => {
    const { h, systems } = await company();
    h.accounts.set('okta', new SourceError('okta', 'HTTP 503', 'server'));
    await h.scanWithCredentials();
    const records = planRecords(
      planRemediation(h.db, h.config, {
        now: h.now,
        remediatorFor: (name) => systems[name as keyof typeof systems] ?? null,
      }),
      h.now,
    );
    expect(records.find((r) => r.credentialId === 'tok-bob')).toMatchObject({
      status: 'refused',
      reason: expect.stringMatching(
        /^the latest collection of okta failed \(.*HTTP 503.*\).*no action until a scan completes it$/,
      ),
    });
  });
});

describe('remediate --apply revokes credentials', () => {
  it('re-reads, journals intent and result, revokes, verifies and closes the finding; a second run has nothing to do', async () => {
    const { h, systems, oktaCredentials, entraCredentials } = await company();
    const deps = engineDeps(systems);
    const run = await runRemediation(h.db, h.config, { apply: true }, deps);
    const revoked = run.records.filter((r) => r.action === 'revoke-credential' && r.status === 'applied');
    expect(revoked.map((r) => r.credentialId).sort()).toEqual(['app-bob', 'grant-alice', 'tok-bob']);
    expect(oktaCredentials.revoked.sort()).toEqual(['grant-alice', 'tok-bob']);
    expect(entraCredentials.revoked).toEqual(['app-bob']);
    // Refused ones were not touched.
    expect(oktaCredentials.live.get('tok-bob-admin')).toBe(true);
    expect(entraCredentials.live.get('grant-bob')).toBe(true);
    expect(run.exitCode).toBe(1);

    // Read before (to act) and after (to verify).
    expect(oktaCredentials.reads.filter((id) => id === 'tok-bob')).toHaveLength(2);
    const rows = journalRows(h).filter((row) => row.action === 'revoke-credential' && row.account_id === 'tok-bob');
    expect(rows.map((row) => [row.kind, row.status])).toEqual([
      ['intent', null],
      ['result', 'applied'],
    ]);
    expect(rows[1]!.intent_id).toBe(rows[0]!.id);
    expect(JSON.parse(rows[0]!.detail)).toMatchObject({ rule: 'credential-outlived-owner', mode: 'remediate' });
    expect(rows[0]!.person_id).toBe('E2');
    expect(verifyJournal(h.db).ok).toBe(true);

    const remediated = listFindings(h.db, { status: 'remediated' })
      .filter((f) => f.credentialId)
      .map((f) => f.credentialId);
    expect(remediated.sort()).toEqual(['app-bob', 'grant-alice', 'tok-bob']);

    // The printed plan names the key, then its owner.
    expect(renderRemediation(run, colors(false))).toMatch(/\[api-token\] deploy-bot ·\s+│.*\n.*bob@acme.com/);

    const again = await runRemediation(h.db, h.config, { apply: true }, deps);
    expect(again.records.filter((r) => r.status === 'applied')).toEqual([]);
    expect(oktaCredentials.revoked).toHaveLength(2);
  });

  it('a failed revocation is journaled failed and the finding stays open', async () => {
    const { h, systems, oktaCredentials } = await company();
    oktaCredentials.revokeFailure = new SourceError('okta', 'HTTP 500 from DELETE /api/v1/api-tokens', 'server');
    const run = await runRemediation(h.db, h.config, { apply: true, findingIds: [] }, engineDeps(systems));
    const tok = run.records.find((r) => r.credentialId === 'tok-bob')!;
    expect(tok).toMatchObject({ action: 'revoke-credential', status: 'failed' });
    expect(tok.reason).toContain('HTTP 500');
    expect(listFindings(h.db, { status: 'open' }).some((f) => f.credentialId === 'tok-bob')).toBe(true);
  });

  it('a ticket stands in for a credential the source cannot revoke, one per finding', async () => {
    const { h, systems } = await company(`
tickets: { type: webhook, url: "https://tickets.example.com/hook" }
`);
    const tickets = new MemoryTickets();
    const run = await runRemediation(h.db, h.config, { apply: true }, engineDeps(systems, { tickets }));
    expect(run.records.find((r) => r.credentialId === 'A0BOB')).toMatchObject({ action: 'ticket', status: 'applied' });
    const opened = tickets.opened.find((t) => t.summary.includes('Giphy'))!;
    expect(opened.summary).toBe('[zombiescan] credential-outlived-owner: oauth-grant Giphy in slack');
    expect(opened.description.join('\n')).toContain('zombiescan could not revoke this credential itself');
    expect(opened.idempotencyKey).toBe('zombiescan:credential-outlived-owner:slack:A0BOB');
    // Journaled under the credential id, like a revocation.
    const rows = journalRows(h).filter(
      (row) =>
        row.action === 'ticket' && row.finding_id === run.records.find((r) => r.credentialId === 'A0BOB')!.findingId,
    );
    expect(rows.map((row) => [row.kind, row.account_id])).toEqual([
      ['intent', 'A0BOB'],
      ['result', 'A0BOB'],
    ]);
  });

  it('an interrupted revocation blocks a new one until re-reading the credential confirms it', async () => {
    const { h, systems, oktaCredentials } = await company();
    const finding = listFindings(h.db).find((f) => f.credentialId === 'tok-bob')!;
    const deps = engineDeps(systems);
    // A run killed between its intent and the call's result.
    const plan = planRemediation(h.db, h.config, {
      now: h.now,
      findingIds: [finding.id],
      remediatorFor: deps.remediatorFor,
    });
    const credential = plan.findings[0]!.credential!;
    const killed = new ActionJournal(h.db, deps, 'remediate');
    const intentId = killed.intent(
      {
        findingId: finding.id,
        personId: 'E2',
        account: { ...plan.findings[0]!.account, id: 'tok-bob' },
        action: 'revoke-credential',
      },
      { credential },
    );
    killed.abandon(intentId);
    oktaCredentials.readFailure = new SourceError('okta', 'HTTP 503', 'server');
    const blocked = await runRemediation(h.db, h.config, { apply: true, findingIds: [finding.id] }, deps);
    expect(blocked.records[0]).toMatchObject({
      status: 'refused',
      reason: expect.stringMatching(/interrupted earlier revoke-credential .* could not be confirmed/),
    });
    expect(oktaCredentials.revoked).toEqual([]);

    // Readable again, still there: the interrupted one is closed as not applied, and this run revokes it once.
    oktaCredentials.readFailure = null;
    const run = await runRemediation(h.db, h.config, { apply: true, findingIds: [finding.id] }, deps);
    expect(run.reconciled.map((row) => [row.action, row.status])).toEqual([['revoke-credential', 'failed']]);
    expect(run.records[0]).toMatchObject({ action: 'revoke-credential', status: 'applied' });
    expect(oktaCredentials.revoked).toEqual(['tok-bob']);
    expect(verifyJournal(h.db).ok).toBe(true);
  });
});
