import { z } from 'zod';
import { accountLabel, olderThanDays, personLabel, terminationInEffect } from '../src/contract/people.js';
import { daysOption, defineRule } from '../src/contract/rule.js';
import { eventEvidence } from './sign-in-after-termination.js';

const MAX_EVIDENCE_EVENTS = 50;

export const rule = defineRule({
  id: 'access-attempt-on-departed',
  title: 'Failed sign-ins on a leaver’s or a disabled account',
  severity: 'high',
  risk:
    'Someone keeps trying to sign in to an account that should see no use at all: the account of a person who has ' +
    'left, or one that is disabled. Whoever it is still holds the user name and perhaps the password; if the account ' +
    'is ever re-enabled, or a sibling account shares the password, they get in.',
  remediation:
    'Find out who is trying (IP, application in the evidence): a forgotten script or device of the leaver, or an ' +
    'attacker. Rotate any credential shared with the account, make sure it stays disabled, and block the source IP ' +
    'if it is not yours.',
  options: z.object({
    days: daysOption(14, 'The finding resolves after this many days with no new failed attempt.'),
  }),
  usesSignIns: true,
  seesDisabledWithSignIns: true,
  evaluate(subject, { now, options }) {
    const { account, owner, signIns } = subject;
    if (!signIns) return null;
    const departed = owner !== null && subject.match.method !== 'ambiguous' && terminationInEffect(owner, now);
    if (!departed && account.enabled) return null;
    const effective =
      departed && owner.terminationEffectiveAt !== null ? Date.parse(owner.terminationEffectiveAt) : null;
    const failures = signIns.filter(
      (event) =>
        event.result === 'failure' &&
        !olderThanDays(event.at, now, options.days) &&
        // A leaver's own typos before they left are not evidence.
        (effective === null || Date.parse(event.at) >= effective),
    );
    if (failures.length === 0) return null;
    const last = failures[failures.length - 1]!;
    const whose = departed
      ? `${personLabel(owner)} has left, yet their ${account.source} account ${accountLabel(account)}`
      : `The disabled ${account.source} account ${accountLabel(account)}`;
    return {
      message:
        `${whose} had ${failures.length} failed sign-in${failures.length === 1 ? '' : 's'} in the last ` +
        `${options.days} days, last at ${last.at}${last.ip ? ` from ${last.ip}` : ''}` +
        `${last.reason ? ` (${last.reason})` : ''}: someone still holds its credentials.`,
      evidence: {
        employeeId: owner?.employeeId ?? null,
        terminationEffectiveAt: owner?.terminationEffectiveAt ?? null,
        accountEnabled: account.enabled,
        accountStatus: account.rawStatus,
        failedAttempts: failures.length,
        distinctIps: [...new Set(failures.map((event) => event.ip).filter((ip) => ip !== null))],
        events: failures.slice(-MAX_EVIDENCE_EVENTS).map(eventEvidence),
      },
    };
  },
});

export default rule;
