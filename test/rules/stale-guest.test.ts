import { describe, expect, it } from 'vitest';
import rule from '../../rules/stale-guest.js';
import { daysAgo, evaluate, expectCase, makeSubject, type RuleCase } from './fixtures.js';

const guest = { type: 'guest' as const, email: 'pat@partner.io', emails: ['pat@partner.io'], login: 'pat' };
const unowned = { owner: null };

const cases: RuleCase[] = [
  {
    name: 'no sign-in for 75 days',
    subject: makeSubject({ ...unowned, account: { ...guest, lastActivityAt: daysAgo(75) } }),
    fires: true,
  },
  {
    name: 'exactly 60 days + 1 ms',
    subject: makeSubject({ ...unowned, account: { ...guest, lastActivityAt: daysAgo(60, 1) } }),
    fires: true,
  },
  {
    name: 'exactly 60 days',
    subject: makeSubject({ ...unowned, account: { ...guest, lastActivityAt: daysAgo(60) } }),
    fires: false,
  },
  {
    name: 'signed in last week',
    subject: makeSubject({ ...unowned, account: { ...guest, lastActivityAt: daysAgo(7) } }),
    fires: false,
  },
  {
    name: 'never signed in, invited 61 days ago',
    subject: makeSubject({ ...unowned, account: { ...guest, lastActivityAt: null, createdAt: daysAgo(61) } }),
    fires: true,
  },
  {
    name: 'never signed in, invited exactly 60 days ago',
    subject: makeSubject({ ...unowned, account: { ...guest, lastActivityAt: null, createdAt: daysAgo(60) } }),
    fires: false,
  },
  {
    name: 'never signed in, invitation date unknown',
    subject: makeSubject({ ...unowned, account: { ...guest, lastActivityAt: null, createdAt: null } }),
    fires: false,
  },
  {
    name: 'old sign-in but recent creation: the sign-in decides',
    subject: makeSubject({ ...unowned, account: { ...guest, lastActivityAt: daysAgo(5), createdAt: daysAgo(500) } }),
    fires: false,
  },
  {
    name: 'activity unknown',
    subject: makeSubject({
      ...unowned,
      account: { ...guest, activityKnown: false, lastActivityAt: null, createdAt: daysAgo(500) },
    }),
    fires: false,
  },
  {
    name: 'option days: 10, 11 days',
    subject: makeSubject({ ...unowned, account: { ...guest, lastActivityAt: daysAgo(11) } }),
    options: { days: 10 },
    fires: true,
  },
  {
    name: 'option days: 10, exactly 10 days',
    subject: makeSubject({ ...unowned, account: { ...guest, lastActivityAt: daysAgo(10) } }),
    options: { days: 10 },
    fires: false,
  },
  {
    name: 'guest matched to an employee still fires',
    subject: makeSubject({ account: { ...guest, lastActivityAt: daysAgo(75) } }),
    fires: true,
  },
  {
    name: 'human account, long inactive',
    subject: makeSubject({ account: { lastActivityAt: daysAgo(200) } }),
    fires: false,
  },
];

describe('stale-guest', () => {
  it.each(cases)('$name', (row) => {
    expectCase(rule, row);
  });

  it('explains an old sign-in', () => {
    const hit = evaluate(rule, makeSubject({ ...unowned, account: { ...guest, lastActivityAt: daysAgo(75) } }));
    expect(hit?.message).toBe(
      'Guest pat@partner.io in slack has not signed in for 75 days (last 2026-04-01; threshold 60 days).',
    );
    expect(hit?.evidence).toMatchObject({ daysInactive: 75, threshold: 60, lastActivityAt: daysAgo(75) });
  });

  it('explains an invitation never accepted', () => {
    const hit = evaluate(
      rule,
      makeSubject({ ...unowned, account: { ...guest, lastActivityAt: null, createdAt: daysAgo(61) } }),
    );
    expect(hit?.message).toBe(
      'Guest pat@partner.io in slack was added 61 days ago on 2026-04-15 and has never signed in (threshold 60 days).',
    );
    expect(hit?.evidence).toMatchObject({ daysSinceCreated: 61, threshold: 60, lastActivityAt: null });
  });
});
