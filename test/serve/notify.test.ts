import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/common/logger.js';
import { collectDigest, postDigest } from '../../src/slack/notify.js';
import { createSlackChat } from '../../src/cli/slack-chat.js';
import { account, Harness } from '../engine/helpers.js';
import { startSlackChatFake, type SlackChatFake } from '../fakes/slack-chat.js';
import { FAKE_BOT_TOKEN } from '../fakes/slack.js';
import { CHANNEL, company, configYaml, ENV, findingId } from './helpers.js';

interface PostedBlock {
  type: string;
  block_id?: string;
  text?: { text: string };
  elements?: { action_id?: string; value?: string; text?: { text: string } | string }[];
}

describe('zombiescan notify: the digest posted to Slack', () => {
  let slack: SlackChatFake;
  beforeEach(async () => {
    slack = await startSlackChatFake();
  });
  afterEach(async () => {
    await slack.close();
  });

  it('posts the critical finding with its buttons, and the failed source at the top', async () => {
    const h = new Harness(configYaml(slack.apiUrl), ENV);
    company(h);
    await h.scan();
    h.accounts.set('okta', new Error('HTTP 503 from Okta'));
    h.now = new Date('2026-11-27T02:00:00Z');
    const second = await h.scan();
    expect(second.status).toBe('partial');

    const result = await postDigest(h.db, h.config, {
      chat: createSlackChat(h.config.slack!, silentLogger),
      log: silentLogger,
    });
    expect(result).toMatchObject({ channel: CHANNEL, runId: second.runId, failedSources: ['okta'] });

    const [message] = slack.state.messages;
    expect(message).toBeDefined();
    expect(message!.channel).toBe(CHANNEL);
    expect(message!.token).toBe(FAKE_BOT_TOKEN);
    expect(message!.ts).toBe(result.ts);
    const blocks = message!.blocks as PostedBlock[];
    expect(blocks.length).toBeLessThanOrEqual(50);

    const failed = blocks.findIndex((block) => block.block_id === 'zs_failed');
    expect(failed).toBeGreaterThan(-1);
    expect(failed).toBeLessThan(blocks.findIndex((block) => block.block_id === 'zs_summary'));
    expect(blocks[failed]!.text!.text).toMatch(/^:warning: \*okta: FAILED\* — findings for okta were not updated/);

    const critical = findingId(h, 'terminated-still-active', 'a2');
    const section = blocks.find((block) => block.block_id === `zs_finding:${critical}`);
    expect(section?.text?.text).toContain('*CRITICAL*');
    expect(section?.text?.text).toContain('*System:* app');
    // Names come from HR and the source: escaped, so they cannot ping the channel or plant a link.
    expect(section?.text?.text).toContain('*Owner:* Bob &lt;!channel&gt; &amp; Co (bob@acme.com, E2)');
    expect(section?.text?.text).toContain('Bob &lt;https://evil.test|click me&gt;');
    const actions = blocks.find((block) => block.block_id === `zs_actions:${critical}`);
    expect(actions?.elements?.map((button) => [button.action_id, button.value])).toEqual([
      ['zs_ack', String(critical)],
      ['zs_suppress30', String(critical)],
      ['zs_approve', String(critical)],
    ]);
    const orphan = findingId(h, 'orphan-account', 'a3');
    expect(blocks.some((block) => block.block_id === `zs_finding:${orphan}`)).toBe(true);
    expect(message!.text).toContain('okta FAILED');
  });

  it('counts what the last scan opened as new, and only that', async () => {
    const h = new Harness(configYaml(slack.apiUrl), ENV);
    company(h);
    await h.scan();
    const first = collectDigest(h.db, h.config);
    expect(first.newBySeverity).toEqual({ critical: 1, high: 1, medium: 0, low: 0 });
    expect(first.urgent.map((finding) => [finding.rule, finding.isNew])).toEqual([
      ['terminated-still-active', true],
      ['orphan-account', true],
    ]);

    h.now = new Date('2026-11-27T02:00:00Z');
    await h.scan();
    const second = collectDigest(h.db, h.config);
    expect(second.newBySeverity).toEqual({ critical: 0, high: 0, medium: 0, low: 0 });
    expect(second.urgent).toHaveLength(2);
    expect(second.urgent.every((finding) => !finding.isNew)).toBe(true);
  });

  it('leads with accounts used after their owner\'s termination, and says "(admin)" on a raised severity', async () => {
    const h = new Harness(configYaml(slack.apiUrl), ENV);
    company(h);
    h.accounts.set('app', [
      account('app', 'a1', { email: 'alice@acme.com', login: 'alice' }),
      account('app', 'a2', {
        email: 'bob@acme.com',
        login: 'bob',
        activityKnown: true,
        lastActivityAt: '2026-11-20T09:00:00.000Z',
      }),
      account('app', 'a3', { email: 'ghost@acme.com', login: 'ghost', privileged: true }),
    ]);
    await h.scan();
    const digest = collectDigest(h.db, h.config);
    expect(digest.usedAfterTermination).toBe(1);
    expect(digest.urgent.map((finding) => [finding.rule, finding.usedAfterTermination, finding.severity])).toEqual([
      ['terminated-still-active', true, 'critical'],
      ['orphan-account', false, 'critical'],
    ]);
    await postDigest(h.db, h.config, { chat: createSlackChat(h.config.slack!, silentLogger), log: silentLogger });
    const blocks = slack.state.messages[0]!.blocks as PostedBlock[];
    // Right under the title and the run line, before the counts.
    expect(blocks[2]).toMatchObject({
      block_id: 'zs_used_after_termination',
      text: { text: ":rotating_light: *1 account used after its owner's termination*" },
    });
    const used = blocks.find(
      (block) => block.block_id === `zs_finding:${findingId(h, 'terminated-still-active', 'a2')}`,
    );
    expect(used?.text?.text).toMatch(
      /^:red_circle: \*CRITICAL\* · `terminated-still-active` · \*NEW\* · :rotating_light: \*USED AFTER TERMINATION\*\n/,
    );
    expect(used?.text?.text).toContain('*Why:* Used after termination: bob@acme.com (E2) was terminated');
    const admin = blocks.find((block) => block.block_id === `zs_finding:${findingId(h, 'orphan-account', 'a3')}`);
    expect(admin?.text?.text).toMatch(/^:red_circle: \*CRITICAL\* \(admin\) · `orphan-account`/);
    expect(slack.state.messages[0]!.text).toMatch(
      /^zombiescan scan #1 · 1 ACCOUNT USED AFTER ITS OWNER'S TERMINATION · /,
    );
  });

  it('refuses before any scan, and names the Slack error when the post fails', async () => {
    const h = new Harness(configYaml(slack.apiUrl), ENV);
    const chat = createSlackChat(h.config.slack!, silentLogger);
    await expect(postDigest(h.db, h.config, { chat, log: silentLogger })).rejects.toThrow(/no finished scan/);

    company(h);
    await h.scan();
    slack.inject('chat.postMessage', { kind: 'error', error: 'channel_not_found' });
    await expect(postDigest(h.db, h.config, { chat, log: silentLogger })).rejects.toThrow(
      /chat\.postMessage: Slack answered channel_not_found/,
    );
    // A 5xx is not retried: Slack may have posted it already.
    slack.inject('chat.postMessage', { kind: 'http', status: 503 });
    await expect(postDigest(h.db, h.config, { chat, log: silentLogger })).rejects.toThrow(/HTTP 503/);
    expect(slack.calls('chat.postMessage')).toHaveLength(2);
    expect(slack.state.messages).toHaveLength(0);
  });
});
