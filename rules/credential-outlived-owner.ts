import { z } from 'zod';
import { accountLabel, endDatePassed, personLabel, terminationInEffect } from '../src/contract/people.js';
import { defineCredentialRule } from '../src/contract/rule.js';

export const rule = defineCredentialRule({
  id: 'credential-outlived-owner',
  title: 'Credential still works after its owner left',
  severity: 'critical',
  risk:
    "Disabling an account does not end the access its credentials grant: an API token acts with its creator's " +
    'rights, an OAuth grant or app password lets a third-party app act for the person, a personal token keeps ' +
    'working. Whoever holds it keeps the access the departed owner had.',
  remediation:
    'Revoke the credential (`zombiescan remediate --action revoke-credential`, or `offboard` the person, which ' +
    'revokes all of them). If a service depends on it, re-issue it to a current owner first.',
  options: z.object({}),
  evaluate({ credential, owner }, { now }) {
    // App registrations are judged by ownerless-app-secret alone (SPEC).
    if (!credential.enabled || credential.kind === 'app-secret' || owner === null) return null;
    const reasons: string[] = [];
    if (owner.account === null) reasons.push('the owner account no longer exists');
    else if (!owner.account.enabled) reasons.push(`the owner account ${accountLabel(owner.account)} is disabled`);
    const person = owner.person;
    if (person !== null && (terminationInEffect(person, now) || endDatePassed(person, now))) {
      reasons.push(
        `${personLabel(person)} ${person.status === 'terminated' ? 'was terminated' : 'is past their end date'}` +
          (person.terminationDate ? ` (${person.terminationDate.slice(0, 10)})` : ''),
      );
    }
    if (reasons.length === 0) return null;
    return {
      message: `${credential.kind} ${credential.name ?? credential.id} in ${credential.source} still works: ${reasons.join('; ')}.`,
      evidence: {
        kind: credential.kind,
        credentialName: credential.name,
        ownerAccountId: owner.accountId,
        ownerAccountEnabled: owner.account?.enabled ?? null,
        ownerAccountDeleted: owner.account === null,
        employeeId: person?.employeeId ?? null,
        hrStatus: person?.status ?? null,
        terminationDate: person?.terminationDate ?? null,
        lastUsedAt: credential.lastUsedAt,
        expiresAt: credential.expiresAt,
        scopes: credential.scopes,
      },
    };
  },
});

export default rule;
