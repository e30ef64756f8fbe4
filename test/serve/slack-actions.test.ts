import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/common/logger.js';
import { postDigest } from '../../src/slack/notify.js';
import { createSlackChat } from '../../src/cli/slack-chat.js';
import { verifyJournal } from '../../src/store/journal.js';
import { startServer, type RunningServer } from '../../src/serve/server.js';
import {
  SlackActionHandler,
  slackSignature,
  verifySlackRequest,
  type RemediationOutcome,
} from '../../src/slack/interactivity.js';
import { Harness } from '../engine/helpers.js';
import { startSlackChatFake, type SlackChatFake } from '../fakes/slack-chat.js';
import {
  blockActionsBody,
  CHANNEL,
  company,
  configYaml,
  ENV,
  findingId,
  memoryLogger,
  REVIEWER,
  SIGNING_SECRET,
  signedHeaders,
} from './helpers.js';

describe('Slack request signature', () => {
  const now = new Date('2026-11-26T12:00:00Z');
  const body = Buffer.from('payload=%7B%7D');
  const timestamp = String(now.getTime() / 1000);
  const check = (overrides: Partial<Parameters<typeof verifySlackRequest>[0]>) =>
    verifySlackRequest({
      signingSecret: SIGNING_SECRET,
      timestamp,
      signature: slackSignature(SIGNING_SECRET, timestamp, body),
      rawBody: body,
      now,
      ...overrides,
    });

  it('accepts Slack’s signature and refuses everything else', () => {
    expect(check({})).toBeNull();
    // Slack's documented example: v0:{ts}:{body} under the secret, hex.
    expect(slackSignature('8f742231b10e8888abcd99yyyzzz85a5', '1531420618', 'token=x')).toMatch(/^v0=[0-9a-f]{64}$/);
    expect(check({ signature: undefined })).toMatch(/missing or malformed X-Slack-Signature/);
    expect(check({ timestamp: undefined })).toMatch(/X-Slack-Request-Timestamp/);
    expect(check({ signature: slackSignature('another-secret', timestamp, body) })).toBe('signature does not match');
    expect(check({ rawBody: Buffer.from('payload=%7B%7D&x=1') })).toBe('signature does not match');
    expect(check({ signature: 'v0=abc' })).toMatch(/malformed/);
  });

  it('refuses a timestamp more than five minutes away, either way', () => {
    const old = String(now.getTime() / 1000 - 301);
    expect(check({ timestamp: old, signature: slackSignature(SIGNING_SECRET, old, body) })).toMatch(/replay/);
    const future = String(now.getTime() / 1000 + 301);
    expect(check({ timestamp: future, signature: slackSignature(SIGNING_SECRET, future, body) })).toMatch(/replay/);
    const edge = String(now.getTime() / 1000 - 299);
    expect(check({ timestamp: edge, signature: slackSignature(SIGNING_SECRET, edge, body) })).toBeNull();
  });
});

describe('POST /slack/actions', () => {
  let slack: SlackChatFake;
  let server: RunningServer;
  let h: Harness;
  let actions: SlackActionHandler;
  let approvals: { findingId: number; actor: string }[];
  let approveResult: RemediationOutcome[];
  let digest: { ts: string; blocks: unknown[] };
  const log = memoryLogger();

  beforeEach(async () => {
    slack = await startSlackChatFake();
    h = new Harness(configYaml(slack.apiUrl), ENV);
    company(h);
    await h.scan();
    const chat = createSlackChat(h.config.slack!, silentLogger);
    const posted = await postDigest(h.db, h.config, { chat, log: silentLogger });
    digest = { ts: posted.ts, blocks: slack.state.messages[0]!.blocks as unknown[] };
    approvals = [];
    approveResult = [{ action: 'disable', status: 'applied', reason: 'suspended the account' }];
    actions = new SlackActionHandler({
      db: h.db,
      chat,
      reviewers: h.config.slack!.reviewers,
      channel: h.config.slack!.channel,
      approve: async (id, actor) => {
        approvals.push({ findingId: id, actor });
        return approveResult;
      },
      now: () => h.now,
      log,
    });
    server = await startServer({
      host: '127.0.0.1',
      port: 0,
      db: h.db,
      log,
      now: () => h.now,
      scheduler: { status: () => ({ running: false, nextRun: null, lastJob: null }) },
      slack: { signingSecret: SIGNING_SECRET, actions },
    });
  });

  afterEach(async () => {
    await actions.close();
    await server.close();
    await slack.close();
  });

  const post = (body: string, headers: Record<string, string>) =>
    fetch(`http://127.0.0.1:${server.port}/slack/actions`, { method: 'POST', headers, body });

  const click = async (actionId: string, id: number, user = REVIEWER) => {
    const body = blockActionsBody({ actionId, findingId: id, ts: digest.ts, blocks: digest.blocks, user });
    const response = await post(body, signedHeaders(body, h.now));
    await actions.idle();
    return response;
  };

  const status = (id: number) => h.findings(`id = ${id}`)[0]!.status;
  const decisions = () =>
    h.db.prepare(`SELECT actor, finding_id, action, status, detail FROM audit_log WHERE kind = 'decision'`).all() as {
      actor: string;
      finding_id: number;
      action: string;
      status: string;
      detail: string;
    }[];

  it('answers 401 to unsigned, forged, replayed and tampered requests, and changes nothing', async () => {
    const id = findingId(h, 'terminated-still-active', 'a2');
    const body = blockActionsBody({ actionId: 'zs_ack', findingId: id, ts: digest.ts });
    const unsigned = await post(body, { 'content-type': 'application/x-www-form-urlencoded' });
    const forged = await post(body, signedHeaders(body, h.now, 'not-the-secret'));
    const replayed = await post(body, signedHeaders(body, new Date(h.now.getTime() - 6 * 60_000)));
    const tampered = await post(
      blockActionsBody({ actionId: 'zs_suppress30', findingId: id, ts: digest.ts }),
      signedHeaders(body, h.now),
    );
    expect([unsigned.status, forged.status, replayed.status, tampered.status]).toEqual([401, 401, 401, 401]);
    await actions.idle();
    expect(status(id)).toBe('open');
    expect(decisions()).toEqual([]);
    expect(slack.updates).toEqual([]);
    expect(log.lines.filter((line) => line.message === 'slack request refused')).toHaveLength(4);
    // Secrets never reach the log.
    expect(JSON.stringify(log.lines)).not.toContain(SIGNING_SECRET);
  });

  it('acknowledge: finding acknowledged by the Slack user, decision journaled, message updated with who', async () => {
    const id = findingId(h, 'terminated-still-active', 'a2');
    const response = await click('zs_ack', id);
    expect(response.status).toBe(200);
    expect(status(id)).toBe('acknowledged');
    const event = h.db
      .prepare(`SELECT from_status, to_status, actor, reason FROM finding_events WHERE finding_id = ? ORDER BY id DESC`)
      .get(id);
    expect(event).toEqual({
      from_status: 'open',
      to_status: 'acknowledged',
      actor: REVIEWER,
      reason: 'acknowledged in Slack by rita.reviewer',
    });
    expect(decisions()).toMatchObject([
      { actor: REVIEWER, finding_id: id, action: 'acknowledge', status: 'acknowledged' },
    ]);
    expect(JSON.parse(decisions()[0]!.detail)).toMatchObject({ via: 'slack', channel: CHANNEL, messageTs: digest.ts });
    expect(verifyJournal(h.db).ok).toBe(true);

    expect(slack.updates).toHaveLength(1);
    const update = slack.updates[0]!;
    expect(update).toMatchObject({ channel: CHANNEL, ts: digest.ts });
    const blocks = update.blocks as {
      block_id?: string;
      text?: { text: string };
      elements?: { action_id: string }[];
    }[];
    expect(blocks.find((block) => block.block_id === `zs_finding:${id}`)?.text?.text).toContain(
      `:eyes: Acknowledged by <@${REVIEWER}>`,
    );
    expect(blocks.find((block) => block.block_id === `zs_actions:${id}`)?.elements?.map((e) => e.action_id)).toEqual([
      'zs_suppress30',
      'zs_approve',
    ]);
    // The fake applied the edit to the stored message.
    expect(slack.state.messages[0]!.blocks).toEqual(update.blocks);
  });

  it('suppress 30 days: suppressed until now + 30 days with the reason, journaled, buttons gone', async () => {
    const id = findingId(h, 'orphan-account', 'a3');
    expect((await click('zs_suppress30', id)).status).toBe(200);
    const row = h.db
      .prepare('SELECT status, suppressed_until, suppress_reason, suppressed_by FROM findings WHERE id = ?')
      .get(id);
    expect(row).toEqual({
      status: 'suppressed',
      suppressed_until: new Date(h.now.getTime() + 30 * 86_400_000).toISOString(),
      suppress_reason: 'suppressed from Slack by rita.reviewer',
      suppressed_by: REVIEWER,
    });
    expect(decisions()).toMatchObject([{ actor: REVIEWER, finding_id: id, action: 'suppress', status: 'suppressed' }]);
    const blocks = slack.updates[0]!.blocks as { block_id?: string; text?: { text: string } }[];
    expect(blocks.some((block) => block.block_id === `zs_actions:${id}`)).toBe(false);
    expect(blocks.find((block) => block.block_id === `zs_finding:${id}`)?.text?.text).toContain(
      `:zzz: Suppressed until 2026-12-26 12:00 UTC by <@${REVIEWER}>`,
    );
  });

  it('two decisions on one message both stay on it (each edit builds on the last)', async () => {
    const critical = findingId(h, 'terminated-still-active', 'a2');
    const orphan = findingId(h, 'orphan-account', 'a3');
    await click('zs_ack', critical);
    // The second click carries the message as it was before the first edit.
    await click('zs_suppress30', orphan);
    const final = slack.updates[1]!.blocks as { block_id?: string; text?: { text: string } }[];
    expect(final.find((block) => block.block_id === `zs_finding:${critical}`)?.text?.text).toContain('Acknowledged by');
    expect(final.find((block) => block.block_id === `zs_finding:${orphan}`)?.text?.text).toContain('Suppressed until');
  });

  it('refuses a non-reviewer with an ephemeral answer and changes nothing', async () => {
    const id = findingId(h, 'terminated-still-active', 'a2');
    for (const action of ['zs_ack', 'zs_suppress30', 'zs_approve']) {
      expect((await click(action, id, 'U0INTRUDER')).status).toBe(200);
    }
    expect(status(id)).toBe('open');
    expect(approvals).toEqual([]);
    expect(decisions()).toEqual([]);
    expect(slack.updates).toEqual([]);
    expect(slack.ephemerals).toHaveLength(3);
    expect(slack.ephemerals[0]).toMatchObject({ channel: CHANNEL, user: 'U0INTRUDER' });
    expect(slack.ephemerals[0]!.text).toMatch(/Only reviewers .* \(U0INTRUDER\) is not in `slack.reviewers`/);
  });

  it('approve: journals the approval, runs the remediation for that finding as the Slack user, shows the result', async () => {
    const id = findingId(h, 'terminated-still-active', 'a2');
    expect((await click('zs_approve', id)).status).toBe(200);
    expect(approvals).toEqual([{ findingId: id, actor: REVIEWER }]);
    expect(decisions()).toMatchObject([
      { actor: REVIEWER, finding_id: id, action: 'approve-remediation', status: 'approved' },
    ]);
    const blocks = slack.updates[0]!.blocks as { block_id?: string; text?: { text: string } }[];
    expect(blocks.find((block) => block.block_id === `zs_finding:${id}`)?.text?.text).toContain(
      `:white_check_mark: Remediation approved by <@${REVIEWER}> · 2026-11-26 12:00 UTC: disable applied`,
    );
    expect(blocks.some((block) => block.block_id === `zs_actions:${id}`)).toBe(false);
  });

  it('approve that is refused keeps the buttons and says why', async () => {
    approveResult = [{ action: 'disable', status: 'refused', reason: "okta's latest collection failed" }];
    const id = findingId(h, 'terminated-still-active', 'a2');
    await click('zs_approve', id);
    const blocks = slack.updates[0]!.blocks as { block_id?: string; text?: { text: string }; elements?: unknown[] }[];
    expect(blocks.find((block) => block.block_id === `zs_finding:${id}`)?.text?.text).toContain(
      ":x: Remediation approved by <@U0REVIEWER> · 2026-11-26 12:00 UTC: disable refused (okta's latest collection failed)",
    );
    expect(blocks.find((block) => block.block_id === `zs_actions:${id}`)?.elements).toHaveLength(2);
  });

  it('a decision that no longer applies is answered ephemerally and not journaled', async () => {
    const id = findingId(h, 'orphan-account', 'a3');
    await click('zs_suppress30', id);
    await click('zs_ack', id);
    expect(status(id)).toBe('suppressed');
    expect(decisions()).toHaveLength(1);
    expect(slack.ephemerals.at(-1)!.text).toBe(
      `Nothing done: finding ${id} is suppressed: only an open finding can be acknowledged.`,
    );
  });

  it('refuses the same signed request twice (409), also after a restart, and runs the approval once', async () => {
    const id = findingId(h, 'terminated-still-active', 'a2');
    const body = blockActionsBody({ actionId: 'zs_approve', findingId: id, ts: digest.ts, blocks: digest.blocks });
    const headers = signedHeaders(body, h.now);
    expect((await post(body, headers)).status).toBe(200);
    await actions.idle();
    expect((await post(body, headers)).status).toBe(409);
    await actions.idle();
    expect(approvals).toHaveLength(1);
    expect(log.lines.some((line) => line.fields?.reason === 'replayed: seen before')).toBe(true);

    // The cache is in the database: a restarted server still refuses it within the window.
    await server.close();
    server = await startServer({
      host: '127.0.0.1',
      port: 0,
      db: h.db,
      log,
      now: () => new Date(h.now.getTime() + 60_000),
      scheduler: { status: () => ({ running: false, nextRun: null, lastJob: null }) },
      slack: { signingSecret: SIGNING_SECRET, actions },
    });
    expect((await post(body, headers)).status).toBe(409);
    await actions.idle();
    expect(approvals).toHaveLength(1);
    expect(decisions()).toHaveLength(1);
  });

  it('refuses a timestamp more than a little in the future', async () => {
    const id = findingId(h, 'terminated-still-active', 'a2');
    const body = blockActionsBody({ actionId: 'zs_ack', findingId: id, ts: digest.ts });
    expect((await post(body, signedHeaders(body, new Date(h.now.getTime() + 120_000)))).status).toBe(401);
    expect((await post(body, signedHeaders(body, new Date(h.now.getTime() + 10_000)))).status).toBe(200);
  });

  it('ignores clicks from another channel and finding ids that are not plain digits', async () => {
    const id = findingId(h, 'terminated-still-active', 'a2');
    const send = async (extra: { channel?: string; value?: string }) => {
      const body = blockActionsBody({ actionId: 'zs_approve', findingId: id, ts: digest.ts, ...extra });
      expect((await post(body, signedHeaders(body, h.now))).status).toBe(200);
      await actions.idle();
    };
    await send({ channel: 'C0ELSEWHERE' });
    for (const value of [`${id}.0`, `0${id}`, ` ${id}`, `+${id}`, `0x${id.toString(16)}`, `${id}e0`]) {
      await send({ value });
    }
    expect(approvals).toEqual([]);
    expect(decisions()).toEqual([]);
    expect(log.lines.some((line) => line.message === 'slack decision refused: not the digest channel')).toBe(true);
  });

  it('answers 400 to a signed body without a payload, and 413 to an oversized one', async () => {
    const body = 'nothing=here';
    expect((await post(body, signedHeaders(body, h.now))).status).toBe(400);
    const huge = `payload=${'x'.repeat(1024 * 1024 + 10)}`;
    expect((await post(huge, signedHeaders(huge, h.now))).status).toBe(413);
  });
});
