import { describe, expect, it } from 'vitest';
import rule from '../../rules/access-attempt-on-departed.js';
import type { RuleSubject } from '../../src/contract/rule.js';
import { daysAgo, expectCase, makePerson, makeSubject, signIn, terminatedPerson, type RuleCase } from './fixtures.js';

function withSignIns(subject: RuleSubject, signIns: RuleSubject['signIns']): RuleSubject {
  return { ...subject, signIns };
}

const leaver = terminatedPerson(10);
const disabled = { enabled: false, rawStatus: 'SUSPENDED' };

const cases: RuleCase[] = [
  {
    name: 'failed attempts on a disabled account of an active person',
    subject: withSignIns(makeSubject({ owner: makePerson(), account: disabled }), [signIn(daysAgo(1), 'failure')]),
    fires: true,
  },
  {
    name: 'failed attempts on an enabled account of a leaver, after termination',
    subject: withSignIns(makeSubject({ owner: leaver }), [signIn(daysAgo(3), 'failure')]),
    fires: true,
  },
  {
    name: 'failed attempts on a disabled orphan account',
    subject: withSignIns(makeSubject({ owner: null, account: disabled }), [signIn(daysAgo(3), 'failure')]),
    fires: true,
  },
  {
    name: "a leaver's own failures before the termination took effect",
    subject: withSignIns(makeSubject({ owner: leaver, account: disabled }), [signIn(daysAgo(11), 'failure')]),
    fires: false,
  },
  {
    name: 'failures on an enabled account of an active person',
    subject: withSignIns(makeSubject({ owner: makePerson() }), [signIn(daysAgo(1), 'failure')]),
    fires: false,
  },
  {
    name: 'only successes on a disabled account',
    subject: withSignIns(makeSubject({ account: disabled }), [signIn(daysAgo(1), 'success')]),
    fires: false,
  },
  {
    name: 'last attempt 15 days ago (resolves after days: 14)',
    subject: withSignIns(makeSubject({ account: disabled }), [signIn(daysAgo(15), 'failure')]),
    fires: false,
  },
  {
    name: 'last attempt 13 days ago',
    subject: withSignIns(makeSubject({ account: disabled }), [signIn(daysAgo(13), 'failure')]),
    fires: true,
  },
  {
    name: 'sign-in log unknown (null)',
    subject: withSignIns(makeSubject({ account: disabled }), null),
    fires: false,
  },
  {
    name: 'no sign-in events at all',
    subject: withSignIns(makeSubject({ account: disabled }), []),
    fires: false,
  },
];

describe('access-attempt-on-departed', () => {
  for (const row of cases) it(row.name, () => expectCase(rule, row));

  it('counts the attempts and names their IPs and reasons', () => {
    const events = [
      signIn(daysAgo(3), 'failure', { ip: '198.51.100.1', reason: 'LOCKED_OUT' }),
      signIn(daysAgo(2), 'failure', { ip: '198.51.100.1', id: 'b' }),
      signIn(daysAgo(1), 'failure', { ip: '198.51.100.9', reason: 'account disabled', id: 'c' }),
    ];
    const hit = rule.evaluate(withSignIns(makeSubject({ account: disabled }), events), {
      now: new Date(daysAgo(0)),
      options: rule.options.parse({}),
    })!;
    expect(hit.evidence.failedAttempts).toBe(3);
    expect(hit.evidence.distinctIps).toEqual(['198.51.100.1', '198.51.100.9']);
    expect(hit.message).toContain('3 failed sign-ins');
    expect(hit.message).toContain('account disabled');
  });
});
