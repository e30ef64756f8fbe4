import { describe, expect, it } from 'vitest';
import { usedAfterTermination } from '../../src/contract/finding-facts.js';
import type { Severity } from '../../src/contract/model.js';
import {
  findingsUsedAfterTermination,
  firstOpenFindings,
  listFindings,
  openBySeverity,
  reconcileFindings,
  stageDrafts,
  type FindingDraft,
} from '../../src/store/findings.js';
import { beginTestRun, ENGINES, freshDatabase, useEngines } from './engines.js';

useEngines();

const RULES = ['terminated-still-active', 'sign-in-after-termination'];

/** Evidence a scan summary must and must not read as "used after termination" (only JSON true counts). */
const CASES: { account: string; rule: string; severity: Severity; evidence: Record<string, unknown> }[] = [
  { account: 'a1', rule: RULES[0]!, severity: 'critical', evidence: {} },
  { account: 'a2', rule: RULES[0]!, severity: 'critical', evidence: { usedAfterTermination: 'true' } },
  { account: 'a3', rule: RULES[0]!, severity: 'critical', evidence: { usedAfterTermination: 1 } },
  { account: 'a4', rule: RULES[0]!, severity: 'critical', evidence: { usedAfterTermination: false } },
  { account: 'a5', rule: RULES[0]!, severity: 'critical', evidence: { usedAfterTermination: true } },
  { account: 'a6', rule: RULES[1]!, severity: 'critical', evidence: {} },
  { account: 'a7', rule: RULES[0]!, severity: 'high', evidence: { usedAfterTermination: true } },
  { account: 'a8', rule: RULES[0]!, severity: 'high', evidence: { nested: { usedAfterTermination: true } } },
  { account: 'a9', rule: RULES[0]!, severity: 'medium', evidence: { usedAfterTermination: true } },
];

describe.each(ENGINES)('the findings a scan summary names, on %s', (engine) => {
  it('reads used after termination as the JS check does, names those first, and counts the rest', () => {
    const db = freshDatabase(engine);
    const now = new Date('2026-12-06T12:00:00.000Z');
    const runId = beginTestRun(db, now);
    const drafts: FindingDraft[] = CASES.map((entry) => ({
      rule: entry.rule,
      source: 'okta',
      accountId: entry.account,
      severity: entry.severity,
      personId: 'E1',
      login: entry.account,
      email: null,
      displayName: null,
      message: `finding of ${entry.account}`,
      evidence: entry.evidence,
      exception: null,
    }));
    stageDrafts(db, drafts, {
      source: new Map([['okta', 0]]),
      rule: new Map(RULES.map((rule, index) => [rule, index])),
    });
    db.transaction(() => reconcileFindings(db, { runId, now, scope: { sources: ['okta'], rules: RULES } }))();
    db.prepare(`UPDATE findings SET status = 'acknowledged' WHERE account_id = 'a9'`).run();

    const inJs = [...listFindings(db, { status: 'open' }), ...listFindings(db, { status: 'acknowledged' })]
      .filter(usedAfterTermination)
      .map((finding) => finding.accountId)
      .sort();
    expect(inJs).toEqual(['a5', 'a6', 'a7', 'a9']);
    expect(
      findingsUsedAfterTermination(db)
        .map((finding) => finding.accountId)
        .sort(),
    ).toEqual(inJs);

    // The summary counts what it does not name from the scan's open counts.
    expect(openBySeverity(db)).toMatchObject({ critical: 6, high: 2 });
    const critical = firstOpenFindings(db, 'critical', 3);
    expect(critical.map((finding) => finding.accountId)).toEqual(['a5', 'a6', 'a1']);
    const high = firstOpenFindings(db, 'high', 10);
    expect(high.map((finding) => finding.accountId)).toEqual(['a7', 'a8']);
  });
});
