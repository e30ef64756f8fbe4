import { describe, expect, it } from 'vitest';
import rule from '../../rules/sign-in-after-termination.js';
import type { RuleSubject } from '../../src/contract/rule.js';
import { daysAgo, expectCase, makePerson, makeSubject, signIn, terminatedPerson, type RuleCase } from './fixtures.js';

function withSignIns(subject: RuleSubject, signIns: RuleSubject['signIns']): RuleSubject {
  return { ...subject, signIns };
}

// Terminated 10 days ago (effective at daysAgo(10)).
const leaver = terminatedPerson(10);

const cases: RuleCase[] = [
  {
    name: 'success after the effective moment',
    subject: withSignIns(makeSubject({ owner: leaver }), [signIn(daysAgo(2), 'success')]),
    fires: true,
  },
  {
    name: 'success exactly at the effective moment',
    subject: withSignIns(makeSubject({ owner: leaver }), [signIn(leaver.terminationEffectiveAt!, 'success')]),
    fires: true,
  },
  {
    name: 'success on a disabled account after termination (still an incident)',
    subject: withSignIns(makeSubject({ owner: leaver, account: { enabled: false, rawStatus: 'SUSPENDED' } }), [
      signIn(daysAgo(1), 'success'),
    ]),
    fires: true,
  },
  {
    name: 'success 1 ms before the effective moment',
    subject: withSignIns(makeSubject({ owner: leaver }), [signIn(daysAgo(10, 1), 'success')]),
    fires: false,
  },
  {
    name: 'only failures after termination',
    subject: withSignIns(makeSubject({ owner: leaver }), [signIn(daysAgo(2), 'failure')]),
    fires: false,
  },
  {
    name: 'active person signing in',
    subject: withSignIns(makeSubject({ owner: makePerson() }), [signIn(daysAgo(2), 'success')]),
    fires: false,
  },
  {
    name: 'termination scheduled in the future, sign-in now',
    subject: withSignIns(makeSubject({ owner: terminatedPerson(-3) }), [signIn(daysAgo(0), 'success')]),
    fires: false,
  },
  {
    name: 'no owner',
    subject: withSignIns(makeSubject({ owner: null }), [signIn(daysAgo(2), 'success')]),
    fires: false,
  },
  {
    name: 'sign-in log unknown (null)',
    subject: withSignIns(makeSubject({ owner: leaver }), null),
    fires: false,
  },
  {
    name: 'sign-in older than the window (days: 30)',
    subject: withSignIns(makeSubject({ owner: terminatedPerson(60) }), [signIn(daysAgo(31), 'success')]),
    fires: false,
  },
  {
    name: 'declared service account owned by a leaver',
    subject: withSignIns(makeSubject({ owner: leaver, match: { method: 'service-account' } }), [
      signIn(daysAgo(2), 'success'),
    ]),
    fires: false,
  },
];

describe('sign-in-after-termination', () => {
  for (const row of cases) it(row.name, () => expectCase(rule, row));

  it('lists every sign-in after the effective moment as evidence, and none before it', () => {
    const events = [
      signIn(daysAgo(12), 'success'),
      signIn(daysAgo(5), 'success', { ip: '198.51.100.1' }),
      signIn(daysAgo(4), 'failure'),
      signIn(daysAgo(1), 'success', { ip: '198.51.100.2', application: 'Salesforce' }),
    ];
    const hit = rule.evaluate(withSignIns(makeSubject({ owner: leaver }), events), {
      now: new Date(daysAgo(0)),
      options: rule.options.parse({}),
    })!;
    expect(hit.evidence.signInsAfterTermination).toBe(2);
    expect((hit.evidence.events as { ip: string }[]).map((event) => event.ip)).toEqual([
      '198.51.100.1',
      '198.51.100.2',
    ]);
    expect(hit.message).toMatch(/^Used after termination: /);
    expect(hit.message).toContain('2 times');
    expect(hit.message).toContain('198.51.100.2');
    expect(hit.message).toContain('Salesforce');
  });
});
