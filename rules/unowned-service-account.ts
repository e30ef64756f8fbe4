import { z } from 'zod';
import {
  accountLabel,
  endDatePassed,
  isCloudRoot,
  isServiceLike,
  personLabel,
  terminationInEffect,
} from '../src/contract/people.js';
import { defineRule } from '../src/contract/rule.js';

export const rule = defineRule({
  id: 'unowned-service-account',
  title: 'Service account without an accountable owner',
  severity: 'medium',
  risk:
    'Service accounts and bots hold standing credentials (API tokens, keys, passwords that never expire) and are ' +
    'rarely protected by MFA. Without a named owner nobody rotates those credentials, reviews what the account can ' +
    'do, or notices misuse; when the declared owner has left, whoever still knows the secret may be gone too.',
  remediation:
    'Name an owner: add the account to serviceAccounts in the config with the employee id of the person accountable ' +
    'for it, and rotate its credentials when ownership changes. If nobody claims it, disable it and see what breaks.',
  options: z.object({}),
  evaluate(subject, { now }) {
    const { account, owner, match } = subject;
    // A cloud root user has no owner by design: root-credentials-in-use judges it.
    if (!isServiceLike(subject) || isCloudRoot(account)) return null;
    const what = `The ${account.source} ${account.type === 'bot' ? 'bot' : 'service account'} ${accountLabel(account)}`;
    const evidence = {
      accountType: account.type,
      login: account.login,
      displayName: account.displayName,
      accountStatus: account.rawStatus,
      lastActivityAt: account.activityKnown ? account.lastActivityAt : null,
      activityKnown: account.activityKnown,
      matchMethod: match.method,
    };
    if (match.method !== 'service-account') {
      // A service account that happens to carry a person's email is a hint at its owner, not a declaration.
      const matchedBy = match.method === 'employee-id' ? 'employee id' : 'email';
      const hint =
        match.personId === null ? '' : ` (it matched ${match.personId} by ${matchedBy}: declare that owner if right)`;
      return {
        message: `${what} has no declared owner${hint}.`,
        evidence: { ...evidence, declaredOwner: null, matchedPersonId: match.personId, candidates: match.candidates },
      };
    }
    const declaredOwner = { declaredOwner: match.personId, declaredBy: match.matchedOn };
    if (owner === null) {
      return {
        message: `${what} has a declared owner ${match.personId ?? '(none given)'} who is not in the HR roster.`,
        evidence: { ...evidence, ...declaredOwner, ownerInRoster: false },
        severity: 'high',
      };
    }
    // "Left" includes a contractor still active in HR whose end date has passed: nobody answers for the account.
    const terminated = terminationInEffect(owner, now);
    if (!terminated && !endDatePassed(owner, now)) return null;
    const when = owner.terminationDate === null ? '' : ` on ${owner.terminationDate}`;
    const left = terminated
      ? `who was terminated${when}`
      : `whose end date ${owner.terminationDate} has passed (still ${owner.status} in HR)`;
    return {
      message: `${what} is owned by ${personLabel(owner)}, ${left}.`,
      evidence: {
        ...evidence,
        ...declaredOwner,
        ownerInRoster: true,
        ownerStatus: owner.status,
        ownerTerminationDate: owner.terminationDate,
        ownerTerminationEffectiveAt: owner.terminationEffectiveAt,
      },
      severity: 'high',
    };
  },
});

export default rule;
