import { describe, expect, it } from 'vitest';
import { visible, visibleLines } from '../../src/common/terminal-text.js';
import { renderFindingsTable } from '../../reports/findings-table.js';
import { renderRunsTable } from '../../reports/runs-table.js';
import type { Finding } from '../../src/contract/model.js';

const HOSTILE = 'mallory\u001b[2J\u001b[31m\r\nfake row\u202eexe.evil\u0085\u2066';

function finding(overrides: Partial<Finding>): Finding {
  return {
    id: 1,
    rule: 'orphan-account',
    severity: 'high',
    status: 'open',
    source: 'okta',
    accountId: '00u1',
    login: null,
    email: null,
    displayName: null,
    personId: null,
    firstSeen: '2026-12-01T00:00:00.000Z',
    lastSeen: '2026-12-01T00:00:00.000Z',
    message: 'msg',
    evidence: {},
    suppressedUntil: null,
    suppressReason: null,
    suppressedBy: null,
    ticketKey: null,
    ...overrides,
  };
}

/** Any raw control or direction-changing character a terminal would act on. */
// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/;

describe('terminal text from sources', () => {
  it('turns controls and bidi overrides into readable escapes and leaves other text alone', () => {
    expect(visible('Zoë Ångström 李 <ok@example.com>')).toBe('Zoë Ångström 李 <ok@example.com>');
    expect(visible('a\u001b[2Jb')).toBe('a\\x1b[2Jb');
    expect(visible('a\r\nb')).toBe('a\\x0d\\x0ab');
    expect(visible('a\u202eb')).toBe('a<U+202E>b');
    expect(visible('\u0085')).toBe('\\x85');
    expect(visibleLines('one\ntwo\u001b')).toBe('one\ntwo\\x1b');
  });

  it('never lets a hostile login, owner or message reach the findings table raw', () => {
    const out = renderFindingsTable(
      [finding({ login: HOSTILE, personId: HOSTILE, message: `Account ${HOSTILE} has no owner` })],
      { color: false, width: 200 },
    );
    expect(out).not.toMatch(RAW);
    expect(out).toContain('\\x1b[2J');
    expect(out).toContain('<U+202E>');
  });

  it('never lets a hostile source error reach the runs table raw', () => {
    const out = renderRunsTable(
      [
        {
          id: 1,
          startedAt: '2026-12-01T00:00:00.000Z',
          finishedAt: '2026-12-01T00:01:00.000Z',
          status: 'partial',
          sources: { okta: { status: 'failed', accounts: 0, error: HOSTILE, notices: [] } },
          findingsOpen: 0,
          findingsOpened: 0,
          findingsResolved: 0,
        },
      ],
      { color: false },
    );
    expect(out).not.toMatch(RAW);
  });
});
