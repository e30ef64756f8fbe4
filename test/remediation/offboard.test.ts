import { afterEach, describe, expect, it } from 'vitest';
import { SourceError } from '../../src/contract/errors.js';
import { runOffboard } from '../../src/remediation/offboard.js';
import { verifyJournal } from '../../src/store/journal.js';
import { createTicketClient } from '../../src/remediation/tickets.js';
import { account, Harness, person } from '../engine/helpers.js';
import { startJiraFake, type JiraFake } from '../fakes/jira.js';
import { engineDeps, journalRows, MemorySystem } from './helpers.js';

const SOURCES = ['okta', 'entra', 'slack', 'zoom', 'github', 'box'] as const;

function yaml(extra = ''): string {
  return `
database: ./z.db
roster: { path: ./hr.csv }
sources:
  - { name: okta, type: csv, path: ./okta.csv, role: idp }
  - { name: entra, type: csv, path: ./entra.csv, role: idp }
  - { name: slack, type: csv, path: ./slack.csv }
  - { name: zoom, type: csv, path: ./zoom.csv }
  - { name: github, type: csv, path: ./github.csv }
  - { name: box, type: csv, path: ./box.csv }
serviceAccounts:
  - { source: github, login: "svc-*", owner: E2 }
${extra}`;
}

/** Bob (E2) left; he has an account in every source, one of them already disabled, and owns a service account. */
async function bobsCompany(extra = '', env: NodeJS.ProcessEnv = {}): Promise<Harness> {
  const h = new Harness(yaml(extra), env);
  h.people = [
    person('E1', 'alice@acme.com', { name: 'Alice' }),
    person('E2', 'bob@acme.com', {
      name: 'Bob',
      status: 'terminated',
      terminationEffectiveAt: '2026-11-20T00:00:00.000Z',
      aliases: ['robert@acme.com'],
    }),
  ];
  h.accounts.set('okta', [
    account('okta', 'o1', { email: 'alice@acme.com' }),
    account('okta', 'o2', { email: 'bob@acme.com', login: 'bob@acme.com', privileged: true }),
  ]);
  h.accounts.set('entra', [account('entra', 'e2', { employeeId: 'E2', login: 'bob@acme.onmicrosoft.com' })]);
  h.accounts.set('slack', [account('slack', 's2', { email: 'robert@acme.com', login: 'bob' })]);
  h.accounts.set('zoom', [account('zoom', 'z2', { email: 'BOB+zoom@ACME.com' })]);
  h.accounts.set('github', [
    account('github', 'g2', { email: 'bob@acme.com', login: 'bob-gh' }),
    account('github', 'g9', { login: 'svc-deploy', type: 'service' }),
  ]);
  h.accounts.set('box', [
    account('box', 'b2', { email: 'bob@acme.com', enabled: false }),
    // Carries bob's email but alice's employee id: the employee id wins, so it is not bob's.
    account('box', 'b9', { email: 'bob@acme.com', employeeId: 'E1' }),
  ]);
  await h.scan();
  return h;
}

function systemsFor(latencyMs = 0) {
  const systems = {
    okta: new MemorySystem('okta', { o1: {}, o2: {} }),
    entra: new MemorySystem('entra', { e2: {} }),
    slack: new MemorySystem('slack', { s2: {} }),
    zoom: new MemorySystem('zoom', { z2: {} }),
    github: new MemorySystem('github', { g2: {}, g9: {} }),
    box: new MemorySystem('box', { b2: { enabled: false, rawStatus: 'disabled' }, b9: {} }),
  };
  systems.slack.unsupported = { 'revoke-sessions': 'admin.users.session.reset needs Enterprise Grid' };
  systems.zoom.unsupported = {
    disable: 'csv exports have no API: a ticket is opened instead',
    'revoke-sessions': 'csv exports have no API: a ticket is opened instead',
  };
  for (const system of Object.values(systems)) system.latencyMs = latencyMs;
  return systems;
}

let jira: JiraFake | undefined;
afterEach(async () => {
  await jira?.close();
  jira = undefined;
});

describe('offboard', () => {
  it('a dry run re-reads every account and changes nothing', async () => {
    const h = await bobsCompany();
    const systems = systemsFor();
    systems.github.readFailure = new SourceError('github', 'cannot reach api.github.com (ECONNREFUSED)', 'network');
    const result = await runOffboard(h.db, h.config, { person: 'E2', apply: false }, engineDeps(systems));

    expect(result.report.accounts.map((a) => `${a.source}/${a.accountId}`)).toEqual([
      'box/b2',
      'entra/e2',
      'github/g2',
      'okta/o2',
      'slack/s2',
      'zoom/z2',
    ]);
    expect(Object.values(systems).flatMap((system) => system.performed())).toEqual([]);
    expect(systems.okta.reads().map((call) => call.accountId)).toEqual(['o2']);
    const okta = result.report.accounts.find((a) => a.source === 'okta')!;
    expect(okta).toMatchObject({ before: { enabled: true }, after: { enabled: true }, verified: false });
    expect(okta.actions.map((a) => [a.action, a.status])).toEqual([
      ['disable', 'planned'],
      ['revoke-sessions', 'planned'],
    ]);
    expect(result.report.accounts.find((a) => a.source === 'box')!.actions.map((a) => a.status)).toEqual([
      'already-done',
      'planned',
    ]);
    expect(result.report.accounts.find((a) => a.source === 'zoom')!.actions).toEqual([
      expect.objectContaining({ action: 'ticket', status: 'refused' }),
    ]);
    expect(result.report.complete).toBe(false);
    expect(result.exitCode).toBe(1);
    expect(result.reportId).toBeNull();
    expect(journalRows(h)).toEqual([]);
  });

  it('locks the IdPs first, then everything else, verifies, and reports an unreachable system as unverified', async () => {
    jira = await startJiraFake();
    const h = await bobsCompany(
      'tickets: { type: jira, baseUrl: "${JIRA_URL}", email: secops@acme.test, apiToken: "${JIRA_TOKEN}", project: SEC }\n',
      { JIRA_URL: jira.baseUrl, JIRA_TOKEN: jira.apiToken },
    );
    const systems = systemsFor(20);
    systems.github.readFailure = new SourceError('github', 'cannot reach api.github.com (ECONNREFUSED)', 'network');
    const tickets = createTicketClient(h.config.tickets!, { retryPolicy: { baseDelayMs: 1 } });

    const result = await runOffboard(
      h.db,
      h.config,
      { person: 'ROBERT+laptop@Acme.com', apply: true, reason: 'INC-7781 stolen laptop' },
      engineDeps(systems, { tickets }),
    );
    const { report } = result;

    expect(Object.keys(report)).toEqual(['person', 'startedAt', 'finishedAt', 'complete', 'accounts', 'credentials']);
    expect(report.person).toEqual({ employeeId: 'E2', email: 'bob@acme.com', name: 'Bob', status: 'terminated' });
    const by = (source: string) => report.accounts.find((a) => a.source === source)!;
    expect(Object.keys(by('okta'))).toEqual(['source', 'accountId', 'login', 'before', 'actions', 'after', 'verified']);

    // Privileged too: naming the person is the confirmation.
    expect(by('okta')).toMatchObject({ before: { enabled: true }, after: { enabled: false }, verified: true });
    expect(by('okta').actions.map((a) => [a.action, a.status])).toEqual([
      ['disable', 'applied'],
      ['revoke-sessions', 'applied'],
    ]);
    expect(by('entra')).toMatchObject({ verified: true });
    expect(by('slack').actions.map((a) => [a.action, a.status])).toEqual([
      ['disable', 'applied'],
      ['ticket', 'applied'],
    ]);
    expect(by('slack').verified).toBe(true);
    expect(by('box').actions[0]).toMatchObject({ action: 'disable', status: 'already-done' });
    expect(by('box').verified).toBe(true);
    expect(by('zoom')).toMatchObject({ verified: false, after: { enabled: true } });
    expect(by('zoom').actions).toEqual([
      expect.objectContaining({
        action: 'ticket',
        status: 'applied',
        reason: expect.stringMatching(/opened jira ticket SEC-\d/),
      }),
    ]);
    expect(by('github')).toMatchObject({ before: { enabled: null }, after: { enabled: null }, verified: false });
    expect(by('github').actions.every((a) => a.status === 'failed' && /ECONNREFUSED/.test(a.reason))).toBe(true);
    expect(report.complete).toBe(false);
    expect(result.exitCode).toBe(1);

    // Alice's accounts, bob's service account and the box account tied to alice's employee id are untouched.
    expect(report.accounts.some((a) => ['o1', 'g9', 'b9'].includes(a.accountId))).toBe(false);
    expect(result.ownedServiceAccounts).toEqual([{ source: 'github', accountId: 'g9', login: 'svc-deploy' }]);

    // IdPs first: every IdP action finished before any other system was touched.
    const idpDone = Math.max(...[systems.okta, systems.entra].flatMap((s) => s.performed()).map((c) => c.endedMs));
    const othersStart = Math.min(...[systems.slack, systems.box].flatMap((s) => s.performed()).map((c) => c.startedMs));
    expect(systems.slack.performed()).toHaveLength(1);
    expect(idpDone).toBeLessThanOrEqual(othersStart);

    // The report is stored for `report termination`, and every action is journaled.
    const stored = h.db
      .prepare('SELECT person_id, json FROM termination_reports WHERE id = ?')
      .get(result.reportId) as {
      person_id: string;
      json: string;
    };
    expect(stored.person_id).toBe('E2');
    expect(JSON.parse(stored.json)).toEqual(report);
    const rows = journalRows(h);
    expect(rows[0]).toMatchObject({
      kind: 'decision',
      action: 'offboard',
      person_id: 'E2',
      reason: 'INC-7781 stolen laptop',
    });
    const intents = rows.filter((row) => row.kind === 'intent');
    expect(intents.length).toBeGreaterThanOrEqual(6);
    for (const intent of intents) {
      expect(intent).toMatchObject({ person_id: 'E2', finding_id: null });
      expect(rows.some((row) => row.kind === 'result' && row.intent_id === intent.id)).toBe(true);
    }
    expect(verifyJournal(h.db).ok).toBe(true);

    // Findings on the accounts verified disabled are remediated; the others stay open.
    const statuses = Object.fromEntries(
      (
        h.db.prepare('SELECT source, status FROM findings WHERE person_id = ?').all('E2') as {
          source: string;
          status: string;
        }[]
      ).map((row) => [row.source, row.status]),
    );
    expect(statuses).toMatchObject({
      okta: 'remediated',
      entra: 'remediated',
      slack: 'remediated',
      zoom: 'open',
      github: 'open',
    });

    // A second run opens no second ticket for the same account.
    systems.github.readFailure = null;
    const again = await runOffboard(h.db, h.config, { person: 'E2', apply: true }, engineDeps(systems, { tickets }));
    expect(again.report.accounts.find((a) => a.source === 'zoom')!.actions[0]).toMatchObject({
      status: 'already-done',
    });
    expect(jira.creates()).toHaveLength(2);
    expect(again.report.accounts.find((a) => a.source === 'github')!.verified).toBe(true);
  });

  it('answers six slow systems concurrently', async () => {
    const h = await bobsCompany();
    const systems = systemsFor(300);
    systems.zoom.unsupported = {};
    const started = Date.now();
    const result = await runOffboard(h.db, h.config, { person: 'E2', apply: true }, engineDeps(systems));
    const elapsed = Date.now() - started;
    expect(result.report.complete).toBe(true);
    expect(result.exitCode).toBe(0);
    for (const source of SOURCES) expect(systems[source].calls.length).toBeGreaterThan(0);
    // Sequential would take ~7 s (6 reads, 11 actions, 6 verifications at 300 ms). The critical path is four round
    // trips (~1.2 s): read the IdP account, disable it and revoke its sessions at once, the same for each app, read
    // back. Each account's actions one after the other would make it six (~1.8 s).
    expect(elapsed).toBeLessThan(1500);
    for (const source of SOURCES) {
      const [disable] = systems[source].performed('disable');
      const [revoke] = systems[source].performed('revoke-sessions');
      if (disable && revoke) expect(revoke.startedMs).toBeLessThan(disable.endedMs);
    }
  });

  it('locks a fast IdP without waiting for a slow app to be read, and apps only after every IdP is locked', async () => {
    const h = await bobsCompany();
    const systems = systemsFor(20);
    systems.zoom.unsupported = {};
    systems.github.latencyMs = 300;
    await runOffboard(h.db, h.config, { person: 'E2', apply: true }, engineDeps(systems));
    const firstOktaAction = systems.okta.calls.find((call) => call.kind === 'perform')!;
    const githubRead = systems.github.calls.find((call) => call.kind === 'read')!;
    expect(firstOktaAction.startedMs).toBeLessThan(githubRead.endedMs);
    const idpLocked = Math.max(
      ...[systems.okta, systems.entra].flatMap((s) =>
        s.calls.filter((c) => c.kind === 'perform').map((c) => c.endedMs),
      ),
    );
    const firstAppAction = Math.min(
      ...[systems.slack, systems.zoom, systems.github, systems.box].flatMap((s) =>
        s.calls.filter((c) => c.kind === 'perform').map((c) => c.startedMs),
      ),
    );
    expect(firstAppAction).toBeGreaterThanOrEqual(idpLocked);
  });

  it("acts on the IdPs while the other systems' remediators are still loading, one after another", async () => {
    const h = await bobsCompany();
    const systems = systemsFor(5);
    systems.zoom.unsupported = {};
    const idps = new Set(['okta', 'entra']);
    const events: string[] = [];
    let releaseApps!: () => void;
    const appsMayLoad = new Promise<void>((resolve) => (releaseApps = resolve));
    // An engine that awaited every remediator before the IdP step would never act on the IdP: the apps' loads finish
    // only once it has. The timer only turns such a deadlock into a failed assertion instead of a test timeout.
    const deadlock = setTimeout(() => {
      events.push('released by the timer');
      releaseApps();
    }, 5000);
    for (const name of idps) {
      const system = systems[name as 'okta' | 'entra'];
      const perform = system.perform.bind(system);
      system.perform = (...args) => {
        events.push(`perform ${name}`);
        releaseApps();
        return perform(...args);
      };
    }
    const loadRemediator = async (name: string) => {
      events.push(`load ${name}`);
      if (!idps.has(name)) await appsMayLoad;
      events.push(`loaded ${name}`);
      return systems[name as keyof typeof systems] ?? null;
    };
    let result;
    try {
      result = await runOffboard(
        h.db,
        h.config,
        { person: 'E2', apply: true },
        engineDeps(systems, { loadRemediator }),
      );
    } finally {
      clearTimeout(deadlock);
    }

    expect(events).not.toContain('released by the timer');
    expect(result.report.complete).toBe(true);
    const at = (event: string) => {
      expect(events).toContain(event);
      return events.indexOf(event);
    };
    const firstIdpAction = Math.min(at('perform okta'), at('perform entra'));
    // One at a time, the IdPs first, then in the config's order; each system's loading starts once the one before
    // it is in, and the first app's while the IdPs' round trips are under way (before they are acted on).
    const order = ['okta', 'entra', 'slack', 'zoom', 'github', 'box'];
    expect(events.filter((event) => event.startsWith('load '))).toEqual(order.map((source) => `load ${source}`));
    for (let index = 1; index < order.length; index++) {
      expect(at(`load ${order[index]}`)).toBeGreaterThan(at(`loaded ${order[index - 1]}`));
    }
    expect(at('load slack')).toBeLessThan(firstIdpAction);
    for (const app of ['slack', 'zoom', 'github', 'box']) {
      expect(at(`loaded ${app}`)).toBeGreaterThan(firstIdpAction);
      expect(systems[app as keyof typeof systems].performed().length).toBeGreaterThan(0);
    }
  });

  it('refuses a person who is not on the roster', async () => {
    const h = await bobsCompany();
    await expect(
      runOffboard(h.db, h.config, { person: 'nobody@acme.com', apply: false }, engineDeps(systemsFor())),
    ).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/neither an employee id nor an email/) });
  });
});
