import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { RECONCILED_NOT_APPLIED, runRemediation } from '../../src/remediation/apply.js';
import { runOffboard } from '../../src/remediation/offboard.js';
import { testDatabase } from '../store/engines.js';
import { openDatabase } from '../../src/store/database.js';
import type { LockHolder } from '../../src/store/holder.js';
import { appendEntry, verifyJournal } from '../../src/store/journal.js';
import {
  claimRemediationLock,
  releaseRemediationLock,
  renewRemediationLock,
} from '../../src/store/remediation-lock.js';
import { beginRun, listRuns } from '../../src/store/runs.js';
import { company, companySystems, engineDeps, findingId, journalRows } from './helpers.js';

/** Two containers: both pid 1 as far as each can tell, on different hosts (container ids). */
const containerA: LockHolder = { nonce: 'nonce-a', pid: process.pid, host: 'container-a', pidNamespace: 'pid:[1]' };
const containerB: LockHolder = { nonce: 'nonce-b', pid: process.pid, host: 'container-b', pidNamespace: 'pid:[1]' };
const at = (seconds: number) => new Date(Date.UTC(2026, 10, 26, 12, 0, seconds));

describe('lock holders are more than a pid', () => {
  it('the remediation lock: a second holder with the same pid is refused until the lease runs out', () => {
    const db = openDatabase(testDatabase(':memory:'));
    expect(claimRemediationLock(db, at(0), containerA, 60_000)).toBeNull();
    expect(claimRemediationLock(db, at(10), containerB, 60_000)).toMatchObject({
      host: 'container-a',
      pid: process.pid,
    });
    // A renews (heartbeat), so B stays out past the first lease.
    expect(renewRemediationLock(db, at(50), containerA, 60_000)).toBe(true);
    expect(claimRemediationLock(db, at(90), containerB, 60_000)).not.toBeNull();
    // A stops renewing (killed, host gone): B takes over once the lease has run out; A cannot renew it back.
    expect(claimRemediationLock(db, at(111), containerB, 60_000)).toBeNull();
    expect(renewRemediationLock(db, at(112), containerA, 60_000)).toBe(false);
    releaseRemediationLock(db, containerA);
    expect(claimRemediationLock(db, at(113), containerA, 60_000)).toMatchObject({ host: 'container-b' });
  });

  it('the remediation lock: on the same host and pid namespace a dead pid is taken over at once', () => {
    const db = openDatabase(testDatabase(':memory:'));
    const here = { host: 'host-1', pidNamespace: 'pid:[7]' };
    const gone: LockHolder = { ...here, nonce: 'gone', pid: 2 ** 22 + 4321 };
    const live: LockHolder = { ...here, nonce: 'live', pid: process.ppid };
    const me: LockHolder = { ...here, nonce: 'me', pid: process.pid };
    expect(claimRemediationLock(db, at(0), gone)).toBeNull();
    expect(claimRemediationLock(db, at(1), me)).toBeNull();
    releaseRemediationLock(db, me);
    expect(claimRemediationLock(db, at(2), live)).toBeNull();
    expect(claimRemediationLock(db, at(3), me)).toMatchObject({ nonce: 'live' });
  });

  it('the scan guard: a running scan of another holder with the same pid blocks a second one', () => {
    const db = openDatabase(testDatabase(':memory:'));
    const start = { at: at(0), rosterFile: 'hr.csv', people: 1, rosterSha256: 'x', rosterChangeAccepted: false };
    const first = beginRun(db, start, containerA, at(0));
    expect(() => beginRun(db, start, containerB, at(30))).toThrow(
      /another scan is running \(run 1, pid \d+ on container-a\)/,
    );
    expect(listRuns(db, 10, at(30))[0]).toMatchObject({ id: first, status: 'running' });
    // Its lease ran out without a renewal: it was interrupted, and the next scan may start.
    const later = at(0 + 11 * 60);
    expect(listRuns(db, 10, later)[0]).toMatchObject({ id: first, status: 'interrupted' });
    const second = beginRun(db, start, containerB, later);
    expect(listRuns(db, 10, later).map((run) => [run.id, run.status])).toEqual([
      [second, 'running'],
      [first, 'interrupted'],
    ]);
  });
});

describe('one serve process, two approvals', () => {
  it('the second neither reconciles the first one’s action in flight nor repeats it', async () => {
    const h = await company();
    const systems = companySystems();
    systems.okta.latencyMs = 40;
    const id = findingId(h, 'terminated-still-active', 'okta', 'o2');
    const approve = () => runRemediation(h.db, h.config, { apply: true, findingIds: [id] }, engineDeps(systems));
    const first = approve();
    await sleep(60); // the first has re-read the account and journaled its first intent; its call is under way
    const second = approve();
    await Promise.all([first, second]);

    const rows = journalRows(h);
    expect(rows.filter((row) => row.reason === RECONCILED_NOT_APPLIED)).toEqual([]);
    const intents = rows.filter((row) => row.kind === 'intent');
    for (const intent of intents) {
      expect(rows.filter((row) => row.kind === 'result' && row.intent_id === intent.id)).toHaveLength(1);
    }
    expect(systems.okta.performed('disable')).toHaveLength(1);
    expect(verifyJournal(h.db).ok).toBe(true);
  });

  it('an intent takes exactly one result', async () => {
    const db = openDatabase(testDatabase(':memory:'));
    const intent = appendEntry(db, { at: at(0), kind: 'intent', actor: 'a', action: 'disable' });
    appendEntry(db, { at: at(1), kind: 'result', intentId: intent.id, actor: 'a', status: 'applied' });
    expect(() =>
      appendEntry(db, { at: at(2), kind: 'result', intentId: intent.id, actor: 'b', status: 'failed' }),
    ).toThrow(/already has its result/);
    expect(verifyJournal(db).ok).toBe(true);
  });
});

describe('offboard --apply takes the remediation lock', () => {
  it('waits for another holder, holds the lock while it acts, and releases it', async () => {
    const h = await company();
    const systems = companySystems();
    // Another host holds the lock with a lease that runs out in a moment.
    const other: LockHolder = { nonce: 'other', pid: 1, host: 'elsewhere', pidNamespace: null };
    expect(claimRemediationLock(h.db, new Date(), other, 1_500)).toBeNull();
    const lockDuringActions: unknown[] = [];
    const perform = systems.okta.perform.bind(systems.okta);
    systems.okta.perform = async (...args) => {
      const row = h.db.prepare(`SELECT value FROM meta WHERE key = 'remediation_lock'`).get() as { value: string };
      lockDuringActions.push({ host: (JSON.parse(row.value) as { host: string }).host });
      return perform(...args);
    };
    const started = Date.now();
    const result = await runOffboard(h.db, h.config, { person: 'E2', apply: true }, engineDeps(systems));
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(result.reportId).not.toBeNull();
    expect(lockDuringActions.length).toBeGreaterThan(0);
    // Held by this process the whole time it acted.
    for (const holder of lockDuringActions) expect(holder).toEqual({ host: hostname() });
    expect(h.db.prepare(`SELECT value FROM meta WHERE key = 'remediation_lock'`).get()).toBeUndefined();
  });
});
