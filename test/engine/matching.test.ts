import { describe, expect, it } from 'vitest';
import { IdentityIndex, normaliseEmail } from '../../src/scan/matching.js';
import type { Account } from '../../src/contract/model.js';
import { account as makeAccount, person } from './helpers.js';

const options = { domainAliases: { 'acme.co.uk': 'acme.com' }, stripPlusTags: true };

const account = (extra: Partial<Account>) => makeAccount('slack', 'U1', extra);

describe('normaliseEmail', () => {
  it.each([
    ['  Bob@Acme.COM ', 'bob@acme.com', 'trim and lowercase'],
    ['bob+slack@acme.com', 'bob@acme.com', 'plus tag stripped'],
    ['bob@acme.co.uk', 'bob@acme.com', 'domain alias'],
    ['Bob+x@ACME.co.uk', 'bob@acme.com', 'all together'],
    ['+bob@acme.com', '+bob@acme.com', 'a leading plus is the whole local part, kept'],
    ['bob@a+b.example', 'bob@a+b.example', 'a plus in the domain is no tag'],
    ['bob+x@a+b.example', 'bob@a+b.example', 'the tag is stripped, the domain kept'],
    ['bob@constructor', 'bob@constructor', 'a domain named like an object property is no alias'],
    ['bob', null, 'not an email'],
    ['@acme.com', null, 'no local part'],
    ['', null, 'empty'],
  ] as [string, string | null, string][])('%s -> %s (%s)', (input, expected) => {
    expect(normaliseEmail(input, options)).toBe(expected);
  });

  it('keeps plus tags when stripPlusTags is off', () => {
    expect(normaliseEmail('bob+slack@acme.com', { domainAliases: {}, stripPlusTags: false })).toBe(
      'bob+slack@acme.com',
    );
  });
});

describe('IdentityIndex.match', () => {
  const people = [
    person('E1', 'alice@acme.com', { aliases: ['ally@acme.co.uk'] }),
    person('E2', 'Bob@acme.com'),
    person('E3', 'carol@acme.com', { status: 'terminated', terminationEffectiveAt: '2026-01-01T00:00:00.000Z' }),
    person('E4', 'carol@acme.com'), // Carol's rehire
    person('E5', 'shared@acme.com'),
    person('E6', 'dave@acme.com', { aliases: ['shared@acme.com'] }),
    person('E7', 'erin@acme.com', { status: 'terminated', terminationEffectiveAt: '2025-01-01T00:00:00.000Z' }),
    person('E8', 'erin@acme.com', { status: 'terminated', terminationEffectiveAt: '2026-06-01T00:00:00.000Z' }),
  ];
  const index = new IdentityIndex(people, [{ source: 'github', login: 'svc-*', owner: 'E2' }], options);

  it.each([
    ['employee id wins over email', account({ employeeId: 'E2', email: 'alice@acme.com' }), 'employee-id', 'E2'],
    ['employee id compared without case or spaces', account({ employeeId: ' e1 ' }), 'employee-id', 'E1'],
    ['unknown employee id falls through to email', account({ employeeId: 'X9', email: 'bob@acme.com' }), 'email', 'E2'],
    ['email case-insensitive', account({ email: 'BOB@ACME.COM' }), 'email', 'E2'],
    ['plus tag on the account', account({ email: 'alice+slack@acme.com' }), 'email', 'E1'],
    ['alias through a domain alias', account({ emails: ['ally@acme.com'] }), 'email', 'E1'],
    ['login that is an email', account({ login: 'bob@acme.co.uk' }), 'email', 'E2'],
    ['rehire: the record not terminated', account({ email: 'carol@acme.com' }), 'email', 'E4'],
    ['all candidates terminated: latest departure', account({ email: 'erin@acme.com' }), 'email', 'E8'],
    ['no match', account({ email: 'nobody@acme.com', login: 'nobody' }), 'none', null],
    ['login that is not an email never matches', account({ login: 'alice' }), 'none', null],
  ])('%s', (_name, subject, method, personId) => {
    const match = index.match(subject);
    expect(match.method).toBe(method);
    expect(match.personId).toBe(personId);
  });

  it('service-account patterns come first and are per source', () => {
    const github = index.match(account({ source: 'github', login: 'SVC-deploy', employeeId: 'E1' }));
    expect(github).toEqual({ method: 'service-account', personId: 'E2', candidates: [], matchedOn: 'svc-*' });
    expect(index.match(account({ source: 'slack', login: 'svc-deploy' })).method).toBe('none');
  });

  it('two active people sharing an address is ambiguous, with both candidates', () => {
    const match = index.match(account({ email: 'shared@acme.com' }));
    expect(match).toMatchObject({ method: 'ambiguous', personId: null, candidates: ['E5', 'E6'] });
  });

  it('records what matched', () => {
    expect(index.match(account({ email: 'Alice+x@acme.co.uk' })).matchedOn).toBe('alice@acme.com');
  });
});
