import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  appendEntry,
  canonicalJson,
  GENESIS_HASH,
  journalHead,
  parseJournalAnchor,
  useJournalKey,
  verifyJournal,
  type JournalEntry,
} from '../../src/store/journal.js';
import { openDatabase, type Db } from '../../src/store/database.js';

const KEY = 'k'.repeat(24) + '-audit-key-for-tests';

function entry(index: number): JournalEntry {
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
    detail: { index },
  };
}

function journalOf(rows: number, key: string | null): Db {
  const db = openDatabase(':memory:');
  useJournalKey(db, key);
  for (let index = 1; index <= rows; index++) appendEntry(db, entry(index));
  return db;
}

interface StoredRow {
  id: number;
  prev_hash: string;
  hash: string;
  mac: string | null;
  reason: string | null;
  [column: string]: unknown;
}

/**
 * What someone who can write the file does: rewrites row 2 ("nothing was disabled"), recomputes every hash after it,
 * writes every row back with INSERT OR REPLACE and replaces the head. `macOf` is what they can put in the MAC column.
 */
function rewriteWholeChain(db: Db, macOf: (row: StoredRow) => string | null): void {
  const rows = db.prepare('SELECT * FROM audit_log ORDER BY id').all() as StoredRow[];
  let previousHash = GENESIS_HASH;
  const forged = rows.map((original) => {
    const { hash: _hash, mac: _mac, ...content } = original;
    const changed = { ...content, prev_hash: previousHash, reason: original.id === 2 ? 'not found' : original.reason };
    const { prev_hash: prevHash, ...hashed } = changed;
    const hash = createHash('sha256')
      .update(prevHash + canonicalJson(hashed))
      .digest('hex');
    previousHash = hash;
    const row = { ...changed, hash, mac: null as string | null };
    row.mac = macOf(row);
    return row;
  });
  for (const row of forged) {
    const columns = Object.keys(row);
    db.prepare(
      `INSERT OR REPLACE INTO audit_log (${columns.join(', ')}) VALUES (${columns.map((c) => '@' + c).join(', ')})`,
    ).run(row);
  }
  const last = forged[forged.length - 1]!;
  db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(
    'audit_log_head',
    JSON.stringify({ id: last.id, hash: last.hash }),
  );
}

/** The triggers a determined writer drops first (they live in the same file). */
function dropGuards(db: Db): void {
  for (const { name } of db
    .prepare(`SELECT name FROM sqlite_master WHERE type = 'trigger' AND (tbl_name = 'audit_log' OR tbl_name = 'meta')`)
    .all() as { name: string }[]) {
    db.exec(`DROP TRIGGER ${name}`);
  }
}

describe('journal authenticity', () => {
  it('refuses INSERT OR REPLACE of a journal row or of the head (it would bypass the UPDATE/DELETE triggers)', () => {
    const db = journalOf(4, null);
    expect(() => rewriteWholeChain(db, () => null)).toThrow(/append-only/);
    const row = db.prepare('SELECT * FROM audit_log WHERE id = 4').get() as StoredRow;
    expect(() => db.prepare(`INSERT OR REPLACE INTO audit_log SELECT * FROM audit_log WHERE id = 3`).run()).toThrow(
      /append-only/,
    );
    expect(() =>
      db
        .prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)')
        .run('audit_log_head', JSON.stringify({ id: 3, hash: row.prev_hash })),
    ).toThrow(/head cannot be replaced/);
    expect(verifyJournal(db)).toMatchObject({ ok: true, rows: 4 });
  });

  it('with the audit key, fails a whole chain rewritten with REPLACE and a recomputed head', () => {
    const db = journalOf(6, KEY);
    expect(verifyJournal(db)).toEqual({ ok: true, rows: 6, authenticated: true });
    dropGuards(db);
    rewriteWholeChain(db, () => null);
    // The forged chain is internally consistent: without the key it passes, and says it proves nothing more.
    useJournalKey(db, null);
    expect(verifyJournal(db)).toEqual({ ok: true, rows: 6, authenticated: false });
    useJournalKey(db, KEY);
    expect(verifyJournal(db)).toMatchObject({ ok: false, firstBadId: 1 });
    expect(verifyJournal(db).problem).toMatch(/no row carries a MAC/);
  });

  it('with the audit key, fails a rewritten chain that keeps the old MACs or MACs under another key', () => {
    const kept = journalOf(6, KEY);
    const originalMacs = new Map(
      (kept.prepare('SELECT id, mac FROM audit_log').all() as { id: number; mac: string }[]).map((r) => [r.id, r.mac]),
    );
    dropGuards(kept);
    rewriteWholeChain(kept, (row) => originalMacs.get(row.id) ?? null);
    expect(verifyJournal(kept)).toMatchObject({ ok: false, firstBadId: 2 });
    expect(verifyJournal(kept).problem).toMatch(/row 2 was rewritten: its MAC does not match/);

    const otherKey = journalOf(3, 'another-key-of-enough-length-000');
    useJournalKey(otherKey, KEY);
    expect(verifyJournal(otherKey)).toMatchObject({ ok: false, firstBadId: 1 });
  });

  it('fails a row appended without the key after authenticated ones', () => {
    const db = journalOf(3, KEY);
    useJournalKey(db, null);
    appendEntry(db, entry(4));
    useJournalKey(db, KEY);
    expect(verifyJournal(db)).toMatchObject({ ok: false, firstBadId: 4 });
    expect(verifyJournal(db).problem).toMatch(/no MAC/);
  });

  it('covers rows written before the key with the first MAC after them', () => {
    const db = journalOf(3, null);
    useJournalKey(db, KEY);
    appendEntry(db, entry(4));
    expect(verifyJournal(db)).toEqual({ ok: true, rows: 4, authenticated: true, unauthenticatedPrefix: 3 });
  });

  it('without a key, an anchor published earlier catches a rewritten or truncated chain', () => {
    const db = journalOf(5, null);
    const head = journalHead(db)!;
    const anchor = parseJournalAnchor(`${head.id}:${head.hash}`)!;
    expect(verifyJournal(db, { anchor })).toMatchObject({ ok: true });
    appendEntry(db, entry(6));
    expect(verifyJournal(db, { anchor })).toMatchObject({ ok: true, rows: 6 });

    dropGuards(db);
    rewriteWholeChain(db, () => null);
    expect(verifyJournal(db)).toMatchObject({ ok: true });
    expect(verifyJournal(db, { anchor })).toMatchObject({ ok: false, firstBadId: 5 });
    expect(verifyJournal(db, { anchor }).problem).toMatch(/not the published anchor/);

    const cut = journalOf(2, null);
    expect(verifyJournal(cut, { anchor })).toMatchObject({ ok: false, firstBadId: 3 });
    expect(verifyJournal(cut, { anchor }).problem).toMatch(/ends at row 2/);
  });

  it('parses anchors strictly', () => {
    const hash = 'a'.repeat(64);
    expect(parseJournalAnchor(`12:${hash}`)).toEqual({ id: 12, hash });
    for (const bad of [`0:${hash}`, `12:${hash}x`, `-1:${hash}`, `12:${hash.toUpperCase()}`, '12', `1e3:${hash}`]) {
      expect(parseJournalAnchor(bad)).toBeNull();
    }
  });
});
