import { describe, expect, it } from 'vitest';
import rule from '../../rules/idp-disabled-app-active.js';
import { evaluate, expectCase, makePerson, makeSubject, terminatedPerson, type RuleCase } from './fixtures.js';

const allIdpDisabled = { total: 2, enabled: 0 };

const cases: RuleCase[] = [
  {
    name: 'active owner, both idp accounts disabled',
    subject: makeSubject({ ownerIdpAccounts: allIdpDisabled }),
    fires: true,
  },
  {
    name: 'owner on leave, only idp account disabled',
    subject: makeSubject({ owner: makePerson({ status: 'leave' }), ownerIdpAccounts: { total: 1, enabled: 0 } }),
    fires: true,
  },
  {
    name: 'one idp account still enabled',
    subject: makeSubject({ ownerIdpAccounts: { total: 2, enabled: 1 } }),
    fires: false,
  },
  {
    name: 'owner has no idp accounts',
    subject: makeSubject({ ownerIdpAccounts: { total: 0, enabled: 0 } }),
    fires: false,
  },
  { name: 'idp accounts not provided', subject: makeSubject({ ownerIdpAccounts: null }), fires: false },
  {
    name: 'terminated owner (that is terminated-still-active)',
    subject: makeSubject({ owner: terminatedPerson(10), ownerIdpAccounts: allIdpDisabled }),
    fires: false,
  },
  {
    name: 'terminated owner whose termination is in the future still counts as terminated in HR',
    subject: makeSubject({ owner: terminatedPerson(-10), ownerIdpAccounts: allIdpDisabled }),
    fires: false,
  },
  {
    name: 'the account is itself in an idp source',
    subject: makeSubject({ sourceRole: 'idp', ownerIdpAccounts: allIdpDisabled }),
    fires: false,
  },
  { name: 'no owner', subject: makeSubject({ owner: null, ownerIdpAccounts: allIdpDisabled }), fires: false },
  {
    name: 'service account',
    subject: makeSubject({ account: { type: 'service' }, ownerIdpAccounts: allIdpDisabled }),
    fires: false,
  },
  {
    name: 'declared service account',
    subject: makeSubject({ match: { method: 'service-account' }, ownerIdpAccounts: allIdpDisabled }),
    fires: false,
  },
];

describe('idp-disabled-app-active', () => {
  it('is marked as reading idp accounts, so the engine waits for complete idp sources', () => {
    expect(rule.usesIdpAccounts).toBe(true);
  });

  it.each(cases)('$name', (row) => {
    expectCase(rule, row);
  });

  it('says the idp is disabled and which app account is not', () => {
    const hit = evaluate(
      rule,
      makeSubject({ account: { source: 'zoom', email: 'alice@acme.io' }, ownerIdpAccounts: allIdpDisabled }),
    );
    expect(hit?.message).toBe(
      'alice@acme.com (E1042) is disabled in the identity provider (all 2 accounts) but their zoom account alice@acme.io is still enabled.',
    );
    expect(hit?.evidence).toMatchObject({ status: 'active', idpAccounts: 2, idpAccountsEnabled: 0 });
  });
});
