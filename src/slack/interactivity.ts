import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { DIGEST_ACTIONS, escapeMrkdwn, markDecision, type DigestActionId } from '../../reports/slack-digest.js';
import { UsageError, ZombiescanError } from '../contract/errors.js';
import { getFinding, suppressFinding } from '../store/findings.js';
import type { Logger } from '../common/logger.js';
import type { Finding } from '../contract/model.js';
import type { SlackChat } from '../contract/chat.js';
import type { Db } from '../store/database.js';
import { markFindingAcknowledged } from '../store/finding-remediation.js';
import { appendEntry, appendEntryWith, type JournalEntry } from '../store/journal.js';

/**
 * The review buttons of the Slack digest (POST /slack/actions): Slack's request signature, the block_actions
 * payload, and what each decision does. A decision is taken only from a user listed in `slack.reviewers` (for all
 * three buttons: acknowledging also hides a finding from "needs a decision"), is journaled as a `decision` row in the
 * audit log with the Slack user id as actor, and is shown on the digest by editing it (chat.update).
 */

/** Slack: "If the timestamp is more than five minutes from local time, it could be a replay attack." */
export const SIGNATURE_TOLERANCE_SECONDS = 300;
/** A request stamped in the future is not Slack's, beyond a little clock drift. */
export const FUTURE_SKEW_SECONDS = 30;
/** The replay cache scope of button clicks (`rememberRequest`). */
export const SLACK_REPLAY_SCOPE = 'slack-actions';
export const SUPPRESS_DAYS = 30;

/** `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{raw body}` under the app's signing secret. */
export function slackSignature(signingSecret: string, timestamp: string, rawBody: Buffer | string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:`).update(rawBody).digest('hex')}`;
}

/** Null when the request is Slack's; otherwise why not (for the log, never for the caller). */
export function verifySlackRequest(input: {
  signingSecret: string;
  timestamp: string | undefined;
  signature: string | undefined;
  rawBody: Buffer;
  now: Date;
}): string | null {
  if (!input.timestamp || !/^\d{1,12}$/.test(input.timestamp)) return 'missing or malformed X-Slack-Request-Timestamp';
  const age = input.now.getTime() / 1000 - Number(input.timestamp);
  if (age > SIGNATURE_TOLERANCE_SECONDS) return `timestamp is ${Math.round(age)}s old (replay?)`;
  if (-age > FUTURE_SKEW_SECONDS) return `timestamp is ${Math.round(-age)}s in the future (replay?)`;
  if (!input.signature || !/^v0=[0-9a-f]{64}$/i.test(input.signature)) return 'missing or malformed X-Slack-Signature';
  const expected = Buffer.from(slackSignature(input.signingSecret, input.timestamp, input.rawBody).slice(3), 'hex');
  const given = Buffer.from(input.signature.slice(3), 'hex');
  // Both are 32 bytes here (the regex above), which timingSafeEqual requires.
  return timingSafeEqual(expected, given) ? null : 'signature does not match';
}

/**
 * What the replay cache keeps of a verified request: a hash of its signature (which covers timestamp and body), and
 * until when (the end of the window in which the signature would still be accepted).
 */
export function slackReplayEntry(timestamp: string, signature: string): { signatureHash: string; expiresAt: Date } {
  return {
    signatureHash: createHash('sha256').update(signature.toLowerCase()).digest('hex'),
    expiresAt: new Date((Number(timestamp) + SIGNATURE_TOLERANCE_SECONDS + 1) * 1000),
  };
}

/** A finding id as the digest writes it in a button value: digits only, no sign, exponent, space or leading zero. */
export function parseFindingId(value: string): number | null {
  return /^[1-9][0-9]{0,14}$/.test(value) ? Number(value) : null;
}

export interface SlackUser {
  id: string;
  /** Slack username, for the log and the message; the id is what is stored. */
  name: string;
}

export interface ActionRequest {
  user: SlackUser;
  channel: string;
  messageTs: string;
  /** The message's blocks as Slack sent them with the click. */
  blocks: unknown[];
  text: string;
  actions: { actionId: string; value: string }[];
}

/** Parses the form body; null for payloads that are not button clicks on a message (nothing to do). */
export function parseActionRequest(rawBody: string): ActionRequest | null {
  const payloadText = new URLSearchParams(rawBody).get('payload');
  if (payloadText === null) throw new UsageError('no payload field in the form body');
  let payload: Record<string, unknown>;
  try {
    payload = JSON.parse(payloadText) as Record<string, unknown>;
  } catch {
    throw new UsageError('payload is not JSON');
  }
  if (payload.type !== 'block_actions') return null;
  const user = payload.user as { id?: unknown; username?: unknown; name?: unknown } | undefined;
  const container = payload.container as { channel_id?: unknown; message_ts?: unknown } | undefined;
  const channel = (payload.channel as { id?: unknown } | undefined)?.id ?? container?.channel_id;
  const message = payload.message as { ts?: unknown; blocks?: unknown; text?: unknown } | undefined;
  const messageTs = container?.message_ts ?? message?.ts;
  // User ids (U…, W… on Enterprise Grid) go into <@…> mentions: accept nothing else.
  if (typeof user?.id !== 'string' || !/^[UW][A-Z0-9]{2,}$/.test(user.id)) throw new UsageError('bad user id');
  if (typeof channel !== 'string' || typeof messageTs !== 'string') return null;
  const actions = Array.isArray(payload.actions) ? (payload.actions as Record<string, unknown>[]) : [];
  return {
    user: { id: user.id, name: String(user.username ?? user.name ?? user.id) },
    channel,
    messageTs,
    blocks: Array.isArray(message?.blocks) ? (message.blocks as unknown[]) : [],
    text: typeof message?.text === 'string' ? message.text : '',
    actions: actions
      .filter((action) => typeof action.action_id === 'string' && typeof action.value === 'string')
      .map((action) => ({ actionId: action.action_id as string, value: action.value as string })),
  };
}

/** One remediation action's result, as `remediate --apply` reports it (the engine's result type fits this). */
export interface RemediationOutcome {
  action: string;
  status: string;
  reason?: string | null;
  ticketKey?: string | null;
}

/**
 * Runs the remediation policy for one finding through the same plan, limits and safety checks as
 * `zombiescan remediate --apply --finding ID`, journaling each action with `actor`.
 */
export type ApproveRemediation = (
  findingId: number,
  actor: string,
  signal: AbortSignal,
) => Promise<RemediationOutcome[]>;

export interface SlackActionDeps {
  db: Db;
  chat: SlackChat;
  /** Slack user ids allowed to decide. */
  reviewers: readonly string[];
  /** The digest's channel (`slack.channel`): a click from any other channel is not on our digest. */
  channel: string;
  approve: ApproveRemediation;
  now: () => Date;
  log: Logger;
}

/** Acknowledged: someone owns the follow-up. Only an open finding can be acknowledged. */
export function acknowledgeFinding(db: Db, input: { id: number; by: string; now: Date; reason: string }): Finding {
  const finding = getFinding(db, input.id);
  if (finding.status !== 'open') {
    throw new UsageError(`finding ${input.id} is ${finding.status}: only an open finding can be acknowledged`);
  }
  markFindingAcknowledged(db, { findingId: input.id, by: input.by, at: input.now, reason: input.reason });
  return getFinding(db, input.id);
}

const MESSAGE_MEMORY = 200;

/**
 * Takes clicks after the HTTP answer was sent (Slack wants it within 3 seconds; a remediation can take minutes).
 * Clicks on the same digest message run one after another, each editing the message as the previous edit left it,
 * so two quick decisions never overwrite each other's line.
 */
export class SlackActionHandler {
  private readonly queues = new Map<string, Promise<void>>();
  /** The blocks we last wrote per message: a click can carry the message as it was before our previous edit. */
  private readonly latestBlocks = new Map<string, unknown[]>();
  private readonly approving = new Set<number>();
  private readonly shutdown = new AbortController();

  constructor(private readonly deps: SlackActionDeps) {}

  dispatch(request: ActionRequest): void {
    const key = `${request.channel}:${request.messageTs}`;
    const previous = this.queues.get(key) ?? Promise.resolve();
    const next = previous.then(() => this.handle(request, key));
    this.queues.set(key, next);
    void next.finally(() => {
      if (this.queues.get(key) === next) this.queues.delete(key);
    });
  }

  /** Resolves once every accepted click has been handled. */
  async idle(): Promise<void> {
    while (this.queues.size > 0) await Promise.all([...this.queues.values()]);
  }

  /** Aborts running remediations (the engine journals what it did) and waits for the rest. */
  async close(): Promise<void> {
    this.shutdown.abort(new Error('zombiescan serve is shutting down'));
    await this.idle();
  }

  private async handle(request: ActionRequest, key: string): Promise<void> {
    for (const action of request.actions) {
      try {
        await this.decide(request, key, action);
      } catch (error) {
        // One click's failure never stops the queue of its message.
        this.deps.log.error('slack decision failed', {
          user: request.user.id,
          action: action.actionId,
          error: error instanceof Error ? error.message : String(error),
        });
        await this.tell(request, 'zombiescan could not record this decision; the server log says why.');
      }
    }
  }

  private async decide(request: ActionRequest, key: string, action: { actionId: string; value: string }) {
    const { log, reviewers } = this.deps;
    const known = Object.values(DIGEST_ACTIONS) as string[];
    if (!known.includes(action.actionId)) {
      log.debug('ignored unknown slack action', { action: action.actionId });
      return;
    }
    const actionId = action.actionId as DigestActionId;
    const findingId = parseFindingId(action.value);
    const fields = { user: request.user.id, userName: request.user.name, action: actionId, findingId };
    if (request.channel !== this.deps.channel) {
      log.warn('slack decision refused: not the digest channel', { ...fields, channel: request.channel });
      return;
    }
    if (!reviewers.includes(request.user.id)) {
      log.warn('slack decision refused: not a reviewer', fields);
      await this.tell(
        request,
        `Only reviewers can acknowledge, suppress or approve zombiescan findings, and your Slack user id ` +
          `(${request.user.id}) is not in \`slack.reviewers\`. Ask the zombiescan admin to add it.`,
      );
      return;
    }
    if (findingId === null) {
      log.warn('slack decision ignored: bad finding id', { ...fields, value: action.value });
      return;
    }
    try {
      if (actionId === DIGEST_ACTIONS.acknowledge) await this.acknowledge(request, key, findingId);
      else if (actionId === DIGEST_ACTIONS.suppress30) await this.suppress(request, key, findingId);
      else await this.approve(request, key, findingId);
      log.info('slack decision recorded', fields);
    } catch (error) {
      if (!(error instanceof ZombiescanError)) throw error;
      log.warn('slack decision refused', { ...fields, reason: error.message });
      await this.tell(request, `Nothing done: ${error.message}.`);
    }
  }

  private async acknowledge(request: ActionRequest, key: string, findingId: number): Promise<void> {
    const { db } = this.deps;
    const now = this.deps.now();
    // The decision and its journal row are committed together.
    const { changed: finding } = appendEntryWith(
      db,
      () =>
        acknowledgeFinding(db, {
          id: findingId,
          by: request.user.id,
          now,
          reason: `acknowledged in Slack by ${request.user.name}`,
        }),
      (acknowledged) => decisionEntry(acknowledged, request, now, 'acknowledge', 'acknowledged', {}),
    );
    await this.mark(request, key, {
      findingId: finding.id,
      line: `:eyes: Acknowledged by <@${request.user.id}> · ${stamp(now)}`,
      keepActions: [DIGEST_ACTIONS.suppress30, DIGEST_ACTIONS.approve],
    });
  }

  private async suppress(request: ActionRequest, key: string, findingId: number): Promise<void> {
    const { db } = this.deps;
    const now = this.deps.now();
    const until = new Date(now.getTime() + SUPPRESS_DAYS * 86_400_000);
    const { changed: finding } = appendEntryWith(
      db,
      () =>
        suppressFinding(db, {
          id: findingId,
          reason: `suppressed from Slack by ${request.user.name}`,
          until,
          by: request.user.id,
          now,
        }),
      (suppressed) => decisionEntry(suppressed, request, now, 'suppress', 'suppressed', { until: until.toISOString() }),
    );
    await this.mark(request, key, {
      findingId: finding.id,
      line: `:zzz: Suppressed until ${stamp(until)} by <@${request.user.id}> · ${stamp(now)}`,
      keepActions: [],
    });
  }

  private async approve(request: ActionRequest, key: string, findingId: number): Promise<void> {
    const { db } = this.deps;
    if (this.approving.has(findingId)) {
      throw new UsageError(`a remediation of finding ${findingId} is already running`);
    }
    const now = this.deps.now();
    const finding = getFinding(db, findingId);
    if (finding.status !== 'open' && finding.status !== 'acknowledged') {
      throw new UsageError(`finding ${findingId} is ${finding.status}: there is nothing to remediate`);
    }
    // The approval is journaled before anything runs: the engine's intent rows then follow a recorded decision.
    appendEntry(db, decisionEntry(finding, request, now, 'approve-remediation', 'approved', {}));
    this.approving.add(findingId);
    let outcomes: RemediationOutcome[];
    try {
      outcomes = await this.deps.approve(findingId, request.user.id, this.shutdown.signal);
    } finally {
      this.approving.delete(findingId);
    }
    const done = outcomes.length > 0 && outcomes.every((o) => o.status === 'applied' || o.status === 'already-done');
    const summary = outcomes.length === 0 ? 'no action planned' : outcomes.map(describeOutcome).join('; ');
    await this.mark(request, key, {
      findingId,
      line:
        `${done ? ':white_check_mark:' : ':x:'} Remediation approved by <@${request.user.id}> · ${stamp(now)}: ` +
        escapeMrkdwn(summary),
      // A refused or failed action can be approved again once its cause is fixed.
      keepActions: done ? [] : [DIGEST_ACTIONS.suppress30, DIGEST_ACTIONS.approve],
    });
  }

  private async mark(request: ActionRequest, key: string, mark: Parameters<typeof markDecision>[1]): Promise<void> {
    const blocks = markDecision(this.latestBlocks.get(key) ?? request.blocks, mark);
    this.latestBlocks.delete(key);
    this.latestBlocks.set(key, blocks);
    if (this.latestBlocks.size > MESSAGE_MEMORY) this.latestBlocks.delete(this.latestBlocks.keys().next().value!);
    try {
      await this.deps.chat.call(
        'chat.update',
        { channel: request.channel, ts: request.messageTs, text: request.text || 'zombiescan digest', blocks },
        { retryTransient: false },
      );
    } catch (error) {
      // The decision is recorded; only its display failed.
      this.deps.log.error('could not update the digest message', {
        channel: request.channel,
        ts: request.messageTs,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  /** An ephemeral reply: only the clicking user sees it. */
  private async tell(request: ActionRequest, text: string): Promise<void> {
    try {
      await this.deps.chat.call('chat.postEphemeral', { channel: request.channel, user: request.user.id, text });
    } catch (error) {
      this.deps.log.error('could not answer the slack user', {
        user: request.user.id,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
}

/** A reviewer's decision as its journal row: the Slack user id is the actor. */
function decisionEntry(
  finding: Finding,
  request: ActionRequest,
  at: Date,
  action: string,
  status: string,
  detail: Record<string, unknown>,
): JournalEntry {
  return {
    at,
    kind: 'decision',
    actor: request.user.id,
    findingId: finding.id,
    personId: finding.personId,
    source: finding.source,
    accountId: finding.accountId,
    action,
    status,
    reason: `decided in Slack by ${request.user.name}`,
    detail: { via: 'slack', channel: request.channel, messageTs: request.messageTs, ...detail },
  };
}

function describeOutcome(outcome: RemediationOutcome): string {
  const ticket = outcome.ticketKey ? ` ${outcome.ticketKey}` : '';
  const reason = outcome.reason && outcome.status !== 'applied' ? ` (${outcome.reason})` : '';
  return `${outcome.action} ${outcome.status}${ticket}${reason}`;
}

function stamp(date: Date): string {
  return `${date.toISOString().replace('T', ' ').slice(0, 16)} UTC`;
}
