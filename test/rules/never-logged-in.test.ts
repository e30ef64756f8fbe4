import { describe, expect, it } from 'vitest';
import rule from '../../rules/never-logged-in.js';
import { daysAgo, evaluate, expectCase, makePerson, makeSubject, type RuleCase } from './fixtures.js';

const neverUsed = (createdDaysAgo: number, extraMs = 0) => ({
  lastActivityAt: null,
  createdAt: daysAgo(createdDaysAgo, extraMs),
});

const cases: RuleCase[] = [
  { name: 'created 45 days ago, never used', subject: makeSubject({ account: neverUsed(45) }), fires: true },
  { name: 'created exactly 30 days + 1 ms ago', subject: makeSubject({ account: neverUsed(30, 1) }), fires: true },
  { name: 'created exactly 30 days ago', subject: makeSubject({ account: neverUsed(30) }), fires: false },
  { name: 'created 3 days ago', subject: makeSubject({ account: neverUsed(3) }), fires: false },
  {
    name: 'option days: 10, created 11 days ago',
    subject: makeSubject({ account: neverUsed(11) }),
    options: { days: 10 },
    fires: true,
  },
  {
    name: 'option days: 10, created 10 days ago',
    subject: makeSubject({ account: neverUsed(10) }),
    options: { days: 10 },
    fires: false,
  },
  {
    name: 'activity unknown is not "never"',
    subject: makeSubject({ account: { ...neverUsed(400), activityKnown: false } }),
    fires: false,
  },
  {
    name: 'creation date unknown',
    subject: makeSubject({ account: { lastActivityAt: null, createdAt: null } }),
    fires: false,
  },
  {
    name: 'has signed in once',
    subject: makeSubject({ account: { createdAt: daysAgo(400), lastActivityAt: daysAgo(399) } }),
    fires: false,
  },
  {
    name: 'owner on leave',
    subject: makeSubject({ owner: makePerson({ status: 'leave' }), account: neverUsed(45) }),
    fires: false,
  },
  {
    name: 'owner terminated',
    subject: makeSubject({ owner: makePerson({ status: 'terminated' }), account: neverUsed(45) }),
    fires: false,
  },
  { name: 'no owner', subject: makeSubject({ owner: null, account: neverUsed(45) }), fires: false },
  { name: 'guest', subject: makeSubject({ account: { ...neverUsed(45), type: 'guest' } }), fires: false },
  { name: 'bot', subject: makeSubject({ account: { ...neverUsed(45), type: 'bot' } }), fires: false },
  {
    name: 'declared service account',
    subject: makeSubject({ account: neverUsed(45), match: { method: 'service-account' } }),
    fires: false,
  },
];

describe('never-logged-in', () => {
  it.each(cases)('$name', (row) => {
    expectCase(rule, row);
  });

  it('defaults to 30 days and reports the creation date', () => {
    expect(rule.options.parse({})).toEqual({ days: 30 });
    const hit = evaluate(rule, makeSubject({ account: { source: 'okta', ...neverUsed(45) } }));
    expect(hit?.message).toBe(
      'alice@acme.com (E1042) has never signed in to their okta account, created 45 days ago on 2026-05-01 (threshold 30 days).',
    );
    expect(hit?.evidence).toMatchObject({
      createdAt: daysAgo(45),
      lastActivityAt: null,
      daysSinceCreated: 45,
      threshold: 30,
    });
  });
});
