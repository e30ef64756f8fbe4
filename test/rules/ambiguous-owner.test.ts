import { describe, expect, it } from 'vitest';
import rule from '../../rules/ambiguous-owner.js';
import { evaluate, expectCase, makeSubject, terminatedPerson, type RuleCase } from './fixtures.js';

const ambiguous = {
  method: 'ambiguous' as const,
  personId: null,
  candidates: ['E1042', 'E2042'],
  matchedOn: 'alice@acme.com',
};

const cases: RuleCase[] = [
  { name: 'two active people share the email', subject: makeSubject({ owner: null, match: ambiguous }), fires: true },
  {
    name: 'three candidates, account known by login only',
    subject: makeSubject({
      owner: null,
      account: { email: null, login: 'shared' },
      match: { ...ambiguous, candidates: ['E1', 'E2', 'E3'] },
    }),
    fires: true,
  },
  { name: 'single match by email', subject: makeSubject(), fires: false },
  {
    name: 'rehire resolved by the matcher (a terminated and an active record, the active one chosen)',
    subject: makeSubject({ match: { method: 'email', personId: 'E1042', candidates: ['E0042', 'E1042'] } }),
    fires: false,
  },
  { name: 'no match', subject: makeSubject({ owner: null }), fires: false },
  { name: 'terminated owner', subject: makeSubject({ owner: terminatedPerson(3) }), fires: false },
];

describe('ambiguous-owner', () => {
  it.each(cases)('$name', (row) => {
    expectCase(rule, row);
  });

  it('lists the candidates', () => {
    const hit = evaluate(rule, makeSubject({ owner: null, match: ambiguous }));
    expect(hit?.message).toBe(
      'The slack account alice@acme.com matches 2 people in HR (E1042, E2042) and nothing breaks the tie.',
    );
    expect(hit?.evidence).toMatchObject({ candidates: ['E1042', 'E2042'], matchedOn: 'alice@acme.com' });
  });
});
