import { z } from 'zod';
import { daysBetween } from '../src/common/time.js';
import { olderThanDays } from '../src/contract/people.js';
import { daysOption, defineCredentialRule } from '../src/contract/rule.js';

export const rule = defineCredentialRule({
  id: 'unused-credential',
  title: 'Credential unused for a long time',
  severity: 'medium',
  risk:
    'A token, grant or key nobody has used for months is not needed, yet it still grants access. Its use by an ' +
    'attacker would stand out to no one, because nobody watches a credential they forgot.',
  remediation: 'Confirm with the owner that it is no longer needed, then revoke it (`revoke-credential`).',
  options: z.object({
    days: daysOption(90, 'Days without use after which an enabled credential counts as unused.'),
  }),
  evaluate({ credential }, { now, options }) {
    // App registrations are judged by ownerless-app-secret alone; unknown usage must never read as no usage.
    if (!credential.enabled || credential.kind === 'app-secret' || !credential.usageKnown) return null;
    const label = `${credential.kind} ${credential.name ?? credential.id} in ${credential.source}`;
    const evidence = {
      kind: credential.kind,
      credentialName: credential.name,
      lastUsedAt: credential.lastUsedAt,
      createdAt: credential.createdAt,
      threshold: options.days,
    };
    if (credential.lastUsedAt !== null) {
      if (!olderThanDays(credential.lastUsedAt, now, options.days)) return null;
      const days = daysBetween(credential.lastUsedAt, now);
      return {
        message: `${label} has not been used for ${days} days (last ${credential.lastUsedAt.slice(0, 10)}; threshold ${options.days} days).`,
        evidence: { ...evidence, daysUnused: days },
      };
    }
    if (credential.createdAt === null || !olderThanDays(credential.createdAt, now, options.days)) return null;
    return {
      message: `${label} was never used since it was created on ${credential.createdAt.slice(0, 10)} (threshold ${options.days} days).`,
      evidence: { ...evidence, daysUnused: daysBetween(credential.createdAt, now) },
    };
  },
});

export default rule;
