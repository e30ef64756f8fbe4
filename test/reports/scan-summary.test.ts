import { describe, expect, it } from 'vitest';
import { changesLine, renderScanSummary } from '../../reports/scan-summary.js';
import type { Finding } from '../../src/contract/model.js';
import type { ScanResult } from '../../src/contract/run.js';

function finding(overrides: Partial<Finding>): Finding {
  return {
    id: 1,
    rule: 'terminated-still-active',
    severity: 'critical',
    status: 'open',
    source: 'okta',
    accountId: '00u1',
    login: null,
    email: null,
    displayName: null,
    personId: 'E1',
    firstSeen: '2026-12-01T00:00:00.000Z',
    lastSeen: '2026-12-01T00:00:00.000Z',
    message: 'bob@acme.com (E1) was terminated on 2026-11-01 but their okta account is still enabled.',
    evidence: {},
    suppressedUntil: null,
    suppressReason: null,
    suppressedBy: null,
    ticketKey: null,
    ...overrides,
  };
}

const RESULT: ScanResult = {
  runId: 7,
  status: 'complete',
  startedAt: '2026-12-06T15:12:00.000Z',
  finishedAt: '2026-12-06T15:12:01.500Z',
  people: 12_480,
  sources: [
    {
      name: 'okta',
      type: 'okta',
      role: 'idp',
      status: 'complete',
      accounts: 13_002,
      activityKnown: true,
      error: null,
      notices: [],
      durationMs: 900,
    },
  ],
  findings: {
    opened: 30,
    openedSuppressed: 1,
    reopened: 2,
    resolved: 3,
    newThisRun: 32,
    open: { critical: 3, high: 1_200, medium: 27, low: 1 },
  },
};

const USED = finding({
  id: 35,
  source: 'aws',
  accountId: 'leo',
  message:
    'Used after termination: leo@acme.com (E2) was terminated on 2026-10-07 but their aws account is still enabled.',
  evidence: { usedAfterTermination: true },
});
const SIGNED_IN = finding({
  id: 50,
  rule: 'sign-in-after-termination',
  source: 'google',
  accountId: 'g1',
  message: 'bob@acme.com (E1) left (effective 2026-11-02T00:00:00.000Z) but their google account signed in once since.',
});
const ADMIN = finding({
  id: 2,
  rule: 'orphan-account',
  personId: null,
  evidence: { privileged: true, severityBeforePrivilege: 'high' },
  message: 'The okta account breakglass is enabled but matches no one in the HR roster.',
});

describe('scan summary', () => {
  it('leads with use after termination, explains its numbers, separates thousands, and times the whole command', () => {
    const text = renderScanSummary(RESULT, {
      critical: [ADMIN, finding({}), USED, SIGNED_IN],
      high: [],
      color: false,
      durationMs: 4_250,
      usedAfterTermination: { accounts: 2, findings: [USED, SIGNED_IN] },
    });
    expect(text).toBe(
      [
        'Scan #7 complete at 2026-12-06 15:12 UTC (4.3 s)',
        "ALERT: 2 accounts used after their owner's termination (findings #35, #50)",
        'HR roster: 12,480 people',
        '',
        'Sources',
        '  okta (idp)  complete   13,002 accounts',
        '',
        'Open findings: 1,231  (3 critical · 1,200 high · 27 medium · 1 low)',
        '  This scan: 29 new, 2 reopened, 1 suppressed by an exception, 3 resolved',
        '',
        'Critical',
        '  #35 [terminated-still-active · aws] Used after termination: leo@acme.com (E2) was terminated on 2026-10-07 but their aws account is still enabled.',
        '  #50 [sign-in-after-termination · google] Used after termination: bob@acme.com (E1) left (effective 2026-11-02T00:00:00.000Z) but their google account signed in once since.',
        '  #2 (admin) [orphan-account · okta] The okta account breakglass is enabled but matches no one in the HR roster.',
        '  #1 [terminated-still-active · okta] bob@acme.com (E1) was terminated on 2026-11-01 but their okta account is still enabled.',
        '',
      ].join('\n'),
    );
  });

  it('says nothing alarming when nothing was used after termination, and falls back to the scan time', () => {
    const text = renderScanSummary(RESULT, {
      critical: [],
      high: [],
      color: false,
      usedAfterTermination: { accounts: 0, findings: [] },
    });
    expect(text).not.toContain('ALERT');
    expect(text.split('\n')[0]).toBe('Scan #7 complete at 2026-12-06 15:12 UTC (1.5 s)');
  });

  it('counts the findings it does not name from the scan’s open counts, not from those it was given', () => {
    const text = renderScanSummary(RESULT, {
      critical: [finding({})],
      high: [finding({ id: 9, severity: 'high' })],
      color: false,
    });
    expect(text).toContain('Critical\n  #1 [terminated-still-active · okta] bob@acme.com');
    expect(text).toContain('  … and 2 more\n');
    expect(text).toContain('High\n  #9 [terminated-still-active · okta]');
    expect(text).toContain('  … and 1,199 more\n');
  });

  it('only mentions reopened and suppressed when there are any', () => {
    expect(changesLine({ ...RESULT.findings, opened: 42, openedSuppressed: 0, reopened: 0, resolved: 0 })).toBe(
      '42 new, 0 resolved',
    );
    expect(changesLine({ ...RESULT.findings, opened: 42, openedSuppressed: 1, reopened: 0, resolved: 1_500 })).toBe(
      '41 new, 1 suppressed by an exception, 1,500 resolved',
    );
  });
});
