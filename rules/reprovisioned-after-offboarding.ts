import { z } from 'zod';
import { accountLabel, personLabel } from '../src/contract/people.js';
import { defineRule } from '../src/contract/rule.js';

export const rule = defineRule({
  id: 'reprovisioned-after-offboarding',
  title: 'Account disabled by zombiescan is enabled again',
  severity: 'critical',
  risk:
    'zombiescan disabled this account (the journal records it) and a later scan finds it enabled again. A SCIM push ' +
    'from an identity provider that still lists the person, a sync from on-premises AD, or an admin undoing the change ' +
    'brought a zombie back: the access that offboarding or remediation removed works again, and nobody was told.',
  remediation:
    'Find out what re-enabled it (the source audit log at the time of the change: a provisioning app, a directory ' +
    'sync, an admin). Fix that cause first — remove the person from the provisioning group or the upstream directory ' +
    '— then disable the account again. If the re-enable was intended (a rehire, a reversed termination), add an ' +
    'exception with the reason.',
  options: z.object({}),
  evaluate({ account, owner, history }, { now }) {
    const disabled = history.disabledByZombiescan;
    if (disabled === null || !account.enabled) return null;
    // Only a scan after the disable can have seen it come back.
    if (Date.parse(disabled.at) >= now.getTime()) return null;
    const whose = owner ? ` (${personLabel(owner)})` : '';
    return {
      message:
        `${accountLabel(account)}${whose} in ${account.source} was disabled by zombiescan on ` +
        `${disabled.at.slice(0, 10)} (journal #${disabled.journalId}) and is enabled again.`,
      evidence: {
        disabledAt: disabled.at,
        journalId: disabled.journalId,
        disabledBy: disabled.actor,
        accountStatus: account.rawStatus,
        employeeId: owner?.employeeId ?? null,
        ownerStatus: owner?.status ?? null,
      },
    };
  },
});

export default rule;
