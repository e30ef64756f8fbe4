import { z } from 'zod';
import type { SignInEvent } from '../src/contract/model.js';
import { olderThanDays, ownedAccountPhrase, personLabel } from '../src/contract/people.js';
import { daysOption, defineRule } from '../src/contract/rule.js';

/** Evidence lists at most this many events (the newest), with the total count beside them. */
const MAX_EVIDENCE_EVENTS = 50;

export const rule = defineRule({
  id: 'sign-in-after-termination',
  title: 'Successful sign-in after the owner’s termination took effect',
  severity: 'critical',
  risk:
    'Someone signed in successfully to an account whose owner had already left: the former employee, or whoever ' +
    'holds their password, session or token, is using company access right now. This is an incident in progress, ' +
    'not a hygiene gap.',
  remediation:
    'Treat it as a security incident: revoke the sessions and tokens and disable the account at once (zombiescan ' +
    'offboard), then review what the sign-ins listed in the evidence did (IP, application) with the security team.',
  options: z.object({
    days: daysOption(30, 'Sign-ins older than this many days no longer keep the finding open.'),
  }),
  usesSignIns: true,
  seesDisabledWithSignIns: true,
  evaluate(subject, { now, options }) {
    const { account, owner, signIns } = subject;
    if (!signIns || owner === null || owner.terminationEffectiveAt === null) return null;
    if (subject.match.method === 'service-account' || subject.match.method === 'ambiguous') return null;
    const effective = Date.parse(owner.terminationEffectiveAt);
    if (Number.isNaN(effective)) return null;
    const after = signIns.filter(
      (event) =>
        event.result === 'success' && Date.parse(event.at) >= effective && !olderThanDays(event.at, now, options.days),
    );
    if (after.length === 0) return null;
    const last = after[after.length - 1]!;
    return {
      message:
        `Used after termination: ${personLabel(owner)} left (effective ${owner.terminationEffectiveAt}) but ` +
        `${ownedAccountPhrase(account, owner)} ` +
        `signed in successfully ${after.length === 1 ? 'once' : `${after.length} times`} since, last at ${last.at}` +
        `${last.ip ? ` from ${last.ip}` : ''}${last.application ? ` to ${last.application}` : ''}.`,
      evidence: {
        employeeId: owner.employeeId,
        terminationDate: owner.terminationDate,
        terminationEffectiveAt: owner.terminationEffectiveAt,
        accountStatus: account.rawStatus,
        signInsAfterTermination: after.length,
        events: after.slice(-MAX_EVIDENCE_EVENTS).map(eventEvidence),
      },
    };
  },
});

export function eventEvidence(event: SignInEvent): Record<string, unknown> {
  return {
    id: event.id,
    at: event.at,
    result: event.result,
    reason: event.reason,
    ip: event.ip,
    application: event.application,
    login: event.login,
  };
}

export default rule;
