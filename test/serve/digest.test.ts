import { describe, expect, it } from 'vitest';
import {
  DIGEST_ACTIONS,
  escapeMrkdwn,
  markDecision,
  renderSlackDigest,
  SLACK_LIMITS,
  type Block,
  type DigestData,
  type DigestFinding,
} from '../../reports/slack-digest.js';

function finding(id: number, extra: Partial<DigestFinding> = {}): DigestFinding {
  return {
    id,
    severity: 'critical',
    rule: 'terminated-still-active',
    source: 'okta',
    accountId: `acc${id}`,
    login: `user${id}@acme.com`,
    email: `user${id}@acme.com`,
    displayName: null,
    owner: { employeeId: `E${id}`, name: `Person ${id}`, email: `user${id}@acme.com` },
    message: `Person ${id} left on 2026-10-01 but their okta account is still enabled`,
    firstSeen: '2026-11-20T02:00:00.000Z',
    isNew: false,
    ...extra,
  };
}

function data(extra: Partial<DigestData> = {}): DigestData {
  return {
    run: { id: 7, status: 'complete', startedAt: '2026-11-26T02:00:00.000Z', finishedAt: '2026-11-26T02:04:00.000Z' },
    failedSources: [],
    newBySeverity: { critical: 1, high: 0, medium: 2, low: 0 },
    openBySeverity: { critical: 3, high: 1, medium: 5, low: 2 },
    resolvedInRun: 0,
    urgent: [finding(1, { isNew: true })],
    reportsUrl: null,
    ...extra,
  };
}

function texts(blocks: readonly unknown[]): string[] {
  const found: string[] = [];
  const walk = (value: unknown) => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        if (key === 'text' && typeof inner === 'string') found.push(inner);
        else walk(inner);
      }
    }
  };
  walk(blocks);
  return found;
}

describe('Slack digest rendering', () => {
  it('shows new counts, each urgent finding with owner, system, why and the three buttons', () => {
    const message = renderSlackDigest(data());
    const all = texts(message.blocks).join('\n');
    expect(all).toContain('*New since the last scan:* 1 critical · 0 high · 2 medium · 0 low');
    expect(all).toContain('*System:* okta');
    expect(all).toContain('*Owner:* Person 1 (user1@acme.com, E1)');
    expect(all).toContain('*Why:* Person 1 left on 2026-10-01');
    expect(all).toContain('*NEW*');
    const actions = message.blocks.find((block) => block.type === 'actions') as Extract<Block, { type: 'actions' }>;
    expect(actions.block_id).toBe('zs_actions:1');
    expect(actions.elements.map((button) => [button.action_id, button.value])).toEqual([
      [DIGEST_ACTIONS.acknowledge, '1'],
      [DIGEST_ACTIONS.suppress30, '1'],
      [DIGEST_ACTIONS.approve, '1'],
    ]);
    expect(actions.elements[2]!.confirm?.title.text).toBe('Approve remediation?');
    expect(message.text).toContain('new: 1 critical');
  });

  it('says failed sources first and plainly', () => {
    const message = renderSlackDigest(
      data({
        run: { ...data().run, status: 'partial' },
        failedSources: [{ name: 'okta', error: 'HTTP 503 from Okta' }],
      }),
    );
    const failed = message.blocks.findIndex((block) => block.block_id === 'zs_failed');
    const summary = message.blocks.findIndex((block) => block.block_id === 'zs_summary');
    expect(failed).toBeGreaterThan(-1);
    expect(failed).toBeLessThan(summary);
    expect(texts([message.blocks[failed]])[0]).toBe(
      ':warning: *okta: FAILED* — findings for okta were not updated (HTTP 503 from Okta)',
    );
    expect(message.text).toContain('okta FAILED');
  });

  it('escapes &, < and > in every value that came from a source', () => {
    const hostile = finding(2, {
      displayName: '<!channel> & <https://evil.test|click>',
      owner: { employeeId: 'E2', name: 'Eve <@U0BOSS>', email: 'eve@acme.com' },
      message: 'x > y & <!here>',
    });
    const message = renderSlackDigest(
      data({ urgent: [hostile], failedSources: [{ name: 'okta', error: '<!everyone> broke' }] }),
    );
    const all = texts(message.blocks).join('\n');
    expect(all).not.toMatch(/<!channel>|<!here>|<!everyone>|<@U0BOSS>|<https:\/\/evil/);
    expect(all).toContain('&lt;!channel&gt; &amp; &lt;https://evil.test|click&gt;');
    expect(all).toContain('Eve &lt;@U0BOSS&gt;');
    expect(escapeMrkdwn('a&b<c>d')).toBe('a&amp;b&lt;c&gt;d');
  });

  it('stays within 50 blocks, 3000 characters per section and the total text budget, saying how many are left out', () => {
    const urgent = Array.from({ length: 80 }, (_, index) =>
      finding(index + 1, { message: 'A very long explanation. '.repeat(40) }),
    );
    const message = renderSlackDigest(data({ urgent, failedSources: [{ name: 'okta', error: 'x'.repeat(5000) }] }));
    expect(message.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocksPerMessage);
    for (const block of message.blocks) {
      if (block.type === 'section') expect(block.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    }
    expect(texts(message.blocks).join('').length).toBeLessThanOrEqual(SLACK_LIMITS.totalText);
    const shown = message.blocks.filter((block) => block.type === 'actions').length;
    expect(shown).toBeGreaterThan(0);
    expect(shown).toBeLessThan(80);
    const more = message.blocks.find((block) => block.block_id === 'zs_more');
    expect(texts([more])[0]).toBe(
      `…and ${80 - shown} more critical/high findings not shown here: see the full list below.`,
    );
  });

  it('links the CSV when serve.reportsUrl is set, and says how to get it otherwise', () => {
    const linked = texts(renderSlackDigest(data({ reportsUrl: 'https://reports.acme.com/zs/' })).blocks).join('\n');
    expect(linked).toContain('<https://reports.acme.com/zs/findings.csv|findings.csv>');
    const unlinked = texts(renderSlackDigest(data()).blocks).join('\n');
    expect(unlinked).toContain('zombiescan report findings --format csv');
  });

  it('posts the journal head as an anchor kept outside the database', () => {
    const hash = 'ab'.repeat(32);
    const keyed = texts(renderSlackDigest(data({ journalAnchor: { id: 41, hash, mac: 'cd'.repeat(32) } })).blocks);
    expect(keyed.join('\n')).toContain(`Journal anchor: \`41:${hash}\` · MAC \`${'cd'.repeat(32)}\``);
    const unkeyed = texts(renderSlackDigest(data({ journalAnchor: { id: 41, hash, mac: null } })).blocks);
    expect(unkeyed.join('\n')).toContain('(unauthenticated: no audit.key)');
    expect(texts(renderSlackDigest(data()).blocks).join('\n')).not.toContain('Journal anchor');
  });

  it('says so when nothing critical or high is open', () => {
    const all = texts(renderSlackDigest(data({ urgent: [] })).blocks).join('\n');
    expect(all).toContain('No open critical or high findings');
  });
});

describe('marking a decision on the digest', () => {
  const blocks = renderSlackDigest(data({ urgent: [finding(1), finding(2)] })).blocks as unknown[];

  it('adds the line under the finding and keeps only the buttons asked for; others are untouched', () => {
    const marked = markDecision(blocks, {
      findingId: 1,
      line: ':eyes: Acknowledged by <@U0REVIEWER>',
      keepActions: [DIGEST_ACTIONS.suppress30, DIGEST_ACTIONS.approve],
    }) as Block[];
    expect(marked).toHaveLength(blocks.length);
    const section = marked.find((block) => block.block_id === 'zs_finding:1') as Extract<Block, { type: 'section' }>;
    expect(section.text.text.endsWith('\n:eyes: Acknowledged by <@U0REVIEWER>')).toBe(true);
    const actions = marked.find((block) => block.block_id === 'zs_actions:1') as Extract<Block, { type: 'actions' }>;
    expect(actions.elements.map((button) => button.action_id)).toEqual(['zs_suppress30', 'zs_approve']);
    expect(marked.find((block) => block.block_id === 'zs_actions:2')).toEqual(
      blocks.find((block) => (block as Block).block_id === 'zs_actions:2'),
    );
  });

  it('removes the buttons entirely after a final decision', () => {
    const marked = markDecision(blocks, { findingId: 2, line: 'Suppressed', keepActions: [] }) as Block[];
    expect(marked).toHaveLength(blocks.length - 1);
    expect(marked.some((block) => block.block_id === 'zs_actions:2')).toBe(false);
  });
});
