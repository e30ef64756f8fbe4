import { describe, expect, it } from 'vitest';
import { renderFindingsTable } from '../../reports/findings-table.js';
import { renderFindingDetail } from '../../reports/finding-detail.js';
import { fitColumns } from '../../reports/terminal.js';
import { renderFindingsCsv } from '../../reports/findings-csv.js';
import { findingToJson } from '../../src/contract/finding-json.js';
import type { Finding } from '../../src/contract/model.js';
import {
  accountSearchLabel,
  accountsUsedAfterTermination,
  headlineMessage,
  severityLabel,
  usedAfterTerminationHeadline,
} from '../../src/contract/finding-facts.js';

function finding(overrides: Partial<Finding>): Finding {
  return {
    id: 1,
    rule: 'terminated-still-active',
    severity: 'critical',
    status: 'open',
    source: 'okta',
    accountId: '00u1',
    login: 'nrahman',
    email: 'nadia.rahman@acme.com',
    displayName: null,
    personId: 'E1063',
    firstSeen: '2026-12-01T00:00:00.000Z',
    lastSeen: '2026-12-01T00:00:00.000Z',
    message: 'nadia.rahman@acme.com (E1063) was terminated on 2026-11-24 but their okta account is still enabled.',
    evidence: {},
    suppressedUntil: null,
    suppressReason: null,
    suppressedBy: null,
    ticketKey: null,
    ...overrides,
  };
}

const RAISED = finding({
  id: 2,
  rule: 'orphan-account',
  login: 'breakglass-admin@acme.com',
  email: 'breakglass-admin@acme.com',
  personId: null,
  evidence: { privileged: true, severityBeforePrivilege: 'high' },
  message: 'The okta account breakglass-admin@acme.com is enabled but matches no one in the HR roster.',
});

/** The table's data lines (between the header and the count), cells trimmed. */
function cells(text: string): string[][] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('│'))
    .map((line) =>
      line
        .split('│')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
}

describe('finding facts', () => {
  it('says a severity raised for privilege as "(admin)", and nothing when it was not raised', () => {
    expect(severityLabel(RAISED)).toBe('critical (admin)');
    // Privileged but already critical: not raised, so no claim.
    expect(severityLabel(finding({ evidence: { privileged: true } }))).toBe('critical');
  });

  it('counts accounts, not findings, used after termination, and leads the message with it', () => {
    const used = [
      finding({ evidence: { usedAfterTermination: true } }),
      finding({ id: 3, rule: 'sign-in-after-termination', message: 'x signed in since' }),
      finding({ id: 4, source: 'aws', accountId: 'leo', evidence: { usedAfterTermination: true } }),
      finding({ id: 5, accountId: 'other', evidence: { usedAfterTermination: null } }),
    ];
    expect(accountsUsedAfterTermination(used)).toBe(2);
    expect(usedAfterTerminationHeadline(2)).toBe("2 accounts used after their owner's termination");
    expect(usedAfterTerminationHeadline(1)).toBe("1 account used after its owner's termination");
    expect(headlineMessage(used[1]!)).toBe('Used after termination: x signed in since');
    expect(headlineMessage(finding({ message: 'Used after termination: y', evidence: { usedAfterTermination: true } })))
      //
      .toBe('Used after termination: y');
    expect(headlineMessage(used[3]!)).toBe(used[3]!.message);
  });

  it('labels an account by the login an admin searches for, with the email beside it when different', () => {
    expect(accountSearchLabel(finding({}))).toBe('nrahman (nadia.rahman@acme.com)');
    expect(accountSearchLabel(finding({ login: 'Nadia.Rahman@acme.com' }))).toBe('Nadia.Rahman@acme.com');
    expect(accountSearchLabel(finding({ login: null }))).toBe('nadia.rahman@acme.com');
    expect(accountSearchLabel(finding({ login: null, email: null }))).toBe('00u1');
  });
});

describe('findings table', () => {
  it('pins the plain table: login with email, severity raised for admin, no STATUS column for open findings', () => {
    const out = renderFindingsTable([finding({}), RAISED], { color: false, width: 240 });
    expect(cells(out)).toEqual([
      ['ID', 'SEVERITY', 'RULE', 'SOURCE', 'ACCOUNT / KEY', 'OWNER', 'FIRST SEEN', 'WHY'],
      [
        '1',
        'critical',
        'terminated-still-active',
        'okta',
        'nrahman',
        'E1063',
        '2026-12-01',
        'nadia.rahman@acme.com (E1063) was terminated on 2026-11-24 but their okta account is still enabled.',
      ],
      // The email the source also knows, on the line below the login.
      ['', '', '', '', '(nadia.rahman@acme.com)', '', '', ''],
      [
        '2',
        'critical',
        'orphan-account',
        'okta',
        'breakglass-admin@acme.com',
        'none',
        '2026-12-01',
        'The okta account breakglass-admin@acme.com is enabled but matches no one in the HR roster.',
      ],
      ['', '(admin)', '', '', '', '', '', ''],
    ]);
    // The message column is as wide as its longest message, no wider: the table ends where the content does.
    expect(out.split('\n')[0]!.length).toBe(out.split('\n')[1]!.length);
    expect(out.split('\n')[1]).toMatch(/WHY {97}│$/);
    expect(out.endsWith('\n2 findings\n')).toBe(true);
  });

  it('--status all: a STATUS column, and a suppressed finding says until when, by whom and why', () => {
    const suppressed = finding({
      id: 7,
      status: 'suppressed',
      suppressedUntil: '2027-02-01T04:59:59.999Z',
      suppressedBy: 'alice',
      suppressReason: 'contract ends in January',
    });
    const out = renderFindingsTable([finding({}), suppressed], { color: false, width: 220, showStatus: true });
    const [head, ...rows] = cells(out);
    expect(head!.slice(0, 4)).toEqual(['ID', 'SEVERITY', 'STATUS', 'RULE']);
    expect(rows[0]!.slice(0, 3)).toEqual(['1', 'critical', 'open']);
    expect(out).toContain('Suppressed until 2027-02-01T04:59:59.999Z by alice: contract ends in January');
    // Without --status all, a list of open findings has no STATUS column; a list holding others still gets one.
    expect(cells(renderFindingsTable([finding({})], { color: false, width: 200 }))[0]).not.toContain('STATUS');
    expect(cells(renderFindingsTable([suppressed], { color: false, width: 200 }))[0]).toContain('STATUS');
  });

  it('never cuts a long source name or login while the message column can give way', () => {
    const long = finding({
      source: 'salesforce-production-eu',
      login: 'marta.kowalczyk-external@northwind-labs.example.com',
      email: null,
      message: 'A long message '.repeat(12).trim(),
    });
    for (const width of [180, 200, 240]) {
      const out = renderFindingsTable([long], { color: false, width });
      expect(out).toContain('salesforce-production-eu');
      expect(out).toContain('marta.kowalczyk-external@northwind-labs.example.com');
      expect(out).not.toContain('…');
      for (const line of out.split('\n')) expect([...line].length).toBeLessThanOrEqual(width);
    }
    // Narrower than the content allows: the rule gives way after the message, then the login; never the source.
    const narrow = renderFindingsTable([long], { color: false, width: 150 });
    expect(narrow).toContain('salesforce-production-eu');
    expect(narrow).toContain('terminated-st…');
    const narrower = renderFindingsTable([long], { color: false, width: 120 });
    expect(narrower).toContain('salesforce-production-eu');
    expect(narrower).toMatch(/marta\.kowalczyk\S*…/);
  });

  it('leads a use after termination with it', () => {
    const out = renderFindingsTable(
      [finding({ rule: 'sign-in-after-termination', message: 'nadia signed in successfully once since' })],
      { color: false, width: 200 },
    );
    expect(out).toContain('Used after termination: nadia signed in successfully once since');
  });

  it('fits columns: natural widths when they fit, then the give-way order', () => {
    const head = ['A', 'B', 'WHY'];
    const rows = [['aaaa', 'bbbbbbbbbb', 'x'.repeat(50)]];
    expect(fitColumns(head, rows, 200, { giveWay: [{ column: 2, min: 10 }] })).toEqual([6, 12, 52]);
    // 4 borders: 200 -> 40 leaves 36 for the columns; WHY gives way down to 10, then B down to 4.
    expect(
      fitColumns(head, rows, 40, {
        giveWay: [
          { column: 2, min: 10 },
          { column: 1, min: 4 },
        ],
      }),
    ).toEqual([6, 12, 18]);
    expect(
      fitColumns(head, rows, 30, {
        giveWay: [
          { column: 2, min: 10 },
          { column: 1, min: 4 },
        ],
      }),
    ).toEqual([6, 8, 12]);
  });
});

describe('findings show', () => {
  it('says the severity was raised for privilege, and the account as searched for', () => {
    const text = renderFindingDetail(RAISED, null);
    expect(text).toContain('  severity     critical (admin): raised from high because the account is privileged\n');
    expect(renderFindingDetail(finding({}), null)).toContain(
      '  account      nrahman (nadia.rahman@acme.com) (id 00u1)',
    );
  });
});

describe('findings exports', () => {
  it('keep the machine severity and add what raised it and whether the account was used after termination', () => {
    const used = finding({ id: 3, evidence: { usedAfterTermination: true } });
    const json = [RAISED, used].map(findingToJson);
    expect(json.map((entry) => [entry.severity, entry.severityBeforePrivilege, entry.usedAfterTermination])).toEqual([
      ['critical', 'high', false],
      ['critical', null, true],
    ]);
    const [header, ...lines] = renderFindingsCsv([RAISED, used])
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    const columns = header!.split(',');
    expect(columns.slice(-2)).toEqual(['severity_before_privilege', 'used_after_termination']);
    expect(lines.map((line) => line.split(',').slice(1, 2).concat(line.split(',').slice(-2)))).toEqual([
      ['critical', 'high', 'false'],
      ['critical', '', 'true'],
    ]);
  });
});
