import { z } from 'zod';
import { daysBetween, localDay } from '../src/common/time.js';
import { isServiceLike, olderThanDays, ownedAccountPhrase, personLabel } from '../src/contract/people.js';
import { daysOption, defineRule } from '../src/contract/rule.js';

export const rule = defineRule({
  id: 'dormant-account',
  title: 'Account unused for a long time',
  severity: 'medium',
  risk:
    'The owner is still employed but has not signed in to this system for months, so they do not need it. An unused ' +
    'account still carries its permissions and licences, and a takeover goes unnoticed because nobody expects ' +
    'activity from it, or misses activity on it.',
  remediation:
    'Confirm with the owner or their manager that the access is no longer needed, then disable the account and ' +
    'release its licences. If access is needed only occasionally, document an exception with an expiry.',
  options: z.object({
    days: daysOption(90, 'Days without a sign-in after which the account of an active employee counts as dormant.'),
  }),
  evaluate(subject, { now, options, timezone }) {
    const { account, owner, match } = subject;
    // Leave is excluded: someone on parental leave is expected to be away, and their access is coming back.
    if (owner === null || owner.status !== 'active' || account.type !== 'human' || isServiceLike(subject)) return null;
    // Unknown activity (plan, licence or permission limits) must never read as inactivity.
    if (!account.activityKnown || account.lastActivityAt === null) return null;
    if (!olderThanDays(account.lastActivityAt, now, options.days)) return null;
    const daysInactive = daysBetween(account.lastActivityAt, now);
    return {
      message:
        `${personLabel(owner)} has not signed in to ${ownedAccountPhrase(account, owner)} for ${daysInactive} days ` +
        `(last ${localDay(account.lastActivityAt, timezone)}; threshold ${options.days} days).`,
      evidence: {
        employeeId: owner.employeeId,
        status: owner.status,
        lastActivityAt: account.lastActivityAt,
        daysInactive,
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
