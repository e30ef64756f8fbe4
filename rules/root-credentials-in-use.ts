import { z } from 'zod';
import { daysBetween } from '../src/common/time.js';
import { isCloudRoot, olderThanDays } from '../src/contract/people.js';
import { daysOption, defineRule } from '../src/contract/rule.js';

/** A root access key as the collector records it (from the credential report's access_key_N columns). */
interface RootAccessKey {
  slot: number;
  active: boolean;
  lastRotated: string | null;
  lastUsedAt: string | null;
}

export const rule = defineRule({
  id: 'root-credentials-in-use',
  title: 'Cloud account root user has access keys or signs in',
  severity: 'high',
  risk:
    'The root user of an AWS account can do anything in it, including closing it, and no IAM policy can restrict it. ' +
    'It belongs to no person, so it is never offboarded: whoever knows its password or holds one of its access keys ' +
    'keeps that power after they leave. Root access keys are long-lived and work from anywhere; regular root ' +
    'sign-ins mean the password is shared and used for daily work.',
  remediation:
    'Delete the root access keys (sign in as root: Security credentials), enable MFA on root, keep the password in a ' +
    'vault with break-glass access, and do daily work through IAM Identity Center or IAM roles. If several people ' +
    'knew the password, change it.',
  options: z.object({
    days: daysOption(90, 'A root password used within this many days counts as in use.'),
  }),
  evaluate(subject, { now, options }) {
    const { account } = subject;
    if (!isCloudRoot(account)) return null;
    const keys = rootAccessKeys(account.attributes.accessKeys);
    const activeKeys = keys.filter((key) => key.active);
    const passwordLastUsed =
      typeof account.attributes.passwordLastUsed === 'string' ? account.attributes.passwordLastUsed : null;
    // A source may set its own window (the aws source's `days`): accounts differ in how root is meant to be used.
    const days =
      typeof account.attributes.rootPasswordDays === 'number' ? account.attributes.rootPasswordDays : options.days;
    const recentPassword =
      passwordLastUsed !== null &&
      !Number.isNaN(Date.parse(passwordLastUsed)) &&
      !olderThanDays(passwordLastUsed, now, days);
    if (activeKeys.length === 0 && !recentPassword) return null;
    const awsAccountId =
      typeof account.attributes.awsAccountId === 'string' ? account.attributes.awsAccountId : account.id;
    const reasons: string[] = [];
    if (activeKeys.length > 0) {
      const used = activeKeys
        .map((key) => key.lastUsedAt)
        .filter((at): at is string => at !== null)
        .sort()
        .at(-1);
      reasons.push(
        `${activeKeys.length} active access key${activeKeys.length === 1 ? '' : 's'}` +
          (used ? ` (last used ${used.slice(0, 10)})` : ' (never used)'),
      );
    }
    if (recentPassword) {
      reasons.push(
        `its password was used ${daysBetween(passwordLastUsed, now)} days ago (${passwordLastUsed.slice(0, 10)})`,
      );
    }
    const mfaActive = typeof account.attributes.mfaActive === 'boolean' ? account.attributes.mfaActive : null;
    return {
      message:
        `The root user (${account.login ?? 'root'}) of AWS account ${awsAccountId} has ${reasons.join(', and ')}` +
        `${mfaActive === false ? '; root has no MFA' : ''}.`,
      evidence: {
        awsAccountId,
        activeAccessKeys: activeKeys,
        passwordLastUsed,
        passwordUsedWithinDays: recentPassword,
        mfaActive,
        threshold: days,
      },
    };
  },
});

function rootAccessKeys(value: unknown): RootAccessKey[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (entry): entry is RootAccessKey =>
      typeof entry === 'object' && entry !== null && typeof (entry as RootAccessKey).active === 'boolean',
  );
}

export default rule;
