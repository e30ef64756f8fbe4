import { describe, expect, it } from 'vitest';
import rule from '../../rules/orphan-account.js';
import { evaluate, expectCase, makeSubject, terminatedPerson, type RuleCase } from './fixtures.js';

const ghost = { email: 'ghost@acme.com', emails: ['ghost@acme.com'], login: 'ghost', displayName: 'Ghost User' };

const cases: RuleCase[] = [
  { name: 'human account matching no one', subject: makeSubject({ owner: null, account: ghost }), fires: true },
  {
    name: 'human account without email, named by login',
    subject: makeSubject({ owner: null, account: { ...ghost, email: null, emails: [] } }),
    fires: true,
  },
  {
    name: 'fires even when activity is unknown (ownership, not activity)',
    subject: makeSubject({ owner: null, account: { ...ghost, activityKnown: false, lastActivityAt: null } }),
    fires: true,
  },
  {
    name: 'guest matching no one',
    subject: makeSubject({ owner: null, account: { ...ghost, type: 'guest' } }),
    fires: false,
  },
  {
    name: 'service account matching no one',
    subject: makeSubject({ owner: null, account: { ...ghost, type: 'service' } }),
    fires: false,
  },
  {
    name: 'bot matching no one',
    subject: makeSubject({ owner: null, account: { ...ghost, type: 'bot' } }),
    fires: false,
  },
  { name: 'matched by email', subject: makeSubject(), fires: false },
  { name: 'matched to a terminated person', subject: makeSubject({ owner: terminatedPerson(10) }), fires: false },
  {
    name: 'ambiguous (that is ambiguous-owner)',
    subject: makeSubject({ owner: null, match: { method: 'ambiguous', candidates: ['E1', 'E2'] } }),
    fires: false,
  },
];

describe('orphan-account', () => {
  it.each(cases)('$name', (row) => {
    expectCase(rule, row);
  });

  it('names the source, the account and its display name', () => {
    const hit = evaluate(rule, makeSubject({ owner: null, account: { ...ghost, source: 'zoom' } }));
    expect(hit?.message).toBe(
      'The zoom account ghost@acme.com (Ghost User) is enabled but matches no one in the HR roster.',
    );
    expect(hit?.evidence).toMatchObject({ email: 'ghost@acme.com', login: 'ghost', matchMethod: 'none' });
  });

  it('says when the source could not link the account to a corporate identity (GitHub)', () => {
    const personal = { ...ghost, source: 'github', login: 'dave-personal', email: null, emails: [], displayName: null };
    const unlinked = evaluate(
      rule,
      makeSubject({ owner: null, account: { ...personal, attributes: { identityLink: null } } }),
    );
    expect(unlinked?.message).toBe(
      'The github account dave-personal is enabled but not linked to a corporate identity, so it matches no one in the HR roster.',
    );
    expect(unlinked?.evidence).toMatchObject({ identityLink: 'not linked to a corporate identity' });

    const linked = evaluate(
      rule,
      makeSubject({ owner: null, account: { ...personal, attributes: { identityLink: 'saml' } } }),
    );
    expect(linked?.message).toContain('is enabled but matches no one');
    expect(linked?.evidence).toMatchObject({ identityLink: 'saml' });
    expect(evaluate(rule, makeSubject({ owner: null, account: ghost }))?.evidence).not.toHaveProperty('identityLink');
  });
});
