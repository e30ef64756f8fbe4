import { z } from 'zod';
import { daysBetween, localDay } from '../src/common/time.js';
import { isServiceLike, olderThanDays, ownedAccountPhrase, personLabel } from '../src/contract/people.js';
import { daysOption, defineRule } from '../src/contract/rule.js';

export const rule = defineRule({
  id: 'never-logged-in',
  title: 'Account never used since it was created',
  severity: 'low',
  risk:
    'The account was provisioned weeks ago and its owner has never signed in. Unclaimed accounts often still have ' +
    'their initial password or an open activation link, which anyone who intercepts it can use, and they show ' +
    'access granted by default rather than by need.',
  remediation:
    'Ask the owner whether they need the account; if not, disable it and release its licences, and remove the system ' +
    'from the default onboarding bundle for that role if nobody in it uses it.',
  options: z.object({
    days: daysOption(30, 'Days after creation by which an unused account of an active employee is reported.'),
  }),
  evaluate(subject, { now, options, timezone }) {
    const { account, owner, match } = subject;
    if (owner === null || owner.status !== 'active' || account.type !== 'human' || isServiceLike(subject)) return null;
    // A null lastActivityAt means "never" only when the source can tell; otherwise we know nothing.
    if (!account.activityKnown || account.lastActivityAt !== null) return null;
    // Without a creation date a brand-new account is indistinguishable from an old one: stay silent.
    if (account.createdAt === null || !olderThanDays(account.createdAt, now, options.days)) return null;
    const daysSinceCreated = daysBetween(account.createdAt, now);
    return {
      message:
        `${personLabel(owner)} has never signed in to ${ownedAccountPhrase(account, owner)}, created ` +
        `${daysSinceCreated} days ago on ${localDay(account.createdAt, timezone)} (threshold ${options.days} days).`,
      evidence: {
        employeeId: owner.employeeId,
        status: owner.status,
        createdAt: account.createdAt,
        lastActivityAt: null,
        daysSinceCreated,
        threshold: options.days,
        accountStatus: account.rawStatus,
        licenses: account.licenses,
        matchMethod: match.method,
        matchedOn: match.matchedOn,
      },
    };
  },
});

export default rule;
