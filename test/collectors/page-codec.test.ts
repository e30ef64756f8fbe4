import { describe, expect, it } from 'vitest';
import { decodePage, PageEncoder, type PageBytes } from '../../collectors/csv/page-codec.js';
import type { Account } from '../../src/contract/model.js';

/** Every field set, and values JSON and UTF-8 must carry exactly: line breaks, quotes, non-Latin and astral text. */
function account(index: number, extra: Partial<Account> = {}): Account {
  return {
    source: 'hr-app',
    id: `u${index}`,
    login: `login\n${index}`,
    email: `p${index}@example.com`,
    emails: [`p${index}@example.com`, `alias.${index}@example.org`],
    employeeId: index % 2 ? `E${index}` : null,
    displayName: `Zoë "Z" 漢字 😀 ${index}`,
    enabled: index % 3 !== 0,
    rawStatus: 'ACTIVE',
    type: index % 5 === 0 ? 'service' : 'human',
    createdAt: '2026-01-02T03:04:05.000Z',
    lastActivityAt: index % 4 ? '2026-11-01T00:00:00.000Z' : null,
    activityKnown: index % 7 !== 0,
    privileged: index % 11 === 0,
    privilegeKnown: true,
    licenses: index % 2 ? ['pro'] : [],
    builtIn: false,
    attributes: { department: 'Ops\r\nNight', nested: { level: index } },
    ...extra,
  };
}

/** A whole page through the encoder, as the worker builds one account at a time. */
function encodePage(accounts: readonly Account[], spare: ArrayBuffer | undefined): PageBytes {
  const page = new PageEncoder(spare);
  for (const entry of accounts) page.add(entry);
  return page.finish();
}

describe('CSV worker pages', () => {
  it('carry every field of every account exactly, in order, across texts of a page', () => {
    const accounts = Array.from({ length: 250 }, (_, index) => account(index));
    expect(decodePage(encodePage(accounts, undefined))).toEqual(accounts);
    expect(decodePage(encodePage([], undefined))).toEqual([]);
  });

  it('fill a buffer handed back when the page fits, and a new one when it does not', () => {
    const small = [account(1)];
    const first = encodePage(small, undefined);
    const spare = new ArrayBuffer(first.bytes.byteLength * 4);
    const reused = encodePage(small, spare);
    expect(reused.bytes.buffer).toBe(spare);
    expect(decodePage(reused)).toEqual(small);

    const large = Array.from({ length: 20 }, (_, index) => account(index, { displayName: '😀'.repeat(500) }));
    const grown = encodePage(large, spare);
    expect(grown.bytes.buffer).not.toBe(spare);
    expect(decodePage(grown)).toEqual(large);
  });

  it('grow where a text ends exactly at the end of the buffer, and where a character does not fit', () => {
    const accounts = Array.from({ length: 250 }, (_, index) => account(index));
    // The first text (100 accounts) fills the buffer to its last byte: the line break needs a bigger one.
    const firstText = encodePage(accounts.slice(0, 100), undefined).bytes.byteLength;
    expect(decodePage(encodePage(accounts, new ArrayBuffer(firstText)))).toEqual(accounts);
    // Buffers smaller than one character: encodeInto writes nothing, and the rest goes to a new buffer.
    for (const size of [0, 1, 3]) expect(decodePage(encodePage(accounts, new ArrayBuffer(size)))).toEqual(accounts);
  });
});
