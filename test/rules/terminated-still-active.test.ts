import { describe, expect, it } from 'vitest';
import rule from '../../rules/terminated-still-active.js';
import { endOfLocalDay } from '../../src/common/time.js';
import { NOW, expectCase, evaluate, makePerson, makeSubject, terminatedPerson, type RuleCase } from './fixtures.js';

// A date-only termination in Los Angeles takes effect at the end of that day there (07:00 UTC the next day, PDT).
const laEffectiveAt = endOfLocalDay('2026-03-10', 'America/Los_Angeles');
const laTerminated = makePerson({
  status: 'terminated',
  terminationDate: '2026-03-10',
  terminationEffectiveAt: laEffectiveAt.toISOString(),
});

const cases: RuleCase[] = [
  {
    name: 'terminated 30 days ago, account enabled',
    subject: makeSubject({ owner: terminatedPerson(30) }),
    fires: true,
  },
  {
    name: 'terminated with no termination date',
    subject: makeSubject({ owner: makePerson({ status: 'terminated' }) }),
    fires: true,
  },
  {
    name: 'matched by employee id, account has no email',
    subject: makeSubject({
      owner: terminatedPerson(5),
      account: { email: null, emails: [], login: 'asmith', employeeId: 'E1042' },
      match: { method: 'employee-id', matchedOn: 'E1042' },
    }),
    fires: true,
  },
  {
    name: 'account email differs from the HR email (alias)',
    subject: makeSubject({ owner: terminatedPerson(5), account: { email: 'a.smith@acme.co.uk' } }),
    fires: true,
  },
  {
    name: 'LA date-only termination, at the end of the local day',
    subject: makeSubject({ owner: laTerminated }),
    now: laEffectiveAt,
    fires: true,
  },
  {
    name: 'LA date-only termination, 1 ms before the end of the local day',
    subject: makeSubject({ owner: laTerminated }),
    now: new Date(laEffectiveAt.getTime() - 1),
    fires: false,
  },
  {
    name: 'LA date-only termination, midnight UTC after the day (still the 10th in LA)',
    subject: makeSubject({ owner: laTerminated }),
    now: new Date('2026-03-11T00:00:00Z'),
    fires: false,
  },
  {
    name: 'terminated, termination in the future',
    subject: makeSubject({ owner: terminatedPerson(-3) }),
    fires: false,
  },
  { name: 'active owner', subject: makeSubject({ owner: makePerson() }), fires: false },
  { name: 'owner on leave', subject: makeSubject({ owner: makePerson({ status: 'leave' }) }), fires: false },
  {
    name: 'active owner past the end date (that is past-end-date)',
    subject: makeSubject({
      owner: makePerson({ terminationDate: '2026-01-01', terminationEffectiveAt: '2026-01-02T00:00:00Z' }),
    }),
    fires: false,
  },
  {
    name: 'rehire: the matcher chose the active record',
    subject: makeSubject({ owner: makePerson({ employeeId: 'E2042', hireDate: '2026-02-01' }) }),
    fires: false,
  },
  { name: 'no owner', subject: makeSubject({ owner: null }), fires: false },
  {
    name: 'service account typed service',
    subject: makeSubject({ owner: terminatedPerson(30), account: { type: 'service' } }),
    fires: false,
  },
  { name: 'bot', subject: makeSubject({ owner: terminatedPerson(30), account: { type: 'bot' } }), fires: false },
  {
    name: 'declared service account whose owner left (that is unowned-service-account)',
    subject: makeSubject({ owner: terminatedPerson(30), match: { method: 'service-account', matchedOn: 'svc-*' } }),
    fires: false,
  },
];

describe('terminated-still-active', () => {
  it.each(cases)('$name', (row) => {
    expectCase(rule, row);
  });

  it('says who, when and which system, and whether the account was used after the termination', () => {
    const owner = makePerson({
      status: 'terminated',
      terminationDate: '2026-05-31',
      terminationEffectiveAt: '2026-06-01T00:00:00.000Z',
    });
    const hit = evaluate(rule, makeSubject({ owner, account: { lastActivityAt: '2026-06-03T09:00:00.000Z' } }));
    expect(hit?.message).toBe(
      'Used after termination: alice@acme.com (E1042) was terminated on 2026-05-31 but their slack account is still ' +
        'enabled and was last used 2026-06-03T09:00:00.000Z, after the termination took effect.',
    );
    expect(hit?.evidence).toMatchObject({
      employeeId: 'E1042',
      status: 'terminated',
      terminationDate: '2026-05-31',
      terminationEffectiveAt: '2026-06-01T00:00:00.000Z',
      usedAfterTermination: true,
    });
  });

  it('says nothing of use when the last activity is before the termination took effect', () => {
    const owner = makePerson({
      status: 'terminated',
      terminationDate: '2026-05-31',
      terminationEffectiveAt: '2026-06-01T00:00:00.000Z',
    });
    const hit = evaluate(rule, makeSubject({ owner, account: { lastActivityAt: '2026-05-30T09:00:00.000Z' } }));
    expect(hit?.message).toBe(
      'alice@acme.com (E1042) was terminated on 2026-05-31 but their slack account is still enabled.',
    );
    expect(hit?.evidence).toMatchObject({ usedAfterTermination: false });
  });

  it('does not claim use after termination when activity is unknown', () => {
    const hit = evaluate(
      rule,
      makeSubject({ owner: terminatedPerson(10), account: { activityKnown: false } }),
      {},
      NOW,
    );
    expect(hit?.evidence).toMatchObject({ activityKnown: false, lastActivityAt: null, usedAfterTermination: null });
    expect(hit?.message).not.toMatch(/used after/i);
  });
});
