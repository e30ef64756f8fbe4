import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getFinding, listFindings } from '../../src/store/findings.js';
import {
  findingTicketKey,
  markFindingAcknowledged,
  markFindingRemediated,
  recordFindingTicket,
} from '../../src/store/finding-remediation.js';
import { appendEntryWith, readJournal, verifyJournal, type JournalEntry } from '../../src/store/journal.js';
import { company } from '../remediation/helpers.js';
import { ENGINES, selectEngine, useEngines } from './engines.js';

useEngines();

const AT = new Date('2026-11-26T13:00:00Z');

function ticketResult(findingId: number, ticketKey: string): JournalEntry {
  return {
    at: AT,
    kind: 'result',
    actor: 'tester',
    findingId,
    action: 'ticket',
    status: 'applied',
    detail: { ticketKey },
  };
}

describe.each(ENGINES)('store: findings as remediation changes them (%s)', (engine) => {
  beforeEach(() => selectEngine(engine));
  afterEach(() => selectEngine('sqlite'));

  it('records a finding ticket with its journal row, and never replaces a ticket already open', async () => {
    const h = await company();
    const finding = listFindings(h.db, { status: 'open' })[0]!;
    expect(findingTicketKey(h.db, finding.id)).toBeNull();

    const row = recordFindingTicket(
      h.db,
      { findingId: finding.id, ticketKey: 'SEC-1' },
      ticketResult(finding.id, 'SEC-1'),
    );
    expect(row).toMatchObject({ kind: 'result', findingId: finding.id, detail: { ticketKey: 'SEC-1' } });
    expect(findingTicketKey(h.db, finding.id)).toBe('SEC-1');

    recordFindingTicket(h.db, { findingId: finding.id, ticketKey: 'SEC-2' }, ticketResult(finding.id, 'SEC-2'));
    expect(findingTicketKey(h.db, finding.id)).toBe('SEC-1');
    expect(readJournal(h.db).map((entry) => entry.detail.ticketKey)).toEqual(['SEC-1', 'SEC-2']);
    expect(verifyJournal(h.db)).toEqual({ ok: true, rows: 2, authenticated: false });
  });

  it('a change whose journal row cannot be written is not kept (and the other way round)', async () => {
    const h = await company();
    const finding = listFindings(h.db, { status: 'open' })[0]!;
    expect(() =>
      appendEntryWith(
        h.db,
        () => markFindingRemediated(h.db, { findingId: finding.id, actor: 'tester', at: AT, reason: 'verified' }),
        () => {
          throw new Error('no journal row');
        },
      ),
    ).toThrow('no journal row');
    expect(getFinding(h.db, finding.id).status).toBe('open');
    expect(verifyJournal(h.db)).toEqual({ ok: true, rows: 0, authenticated: false });

    const { changed } = appendEntryWith(
      h.db,
      () => markFindingAcknowledged(h.db, { findingId: finding.id, by: 'U1', at: AT, reason: 'mine' }),
      () => ({ at: AT, kind: 'decision', actor: 'U1', findingId: finding.id, action: 'acknowledge' }),
    );
    expect(changed).toBeUndefined();
    expect(getFinding(h.db, finding.id).status).toBe('acknowledged');
    expect(readJournal(h.db)).toMatchObject([{ kind: 'decision', actor: 'U1', action: 'acknowledge' }]);
  });

  it('remediated only from open or acknowledged', async () => {
    const h = await company();
    const finding = listFindings(h.db, { status: 'open' })[0]!;
    const change = { findingId: finding.id, actor: 'tester', at: AT, reason: 'verified disabled' };
    expect(markFindingRemediated(h.db, change)).toBe(true);
    expect(getFinding(h.db, finding.id).status).toBe('remediated');
    expect(markFindingRemediated(h.db, change)).toBe(false);
  });
});
