import { describe, expect, it } from 'vitest';
import rule from '../../rules/reprovisioned-after-offboarding.js';
import { daysAgo, expectCase, NOW, makeSubject, terminatedPerson, type RuleCase } from './fixtures.js';

const disabledDaysAgo = (days: number) => ({
  disabledByZombiescan: { at: daysAgo(days), journalId: 42, actor: 'serve (lifecycle)' },
});

const cases: RuleCase[] = [
  {
    name: 'disabled by zombiescan, enabled again in a later scan',
    subject: makeSubject({ owner: terminatedPerson(30), history: disabledDaysAgo(10) }),
    fires: true,
  },
  {
    name: 'fires whoever owns it, and without an owner',
    subject: makeSubject({ owner: null, history: disabledDaysAgo(1) }),
    fires: true,
  },
  { name: 'never disabled by zombiescan', subject: makeSubject({ owner: terminatedPerson(30) }), fires: false },
  {
    name: 'still disabled',
    subject: makeSubject({ account: { enabled: false }, history: disabledDaysAgo(10) }),
    fires: false,
  },
  {
    name: 'disabled at the scan time itself (no later scan yet)',
    subject: makeSubject({ history: { disabledByZombiescan: { at: NOW.toISOString(), journalId: 1, actor: 'x' } } }),
    fires: false,
  },
];

describe('reprovisioned-after-offboarding', () => {
  it.each(cases)('$name', (row) => {
    expectCase(rule, row);
  });

  it('names the journal row and the day it was disabled', () => {
    const hit = expectCase(rule, cases[0]!)!;
    expect(hit.message).toContain(`disabled by zombiescan on ${daysAgo(10).slice(0, 10)} (journal #42)`);
    expect(hit.evidence).toMatchObject({ journalId: 42, disabledBy: 'serve (lifecycle)', ownerStatus: 'terminated' });
  });
});
