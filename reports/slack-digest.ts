import type { Severity } from '../src/contract/model.js';
import { usedAfterTerminationHeadline } from '../src/contract/finding-facts.js';

/**
 * The Slack findings digest as Block Kit, and the edit that records a reviewer's decision on it. Pure: data in,
 * blocks out. Every value that came from a source (names, logins, messages, errors) goes through `escapeMrkdwn`,
 * so a display name like `<!channel>` or `<https://evil|click>` shows as text instead of pinging or linking.
 */

/** The buttons on each critical/high finding; the button `value` is the finding id. */
export const DIGEST_ACTIONS = {
  acknowledge: 'zs_ack',
  suppress30: 'zs_suppress30',
  approve: 'zs_approve',
} as const;
export type DigestActionId = (typeof DIGEST_ACTIONS)[keyof typeof DIGEST_ACTIONS];

/** Block Kit limits (docs.slack.dev reference/block-kit): per message, per section text, per element. */
export const SLACK_LIMITS = {
  blocksPerMessage: 50,
  sectionText: 3000,
  confirmText: 300,
  /**
   * Not documented as a number: Slack answers `msg_blocks_too_long` once the blocks' text passes roughly 13,000
   * characters in total (slackapi/bolt-js#2509), well under 50 × 3000. Stay clear of it.
   */
  totalText: 12_000,
} as const;

/** Longest a single source value may run inside a finding's section, so one long message cannot crowd out others. */
const FIELD_LIMIT = 300;
const MESSAGE_LIMIT = 600;

export interface DigestOwner {
  employeeId: string;
  name: string | null;
  email: string | null;
}

export interface DigestFinding {
  id: number;
  severity: Severity;
  rule: string;
  source: string;
  accountId: string;
  login: string | null;
  email: string | null;
  displayName: string | null;
  /** Null when the account matched no one. */
  owner: DigestOwner | null;
  message: string;
  firstSeen: string;
  /** Opened (or reopened) by the digest's scan. */
  isNew: boolean;
  /** Set on a credential finding: then login/email name the owner account, and the card says it is a key. */
  credential?: { id: string; kind: string; name: string | null; lastUsedAt: string | null } | null;
  /** The account was used after its owner's termination took effect: the card says so first. */
  usedAfterTermination?: boolean;
  /** The severity was raised one level because the account or credential is privileged: shown as "(admin)". */
  severityRaisedForPrivilege?: boolean;
}

export interface DigestData {
  run: { id: number; status: string; startedAt: string; finishedAt: string | null };
  /** Sources whose collection failed in that run: their findings were neither opened nor resolved. */
  failedSources: { name: string; error: string | null }[];
  newBySeverity: Record<Severity, number>;
  openBySeverity: Record<Severity, number>;
  resolvedInRun: number;
  /**
   * Distinct accounts with an open finding showing use after the owner's termination: when any, the digest leads
   * with them. Absent from data gathered by older versions.
   */
  usedAfterTermination?: number;
  /** Open critical and high findings, in the order to show them. */
  urgent: DigestFinding[];
  /** Public URL of the reports folder (`serve.reportsUrl`), or null. */
  reportsUrl: string | null;
  /**
   * The remediation journal's head when the digest was made: posted with every digest, it is an anchor kept outside
   * the database (`zombiescan audit-log verify --anchor ID:HASH`) at no extra effort.
   */
  journalAnchor?: { id: number; hash: string; mac: string | null } | null;
}

export interface TextObject {
  type: 'plain_text' | 'mrkdwn';
  text: string;
  emoji?: boolean;
}

export interface ButtonElement {
  type: 'button';
  action_id: string;
  text: TextObject;
  value: string;
  style?: 'primary' | 'danger';
  confirm?: { title: TextObject; text: TextObject; confirm: TextObject; deny: TextObject; style?: 'danger' };
}

export type Block =
  | { type: 'header'; block_id?: string; text: TextObject }
  | { type: 'section'; block_id?: string; text: TextObject }
  | { type: 'context'; block_id?: string; elements: TextObject[] }
  | { type: 'divider'; block_id?: string }
  | { type: 'actions'; block_id?: string; elements: ButtonElement[] };

export interface SlackMessage {
  /** Notification and accessibility fallback; Slack shows the blocks. */
  text: string;
  blocks: Block[];
}

const SEVERITY_ORDER: readonly Severity[] = ['critical', 'high', 'medium', 'low'];
const SEVERITY_ICON: Record<Severity, string> = {
  critical: ':red_circle:',
  high: ':large_orange_circle:',
  medium: ':large_yellow_circle:',
  low: ':white_circle:',
};

/** Slack's formatting rules: only &, < and > must be escaped, and they must be (docs "Escaping text"). */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Cuts to `max` characters with an ellipsis; applied before escaping so an entity is never cut in half. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** A source value as one escaped line. */
function field(text: string, max = FIELD_LIMIT): string {
  return escapeMrkdwn(truncate(text.replace(/\s+/g, ' ').trim(), max));
}

/** Escaping can lengthen a text (& -> &amp;): cut again at a line boundary if it still does not fit. */
function fitSection(text: string, max = SLACK_LIMITS.sectionText): string {
  if (text.length <= max) return text;
  const cut = text.lastIndexOf('\n', max - 2);
  return `${text.slice(0, cut > 0 ? cut : max - 1)}\n…`;
}

export function findingBlockId(findingId: number): string {
  return `zs_finding:${findingId}`;
}

export function actionsBlockId(findingId: number): string {
  return `zs_actions:${findingId}`;
}

export function renderSlackDigest(data: DigestData): SlackMessage {
  const head: Block[] = [
    { type: 'header', text: { type: 'plain_text', text: 'zombiescan: findings digest', emoji: true } },
    {
      type: 'context',
      elements: [{ type: 'mrkdwn', text: runLine(data.run) }],
    },
  ];
  if (data.usedAfterTermination) {
    // The headline of a scan: use after departure is a possible incident, so it comes before everything else.
    head.push({
      type: 'section',
      block_id: 'zs_used_after_termination',
      text: {
        type: 'mrkdwn',
        text: `:rotating_light: *${usedAfterTerminationHeadline(data.usedAfterTermination, formatCount)}*`,
      },
    });
  }
  if (data.failedSources.length > 0) {
    // Said first and plainly: a failed source means the rest of the digest is silent about it, not clean.
    const lines = data.failedSources.map(
      (source) =>
        `:warning: *${field(source.name)}: FAILED* — findings for ${field(source.name)} were not updated` +
        (source.error ? ` (${field(source.error)})` : ''),
    );
    head.push({ type: 'section', block_id: 'zs_failed', text: { type: 'mrkdwn', text: fitSection(lines.join('\n')) } });
  }
  head.push({ type: 'section', block_id: 'zs_summary', text: { type: 'mrkdwn', text: summaryText(data) } });
  head.push({ type: 'divider' });

  const footerElements = [fullListText(data.reportsUrl)];
  if (data.journalAnchor) {
    const { id, hash, mac } = data.journalAnchor;
    footerElements.push({
      type: 'mrkdwn',
      text: `Journal anchor: \`${id}:${hash}\`${mac ? ` · MAC \`${mac}\`` : ' (unauthenticated: no audit.key)'}`,
    });
  }
  const footer: Block = { type: 'context', block_id: 'zs_full_list', elements: footerElements };
  const findingBlocks: Block[] = [];
  // One context block is held back for "…and N more" so the message never exceeds 50 blocks.
  const blockBudget = SLACK_LIMITS.blocksPerMessage - head.length - 2;
  let textBudget = SLACK_LIMITS.totalText - textLength(head) - textLength([footer]) - 200;
  let shown = 0;
  for (const finding of data.urgent) {
    const blocks = renderFinding(finding);
    const cost = textLength(blocks);
    if (findingBlocks.length + blocks.length > blockBudget || cost > textBudget) break;
    findingBlocks.push(...blocks);
    textBudget -= cost;
    shown++;
  }
  if (data.urgent.length === 0) {
    findingBlocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: ':white_check_mark: No open critical or high findings.' },
    });
  }
  const hidden = data.urgent.length - shown;
  if (hidden > 0) {
    findingBlocks.push({
      type: 'context',
      block_id: 'zs_more',
      elements: [
        {
          type: 'mrkdwn',
          text: `…and ${hidden} more critical/high finding${hidden === 1 ? '' : 's'} not shown here: see the full list below.`,
        },
      ],
    });
  }
  return { text: fallbackText(data), blocks: [...head, ...findingBlocks, footer] };
}

function runLine(run: DigestData['run']): string {
  const when = (run.finishedAt ?? run.startedAt).replace('T', ' ').slice(0, 16);
  const status = run.status === 'complete' ? 'complete' : `*${escapeMrkdwn(run.status.toUpperCase())}*`;
  return `Scan #${run.id} · finished ${when} UTC · ${status}`;
}

const COUNT = new Intl.NumberFormat('en-US');

function formatCount(count: number): string {
  return COUNT.format(count);
}

function countsLine(counts: Record<Severity, number>): string {
  return SEVERITY_ORDER.map((severity) => `${formatCount(counts[severity])} ${severity}`).join(' · ');
}

function summaryText(data: DigestData): string {
  const newTotal = SEVERITY_ORDER.reduce((sum, severity) => sum + data.newBySeverity[severity], 0);
  const lines = [
    newTotal === 0
      ? '*New since the last scan:* nothing'
      : `*New since the last scan:* ${countsLine(data.newBySeverity)}`,
    `*Open now:* ${countsLine(data.openBySeverity)}`,
  ];
  if (data.resolvedInRun > 0) lines.push(`*Resolved by this scan:* ${formatCount(data.resolvedInRun)}`);
  return lines.join('\n');
}

function accountLabel(finding: DigestFinding): string {
  const name = finding.login ?? finding.email ?? finding.accountId;
  const display = finding.displayName && finding.displayName !== name ? ` (${field(finding.displayName)})` : '';
  return `${field(name)}${display}`;
}

function ownerLabel(owner: DigestOwner | null): string {
  if (!owner) return '_no one in the HR roster_';
  const details = [owner.email, owner.employeeId]
    .filter((part): part is string => Boolean(part))
    .map((part) => field(part));
  return owner.name ? `${field(owner.name)} (${details.join(', ')})` : details.join(', ');
}

function renderFinding(finding: DigestFinding): Block[] {
  const text = [
    `${SEVERITY_ICON[finding.severity]} *${finding.severity.toUpperCase()}*` +
      (finding.severityRaisedForPrivilege ? ' (admin)' : '') +
      ` · \`${field(finding.rule, 80)}\`` +
      (finding.isNew ? ' · *NEW*' : '') +
      (finding.usedAfterTermination ? ' · :rotating_light: *USED AFTER TERMINATION*' : ''),
    finding.credential
      ? `*System:* ${field(finding.source, 80)} · :key: *Credential:* \`${field(finding.credential.kind, 40)}\` ` +
        `${field(finding.credential.name ?? finding.credential.id)} · *Owner account:* ` +
        `${finding.accountId === '' && !finding.login && !finding.email ? '_none_' : accountLabel(finding)} · ` +
        `*Last used:* ${finding.credential.lastUsedAt ? finding.credential.lastUsedAt.slice(0, 10) : 'never or unknown'}`
      : `*System:* ${field(finding.source, 80)} · *Account:* ${accountLabel(finding)}`,
    `*Owner:* ${ownerLabel(finding.owner)}`,
    `*Why:* ${field(finding.message, MESSAGE_LIMIT)}`,
    `_Finding ${finding.id} · first seen ${finding.firstSeen.slice(0, 10)}_`,
  ].join('\n');
  const value = String(finding.id);
  const what = truncate(
    finding.credential
      ? `${finding.source} ${finding.credential.kind} ${finding.credential.name ?? finding.credential.id} (finding ${finding.id})`
      : `${finding.source} account ${finding.login ?? finding.email ?? finding.accountId} (finding ${finding.id})`,
    160,
  );
  return [
    { type: 'section', block_id: findingBlockId(finding.id), text: { type: 'mrkdwn', text: fitSection(text) } },
    {
      type: 'actions',
      block_id: actionsBlockId(finding.id),
      elements: [
        { type: 'button', action_id: DIGEST_ACTIONS.acknowledge, text: plain('Acknowledge'), value },
        {
          type: 'button',
          action_id: DIGEST_ACTIONS.suppress30,
          text: plain('Suppress 30 days'),
          value,
          confirm: {
            title: plain('Suppress for 30 days?'),
            text: plain(
              truncate(`Hide the ${what} for 30 days. It reopens then if still true.`, SLACK_LIMITS.confirmText),
            ),
            confirm: plain('Suppress'),
            deny: plain('Cancel'),
          },
        },
        {
          type: 'button',
          action_id: DIGEST_ACTIONS.approve,
          text: plain('Approve remediation'),
          value,
          style: 'danger',
          confirm: {
            title: plain('Approve remediation?'),
            text: plain(
              truncate(
                `Apply the remediation policy to the ${what}, with the same safety checks as \`zombiescan remediate --apply\`.`,
                SLACK_LIMITS.confirmText,
              ),
            ),
            confirm: plain('Approve'),
            deny: plain('Cancel'),
            style: 'danger',
          },
        },
      ],
    },
  ];
}

function plain(text: string): TextObject {
  return { type: 'plain_text', text };
}

function fullListText(reportsUrl: string | null): TextObject {
  if (reportsUrl) {
    const url = `${reportsUrl.replace(/\/+$/, '')}/findings.csv`;
    // A link target cannot hold | or > (they end the link); percent-encode them rather than trust the config.
    const safe = url.replace(/[|<>]/g, (c) => encodeURIComponent(c)).replace(/&/g, '&amp;');
    return {
      type: 'mrkdwn',
      text: `Full list: <${safe}|findings.csv> · or \`zombiescan findings\` on the scanner host`,
    };
  }
  return {
    type: 'mrkdwn',
    text: 'Full list: run `zombiescan report findings --format csv > findings.csv` on the scanner host (set `serve.reportsUrl` to link it here)',
  };
}

function fallbackText(data: DigestData): string {
  const parts = [`zombiescan scan #${data.run.id}`];
  if (data.usedAfterTermination) {
    parts.push(usedAfterTerminationHeadline(data.usedAfterTermination, formatCount).toUpperCase());
  }
  if (data.failedSources.length > 0) {
    parts.push(`${data.failedSources.map((source) => source.name).join(', ')} FAILED`);
  }
  parts.push(`new: ${data.newBySeverity.critical} critical, ${data.newBySeverity.high} high`);
  parts.push(`open: ${data.openBySeverity.critical} critical, ${data.openBySeverity.high} high`);
  return truncate(parts.join(' · '), 3000);
}

function textLength(blocks: readonly Block[]): number {
  let total = 0;
  for (const block of blocks) {
    if (block.type === 'header' || block.type === 'section') total += block.text.text.length;
    else if (block.type === 'context') total += block.elements.reduce((sum, element) => sum + element.text.length, 0);
    else if (block.type === 'actions') {
      for (const element of block.elements) {
        total += element.text.text.length + element.value.length;
        if (element.confirm) total += element.confirm.title.text.length + element.confirm.text.text.length;
      }
    }
  }
  return total;
}

/** What a decision leaves on the message: a line under the finding and the buttons that still make sense. */
export interface DecisionMark {
  findingId: number;
  /** mrkdwn, already escaped by the caller where it holds outside values. */
  line: string;
  /** Buttons to keep (acknowledging leaves suppress and approve; a final decision leaves none). */
  keepActions: readonly DigestActionId[];
}

/**
 * Applies a decision to the digest as Slack holds it (the `message.blocks` of the click): appends the decision
 * line to the finding's section and trims its buttons. Blocks it does not know are passed through unchanged, so an
 * edit never loses what Slack added (block ids, `verbatim` flags). The block count never grows past the original
 * unless the finding's section is missing, where a context line is appended (within the 50-block limit).
 */
export function markDecision(blocks: readonly unknown[], mark: DecisionMark): unknown[] {
  const sectionId = findingBlockId(mark.findingId);
  const actionsId = actionsBlockId(mark.findingId);
  let marked = false;
  const result: unknown[] = [];
  for (const block of blocks) {
    const record = block as { type?: unknown; block_id?: unknown; text?: TextObject; elements?: unknown[] };
    if (record.block_id === sectionId && record.type === 'section' && record.text) {
      const text = `${record.text.text}\n${mark.line}`;
      result.push({ ...record, text: { ...record.text, text: fitSection(text) } });
      marked = true;
    } else if (record.block_id === actionsId && Array.isArray(record.elements)) {
      const elements = record.elements.filter((element) =>
        mark.keepActions.includes((element as { action_id?: string }).action_id as DigestActionId),
      );
      if (elements.length > 0) result.push({ ...record, elements });
    } else {
      result.push(block);
    }
  }
  if (!marked && result.length < SLACK_LIMITS.blocksPerMessage) {
    result.push({
      type: 'context',
      block_id: `zs_decision:${mark.findingId}`,
      elements: [{ type: 'mrkdwn', text: mark.line }],
    });
  }
  return result;
}
