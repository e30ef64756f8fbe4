import { describe, expect, it } from 'vitest';
import { listLeavers } from '../../src/lifecycle/leavers.js';
import { runLifecycleTick } from '../../src/lifecycle/queue.js';
import { renderLeavers } from '../../src/cli/commands/leavers.js';
import { colors } from '../../reports/terminal.js';
import { account } from '../engine/helpers.js';
import { journalRows, MemorySystem } from '../remediation/helpers.js';
import { verifyJournal } from '../../src/store/journal.js';
import { LifecycleCompany } from './helpers.js';

const DECAY = `lifecycle:
  leavers: { mode: apply }
  decay:
    - name: contractors
      match: { workerType: contractor }
      steps:
        - { at: -14d, do: notify-owner }
        - { at: 0d, do: [revoke-sessions, disable, revoke-credentials] }
        - { at: +30d, do: remove-licenses }
        - { at: +90d, do: delete }`;

async function company() {
  const c = new LifecycleCompany(DECAY, 'UTC');
  c.writeRoster([
    'E1,alice@acme.com,Alice,active,employee,,',
    'E2,bob@acme.com,Bob,terminated,employee,2026-11-25,E1',
    'E3,carol@acme.com,Carol,active,contractor,2026-12-05,E1',
    'E4,dan@acme.com,Dan,active,employee,2027-03-01,E1',
    'E5,old@acme.com,Old,terminated,employee,2024-01-31,E1',
  ]);
  await c.scan({
    okta: [
      account('okta', 'o2', { email: 'bob@acme.com', login: 'bob' }),
      account('okta', 'o3', { email: 'carol@acme.com', login: 'carol', privileged: true }),
      account('okta', 'o5', { email: 'old@acme.com', login: 'old', enabled: false }),
    ],
    slack: [account('slack', 's2', { email: 'bob@acme.com', login: 'bob' })],
  });
  return c;
}

describe('zombiescan leavers', () => {
  it('lists due and upcoming leavers with accounts, moment, policy and steps; long-gone and far-off ones are left out', async () => {
    const c = await company();
    const leavers = listLeavers(c.db, c.config, { now: new Date('2026-11-26T12:00:00Z'), days: 14 });
    expect(leavers.map((leaver) => [leaver.employeeId, leaver.state, leaver.policy])).toEqual([
      ['E2', 'due', 'scheduled'],
      ['E3', 'due', 'contractors'],
    ]);
    const [bob, carol] = leavers;
    expect(bob).toMatchObject({
      moment: '2026-11-26T00:00:00.000Z',
      // Shown as HR wrote it: the last day, not the UTC instant that falls on the next day.
      momentAsTyped: 'the end of 2026-11-25, UTC',
      // CSV sources hold no credentials: a known, empty list.
      credentials: [],
      accounts: [
        { source: 'okta', accountId: 'o2', login: 'bob', enabled: true, privileged: false },
        { source: 'slack', accountId: 's2', login: 'bob', enabled: true, privileged: false },
      ],
      steps: [{ at: '0d', actions: ['disable', 'revoke-sessions'], state: 'due' }],
    });
    expect(carol!.steps.map((step) => [step.at, step.dueAt.slice(0, 10), step.state])).toEqual([
      ['-14d', '2026-11-22', 'due'],
      ['0d', '2026-12-06', 'upcoming'],
      ['+30d', '2027-01-05', 'upcoming'],
      ['+90d', '2027-03-06', 'upcoming'],
    ]);
    // The notify step is due: carol counts as due.
    expect(carol!.state).toBe('due');
    expect(
      listLeavers(c.db, c.config, { now: new Date('2026-11-26T12:00:00Z'), days: 120 }).map((l) => l.employeeId),
    ).toEqual(['E2', 'E3', 'E4']);
    const text = renderLeavers(leavers, 'apply', 14, colors(false));
    expect(text).toContain('no credential in the snapshots');
    expect(text).toContain('the end of 2026-11-25, UTC');
    expect(text).not.toContain('2026-11-26 00:00:00Z');
    expect(text).toContain('2 leaver(s), 2 due now');
  });

  it('shows where the queue stands once serve has run the steps', async () => {
    const c = await company();
    c.clock = new Date('2026-11-26T12:00:00Z');
    const live = { okta: new MemorySystem('okta', { o2: {}, o3: {} }), slack: new MemorySystem('slack', { s2: {} }) };
    await runLifecycleTick(c.db, c.config, c.deps(live));
    const leavers = listLeavers(c.db, c.config, { now: c.clock, days: 14 });
    // Bob is done and gone from the list; carol's manager was told.
    expect(leavers.map((leaver) => leaver.employeeId)).toEqual(['E3']);
    expect(leavers[0]!.steps[0]!.state).toBe('done');
    expect(c.notifier.sent).toHaveLength(1);
    expect(c.notifier.sent[0]!.email).toBe('alice@acme.com');
    expect(c.notifier.sent[0]!.text).toContain('Carol (E3), who reports to you, leaves');
    // Her last day as HR wrote it, and each step by the day it ends — never the UTC instant of the next day.
    expect(c.notifier.sent[0]!.text).toContain('access ends the end of 2026-12-05, UTC.');
    expect(c.notifier.sent[0]!.text).toContain(
      'end of 2026-12-05: revoke-sessions, disable, revoke-credentials; end of 2027-01-04: remove-licenses; ' +
        'end of 2027-03-05: delete.',
    );
  });
});

/** An in-memory system that also removes licences and deletes accounts. */
class DecaySystem extends MemorySystem {
  readonly licenses = new Map<string, string[]>();

  override alreadyDone(
    action: Parameters<MemorySystem['alreadyDone']>[0],
    state: Parameters<MemorySystem['alreadyDone']>[1],
  ) {
    if (action === 'delete') return !state.found;
    return super.alreadyDone(action, state);
  }

  override async perform(...args: Parameters<MemorySystem['perform']>) {
    const [action, ref] = args;
    if (action === 'delete') this.set(ref.id, { found: false });
    if (action === 'remove-licenses') this.licenses.set(ref.id, []);
    return super.perform(...args);
  }
}
describe('graceful offboarding (decay)', () => {
  it('walks a contractor through notify, lock-out, licence removal and delete over simulated days', async () => {
    const c = new LifecycleCompany(DECAY, 'UTC');
    c.writeRoster([
      'E1,alice@acme.com,Alice,active,employee,,',
      'E3,carol@acme.com,Carol,active,contractor,2026-12-31,E1',
    ]);
    await c.scan({
      okta: [account('okta', 'o3', { email: 'carol@acme.com', login: 'carol' })],
      slack: [account('slack', 's3', { email: 'carol@acme.com', login: 'carol', privileged: true })],
    });
    const live = { okta: new DecaySystem('okta', { o3: {} }), slack: new DecaySystem('slack', { s3: {} }) };
    const byDay: Record<string, string[]> = {};
    for (
      let day = new Date('2026-12-10T12:00:00Z');
      day < new Date('2027-04-15T00:00:00Z');
      day = new Date(day.getTime() + 86_400_000)
    ) {
      c.clock = day;
      // HR flips the status once the last day is over.
      if (day.toISOString() === '2027-01-01T12:00:00.000Z') {
        c.writeRoster([
          'E1,alice@acme.com,Alice,active,employee,,',
          'E3,carol@acme.com,Carol,terminated,contractor,2026-12-31,E1',
        ]);
      }
      const tick = await runLifecycleTick(c.db, c.config, c.deps(live));
      for (const step of tick.steps.filter((s) => s.status !== 'waiting')) {
        (byDay[day.toISOString().slice(0, 10)] ??= []).push(
          `${step.offsetDays}:${step.status}:${step.actions.map((a) => `${a.action}=${a.status}`).join(',')}`,
        );
      }
    }
    expect(byDay).toEqual({
      '2026-12-18': ['-14:done:notify-owner=applied'],
      // No credential in the snapshots: nothing to revoke, and the step is done.
      '2027-01-01': ['0:done:revoke-credentials=already-done,disable=applied,revoke-sessions=applied'],
      '2027-01-31': ['30:done:remove-licenses=applied'],
      '2027-04-01': ['90:incomplete:delete=failed'],
    });
    expect(c.notifier.sent.map((m) => m.email)).toEqual(['alice@acme.com']);
    expect(live.okta.accounts.get('o3')!.found).toBe(false);
    // Never a privileged account.
    expect(live.slack.accounts.get('s3')!.found).toBe(true);
    expect(live.slack.performed('delete')).toHaveLength(0);
    const snapshots = journalRows(c.h).filter((row) => row.action === 'delete' && row.status === 'snapshot');
    expect(snapshots.map((row) => row.account_id)).toEqual(['o3']);
    expect(JSON.parse(snapshots[0]!.detail)).toMatchObject({ snapshot: { login: 'carol', source: 'okta' } });
    const refused = journalRows(c.h).find(
      (row) => row.action === 'delete' && row.source === 'slack' && row.kind === 'result',
    );
    expect(refused).toMatchObject({ status: 'refused' });
    expect(refused!.reason).toContain('privileged');
    expect(verifyJournal(c.db).ok).toBe(true);
  });
});
