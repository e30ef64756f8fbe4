import { describe, expect, it } from 'vitest';
import { RosterGuardError } from '../../src/contract/errors.js';
import { suppressFinding } from '../../src/store/findings.js';
import { account, Harness, person } from './helpers.js';

const CONFIG = `
database: ./z.db
timezone: Europe/London
roster: { path: ./hr.csv }
sources:
  - { name: okta, type: csv, path: ./okta.csv, role: idp }
  - { name: slack, type: csv, path: ./slack.csv }
exceptions:
  - { source: slack, login: "breakglass*", reason: "Break-glass, reviewed quarterly", owner: E1, expires: 2026-12-31 }
`;

function company(h: Harness) {
  h.people = [
    person('E1', 'alice@acme.com'),
    person('E2', 'bob@acme.com', { status: 'terminated', terminationEffectiveAt: '2026-10-01T00:00:00.000Z' }),
    person('E3', 'carol@acme.com'),
  ];
  h.accounts.set('okta', [
    account('okta', 'o1', { email: 'alice@acme.com' }),
    account('okta', 'o2', { email: 'bob@acme.com', enabled: false }),
    account('okta', 'o3', { email: 'carol@acme.com' }),
  ]);
  h.accounts.set('slack', [
    account('slack', 's1', { email: 'alice@acme.com' }),
    account('slack', 's2', { email: 'bob@acme.com' }),
    account('slack', 's3', { email: 'carol@acme.com', privileged: true }),
    account('slack', 's4', { email: 'ghost@acme.com' }),
  ]);
}

describe('scan and the findings lifecycle', () => {
  it('opens a finding, keeps its id across scans, resolves it, and reopens it', async () => {
    const h = new Harness(CONFIG);
    company(h);
    const first = await h.scan();
    expect(first.status).toBe('complete');
    const opened = h.findings(`rule = 'terminated-still-active' AND source = 'slack'`);
    expect(opened).toHaveLength(1);
    expect(opened[0]).toMatchObject({ account_id: 's2', status: 'open', severity: 'critical' });

    h.now = new Date('2026-11-27T12:00:00Z');
    await h.scan();
    const persisted = h.findings(`rule = 'terminated-still-active' AND source = 'slack'`)[0]!;
    expect(persisted.id).toBe(opened[0]!.id);
    expect(persisted.first_seen).toBe(opened[0]!.first_seen);
    expect(persisted.last_seen).toBe('2026-11-27T12:00:00.000Z');

    h.accounts.set('slack', [account('slack', 's2', { email: 'bob@acme.com', enabled: false })]);
    const third = await h.scan();
    expect(third.findings.resolved).toBeGreaterThanOrEqual(2);
    expect(h.findings(`id = ${persisted.id}`)[0]!.status).toBe('resolved');

    company(h);
    const fourth = await h.scan();
    expect(fourth.findings.reopened).toBeGreaterThanOrEqual(1);
    expect(h.findings(`id = ${persisted.id}`)[0]!.status).toBe('open');
    const events = h.db
      .prepare('SELECT from_status, to_status FROM finding_events WHERE finding_id = ? ORDER BY id')
      .all(persisted.id);
    expect(events).toEqual([
      { from_status: null, to_status: 'open' },
      { from_status: 'open', to_status: 'resolved' },
      { from_status: 'resolved', to_status: 'open' },
    ]);
  });

  it('flags the expected zombies, with the privileged bump and cross-source idp rule', async () => {
    const h = new Harness(CONFIG);
    company(h);
    h.accounts.set('okta', [
      account('okta', 'o1', { email: 'alice@acme.com' }),
      account('okta', 'o2', { email: 'bob@acme.com', enabled: false }),
      account('okta', 'o3', { email: 'carol@acme.com', enabled: false }),
    ]);
    await h.scan();
    const found = h.findings().map((f) => `${f.rule}/${f.source}/${f.account_id}/${f.severity}`);
    expect(found.sort()).toEqual(
      [
        'terminated-still-active/slack/s2/critical',
        'orphan-account/slack/s4/high',
        // carol is locked out of the idp but her slack account is enabled; privileged: high -> critical
        'idp-disabled-app-active/slack/s3/critical',
      ].sort(),
    );
    // The raise is recorded so every view can say "critical (admin)"; an unraised finding carries no such key.
    const evidence = (where: string) =>
      JSON.parse((h.findings(where)[0] as unknown as { evidence: string }).evidence) as Record<string, unknown>;
    expect(evidence(`account_id = 's3'`)).toMatchObject({ privileged: true, severityBeforePrivilege: 'high' });
    expect(evidence(`account_id = 's2'`)).not.toHaveProperty('severityBeforePrivilege');
  });

  it('a failed source keeps its snapshot and its findings; the others are reconciled', async () => {
    const h = new Harness(CONFIG);
    company(h);
    await h.scan();
    const before = h.findings(`source = 'slack'`);
    expect(before.length).toBeGreaterThan(0);

    h.now = new Date('2026-11-27T12:00:00Z');
    h.accounts.set('slack', async function* () {
      yield [account('slack', 's1', { email: 'alice@acme.com' })];
      throw new Error('HTTP 503 from upstream');
    });
    const result = await h.scan();
    expect(result.status).toBe('partial');
    expect(result.sources.find((s) => s.name === 'slack')).toMatchObject({ status: 'failed' });
    expect(h.findings(`source = 'slack'`)).toEqual(before);
    const snapshot = h.db.prepare(`SELECT count(*) AS n FROM current_accounts WHERE source = 'slack'`).get() as {
      n: number;
    };
    expect(snapshot.n).toBe(4);
    const partialRows = h.db
      .prepare(`SELECT count(*) AS n FROM accounts WHERE source = 'slack' AND run_id = ?`)
      .get(result.runId) as { n: number };
    expect(partialRows.n).toBe(0);
    const runSource = h.db
      .prepare(`SELECT status, error FROM run_sources WHERE run_id = ? AND source = 'slack'`)
      .get(result.runId);
    expect(runSource).toEqual({ status: 'failed', error: 'HTTP 503 from upstream' });
  });

  it('does not touch idp-dependent findings when an idp source failed', async () => {
    const h = new Harness(CONFIG);
    company(h);
    h.accounts.set('okta', [account('okta', 'o3', { email: 'carol@acme.com', enabled: false })]);
    await h.scan();
    expect(h.findings(`rule = 'idp-disabled-app-active'`)).toHaveLength(1);
    h.accounts.set('okta', new Error('okta is down'));
    h.accounts.set('slack', [account('slack', 's3', { email: 'carol@acme.com', enabled: false })]);
    await h.scan();
    // slack completed and carol's account is now disabled: but the idp rule's scope was incomplete
    expect(h.findings(`rule = 'idp-disabled-app-active'`)[0]!.status).toBe('open');

    // The rule still fires from the idp's last complete snapshot: the scan completes and changes nothing of it.
    h.accounts.set('slack', [account('slack', 's3', { email: 'carol@acme.com' })]);
    const before = h.findings(`rule = 'idp-disabled-app-active'`);
    const result = await h.scan();
    expect(result.status).toBe('partial');
    expect(h.findings(`rule = 'idp-disabled-app-active'`)).toEqual(before);
  });

  it('standing exceptions suppress until they expire, then the finding reopens', async () => {
    const h = new Harness(CONFIG);
    h.people = [person('E1', 'alice@acme.com')];
    h.accounts.set('okta', [account('okta', 'o1', { email: 'alice@acme.com' })]);
    h.accounts.set('slack', [account('slack', 's9', { login: 'breakglass-admin', email: null })]);
    const first = await h.scan();
    expect(h.findings()).toMatchObject([{ rule: 'orphan-account', status: 'suppressed' }]);
    // Counted apart, so the summary can say "0 new, 1 suppressed by an exception" and the open total adds up.
    expect(first.findings).toMatchObject({ opened: 1, openedSuppressed: 1, newThisRun: 1 });
    // The exception runs through 2026-12-31 in Europe/London.
    h.now = new Date('2026-12-31T23:59:00Z');
    await h.scan();
    expect(h.findings()[0]!.status).toBe('suppressed');
    h.now = new Date('2027-01-01T00:00:01Z');
    await h.scan();
    expect(h.findings()[0]!.status).toBe('open');
  });

  it('a manual suppression holds until its date, then reopens if still true', async () => {
    const h = new Harness(CONFIG);
    company(h);
    await h.scan();
    const orphan = h.findings(`rule = 'orphan-account'`)[0]!;
    suppressFinding(h.db, {
      id: orphan.id,
      reason: 'contractor badge pending',
      until: new Date('2026-12-01T00:00:00Z'),
      by: 'alice',
      now: h.now,
    });
    h.now = new Date('2026-11-30T00:00:00Z');
    await h.scan();
    expect(h.findings(`id = ${orphan.id}`)[0]!.status).toBe('suppressed');
    h.now = new Date('2026-12-02T00:00:00Z');
    await h.scan();
    expect(h.findings(`id = ${orphan.id}`)[0]!.status).toBe('open');
  });

  it('never evaluates built-in identities', async () => {
    const h = new Harness(CONFIG);
    h.people = [person('E1', 'alice@acme.com')];
    h.accounts.set('slack', [account('slack', 'USLACKBOT', { login: 'slackbot', type: 'bot', builtIn: true })]);
    await h.scan();
    expect(h.findings()).toEqual([]);
  });

  describe('roster guard', () => {
    it('refuses an empty roster and a shrink over 20%, writing nothing', async () => {
      const h = new Harness(CONFIG);
      company(h);
      h.people = Array.from({ length: 10 }, (_, i) => person(`E${i}`, `p${i}@acme.com`));
      await h.scan();
      const runs = () => (h.db.prepare('SELECT count(*) AS n FROM runs').get() as { n: number }).n;
      expect(runs()).toBe(1);

      h.people = h.people.slice(0, 7);
      await expect(h.scan()).rejects.toThrow(RosterGuardError);
      await expect(h.scan()).rejects.toThrow(/shrank by 30% \(10 -> 7 people\)/);
      h.people = [];
      await expect(h.scan()).rejects.toThrow(/roster is empty/);
      expect(runs()).toBe(1);

      h.people = Array.from({ length: 8 }, (_, i) => person(`E${i}`, `p${i}@acme.com`));
      await h.scan(); // exactly 20% is allowed
      h.people = h.people.slice(0, 5);
      await h.scan({ acceptRosterChange: true });
      expect(runs()).toBe(3);
    });
  });

  it('an aborted scan leaves the previous state intact and says it was interrupted', async () => {
    const h = new Harness(CONFIG);
    company(h);
    await h.scan();
    const before = h.findings();
    const controller = new AbortController();
    h.accounts.set('slack', async function* () {
      yield [account('slack', 'new', { email: 'new@acme.com' })];
      controller.abort(new Error('SIGTERM'));
      yield [];
    });
    await expect(h.scan({ signal: controller.signal })).rejects.toThrow();
    expect(h.findings()).toEqual(before);
    const last = h.db.prepare('SELECT status FROM runs ORDER BY id DESC LIMIT 1').get();
    expect(last).toEqual({ status: 'interrupted' });
    expect(h.db.prepare(`SELECT count(*) AS n FROM accounts WHERE id = 'new'`).get()).toEqual({ n: 0 });
  });

  it('keeps secrets out of stored errors', async () => {
    const h = new Harness(
      CONFIG.replace(
        'sources:',
        'sources:\n  - { name: zoom, type: scim, baseUrl: "https://zoom.example/scim/v2", token: "${ZOOM_TOKEN}" }',
      ),
      { ZOOM_TOKEN: 'sekrit-token-123' },
    );
    company(h);
    h.accounts.set('zoom', new Error('401 for Bearer sekrit-token-123'));
    await h.scan();
    const rows = h.db.prepare(`SELECT error FROM run_sources WHERE source = 'zoom'`).all();
    expect(rows).toEqual([{ error: '401 for Bearer [redacted]' }]);
  });
});
