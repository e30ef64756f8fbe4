import { afterEach, describe, expect, it } from 'vitest';
import { SourceError } from '../../src/contract/errors.js';
import { suppressFinding } from '../../src/store/findings.js';
import { runRemediation } from '../../src/remediation/apply.js';
import { verifyJournal } from '../../src/store/journal.js';
import { createTicketClient } from '../../src/remediation/tickets.js';
import type { Account } from '../../src/contract/model.js';
import { account, person, type Harness } from '../engine/helpers.js';
import { startJiraFake, type JiraFake } from '../fakes/jira.js';
import { company, companySystems, engineDeps, findingId, journalRows, MemoryNotifier } from './helpers.js';

const FAST = { baseDelayMs: 1, maxDelayMs: 20 };

let jira: JiraFake | undefined;
afterEach(async () => {
  await jira?.close();
  jira = undefined;
});

async function withJira(extraYaml = ''): Promise<{ h: Harness; jira: JiraFake }> {
  jira = await startJiraFake();
  const h = await company(
    `tickets: { type: jira, baseUrl: "\${JIRA_URL}", email: secops@acme.test, apiToken: "\${JIRA_TOKEN}", project: SEC, labels: [offboarding] }\n` +
      extraYaml,
    { JIRA_URL: jira.baseUrl, JIRA_TOKEN: jira.apiToken },
  );
  return { h, jira };
}

function findingStatus(h: Harness, id: number): string {
  return (h.db.prepare('SELECT status FROM findings WHERE id = ?').get(id) as { status: string }).status;
}

describe('remediate --plan', () => {
  it('lists what would happen, folds unsupported actions into one ticket, refuses what it must, and changes nothing', async () => {
    const h = await company();
    const systems = companySystems();
    const run = await runRemediation(h.db, h.config, { apply: false }, engineDeps(systems));

    expect(run.exitCode).toBe(0);
    const bobOkta = findingId(h, 'terminated-still-active', 'okta', 'o2');
    const bobSlack = findingId(h, 'terminated-still-active', 'slack', 's2');
    const bobZoom = findingId(h, 'terminated-still-active', 'zoom', 'z2');
    const dave = findingId(h, 'terminated-still-active', 'slack', 's4');
    const of = (id: number) => run.records.filter((record) => record.findingId === id);

    expect(of(bobOkta).map((r) => [r.action, r.status])).toEqual([
      ['revoke-sessions', 'planned'],
      ['disable', 'planned'],
    ]);
    // Slack cannot end sessions: that action becomes the finding's ticket, with the reason.
    expect(of(bobSlack).map((r) => [r.action, r.status])).toEqual([
      ['ticket', 'refused'],
      ['disable', 'planned'],
    ]);
    expect(of(bobSlack)[0]!.reason).toMatch(/no `tickets` configured/);
    // Zoom (a CSV export) can do nothing: both actions fall back to ONE ticket.
    expect(of(bobZoom).map((r) => r.action)).toEqual(['ticket']);
    expect(of(dave).every((r) => r.status === 'refused' && /--include-privileged/.test(r.reason))).toBe(true);
    for (const record of run.records) {
      expect(record).toMatchObject({ rule: expect.any(String), source: expect.any(String), at: expect.any(String) });
    }
    expect(run.plan.actionCount).toBe(3);

    // Nothing was called, journaled or changed.
    expect(Object.values(systems).flatMap((system) => system.performed())).toEqual([]);
    expect(journalRows(h)).toEqual([]);
    expect(h.findings().every((finding) => finding.status === 'open')).toBe(true);
  });

  it('plans a ticket with the reasons of every action it replaces', async () => {
    const { h } = await withJira();
    const run = await runRemediation(h.db, h.config, { apply: false }, engineDeps(companySystems()));
    const zoom = run.records.find((record) => record.source === 'zoom')!;
    expect(zoom).toMatchObject({ action: 'ticket', status: 'planned', ticketKey: null });
    expect(zoom.reason).toContain('instead of revoke-sessions: csv exports have no API');
    expect(zoom.reason).toContain('instead of disable: csv exports have no API');
  });
});

describe('remediate --apply', () => {
  it('re-reads, acts, journals intent and result, and marks verified findings remediated', async () => {
    const h = await company();
    const systems = companySystems();
    const run = await runRemediation(h.db, h.config, { apply: true }, engineDeps(systems));

    const bobOkta = findingId(h, 'terminated-still-active', 'okta', 'o2');
    expect(run.records.filter((r) => r.findingId === bobOkta).map((r) => r.status)).toEqual(['applied', 'applied']);
    expect(systems.okta.performed().map((call) => [call.action, call.accountId])).toEqual([
      ['revoke-sessions', 'o2'],
      ['disable', 'o2'],
    ]);
    expect(systems.okta.accounts.get('o2')).toMatchObject({ enabled: false, sessionsRevoked: true });
    // A read before each action and one to verify.
    expect(systems.okta.reads().filter((call) => call.accountId === 'o2')).toHaveLength(3);
    expect(findingStatus(h, bobOkta)).toBe('remediated');
    const event = h.db
      .prepare(`SELECT * FROM finding_events WHERE finding_id = ? AND to_status = 'remediated'`)
      .get(bobOkta) as { actor: string; reason: string; from_status: string };
    expect(event).toMatchObject({ actor: 'alice-secops', from_status: 'open' });
    expect(event.reason).toMatch(/verified disabled/);

    // Every call is bracketed by an intent before and a result after.
    const rows = journalRows(h);
    const intents = rows.filter((row) => row.kind === 'intent');
    // Accounts are worked on concurrently; one account's actions keep their order.
    const intentKeys = intents.map((row) => `${row.source}/${row.account_id}/${row.action}`);
    expect([...intentKeys].sort()).toEqual(['okta/o2/disable', 'okta/o2/revoke-sessions', 'slack/s2/disable']);
    expect(intentKeys.indexOf('okta/o2/revoke-sessions')).toBeLessThan(intentKeys.indexOf('okta/o2/disable'));
    for (const intent of intents) {
      const result = rows.find((row) => row.kind === 'result' && row.intent_id === intent.id)!;
      expect(result).toMatchObject({ status: 'applied', actor: 'alice-secops', finding_id: intent.finding_id });
      expect(result.id).toBeGreaterThan(intent.id);
    }
    expect(verifyJournal(h.db)).toEqual({ ok: true, rows: rows.length, authenticated: false });

    // Refused actions (no tickets, privileged) make the run exit 1.
    expect(run.exitCode).toBe(1);
    expect(findingStatus(h, findingId(h, 'terminated-still-active', 'slack', 's4'))).toBe('open');
  });

  it('does not repeat what the source already shows done', async () => {
    const h = await company();
    const systems = companySystems();
    systems.okta.set('o2', { enabled: false, rawStatus: 'SUSPENDED' });
    const run = await runRemediation(
      h.db,
      h.config,
      { apply: true, findingIds: [findingId(h, 'terminated-still-active', 'okta', 'o2')] },
      engineDeps(systems),
    );
    expect(run.records.map((r) => [r.action, r.status])).toEqual([
      ['revoke-sessions', 'applied'],
      ['disable', 'already-done'],
    ]);
    expect(run.records[1]!.reason).toMatch(/already shows it done \(status SUSPENDED\)/);
    expect(systems.okta.performed('disable')).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(findingStatus(h, run.records[0]!.findingId)).toBe('remediated');
  });

  it('keeps a finding open when the account still reads back enabled', async () => {
    const h = await company('remediation: { policy: { terminated-still-active: [revoke-sessions] } }\n');
    const systems = companySystems();
    const id = findingId(h, 'terminated-still-active', 'okta', 'o2');
    const run = await runRemediation(h.db, h.config, { apply: true, findingIds: [id] }, engineDeps(systems));
    expect(run.records.map((r) => r.status)).toEqual(['applied']);
    expect(findingStatus(h, id)).toBe('open');
  });

  it('records a failed call as failed and exits 1', async () => {
    const h = await company();
    const systems = companySystems();
    systems.okta.performFailures.disable = new SourceError('okta', 'POST /lifecycle/suspend: HTTP 403', 'auth');
    const id = findingId(h, 'terminated-still-active', 'okta', 'o2');
    const run = await runRemediation(h.db, h.config, { apply: true, findingIds: [id] }, engineDeps(systems));
    expect(run.records.map((r) => [r.action, r.status])).toEqual([
      ['revoke-sessions', 'applied'],
      ['disable', 'failed'],
    ]);
    expect(run.records[1]!.reason).toBe('okta: POST /lifecycle/suspend: HTTP 403');
    expect(run.exitCode).toBe(1);
    expect(findingStatus(h, id)).toBe('open');
    const failed = journalRows(h).find((row) => row.status === 'failed')!;
    expect(failed.intent_id).not.toBeNull();
  });
});

describe('refusals', () => {
  it('over the limit: --plan lists everything as planned and says so; --apply applies nothing and exits 2', async () => {
    const h = await company('remediation: { maxActionsPerRun: 2 }\n');
    const systems = companySystems();
    const plan = await runRemediation(h.db, h.config, { apply: false }, engineDeps(systems));
    expect(plan.plan).toMatchObject({ actionCount: 3, limit: 2, overLimit: true });
    expect(plan.records.filter((r) => r.status === 'planned')).toHaveLength(3);
    expect(plan.exitCode).toBe(0);

    const apply = await runRemediation(h.db, h.config, { apply: true }, engineDeps(systems));
    expect(apply.exitCode).toBe(2);
    expect(apply.refusedToStart).toMatch(/3 actions exceed the limit of 2/);
    expect(Object.values(systems).flatMap((system) => system.performed())).toEqual([]);
    expect(journalRows(h)).toEqual([]);

    const allowed = await runRemediation(h.db, h.config, { apply: true, max: 3 }, engineDeps(systems));
    expect(allowed.refusedToStart).toBeNull();
    expect(systems.okta.performed()).toHaveLength(2);
  });

  it('refuses accounts of a source whose latest collection failed', async () => {
    const h = await company();
    h.accounts.set('slack', new SourceError('slack', 'users.list: invalid_auth', 'auth'));
    h.now = new Date('2026-11-26T12:30:00Z');
    await h.scan();
    const systems = companySystems();
    const id = findingId(h, 'terminated-still-active', 'slack', 's2');
    const run = await runRemediation(h.db, h.config, { apply: true, findingIds: [id] }, engineDeps(systems));
    expect(run.records.map((r) => r.status)).toEqual(['refused', 'refused']);
    expect(run.records[1]!.reason).toMatch(/latest collection of slack failed \(users.list: invalid_auth\)/);
    expect(systems.slack.calls).toEqual([]);
    expect(run.exitCode).toBe(1);
  });

  it('refuses a finding whose evidence came from an IdP whose latest collection failed', async () => {
    // Frank is still employed but disabled in Okta: his Slack account is idp-disabled-app-active.
    const h = await company();
    h.people.push(person('E6', 'frank@acme.com', { name: 'Frank' }));
    h.accounts.set('okta', [
      ...(h.accounts.get('okta') as Account[]),
      account('okta', 'o6', { email: 'frank@acme.com', enabled: false, rawStatus: 'SUSPENDED' }),
    ]);
    h.accounts.set('slack', [
      ...(h.accounts.get('slack') as Account[]),
      account('slack', 's6', { email: 'frank@acme.com' }),
    ]);
    await h.scan();
    const id = findingId(h, 'idp-disabled-app-active', 'slack', 's6');
    const systems = companySystems();
    systems.slack.set('s6', {});
    const current = await runRemediation(h.db, h.config, { apply: false, findingIds: [id] }, engineDeps(systems));
    expect(current.records.map((r) => r.status)).toEqual(['planned']);

    // The next scan cannot read Okta: Slack itself completed, but the finding stands on Okta's word.
    h.accounts.set('okta', new SourceError('okta', 'GET /api/v1/users: HTTP 401', 'auth'));
    h.now = new Date('2026-11-26T12:30:00Z');
    await h.scan();
    const run = await runRemediation(h.db, h.config, { apply: true, findingIds: [id] }, engineDeps(systems));
    expect(run.records.map((r) => [r.action, r.status])).toEqual([['disable', 'refused']]);
    expect(run.records[0]!.reason).toBe(
      "the latest collection of okta (this finding's evidence comes from it) failed (GET /api/v1/users: HTTP 401); " +
        'it last completed 2026-11-26T12:00:00.000Z: no action until a scan completes it',
    );
    expect(systems.slack.calls).toEqual([]);
    expect(run.exitCode).toBe(1);
  });

  it('refuses suppressed findings and accounts covered by an exception', async () => {
    const h = await company();
    const systems = companySystems();
    const okta = findingId(h, 'terminated-still-active', 'okta', 'o2');
    suppressFinding(h.db, {
      id: okta,
      reason: 'legal hold',
      until: new Date('2027-01-31T00:00:00Z'),
      by: 'carol',
      now: h.now,
    });
    // Suppressed findings are not picked up by a plain run...
    const plain = await runRemediation(h.db, h.config, { apply: false }, engineDeps(systems));
    expect(plain.records.some((r) => r.findingId === okta)).toBe(false);
    // ...and refused when named.
    const named = await runRemediation(h.db, h.config, { apply: true, findingIds: [okta] }, engineDeps(systems));
    expect(named.records.map((r) => r.status)).toEqual(['refused', 'refused']);
    expect(named.records[0]!.reason).toMatch(/suppressed by carol until 2027-01-31.*legal hold/);

    // An exception added to the config since the last scan still protects the account.
    const config = {
      ...h.config,
      exceptions: [
        { source: 'slack', login: 'bob', reason: 'Shared on-call login', owner: 'E1', expires: '2027-06-30' },
      ],
    };
    const slack = findingId(h, 'terminated-still-active', 'slack', 's2');
    const excepted = await runRemediation(h.db, config, { apply: true, findingIds: [slack] }, engineDeps(systems));
    expect(
      excepted.records.every((r) => r.status === 'refused' && /excepted \(bob\): Shared on-call login/.test(r.reason)),
    ).toBe(true);
    expect(Object.values(systems).flatMap((system) => system.performed())).toEqual([]);
  });

  it('refuses privileged accounts unless --include-privileged', async () => {
    const h = await company();
    const systems = companySystems();
    const dave = findingId(h, 'terminated-still-active', 'slack', 's4');
    const refused = await runRemediation(h.db, h.config, { apply: true, findingIds: [dave] }, engineDeps(systems));
    expect(refused.records.map((r) => r.status)).toEqual(['refused', 'refused']);
    expect(systems.slack.performed()).toEqual([]);

    const allowed = await runRemediation(
      h.db,
      h.config,
      { apply: true, findingIds: [dave], includePrivileged: true },
      engineDeps(systems),
    );
    expect(allowed.records.find((r) => r.action === 'disable')!.status).toBe('applied');
    expect(systems.slack.performed('disable').map((call) => call.accountId)).toEqual(['s4']);
  });

  it('refuses a finding that is not open or acknowledged, and exits 2 for an unknown id', async () => {
    const h = await company();
    const systems = companySystems();
    const id = findingId(h, 'terminated-still-active', 'okta', 'o2');
    await runRemediation(h.db, h.config, { apply: true, findingIds: [id] }, engineDeps(systems));
    const again = await runRemediation(h.db, h.config, { apply: true, findingIds: [id] }, engineDeps(systems));
    expect(again.records[0]!.reason).toMatch(/finding is remediated/);
    await expect(
      runRemediation(h.db, h.config, { apply: false, findingIds: [999] }, engineDeps(systems)),
    ).rejects.toMatchObject({ exitCode: 2 });
  });
});

describe('tickets', () => {
  it('opens one Jira issue per finding, stores its key, and never opens a second one', async () => {
    const { h, jira } = await withJira();
    const systems = companySystems();
    const tickets = createTicketClient(h.config.tickets!, { retryPolicy: FAST });
    const carol = findingId(h, 'past-end-date', 'slack', 's3');

    const first = await runRemediation(
      h.db,
      h.config,
      { apply: true, findingIds: [carol] },
      engineDeps(systems, { tickets }),
    );
    expect(first.records).toEqual([
      expect.objectContaining({ action: 'ticket', status: 'applied', ticketKey: 'SEC-1', findingId: carol }),
    ]);
    expect(first.exitCode).toBe(0);
    const second = await runRemediation(
      h.db,
      h.config,
      { apply: true, findingIds: [carol] },
      engineDeps(systems, { tickets }),
    );
    expect(second.records).toEqual([
      expect.objectContaining({ action: 'ticket', status: 'already-done', ticketKey: 'SEC-1' }),
    ]);
    expect(jira.creates()).toHaveLength(1);

    const issue = jira.state.issues[0]!;
    expect(issue.fields.labels).toEqual(['zombiescan', `zombiescan-${carol}`, 'offboarding']);
    expect(issue.fields.summary).toBe('[zombiescan] past-end-date: carol@acme.com in slack');
    expect(jira.state.requests.every((request) => request.authorized)).toBe(true);
    // A ticket-only finding stays open, with its ticket recorded.
    const row = h.db.prepare('SELECT status, ticket_key FROM findings WHERE id = ?').get(carol);
    expect(row).toEqual({ status: 'open', ticket_key: 'SEC-1' });
  });

  it('puts the reasons of the replaced actions into the ticket', async () => {
    const { h, jira } = await withJira();
    const tickets = createTicketClient(h.config.tickets!, { retryPolicy: FAST });
    const zoom = findingId(h, 'terminated-still-active', 'zoom', 'z2');
    const run = await runRemediation(
      h.db,
      h.config,
      { apply: true, findingIds: [zoom] },
      engineDeps(companySystems(), { tickets }),
    );
    expect(run.records).toEqual([expect.objectContaining({ action: 'ticket', status: 'applied', ticketKey: 'SEC-1' })]);
    const text = JSON.stringify(jira.state.issues[0]!.fields.description);
    expect(text).toContain('could not revoke-sessions this account itself: csv exports have no API');
    expect(text).toContain('could not disable this account itself: csv exports have no API');
    expect(h.findings(`id = ${zoom}`)[0]!.status).toBe('open');
  });

  it('records a refused Jira create as failed, with Jira’s reason and without the token', async () => {
    const { h, jira } = await withJira();
    const config = { ...h.config, tickets: { ...h.config.tickets!, project: 'NOPE' } } as typeof h.config;
    const tickets = createTicketClient(config.tickets!, { retryPolicy: FAST });
    const run = await runRemediation(
      h.db,
      config,
      { apply: true, findingIds: [findingId(h, 'past-end-date', 'slack', 's3')] },
      engineDeps(companySystems(), { tickets }),
    );
    expect(run.records[0]).toMatchObject({ status: 'failed', ticketKey: null });
    expect(run.records[0]!.reason).toBe(
      'jira: POST /rest/api/3/issue: HTTP 400, Jira refused the request: project: valid project is required',
    );
    expect(JSON.stringify(journalRows(h))).not.toContain(jira.apiToken);
  });
});

describe('notify-owner', () => {
  it('asks the owner, or the manager when the owner has left; refused without slack config', async () => {
    const yaml =
      'remediation: { policy: { past-end-date: [notify-owner], terminated-still-active: [notify-owner] } }\n';
    const h = await company(yaml);
    const notifier = new MemoryNotifier();
    const carol = findingId(h, 'past-end-date', 'slack', 's3');
    const bob = findingId(h, 'terminated-still-active', 'slack', 's2');
    const dave = findingId(h, 'terminated-still-active', 'slack', 's4');

    const refused = await runRemediation(
      h.db,
      h.config,
      { apply: true, findingIds: [carol] },
      engineDeps(companySystems(), { notifier }),
    );
    expect(refused.records[0]).toMatchObject({
      status: 'refused',
      reason: expect.stringMatching(/no `slack` configured/),
    });

    const config = {
      ...h.config,
      slack: { token: 'xoxb-1', channel: 'C1', reviewers: [], apiUrl: 'http://127.0.0.1:1/' },
    };
    const run = await runRemediation(
      h.db,
      config,
      { apply: true, findingIds: [carol, bob, dave], includePrivileged: true },
      engineDeps(companySystems(), { notifier }),
    );
    const byFinding = new Map(run.records.map((record) => [record.findingId, record]));
    expect(byFinding.get(carol)).toMatchObject({
      status: 'applied',
      reason: 'asked the owner carol@acme.com in a Slack message',
    });
    expect(byFinding.get(bob)).toMatchObject({
      status: 'applied',
      reason: "asked the owner's manager alice@acme.com in a Slack message",
    });
    // Dave left and has no manager on record: nobody to ask.
    expect(byFinding.get(dave)).toMatchObject({
      status: 'refused',
      reason: expect.stringMatching(/no manager on record/),
    });
    expect(notifier.sent.map((message) => message.email).sort()).toEqual(['alice@acme.com', 'carol@acme.com']);
    expect(notifier.sent.find((message) => message.email === 'alice@acme.com')!.text).toMatch(
      /Bob, who reported to you, has left, and their slack account robert@acme.com/,
    );
  });
});

describe('one applying process at a time', () => {
  it('refuses to apply while another live process holds the lock, and takes over a dead one', async () => {
    const h = await company();
    const systems = companySystems();
    const lock = (pid: number) =>
      h.db
        .prepare(
          `INSERT INTO meta (key, value) VALUES ('remediation_lock', ?)
           ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
        )
        .run(JSON.stringify({ pid, since: '2026-11-26T12:00:00.000Z' }));
    lock(process.ppid);
    await expect(runRemediation(h.db, h.config, { apply: true }, engineDeps(systems))).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(`another remediation is being applied \\(pid ${process.ppid}`),
    });
    expect(systems.okta.calls).toEqual([]);
    // A dry run needs no lock.
    expect((await runRemediation(h.db, h.config, { apply: false }, engineDeps(systems))).exitCode).toBe(0);

    lock(2 ** 22 + 12345);
    await runRemediation(h.db, h.config, { apply: true }, engineDeps(systems));
    expect(systems.okta.performed()).toHaveLength(2);
    expect(h.db.prepare(`SELECT value FROM meta WHERE key = 'remediation_lock'`).get()).toBeUndefined();
  });
});
