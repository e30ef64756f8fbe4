import { describe, expect, it } from 'vitest';
import { CREDENTIAL_RULES, RULES, resolveRuleOptions } from '../../rules/index.js';
import { renderLeavers } from '../../src/cli/commands/leavers.js';
import { colors } from '../../reports/terminal.js';
import type { SourceCollector } from '../../src/contract/collector.js';
import type { Credential } from '../../src/contract/model.js';
import { listLeavers } from '../../src/lifecycle/leavers.js';
import { runLifecycleTick } from '../../src/lifecycle/queue.js';
import { listFindings } from '../../src/store/findings.js';
import { verifyJournal } from '../../src/store/journal.js';
import { account } from '../engine/helpers.js';
import { journalRows, MemoryCredentials, MemorySystem } from '../remediation/helpers.js';
import { LifecycleCompany } from './helpers.js';

const DECAY = `lifecycle:
  leavers: { mode: apply }
  decay:
    - name: contractors
      match: { workerType: contractor }
      steps:
        - { at: 0d, do: [revoke-sessions, disable, revoke-credentials] }`;

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

/**
 * Carol, a contractor, leaves on 2026-12-31. Okta holds her API token and a grant (revocable through its API); what
 * Slack holds per source is set per test. `unreadable` makes a source say it could not list a kind.
 */
async function contractor(slackCredentials: Credential[], unreadable: string[] = []) {
  const c = new LifecycleCompany(DECAY, 'UTC');
  c.writeRoster([
    'E1,alice@acme.com,Alice,active,employee,,',
    'E3,carol@acme.com,Carol,terminated,contractor,2026-12-31,E1',
  ]);
  const credentials: Record<string, Credential[]> = {
    okta: [
      credential('okta', 'tok-carol', { accountId: 'o3', name: 'ci-deploy' }),
      credential('okta', 'grant-carol', { kind: 'oauth-grant', accountId: 'o3', name: 'Zoom: okta.users.read' }),
    ],
    slack: slackCredentials,
  };
  const base = c.h.collector.bind(c.h);
  c.h.collector = (name: string): SourceCollector => ({
    ...base(name),
    collectCredentials: (context) =>
      (async function* () {
        if (unreadable.includes(name)) context.notice(`${name}: installed apps unreadable, unknown, not none`);
        yield credentials[name] ?? [];
      })(),
  });
  const options = resolveRuleOptions(c.config.rules);
  c.h.people = await c.roster();
  c.h.accounts.set('okta', [account('okta', 'o3', { email: 'carol@acme.com', login: 'carol' })]);
  c.h.accounts.set('slack', [account('slack', 's3', { email: 'carol@acme.com', login: 'carol' })]);
  c.h.now = c.clock;
  await c.h.scan({
    rules: { rules: RULES, byId: new Map(RULES.map((r) => [r.id, r])), options, credentialRules: CREDENTIAL_RULES },
  });
  const oktaCredentials = new MemoryCredentials(['tok-carol', 'grant-carol']);
  const okta = new MemorySystem('okta', { o3: {} });
  okta.credentials = oktaCredentials;
  const slack = new MemorySystem('slack', { s3: {} });
  slack.unsupported = { 'revoke-sessions': 'needs Enterprise Grid' };
  return { c, live: { okta, slack }, oktaCredentials };
}

describe('decay step revoke-credentials', () => {
  it('revokes and verifies every credential of the leaver, journals each, and the step is done', async () => {
    const { c, live, oktaCredentials } = await contractor([]);
    c.clock = new Date('2027-01-01T12:00:00Z');
    const tick = await runLifecycleTick(c.db, c.config, c.deps(live));
    const [step] = tick.steps;
    expect(step!.status).toBe('done');
    const revoke = step!.actions.find((a) => a.action === 'revoke-credentials')!;
    expect(revoke).toMatchObject({ status: 'applied', reason: '2 credential(s): 2 verified revoked or gone' });
    expect(oktaCredentials.revoked.sort()).toEqual(['grant-carol', 'tok-carol']);
    // Read before and after each.
    expect(oktaCredentials.reads.filter((id) => id === 'tok-carol')).toHaveLength(2);
    const rows = journalRows(c.h).filter((row) => row.action === 'revoke-credential');
    expect(rows.map((row) => `${row.kind}:${row.account_id}:${row.status ?? ''}`).sort()).toEqual([
      'intent:grant-carol:',
      'intent:tok-carol:',
      'result:grant-carol:applied',
      'result:tok-carol:applied',
    ]);
    expect(rows.every((row) => row.person_id === 'E3')).toBe(true);
    expect(verifyJournal(c.db).ok).toBe(true);
    // The credential findings are closed as verified.
    expect(listFindings(c.db, { status: 'open' }).filter((f) => f.credentialId)).toEqual([]);

    // The next pass does not repeat it.
    c.clock = new Date('2027-01-01T12:01:00Z');
    await runLifecycleTick(c.db, c.config, c.deps(live));
    expect(oktaCredentials.revoked).toHaveLength(2);
  });

  it('fails the step honestly, naming what was not revoked: a Slack app needs a ticket and none is configured', async () => {
    const { c, live, oktaCredentials } = await contractor([
      credential('slack', 'A0CAROL', { kind: 'oauth-grant', accountId: 's3', name: 'Giphy' }),
    ]);
    c.clock = new Date('2027-01-01T12:00:00Z');
    const [step] = (await runLifecycleTick(c.db, c.config, c.deps(live))).steps;
    expect(step!.status).toBe('incomplete');
    const revoke = step!.actions.find((a) => a.action === 'revoke-credentials')!;
    expect(revoke.status).toBe('failed');
    expect(revoke.reason).toMatch(
      /^3 credential\(s\): 2 verified revoked or gone; 1 not \(slack oauth-grant Giphy: refused, no `tickets` configured/,
    );
    expect(oktaCredentials.revoked).toHaveLength(2);
  });

  it('a revocation the source reports done but that reads back usable fails the step', async () => {
    const { c, live, oktaCredentials } = await contractor([]);
    oktaCredentials.revokeIneffective = true;
    c.clock = new Date('2027-01-01T12:00:00Z');
    const [step] = (await runLifecycleTick(c.db, c.config, c.deps(live))).steps;
    const revoke = step!.actions.find((a) => a.action === 'revoke-credentials')!;
    expect(revoke.status).toBe('failed');
    expect(revoke.reason).toContain('2 not (okta api-token ci-deploy: applied');
    expect(step!.status).toBe('incomplete');
  });
});

describe('leavers shows credentials', () => {
  it('lists the known credentials of a leaver, and unknown (null) when a source of theirs could not list some', async () => {
    const { c } = await contractor([
      credential('slack', 'A0CAROL', { kind: 'oauth-grant', accountId: 's3', name: 'Giphy' }),
    ]);
    const now = new Date('2026-12-28T12:00:00Z');
    const [carol] = listLeavers(c.db, c.config, { now, days: 14 });
    expect(carol!.credentials).toEqual([
      { source: 'okta', credentialId: 'tok-carol', kind: 'api-token', description: 'ci-deploy', enabled: true },
      {
        source: 'okta',
        credentialId: 'grant-carol',
        kind: 'oauth-grant',
        description: 'Zoom: okta.users.read',
        enabled: true,
      },
      { source: 'slack', credentialId: 'A0CAROL', kind: 'oauth-grant', description: 'Giphy', enabled: true },
    ]);
    expect(renderLeavers([carol!], 'apply', 14, colors(false))).toContain('okta api-token ci-deploy');

    const unknown = await contractor([], ['slack']);
    const [again] = listLeavers(unknown.c.db, unknown.c.config, { now, days: 14 });
    expect(again!.credentials).toBeNull();
    expect(renderLeavers([again!], 'apply', 14, colors(false))).toContain('credentials: unknown');
  });
});
