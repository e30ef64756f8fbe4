import { z } from 'zod';
import { accountLabel } from '../src/contract/people.js';
import { IDENTITY_LINK_ATTRIBUTE } from '../src/contract/model.js';
import { defineRule } from '../src/contract/rule.js';

const NOT_LINKED = 'not linked to a corporate identity';

export const rule = defineRule({
  id: 'orphan-account',
  title: 'Human account that matches no one in HR',
  severity: 'high',
  risk:
    'Nobody in the HR roster owns this account, so no offboarding will ever remove it. Orphans are typically left ' +
    'over from people who left before the roster export, shared logins, test accounts, or accounts an attacker ' +
    'created for persistence; none of them has a person accountable for its use.',
  remediation:
    'Find the owner: if it belongs to a current employee, add its email to their HR aliases or set the employee id in ' +
    'the source; if it is a shared or system login, declare it in serviceAccounts with an owner; otherwise disable it.',
  options: z.object({}),
  evaluate({ account, match }) {
    if (account.type !== 'human' || match.method !== 'none') return null;
    const name =
      account.displayName && account.displayName !== accountLabel(account) ? ` (${account.displayName})` : '';
    // Sources whose logins are personal (GitHub) say how they tied each account to a corporate identity.
    const linkKnown = Object.hasOwn(account.attributes, IDENTITY_LINK_ATTRIBUTE);
    const link = account.attributes[IDENTITY_LINK_ATTRIBUTE] ?? null;
    const unlinked = linkKnown && link === null;
    return {
      message: unlinked
        ? `The ${account.source} account ${accountLabel(account)}${name} is enabled but not linked to a corporate identity, so it matches no one in the HR roster.`
        : `The ${account.source} account ${accountLabel(account)}${name} is enabled but matches no one in the HR roster.`,
      evidence: {
        login: account.login,
        email: account.email,
        emails: account.emails,
        employeeId: account.employeeId,
        displayName: account.displayName,
        accountType: account.type,
        accountStatus: account.rawStatus,
        createdAt: account.createdAt,
        lastActivityAt: account.activityKnown ? account.lastActivityAt : null,
        activityKnown: account.activityKnown,
        matchMethod: match.method,
        ...(linkKnown ? { identityLink: unlinked ? NOT_LINKED : link } : {}),
      },
    };
  },
});

export default rule;
