import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  appendEntry,
  canonicalJson,
  GENESIS_HASH,
  pendingIntents,
  readJournal,
  verifyJournal,
  type JournalEntry,
} from '../../src/store/journal.js';
import { testDatabase } from '../store/engines.js';
import { openDatabase, type Db } from '../../src/store/database.js';

function fresh(): Db {
  return openDatabase(testDatabase(':memory:'));
}

function entry(index: number, extra: Partial<JournalEntry> = {}): JournalEntry {
  return {
    at: new Date(Date.UTC(2026, 10, 26, 12, 0, index)),
    kind: index % 2 === 1 ? 'intent' : 'result',
    intentId: index % 2 === 1 ? null : index - 1,
    actor: 'alice',
    findingId: 7,
    source: 'okta',
    accountId: `o${index}`,
    action: 'disable',
    status: index % 2 === 1 ? null : 'applied',
    reason: index % 2 === 1 ? null : 'suspended',
    detail: { before: { enabled: true, rawStatus: 'ACTIVE' }, index },
    ...extra,
  };
}

function journalOf(rows: number): Db {
  const db = fresh();
  for (let index = 1; index <= rows; index++) appendEntry(db, entry(index));
  return db;
}

describe('the audit log', () => {
  it('chains every row to the one before and verifies an intact chain', () => {
    const db = journalOf(6);
    const rows = readJournal(db);
    expect(rows.map((row) => row.id)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(rows[0]!.prevHash).toBe(GENESIS_HASH);
    for (let index = 1; index < rows.length; index++) expect(rows[index]!.prevHash).toBe(rows[index - 1]!.hash);
    expect(rows[0]!.detail).toEqual({ before: { enabled: true, rawStatus: 'ACTIVE' }, index: 1 });
    expect(verifyJournal(db)).toEqual({ ok: true, rows: 6, authenticated: false });
    expect(verifyJournal(fresh())).toEqual({ ok: true, rows: 0, authenticated: false });
  });

  it('refuses UPDATE and DELETE, and a head that moves back or disappears', () => {
    const db = journalOf(3);
    expect(() => db.prepare(`UPDATE audit_log SET reason = 'nothing happened' WHERE id = 2`).run()).toThrow(
      /append-only/,
    );
    expect(() => db.prepare('DELETE FROM audit_log WHERE id = 3').run()).toThrow(/append-only/);
    expect(() => db.prepare(`DELETE FROM meta WHERE key = 'audit_log_head'`).run()).toThrow(/cannot be deleted/);
    expect(() =>
      db.prepare(`UPDATE meta SET value = '{"id":2,"hash":"x"}' WHERE key = 'audit_log_head'`).run(),
    ).toThrow(/only moves forward|must name the last journal row/);
    expect(verifyJournal(db).ok).toBe(true);
  });

  it('names an altered row', () => {
    const db = journalOf(6);
    dropTrigger(db, 'audit_log_no_update');
    db.prepare(`UPDATE audit_log SET status = 'failed' WHERE id = 4`).run();
    expect(verifyJournal(db)).toMatchObject({ ok: false, rows: 6, firstBadId: 4 });
    expect(verifyJournal(db).problem).toMatch(/row 4 was altered/);
  });

  it('names a row rewritten with a recomputed hash, by the broken link after it', () => {
    const db = journalOf(5);
    dropTrigger(db, 'audit_log_no_update');
    // A careful forger recomputes row 2's hash; row 3 still chains to the original one.
    const row = db.prepare('SELECT * FROM audit_log WHERE id = 2').get() as {
      hash: string;
      prev_hash: string;
      mac: string | null;
    };
    const { hash: _hash, mac: _mac, prev_hash: prevHash, ...content } = { ...row, reason: 'forged' };
    const newHash = createHash('sha256')
      .update(prevHash + canonicalJson(content))
      .digest('hex');
    db.prepare('UPDATE audit_log SET reason = ?, hash = ? WHERE id = 2').run('forged', newHash);
    expect(verifyJournal(db)).toMatchObject({ ok: false, firstBadId: 2 });
    expect(verifyJournal(db).problem).toMatch(/row 2 was rewritten/);
  });

  it('detects a deleted last row through the head kept in meta', () => {
    const db = journalOf(5);
    dropTrigger(db, 'audit_log_no_delete');
    db.prepare('DELETE FROM audit_log WHERE id = 5').run();
    expect(verifyJournal(db)).toMatchObject({ ok: false, rows: 4, firstBadId: 5 });
    expect(verifyJournal(db).problem).toMatch(/row 5 is missing/);
  });

  it('detects a row deleted from the middle', () => {
    const db = journalOf(5);
    dropTrigger(db, 'audit_log_no_delete');
    db.prepare('DELETE FROM audit_log WHERE id = 3').run();
    expect(verifyJournal(db)).toMatchObject({ ok: false, firstBadId: 3 });
  });

  it('keeps detecting a truncated tail after later appends', () => {
    const db = journalOf(4);
    dropTrigger(db, 'audit_log_no_delete');
    db.prepare('DELETE FROM audit_log WHERE id = 4').run();
    appendEntry(db, entry(5));
    expect(verifyJournal(db)).toMatchObject({ ok: false, firstBadId: 4 });
  });

  it('lists intents that have no result', () => {
    const db = fresh();
    const first = appendEntry(db, entry(1));
    appendEntry(db, entry(2, { intentId: first.id }));
    const open = appendEntry(db, entry(3));
    appendEntry(db, { at: new Date(), kind: 'decision', actor: 'U123', findingId: 7, action: 'approve-remediation' });
    expect(pendingIntents(db).map((row) => row.id)).toEqual([open.id]);
  });

  it('hashes canonical JSON: key order does not matter, values do', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}',
    );
  });
});

/** Tampering as someone with write access would: the guard trigger removed first (PostgreSQL names its table). */
function dropTrigger(db: Db, name: string): void {
  db.exec(db.engine === 'postgres' ? `DROP TRIGGER ${name} ON audit_log` : `DROP TRIGGER ${name}`);
}
