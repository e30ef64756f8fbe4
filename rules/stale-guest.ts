import { z } from 'zod';
import { daysBetween, localDay } from '../src/common/time.js';
import { accountLabel, olderThanDays } from '../src/contract/people.js';
import { daysOption, defineRule } from '../src/contract/rule.js';

export const rule = defineRule({
  id: 'stale-guest',
  title: 'Guest account no longer used',
  severity: 'medium',
  risk:
    'Guests are outsiders (partners, vendors, customers) whose own organisation decides when they leave, and nobody ' +
    'here is told. A guest who stopped signing in, or never accepted the invitation, keeps access to shared channels, ' +
    'sites and files, and their account is only as safe as another company offboarding.',
  remediation:
    'Confirm with the internal sponsor that the collaboration is over, then remove the guest. Set up periodic guest ' +
    'access reviews or expiring invitations so guests do not outlive their project.',
  options: z.object({
    days: daysOption(
      60,
      'Days without a sign-in (or since the invitation, if never used) after which a guest is stale.',
    ),
  }),
  evaluate({ account, match }, { now, options, timezone }) {
    if (account.type !== 'guest' || !account.activityKnown) return null;
    const guest = `Guest ${accountLabel(account)} in ${account.source}`;
    const evidence = {
      accountType: account.type,
      createdAt: account.createdAt,
      lastActivityAt: account.lastActivityAt,
      threshold: options.days,
      accountStatus: account.rawStatus,
      personId: match.personId,
    };
    if (account.lastActivityAt !== null) {
      if (!olderThanDays(account.lastActivityAt, now, options.days)) return null;
      const daysInactive = daysBetween(account.lastActivityAt, now);
      return {
        message:
          `${guest} has not signed in for ${daysInactive} days ` +
          `(last ${localDay(account.lastActivityAt, timezone)}; threshold ${options.days} days).`,
        evidence: { ...evidence, daysInactive },
      };
    }
    if (account.createdAt === null || !olderThanDays(account.createdAt, now, options.days)) return null;
    const daysSinceCreated = daysBetween(account.createdAt, now);
    return {
      message:
        `${guest} was added ${daysSinceCreated} days ago on ${localDay(account.createdAt, timezone)} and has never signed in ` +
        `(threshold ${options.days} days).`,
      evidence: { ...evidence, daysSinceCreated },
    };
  },
});

export default rule;
