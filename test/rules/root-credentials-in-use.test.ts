import { describe, expect, it } from 'vitest';
import rule from '../../rules/root-credentials-in-use.js';
import unownedServiceAccount from '../../rules/unowned-service-account.js';
import { daysAgo, evaluate, expectCase, makeSubject, NO_MATCH, type RuleCase } from './fixtures.js';

/** The root row as the aws collector stores it: unmatched, a service-type account with the cloud-root attribute. */
function root(attributes: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return makeSubject({
    owner: null,
    match: NO_MATCH,
    account: {
      source: 'aws-prod',
      id: '111122223333',
      login: '<root_account>',
      email: null,
      emails: [],
      displayName: 'root user of AWS account 111122223333',
      type: 'service',
      ...extra,
      attributes: {
        kind: 'aws-root',
        cloudRoot: true,
        awsAccountId: '111122223333',
        passwordLastUsed: null,
        mfaActive: true,
        accessKeys: [],
        ...attributes,
      },
    },
  });
}

const key = (active: boolean, lastUsedAt: string | null = null) => ({
  slot: 1,
  active,
  lastRotated: daysAgo(800),
  lastUsedAt,
  lastUsedService: null,
});

const cases: RuleCase[] = [
  {
    name: 'an active root access key, used yesterday',
    subject: root({ accessKeys: [key(true, daysAgo(1))] }),
    fires: true,
  },
  { name: 'an active root access key, never used', subject: root({ accessKeys: [key(true)] }), fires: true },
  { name: 'an inactive root access key only', subject: root({ accessKeys: [key(false, daysAgo(1))] }), fires: false },
  { name: 'root password used 10 days ago', subject: root({ passwordLastUsed: daysAgo(10) }), fires: true },
  { name: 'root password used 89 days ago', subject: root({ passwordLastUsed: daysAgo(89) }), fires: true },
  { name: 'root password used 91 days ago', subject: root({ passwordLastUsed: daysAgo(91) }), fires: false },
  {
    name: 'option days: 30, password used 45 days ago',
    subject: root({ passwordLastUsed: daysAgo(45) }),
    options: { days: 30 },
    fires: false,
  },
  {
    name: "the source's own window wins over the rule option",
    subject: root({ passwordLastUsed: daysAgo(45), rootPasswordDays: 60 }),
    options: { days: 30 },
    fires: true,
  },
  { name: 'root password never used (no_information)', subject: root({ passwordLastUsed: null }), fires: false },
  { name: 'root password time unreadable', subject: root({ passwordLastUsed: 'not_supported' }), fires: false },
  { name: 'no keys, no recent password', subject: root(), fires: false },
  {
    name: 'an IAM user with active keys is not root',
    subject: makeSubject({ account: { attributes: { kind: 'iam-user', accessKeys: [key(true, daysAgo(1))] } } }),
    fires: false,
  },
  {
    name: 'a cloudRoot attribute that is not exactly true does not count',
    subject: root({ cloudRoot: 'yes', accessKeys: [key(true)] }),
    fires: false,
  },
];

describe('root-credentials-in-use', () => {
  it.each(cases)('$name', (row) => {
    expectCase(rule, row);
  });

  it('says which credentials, when, and that MFA is missing; evidence has the facts', () => {
    const hit = evaluate(
      rule,
      root({ accessKeys: [key(true, daysAgo(2))], passwordLastUsed: daysAgo(10), mfaActive: false }),
    )!;
    expect(hit.message).toBe(
      `The root user (<root_account>) of AWS account 111122223333 has 1 active access key (last used ${daysAgo(2).slice(0, 10)}), and ` +
        `its password was used 10 days ago (${daysAgo(10).slice(0, 10)}); root has no MFA.`,
    );
    expect(hit.evidence).toMatchObject({
      awsAccountId: '111122223333',
      passwordUsedWithinDays: true,
      mfaActive: false,
      threshold: 90,
    });
    expect(rule.severity).toBe('high');
  });

  it('root is never an unowned service account', () => {
    expect(evaluate(unownedServiceAccount, root({ accessKeys: [key(true)] }))).toBeNull();
  });
});
