import { z } from 'zod';
import { isServiceLike, ownedAccountPhrase, personLabel, terminationInEffect } from '../src/contract/people.js';
import { defineRule } from '../src/contract/rule.js';

export const rule = defineRule({
  id: 'terminated-still-active',
  title: 'Terminated person still has an enabled account',
  severity: 'critical',
  risk:
    'The person has left and HR has recorded it, yet the account still works. A former employee, or anyone who ' +
    'obtained their credentials or a still-valid session, can keep reading and changing company data while no one ' +
    'watches the account, and the company cannot show an auditor that access ended at termination.',
  remediation:
    'Revoke the sessions and tokens of the account, then disable it in the source (or deprovision it through the ' +
    'identity provider that feeds it). Transfer any data or ownership the business still needs, and review the ' +
    'activity of the account since the termination date for use after departure.',
  options: z.object({}),
  evaluate(subject, { now }) {
    const { account, owner, match } = subject;
    if (owner === null || !terminationInEffect(owner, now) || isServiceLike(subject)) return null;
    const when = owner.terminationDate === null ? '(HR gives no termination date)' : `on ${owner.terminationDate}`;
    // Sign-ins after the termination took effect turn a hygiene gap into a possible incident.
    const usedAfterTermination =
      account.activityKnown && account.lastActivityAt !== null && owner.terminationEffectiveAt !== null
        ? Date.parse(account.lastActivityAt) >= Date.parse(owner.terminationEffectiveAt)
        : null;
    return {
      // The alarming part goes first: use after departure is a possible incident, not only a hygiene gap.
      message: usedAfterTermination
        ? `Used after termination: ${personLabel(owner)} was terminated ${when} but ${ownedAccountPhrase(account, owner)} ` +
          `is still enabled and was last used ${account.lastActivityAt}, after the termination took effect.`
        : `${personLabel(owner)} was terminated ${when} but ${ownedAccountPhrase(account, owner)} is still enabled.`,
      evidence: {
        employeeId: owner.employeeId,
        status: owner.status,
        terminationDate: owner.terminationDate,
        terminationEffectiveAt: owner.terminationEffectiveAt,
        accountStatus: account.rawStatus,
        activityKnown: account.activityKnown,
        lastActivityAt: account.activityKnown ? account.lastActivityAt : null,
        usedAfterTermination,
        matchMethod: match.method,
        matchedOn: match.matchedOn,
      },
    };
  },
});

export default rule;
