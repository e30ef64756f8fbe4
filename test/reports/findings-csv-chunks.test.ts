import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { findingsCsvChunks } from '../../reports/findings-csv.js';
import type { Finding } from '../../src/contract/model.js';

function finding(index: number): Finding {
  return {
    id: index + 1,
    rule: 'orphan-account',
    severity: 'high',
    status: 'open',
    source: 'slack',
    accountId: `U${index}`,
    login: index % 3 === 0 ? '=HYPERLINK("http://evil")' : `user${index}`,
    email: null,
    displayName: `Name, "quoted"\r\nline ${index}`,
    personId: null,
    firstSeen: '2026-12-01T00:00:00.000Z',
    lastSeen: '2026-12-01T00:00:00.000Z',
    message: `finding ${index}`,
    evidence: { index },
    suppressedUntil: null,
    suppressReason: null,
    suppressedBy: null,
    ticketKey: null,
  };
}

describe('the findings CSV written as it is read', () => {
  it.each([0, 1, 500, 1_201])('is one CSV with one header for %i findings', (count) => {
    const findings = Array.from({ length: count }, (_, index) => finding(index));
    const chunks = [...findingsCsvChunks(findings)];
    expect(chunks).toHaveLength(Math.max(1, Math.ceil(count / 500)));
    const text = chunks.join('');
    // One byte-order mark, at the start; the header once.
    expect(text.startsWith('\uFEFFid,severity,rule,')).toBe(true);
    expect(text.indexOf('\uFEFF', 1)).toBe(-1);
    expect(text.match(/id,severity,rule,/g)).toHaveLength(1);

    const records = parse(text, { bom: true, columns: true }) as Record<string, string>[];
    expect(records).toHaveLength(count);
    records.forEach((record, index) => {
      expect(record.id).toBe(String(index + 1));
      expect(record.display_name).toBe(`Name, "quoted"\r\nline ${index}`);
      expect(record.login).toBe(index % 3 === 0 ? `'=HYPERLINK("http://evil")` : `user${index}`);
    });
  });
});
