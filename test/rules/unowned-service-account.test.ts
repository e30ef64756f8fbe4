import { describe, expect, it } from 'vitest';
import rule from '../../rules/unowned-service-account.js';
import { evaluate, expectCase, makePerson, makeSubject, terminatedPerson, type RuleCase } from './fixtures.js';

const svc = { type: 'service' as const, login: 'svc-backup', email: null, emails: [], displayName: 'Backup job' };
const declared = (personId: string) => ({ method: 'service-account' as const, personId, matchedOn: 'svc-*' });
const owner = makePerson({ employeeId: 'E1001', email: 'olga@acme.com' });

const cases: RuleCase[] = [
  { name: 'service account, not declared', subject: makeSubject({ owner: null, account: svc }), fires: true },
  {
    name: 'bot, not declared',
    subject: makeSubject({ owner: null, account: { ...svc, type: 'bot', login: 'deploybot' } }),
    fires: true,
  },
  {
    name: 'service account carrying an employee email, not declared',
    subject: makeSubject({ owner, account: { ...svc, email: 'olga@acme.com' } }),
    fires: true,
  },
  {
    name: 'declared owner not in the HR roster',
    subject: makeSubject({ owner: null, account: svc, match: declared('E9999') }),
    fires: true,
    severity: 'high',
  },
  {
    name: 'declared owner terminated',
    subject: makeSubject({
      owner: terminatedPerson(10, { employeeId: 'E1001' }),
      account: svc,
      match: declared('E1001'),
    }),
    fires: true,
    severity: 'high',
  },
  {
    name: 'human-typed account declared in serviceAccounts, owner terminated',
    subject: makeSubject({
      owner: terminatedPerson(10, { employeeId: 'E1001' }),
      account: { ...svc, type: 'human' },
      match: declared('E1001'),
    }),
    fires: true,
    severity: 'high',
  },
  {
    name: 'declared owner active',
    subject: makeSubject({ owner, account: svc, match: declared('E1001') }),
    fires: false,
  },
  {
    name: 'declared owner on leave',
    subject: makeSubject({
      owner: makePerson({ employeeId: 'E1001', status: 'leave' }),
      account: svc,
      match: declared('E1001'),
    }),
    fires: false,
  },
  {
    name: 'declared owner still active in HR but past their contract end date',
    subject: makeSubject({
      owner: makePerson({
        employeeId: 'E1001',
        workerType: 'contractor',
        terminationDate: '2026-06-01',
        terminationEffectiveAt: '2026-06-02T00:00:00.000Z',
      }),
      account: svc,
      match: declared('E1001'),
    }),
    fires: true,
    severity: 'high',
  },
  {
    name: 'declared owner terminated in the future',
    subject: makeSubject({
      owner: terminatedPerson(-5, { employeeId: 'E1001' }),
      account: svc,
      match: declared('E1001'),
    }),
    fires: false,
  },
  { name: 'human account', subject: makeSubject(), fires: false },
  { name: 'human orphan (that is orphan-account)', subject: makeSubject({ owner: null }), fires: false },
  { name: 'guest', subject: makeSubject({ owner: null, account: { type: 'guest' } }), fires: false },
];

describe('unowned-service-account', () => {
  it.each(cases)('$name', (row) => {
    expectCase(rule, row);
  });

  it('asks for a declared owner', () => {
    const hit = evaluate(rule, makeSubject({ owner: null, account: { ...svc, source: 'okta' } }));
    expect(hit?.message).toBe('The okta service account svc-backup has no declared owner.');
    expect(hit?.evidence).toMatchObject({ declaredOwner: null, accountType: 'service' });
  });

  it('names the person an undeclared service account matched as a hint', () => {
    const hit = evaluate(rule, makeSubject({ owner, account: { ...svc, email: 'olga@acme.com' } }));
    expect(hit?.message).toContain('matched E1001 by email');
    expect(hit?.evidence).toMatchObject({ matchedPersonId: 'E1001' });
  });

  it('names the declared owner who left', () => {
    const left = makePerson({
      employeeId: 'E1001',
      email: 'olga@acme.com',
      status: 'terminated',
      terminationDate: '2026-04-30',
      terminationEffectiveAt: '2026-05-01T00:00:00.000Z',
    });
    const hit = evaluate(rule, makeSubject({ owner: left, account: svc, match: declared('E1001') }));
    expect(hit?.message).toBe(
      'The slack service account svc-backup is owned by olga@acme.com (E1001), who was terminated on 2026-04-30.',
    );
    expect(hit?.evidence).toMatchObject({ declaredOwner: 'E1001', ownerInRoster: true, ownerStatus: 'terminated' });
  });

  it('names a declared owner missing from HR', () => {
    const hit = evaluate(rule, makeSubject({ owner: null, account: svc, match: declared('E9999') }));
    expect(hit?.message).toBe(
      'The slack service account svc-backup has a declared owner E9999 who is not in the HR roster.',
    );
    expect(hit?.evidence).toMatchObject({ declaredOwner: 'E9999', ownerInRoster: false });
  });
});
