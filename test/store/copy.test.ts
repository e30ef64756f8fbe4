import { describe, expect, it } from 'vitest';
import { closeDatabase, openDatabase } from '../../src/store/database.js';
import { copyStore, storeCounts } from '../../src/store/copy.js';
import { listFindings, suppressFinding } from '../../src/store/findings.js';
import { appendEntry, readJournal, verifyJournal } from '../../src/store/journal.js';
import { listRuns } from '../../src/store/runs.js';
import { company } from '../remediation/helpers.js';
import { freshPostgresUrl, useEngines } from './engines.js';

useEngines();

describe('copying a SQLite store into PostgreSQL (migrate --to)', () => {
  it('moves runs, snapshots, findings with history and the journal with its chain intact', async () => {
    const h = await company();
    const finding = listFindings(h.db, { status: 'open' })[0]!;
    suppressFinding(h.db, { id: finding.id, reason: 'known', until: new Date('2027-01-01'), by: 'me', now: h.now });
    for (let i = 0; i < 5; i++) {
      appendEntry(h.db, { at: h.now, kind: 'decision', actor: 'me', findingId: finding.id, reason: `r${i}` });
    }
    h.now = new Date('2026-11-27T12:00:00Z');
    await h.scan();

    const target = openDatabase(freshPostgresUrl());
    const copied = copyStore(h.db, target);
    expect(copied).toEqual(storeCounts(h.db));
    expect(copied.accounts).toBeGreaterThan(0);
    expect(copied.finding_events).toBeGreaterThan(0);
    expect(verifyJournal(target)).toEqual({ ok: true, rows: 5, authenticated: false });
    expect(readJournal(target)).toEqual(readJournal(h.db));
    expect(listFindings(target, { status: 'all' })).toEqual(listFindings(h.db, { status: 'all' }));
    expect(listRuns(target)).toEqual(listRuns(h.db));
    // The copy goes on as a database of its own: new rows number past the copied ones.
    expect(appendEntry(target, { at: h.now, kind: 'decision', actor: 'me', reason: 'after' }).id).toBe(6);
    expect(() => copyStore(h.db, target)).toThrow(/not empty/);
    closeDatabase(target);
  });
});
