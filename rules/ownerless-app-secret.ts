import { z } from 'zod';
import { ownerDeparted } from '../src/contract/people.js';
import { defineCredentialRule } from '../src/contract/rule.js';

export const rule = defineCredentialRule({
  id: 'ownerless-app-secret',
  title: 'App registration with a live secret and no current owner',
  severity: 'high',
  risk:
    "An app registration's client secret or certificate keeps working after everyone who owned the app has left. " +
    'Nobody rotates it, nobody notices its use, and anyone who copied it acts as the application with all the ' +
    'permissions it was granted.',
  remediation:
    'Give the app a current owner who confirms it is still needed, or remove its secrets and certificates ' +
    '(`revoke-credential`). Rotate any secret a departed owner could have copied.',
  options: z.object({}),
  evaluate({ credential, owners }, { now }) {
    if (credential.kind !== 'app-secret' || !credential.enabled) return null;
    // A secret "valid today": enabled means at least one secret or certificate has not expired.
    if (credential.expiresAt !== null && Date.parse(credential.expiresAt) <= now.getTime()) return null;
    const departed = owners.filter((owner) => ownerDeparted(owner, now));
    if (owners.length > 0 && departed.length < owners.length) return null;
    const who =
      owners.length === 0
        ? 'has no owners'
        : `has only departed owners (${departed.map((o) => o.person?.email ?? o.account?.login ?? o.accountId).join(', ')})`;
    return {
      message: `App registration ${credential.name ?? credential.id} in ${credential.source} has a live secret or certificate and ${who}.`,
      evidence: {
        kind: credential.kind,
        credentialName: credential.name,
        owners: owners.map((owner) => ({
          accountId: owner.accountId,
          login: owner.account?.login ?? null,
          enabled: owner.account?.enabled ?? null,
          employeeId: owner.person?.employeeId ?? null,
          hrStatus: owner.person?.status ?? null,
        })),
        expiresAt: credential.expiresAt,
        secrets: credential.attributes.secrets ?? null,
      },
    };
  },
});

export default rule;
