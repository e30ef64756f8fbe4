import { z } from 'zod';
import { isServiceLike, ownedAccountPhrase, personLabel } from '../src/contract/people.js';
import { defineRule } from '../src/contract/rule.js';

export const rule = defineRule({
  id: 'idp-disabled-app-active',
  title: 'Disabled at the identity provider, still enabled in an app',
  severity: 'high',
  risk:
    'Every identity-provider account of the person is disabled, which usually means someone meant to cut their ' +
    'access, yet this app account still works. Apps with their own passwords, API tokens or long-lived sessions do ' +
    'not go through the identity provider, so disabling the front door did not close this one.',
  remediation:
    'Disable the app account or revoke its sessions and tokens, then find out why deprovisioning did not reach it: ' +
    'enforce SSO-only sign-in in the app and connect it to automatic (SCIM) deprovisioning from the identity provider.',
  options: z.object({}),
  usesIdpAccounts: true,
  evaluate(subject) {
    const { account, owner, ownerIdpAccounts, match } = subject;
    if (subject.sourceRole !== 'app' || owner === null || owner.status === 'terminated') return null;
    if (ownerIdpAccounts === null || ownerIdpAccounts.total === 0 || ownerIdpAccounts.enabled !== 0) return null;
    if (isServiceLike(subject)) return null;
    const count = ownerIdpAccounts.total === 1 ? 'their only account' : `all ${ownerIdpAccounts.total} accounts`;
    return {
      message:
        `${personLabel(owner)} is disabled in the identity provider (${count}) but ` +
        `${ownedAccountPhrase(account, owner)} is still enabled.`,
      evidence: {
        employeeId: owner.employeeId,
        status: owner.status,
        idpAccounts: ownerIdpAccounts.total,
        idpAccountsEnabled: ownerIdpAccounts.enabled,
        accountStatus: account.rawStatus,
        lastActivityAt: account.activityKnown ? account.lastActivityAt : null,
        activityKnown: account.activityKnown,
        matchMethod: match.method,
        matchedOn: match.matchedOn,
      },
    };
  },
});

export default rule;
