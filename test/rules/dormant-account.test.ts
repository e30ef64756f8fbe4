import { describe, expect, it } from 'vitest';
import rule from '../../rules/dormant-account.js';
import { daysAgo, evaluate, expectCase, makePerson, makeSubject, type RuleCase } from './fixtures.js';

const lastSeen = (days: number, extraMs = 0) => ({ lastActivityAt: daysAgo(days, extraMs) });

const cases: RuleCase[] = [
  { name: '120 days without sign-in', subject: makeSubject({ account: lastSeen(120) }), fires: true },
  { name: 'exactly 90 days + 1 ms', subject: makeSubject({ account: lastSeen(90, 1) }), fires: true },
  { name: 'exactly 90 days', subject: makeSubject({ account: lastSeen(90) }), fires: false },
  { name: '30 days', subject: makeSubject({ account: lastSeen(30) }), fires: false },
  {
    name: 'option days: 10, 11 days',
    subject: makeSubject({ account: lastSeen(11) }),
    options: { days: 10 },
    fires: true,
  },
  {
    name: 'option days: 10, exactly 10 days',
    subject: makeSubject({ account: lastSeen(10) }),
    options: { days: 10 },
    fires: false,
  },
  {
    name: 'activity unknown',
    subject: makeSubject({ account: { ...lastSeen(400), activityKnown: false } }),
    fires: false,
  },
  {
    name: 'never signed in (that is never-logged-in)',
    subject: makeSubject({ account: { lastActivityAt: null } }),
    fires: false,
  },
  {
    name: 'owner on leave',
    subject: makeSubject({ owner: makePerson({ status: 'leave' }), account: lastSeen(200) }),
    fires: false,
  },
  {
    name: 'rehire: active record chosen by the matcher, recent sign-in',
    subject: makeSubject({ owner: makePerson({ employeeId: 'E2042' }), account: lastSeen(5) }),
    fires: false,
  },
  { name: 'no owner', subject: makeSubject({ owner: null, account: lastSeen(200) }), fires: false },
  { name: 'guest', subject: makeSubject({ account: { ...lastSeen(200), type: 'guest' } }), fires: false },
  { name: 'service account', subject: makeSubject({ account: { ...lastSeen(200), type: 'service' } }), fires: false },
  {
    name: 'declared service account',
    subject: makeSubject({ account: lastSeen(200), match: { method: 'service-account' } }),
    fires: false,
  },
  { name: 'sign-in in the future (clock skew)', subject: makeSubject({ account: lastSeen(-1) }), fires: false },
];

describe('dormant-account', () => {
  it.each(cases)('$name', (row) => {
    expectCase(rule, row);
  });

  it('defaults to 90 days and reports days inactive against the threshold', () => {
    expect(rule.options.parse({})).toEqual({ days: 90 });
    const hit = evaluate(rule, makeSubject({ account: { source: 'salesforce', ...lastSeen(120, 3_600_000) } }));
    expect(hit?.message).toBe(
      'alice@acme.com (E1042) has not signed in to their salesforce account for 120 days (last 2026-02-15; threshold 90 days).',
    );
    expect(hit?.evidence).toMatchObject({ lastActivityAt: daysAgo(120, 3_600_000), daysInactive: 120, threshold: 90 });
  });

  it('uses the configured threshold in evidence', () => {
    expect(evaluate(rule, makeSubject({ account: lastSeen(11) }), { days: 10 })?.evidence).toMatchObject({
      threshold: 10,
    });
  });
});
