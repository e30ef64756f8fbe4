import { z } from 'zod';
import { daysBetween } from '../src/common/time.js';
import { endDatePassed, isServiceLike, ownedAccountPhrase } from '../src/contract/people.js';
import { defineRule } from '../src/contract/rule.js';

export const rule = defineRule({
  id: 'past-end-date',
  title: 'Enabled account of a person past their end date',
  severity: 'high',
  risk:
    'HR still lists the person as active or on leave, but their termination or contract end date has passed. This is ' +
    'the classic contractor case: the engagement ended, nobody filed the termination, so no deprovisioning was ever ' +
    'triggered and the account stays usable indefinitely.',
  remediation:
    'Ask the manager or HR whether the engagement was extended. If it was, correct the end date in HR; if not, ' +
    'record the termination in HR and disable the account (revoke its sessions first).',
  options: z.object({}),
  evaluate(subject, { now }) {
    const { account, owner, match } = subject;
    if (owner === null || (owner.status !== 'active' && owner.status !== 'leave')) return null;
    if (!endDatePassed(owner, now) || isServiceLike(subject)) return null;
    const hrStatus = owner.status === 'leave' ? 'on leave' : 'active';
    const who = `${owner.email} (${owner.employeeId}${owner.workerType ? `, ${owner.workerType}` : ''})`;
    const endDate = owner.terminationDate ?? owner.terminationEffectiveAt;
    return {
      message:
        `${who} is still ${hrStatus} in HR but their end date ${endDate} has passed, and ` +
        `${ownedAccountPhrase(account, owner)} is still enabled.`,
      evidence: {
        employeeId: owner.employeeId,
        status: owner.status,
        workerType: owner.workerType,
        terminationDate: owner.terminationDate,
        terminationEffectiveAt: owner.terminationEffectiveAt,
        daysPastEndDate: owner.terminationEffectiveAt === null ? null : daysBetween(owner.terminationEffectiveAt, now),
        accountStatus: account.rawStatus,
        matchMethod: match.method,
        matchedOn: match.matchedOn,
      },
    };
  },
});

export default rule;
