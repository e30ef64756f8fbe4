import { z } from 'zod';
import { accountLabel } from '../src/contract/people.js';
import { defineRule } from '../src/contract/rule.js';

export const rule = defineRule({
  id: 'ambiguous-owner',
  title: 'Account matches several people',
  severity: 'low',
  risk:
    'The account carries identifiers of more than one person in HR (a shared mailbox, a recycled email address, a ' +
    'duplicated alias), so the other rules cannot tell whose departure or inactivity applies to it. Its access is ' +
    'effectively unowned until the tie is broken.',
  remediation:
    'Decide who owns the account: set the employee id in the source, or fix the duplicated email or alias in HR. If it ' +
    'is shared on purpose, declare it in serviceAccounts with one accountable owner.',
  options: z.object({}),
  evaluate({ account, match }) {
    if (match.method !== 'ambiguous') return null;
    return {
      message:
        `The ${account.source} account ${accountLabel(account)} matches ${match.candidates.length} people in HR ` +
        `(${match.candidates.join(', ')}) and nothing breaks the tie.`,
      evidence: {
        candidates: match.candidates,
        matchedOn: match.matchedOn,
        login: account.login,
        email: account.email,
        emails: account.emails,
        employeeId: account.employeeId,
      },
    };
  },
});

export default rule;
