import type { Account, Person } from './model.js';
import type { RuleSubject } from './rule.js';

/**
 * Facts about a person and an account that several rules (and the engine) need to agree on: when a termination
 * counts, what a service account is, how long ago something happened, and how to name who and what in a message.
 */

const DAY_MS = 86_400_000;

/**
 * HR says terminated and the termination has taken effect. A terminated record without a date counts at once: HR
 * marked the person gone and gave us nothing to wait for.
 */
export function terminationInEffect(person: Person, now: Date): boolean {
  if (person.status !== 'terminated') return false;
  if (person.terminationEffectiveAt === null) return true;
  return now.getTime() >= Date.parse(person.terminationEffectiveAt);
}

/** The termination (or contract end) date is set and has passed, whatever the HR status still says. */
export function endDatePassed(person: Person, now: Date): boolean {
  if (person.terminationEffectiveAt === null) return false;
  return now.getTime() >= Date.parse(person.terminationEffectiveAt);
}

/** A non-human identity: typed service/bot by its source, or declared in `serviceAccounts`. */
export function isServiceLike(subject: RuleSubject): boolean {
  return (
    subject.account.type === 'service' || subject.account.type === 'bot' || subject.match.method === 'service-account'
  );
}

/**
 * `now - at` is strictly more than `days` days. An unparseable time is never "old": a rule must not fire on data
 * it cannot read.
 */
export function olderThanDays(at: string, now: Date, days: number): boolean {
  const time = Date.parse(at);
  if (Number.isNaN(time)) return false;
  return now.getTime() - time > days * DAY_MS;
}

/** How a person is named in a message: their work email and HR employee id. */
export function personLabel(person: Person): string {
  return `${person.email} (${person.employeeId})`;
}

/** How an account is named in a message: the identifier a reader recognises first. */
export function accountLabel(account: Account): string {
  return account.email ?? account.login ?? account.displayName ?? account.id;
}

/**
 * "their slack account" when the account carries the owner's own email (the message already named it), otherwise
 * "their slack account bob.old@acme.com" so the reader knows which account is meant.
 */
export function ownedAccountPhrase(account: Account, owner: Person): string {
  const label = accountLabel(account);
  const sameAsOwner = label.toLowerCase() === owner.email.toLowerCase();
  return sameAsOwner ? `their ${account.source} account` : `their ${account.source} account ${label}`;
}

/**
 * Attribute a collector sets on a cloud account's own root identity (the AWS root user): it belongs to no person,
 * so matching never ties it to one, and only the rules written for it judge it.
 */
export const CLOUD_ROOT_ATTRIBUTE = 'cloudRoot';

export function isCloudRoot(account: Account): boolean {
  return account.attributes[CLOUD_ROOT_ATTRIBUTE] === true;
}
