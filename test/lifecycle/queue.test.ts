import { describe, expect, it } from 'vitest';
import { runLifecycleTick } from '../../src/lifecycle/queue.js';
import { lifecycleSteps } from '../../src/store/lifecycle.js';
import { verifyJournal } from '../../src/store/journal.js';
import { account } from '../engine/helpers.js';
import { journalRows, MemorySystem } from '../remediation/helpers.js';
import { LifecycleCompany } from './helpers.js';

const APPLY = `lifecycle: { leavers: { mode: apply, maxPerDay: 2 } }`;

function systems() {
  return {
    okta: new MemorySystem('okta', { o1: {}, o2: {}, o3: {}, o4: {} }),
    slack: new MemorySystem('slack', { s1: {}, s2: {}, s3: {}, s4: {} }),
  };
}

async function bobLeaves(company: LifecycleCompany, rows: string[] = []) {
  company.writeRoster([
    'E1,alice@acme.com,Alice,active,employee,,',
    // Last day Thursday 26 November in New York: access ends at midnight local, 05:00 UTC on the 27th.
    'E2,bob@acme.com,Bob,terminated,employee,2026-11-26,E1',
    ...rows,
  ]);
  await company.scan({
    okta: [
      account('okta', 'o1', { email: 'alice@acme.com' }),
      account('okta', 'o2', { email: 'bob@acme.com', privileged: true }),
    ],
    slack: [account('slack', 's1', { email: 'alice@acme.com' }), account('slack', 's2', { email: 'bob@acme.com' })],
  });
}

describe('the leaver queue', () => {
  it('offboards a leaver exactly when the last day ends in the configured time zone, then never again', async () => {
    const company = new LifecycleCompany(APPLY);
    await bobLeaves(company);
    const live = systems();

    company.clock = new Date('2026-11-27T04:59:59.999Z');
    const early = await runLifecycleTick(company.db, company.config, company.deps(live));
    expect(early.steps).toEqual([]);
    expect(live.okta.performed()).toHaveLength(0);
    expect(lifecycleSteps(company.db)).toMatchObject([
      {
        personId: 'E2',
        moment: '2026-11-27T05:00:00.000Z',
        status: 'pending',
        actions: ['disable', 'revoke-sessions'],
      },
    ]);

    company.clock = new Date('2026-11-27T05:00:00.000Z');
    const tick = await runLifecycleTick(company.db, company.config, company.deps(live));
    expect(tick.status).toBe('ok');
    expect(tick.steps).toMatchObject([{ personId: 'E2', status: 'done' }]);
    expect(tick.steps[0]!.reportId).toEqual(expect.any(Number));
    // Privileged too: the scheduled offboarding is the same as `offboard`.
    expect(live.okta.accounts.get('o2')!.enabled).toBe(false);
    expect(live.slack.accounts.get('s2')!.enabled).toBe(false);
    expect(live.okta.accounts.get('o1')!.enabled).toBe(true);
    expect(company.posted).toHaveLength(1);
    expect(company.posted[0]).toContain('Offboarded Bob (E2)');
    expect(company.posted[0]).toContain('every account verified disabled');

    company.clock = new Date('2026-11-27T05:00:30.000Z');
    const again = await runLifecycleTick(company.db, company.config, company.deps(live));
    expect(again.steps).toEqual([]);
    expect(live.okta.performed('disable')).toHaveLength(1);
    expect(verifyJournal(company.db).ok).toBe(true);
    const steps = journalRows(company.h).filter((row) => row.action === 'lifecycle-step');
    expect(steps.map((row) => row.status)).toEqual(['started', 'done']);
  });

  it('in plan mode lists the due step and changes nothing', async () => {
    const company = new LifecycleCompany();
    await bobLeaves(company);
    const live = systems();
    company.clock = new Date('2026-11-27T06:00:00Z');
    const tick = await runLifecycleTick(company.db, company.config, company.deps(live));
    expect(tick.steps).toMatchObject([{ personId: 'E2', status: 'planned' }]);
    expect(live.okta.performed()).toHaveLength(0);
    expect(lifecycleSteps(company.db)[0]!.status).toBe('pending');
  });

  it('obeys a rescinded termination read from the roster before the step', async () => {
    const company = new LifecycleCompany(APPLY);
    await bobLeaves(company);
    const live = systems();
    company.clock = new Date('2026-11-26T20:00:00Z');
    await runLifecycleTick(company.db, company.config, company.deps(live));
    // HR takes it back; no scan has run since.
    company.writeRoster(['E1,alice@acme.com,Alice,active,employee,,', 'E2,bob@acme.com,Bob,active,employee,,E1']);
    company.clock = new Date('2026-11-27T05:00:10Z');
    const tick = await runLifecycleTick(company.db, company.config, company.deps(live));
    expect(tick.steps).toMatchObject([{ personId: 'E2', status: 'cancelled' }]);
    expect(live.okta.performed()).toHaveLength(0);
    expect(live.slack.performed()).toHaveLength(0);
    const cancelled = journalRows(company.h).find((row) => row.status === 'cancelled');
    expect(cancelled?.reason).toContain('rescinded');
  });

  it('follows a moved termination date: the old moment passes without action', async () => {
    const company = new LifecycleCompany(APPLY);
    await bobLeaves(company);
    const live = systems();
    company.clock = new Date('2026-11-26T20:00:00Z');
    await runLifecycleTick(company.db, company.config, company.deps(live));
    company.writeRoster([
      'E1,alice@acme.com,Alice,active,employee,,',
      'E2,bob@acme.com,Bob,terminated,employee,2026-11-30,E1',
    ]);
    company.clock = new Date('2026-11-27T05:00:10Z');
    const tick = await runLifecycleTick(company.db, company.config, company.deps(live));
    expect(tick.steps.map((step) => step.status)).toEqual(['cancelled']);
    expect(live.okta.performed()).toHaveLength(0);
    expect(lifecycleSteps(company.db)).toMatchObject([{ moment: '2026-12-01T05:00:00.000Z', status: 'pending' }]);
  });

  it('waits while HR has a date but does not yet say terminated', async () => {
    const company = new LifecycleCompany(APPLY);
    company.writeRoster(['E2,bob@acme.com,Bob,active,employee,2026-11-26,']);
    await company.scan({ okta: [account('okta', 'o2', { email: 'bob@acme.com' })] });
    const live = systems();
    company.clock = new Date('2026-11-27T06:00:00Z');
    const tick = await runLifecycleTick(company.db, company.config, company.deps(live));
    expect(tick.steps).toMatchObject([{ personId: 'E2', status: 'waiting' }]);
    expect(live.okta.performed()).toHaveLength(0);
  });

  it('acts on none and alerts once when more leavers fall due at once than maxPerDay', async () => {
    const company = new LifecycleCompany(APPLY);
    await bobLeaves(company, [
      'E3,carol@acme.com,Carol,terminated,employee,2026-11-26,E1',
      'E4,dave@acme.com,Dave,terminated,employee,2026-11-26,E1',
    ]);
    await company.scan({
      okta: [
        account('okta', 'o2', { email: 'bob@acme.com' }),
        account('okta', 'o3', { email: 'carol@acme.com' }),
        account('okta', 'o4', { email: 'dave@acme.com' }),
      ],
      slack: [],
    });
    const live = systems();
    company.clock = new Date('2026-11-27T05:00:00Z');
    const tick = await runLifecycleTick(company.db, company.config, company.deps(live));
    expect(tick.status).toBe('over-limit');
    expect(tick.dueLeavers).toEqual(['E2', 'E3', 'E4']);
    expect(live.okta.performed()).toHaveLength(0);
    expect(company.alerts).toHaveLength(1);
    expect(company.alerts[0]).toContain('3 leavers are due at once');
    company.clock = new Date('2026-11-27T05:00:30Z');
    await runLifecycleTick(company.db, company.config, company.deps(live));
    expect(company.alerts).toHaveLength(1);
    expect(journalRows(company.h).filter((row) => row.action === 'lifecycle' && row.status === 'refused')).toHaveLength(
      1,
    );
  });

  it('resumes a step a killed serve left running: nothing lost, nothing repeated, the journal shows both runs', async () => {
    const company = new LifecycleCompany(APPLY);
    await bobLeaves(company);
    const live = systems();
    // The process dies while Slack's disable call is in flight: its intent is journaled, its result never is.
    const controller = new AbortController();
    const perform = live.slack.perform.bind(live.slack);
    live.slack.perform = async (action, ref, state, signal) => {
      if (action === 'disable' && !controller.signal.aborted) {
        controller.abort(new Error('SIGKILL stand-in'));
        throw controller.signal.reason as Error;
      }
      return perform(action, ref, state, signal);
    };
    company.clock = new Date('2026-11-27T05:00:05Z');
    await expect(
      runLifecycleTick(company.db, company.config, company.deps(live, {}, controller.signal)),
    ).rejects.toThrow('SIGKILL');
    expect(live.okta.accounts.get('o2')!.enabled).toBe(false);
    expect(live.slack.accounts.get('s2')!.enabled).toBe(true);
    expect(lifecycleSteps(company.db)[0]!.status).toBe('running');

    company.clock = new Date('2026-11-27T05:00:40Z');
    const tick = await runLifecycleTick(company.db, company.config, company.deps(live));
    expect(tick.steps).toMatchObject([{ personId: 'E2', status: 'done' }]);
    expect(live.slack.accounts.get('s2')!.enabled).toBe(false);
    expect(live.okta.performed('disable')).toHaveLength(1);
    expect(lifecycleSteps(company.db)[0]).toMatchObject({ status: 'done', attempts: 2 });
    expect(verifyJournal(company.db).ok).toBe(true);
    const rows = journalRows(company.h);
    expect(rows.filter((row) => row.action === 'lifecycle-step').map((row) => row.status)).toEqual([
      'started',
      'resumed',
      'done',
    ]);
    // The interrupted Slack intent was closed by re-reading the account, then done once.
    const slackResults = rows.filter(
      (row) => row.source === 'slack' && row.action === 'disable' && row.kind === 'result',
    );
    expect(slackResults.map((row) => row.status)).toEqual(['failed', 'applied']);
  });

  it('stops and alerts, acting on nothing, when the roster cannot be read', async () => {
    const company = new LifecycleCompany(APPLY);
    await bobLeaves(company);
    const live = systems();
    company.clock = new Date('2026-11-27T05:00:05Z');
    const tick = await runLifecycleTick(
      company.db,
      company.config,
      company.deps(live, { loadRoster: () => Promise.reject(new Error('HR report answered 503')) }),
    );
    expect(tick.status).toBe('roster-failed');
    expect(company.alerts[0]).toContain('503');
    expect(live.okta.performed()).toHaveLength(0);
  });

  it('a later scan that finds an account zombiescan disabled enabled again opens reprovisioned-after-offboarding', async () => {
    const company = new LifecycleCompany(APPLY);
    await bobLeaves(company);
    const live = systems();
    company.clock = new Date('2026-11-27T05:00:00Z');
    await runLifecycleTick(company.db, company.config, company.deps(live));
    // Next night: a SCIM push re-enabled bob's Okta account; Slack stayed disabled.
    company.clock = new Date('2026-11-28T02:00:00Z');
    await company.scan({
      okta: [
        account('okta', 'o1', { email: 'alice@acme.com' }),
        account('okta', 'o2', { email: 'bob@acme.com', privileged: true }),
      ],
      slack: [
        account('slack', 's1', { email: 'alice@acme.com' }),
        account('slack', 's2', { email: 'bob@acme.com', enabled: false }),
      ],
    });
    const found = company.h.findings(`rule = 'reprovisioned-after-offboarding'`);
    expect(found.map((row) => [row.source, row.account_id, row.severity, row.status])).toEqual([
      ['okta', 'o2', 'critical', 'open'],
    ]);
  });
});
