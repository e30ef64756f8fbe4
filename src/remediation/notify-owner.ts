import { slackErrorCode, type SlackChat } from '../contract/chat.js';
import { SourceError } from '../contract/errors.js';
import type { Finding, Person } from '../contract/model.js';
import type { Db } from '../store/database.js';
import { personById } from '../store/people.js';

/**
 * `notify-owner`: before anyone disables a dormant account, ask the person who has it whether it is still needed: a
 * Slack direct message to the owner, or to their manager when the owner is gone. Slack DMs go to a user id, so the
 * recipient is looked up by email first (users.lookupByEmail, then chat.postMessage to that id).
 */

export interface OwnerMessage {
  /** Work email of the recipient, as the HR roster has it. */
  email: string;
  text: string;
}

export interface DeliveredMessage {
  /** The Slack user the message went to. */
  userId: string;
  /** Message timestamp (Slack's message id). */
  ts: string | null;
}

export interface OwnerNotifier {
  send(message: OwnerMessage, signal: AbortSignal): Promise<DeliveredMessage>;
}

export interface Recipient {
  person: Person;
  /** `owner`: the account's owner; `manager`: the owner is gone and their manager is asked instead. */
  role: 'owner' | 'manager';
  owner: Person | null;
}

/** Who should be asked about this finding's account, or why nobody can be. */
export function chooseRecipient(db: Db, finding: Finding): Recipient | { refusal: string } {
  if (!finding.personId) return { refusal: 'the account has no owner on the HR roster to ask' };
  const owner = personById(db, finding.personId);
  if (owner && owner.status !== 'terminated') return { person: owner, role: 'owner', owner };
  const managerId = owner?.managerId ?? null;
  const gone = owner ? `owner ${owner.employeeId} has left` : `owner ${finding.personId} is not on the HR roster`;
  if (!managerId) return { refusal: `${gone} and has no manager on record to ask` };
  const manager = personById(db, managerId);
  if (!manager || manager.status === 'terminated') {
    return { refusal: `${gone} and their manager ${managerId} is not an active employee either` };
  }
  return { person: manager, role: 'manager', owner };
}

export function ownerMessage(finding: Finding, recipient: Recipient): OwnerMessage {
  const account = finding.email ?? finding.login ?? finding.accountId;
  const lastActivity = typeof finding.evidence.lastActivityAt === 'string' ? finding.evidence.lastActivityAt : null;
  const unused = lastActivity ? `has not been used since ${lastActivity.slice(0, 10)}` : 'looks unused';
  const ownerName = recipient.owner?.name ?? recipient.owner?.email ?? finding.personId ?? 'its owner';
  const subject =
    recipient.role === 'owner'
      ? `Your ${finding.source} account ${account} ${unused}.`
      : `${ownerName}, who reported to you, has left, and their ${finding.source} account ${account} ${unused}.`;
  return {
    email: recipient.person.email,
    text:
      `Hi${recipient.person.name ? ` ${recipient.person.name}` : ''}, this is zombiescan, on behalf of the security ` +
      `team. ${subject} Is it still needed? If not, it will be disabled; if it is, please tell the security team ` +
      `why (reference: finding ${finding.id}).`,
  };
}

/**
 * Slack through `chatFor` (a client per message, bound to that message's signal): users.lookupByEmail, then
 * chat.postMessage to the user id found.
 */
export function createChatOwnerNotifier(chatFor: (signal: AbortSignal) => SlackChat): OwnerNotifier {
  return {
    async send(message, signal) {
      const chat = chatFor(signal);
      let userId: string;
      try {
        const found = (await chat.call('users.lookupByEmail', { email: message.email })) as {
          user?: { id?: unknown };
        };
        if (typeof found.user?.id !== 'string') {
          throw new SourceError('slack', 'users.lookupByEmail: the answer has no user id', 'data');
        }
        userId = found.user.id;
      } catch (error) {
        if (slackErrorCode(error) === 'users_not_found') {
          throw new SourceError('slack', `no Slack user has the email ${message.email}`, 'data');
        }
        throw error;
      }
      // Not retried on 5xx: the message may have been posted, and a duplicate DM is worse than a failed action.
      const posted = (await chat.call(
        'chat.postMessage',
        { channel: userId, text: message.text },
        { retryTransient: false },
      )) as { ts?: unknown };
      return { userId, ts: typeof posted.ts === 'string' ? posted.ts : null };
    },
  };
}
