import { describe, expect, it } from 'vitest';
import rule from '../../rules/past-end-date.js';
import { endOfLocalDay } from '../../src/common/time.js';
import { evaluate, expectCase, makePerson, makeSubject, daysAgo, terminatedPerson, type RuleCase } from './fixtures.js';

const laEndsAt = endOfLocalDay('2026-03-10', 'America/Los_Angeles');
const laContractor = makePerson({
  workerType: 'contractor',
  terminationDate: '2026-03-10',
  terminationEffectiveAt: laEndsAt.toISOString(),
});

function contractorEnded(days: number, status: 'active' | 'leave' = 'active') {
  const endsAt = daysAgo(days);
  return makePerson({
    status,
    workerType: 'contractor',
    terminationDate: endsAt.slice(0, 10),
    terminationEffectiveAt: endsAt,
  });
}

const cases: RuleCase[] = [
  {
    name: 'active contractor, contract ended 20 days ago',
    subject: makeSubject({ owner: contractorEnded(20) }),
    fires: true,
  },
  { name: 'on leave, end date passed', subject: makeSubject({ owner: contractorEnded(2, 'leave') }), fires: true },
  {
    name: 'LA date-only end date, at the end of the local day',
    subject: makeSubject({ owner: laContractor }),
    now: laEndsAt,
    fires: true,
  },
  {
    name: 'LA date-only end date, 1 ms before the end of the local day',
    subject: makeSubject({ owner: laContractor }),
    now: new Date(laEndsAt.getTime() - 1),
    fires: false,
  },
  { name: 'end date in the future', subject: makeSubject({ owner: contractorEnded(-10) }), fires: false },
  { name: 'active with no end date', subject: makeSubject({ owner: makePerson() }), fires: false },
  {
    name: 'terminated (that is terminated-still-active)',
    subject: makeSubject({ owner: terminatedPerson(20) }),
    fires: false,
  },
  { name: 'no owner', subject: makeSubject({ owner: null }), fires: false },
  {
    name: 'service account',
    subject: makeSubject({ owner: contractorEnded(20), account: { type: 'service' } }),
    fires: false,
  },
  {
    name: 'declared service account',
    subject: makeSubject({ owner: contractorEnded(20), match: { method: 'service-account', matchedOn: 'svc-*' } }),
    fires: false,
  },
];

describe('past-end-date', () => {
  it.each(cases)('$name', (row) => {
    expectCase(rule, row);
  });

  it('names the worker type, the end date and the system', () => {
    const hit = evaluate(
      rule,
      makeSubject({ owner: laContractor, account: { source: 'github', email: null, login: 'asmith' } }),
    );
    expect(hit?.message).toBe(
      'alice@acme.com (E1042, contractor) is still active in HR but their end date 2026-03-10 has passed, and their github account asmith is still enabled.',
    );
    expect(hit?.evidence).toMatchObject({
      status: 'active',
      workerType: 'contractor',
      terminationDate: '2026-03-10',
      daysPastEndDate: 96,
    });
  });
});
