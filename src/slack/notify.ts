import { journalHead } from '../store/journal.js';
import {
  escapeMrkdwn,
  renderSlackDigest,
  truncate,
  type DigestData,
  type DigestFinding,
  type SlackMessage,
} from '../../reports/slack-digest.js';
import type { Config } from '../config/config.js';
import type { SlackChat } from '../contract/chat.js';
import { ConfigError, UsageError } from '../contract/errors.js';
import { listFindings } from '../store/findings.js';
import type { Logger } from '../common/logger.js';
import type { Severity } from '../contract/model.js';
import { openBySeverity } from '../store/findings.js';
import type { Db } from '../store/database.js';
import {
  countFindingsResolvedByRun,
  listFailedSourcesOfRun,
  listFindingsOpenedByRun,
  rosterContacts,
} from '../store/digest-queries.js';
import { latestFinishedRun } from '../store/runs.js';
import {
  accountsUsedAfterTermination,
  headlineMessage,
  severityRaisedForPrivilege,
  usedAfterTermination,
} from '../contract/finding-facts.js';

/**
 * `zombiescan notify`: the findings digest of the last finished scan, posted to `slack.channel`. Gathering the data
 * (here) is separate from rendering it (reports/slack-digest.ts) and from the Slack client (a SlackChat the CLI
 * passes in: src/cli/slack-chat.ts).
 */

export type SlackNotifyConfig = NonNullable<Config['slack']>;

export function requireSlack(config: Config): SlackNotifyConfig {
  if (!config.slack) {
    throw new ConfigError(
      `${config.file}: no \`slack:\` section: add slack.token ("\${SLACK_BOT_TOKEN}") and slack.channel to post the digest`,
    );
  }
  return config.slack;
}

/**
 * The digest of the last finished (complete or partial) scan. "New" = findings that run opened or reopened and
 * that are still open: a finding whose suppression lapsed counts as new, since it needs a decision again.
 */
export function collectDigest(db: Db, config: Config): DigestData {
  const run = latestFinishedRun(db);
  if (!run) throw new UsageError('no finished scan in the database yet: run `zombiescan scan` first');

  const failedSources = listFailedSourcesOfRun(db, run.id);
  const newIds = new Set(listFindingsOpenedByRun(db, run.id));
  const resolvedInRun = countFindingsResolvedByRun(db, run.id);

  const owners = rosterContacts(db);
  const newBySeverity: Record<Severity, number> = { critical: 0, high: 0, medium: 0, low: 0 };
  const urgent: DigestFinding[] = [];
  const open = listFindings(db, { status: 'open' });
  for (const finding of open) {
    const isNew = newIds.has(finding.id);
    if (isNew) newBySeverity[finding.severity]++;
    if (finding.severity !== 'critical' && finding.severity !== 'high') continue;
    const owner = finding.personId ? owners(finding.personId) : undefined;
    urgent.push({
      id: finding.id,
      severity: finding.severity,
      rule: finding.rule,
      source: finding.source,
      accountId: finding.accountId,
      login: finding.login,
      email: finding.email,
      displayName: finding.displayName,
      owner: finding.personId
        ? { employeeId: finding.personId, name: owner?.name ?? null, email: owner?.email ?? null }
        : null,
      message: headlineMessage(finding),
      firstSeen: finding.firstSeen,
      isNew,
      usedAfterTermination: usedAfterTermination(finding),
      severityRaisedForPrivilege: severityRaisedForPrivilege(finding),
      credential:
        finding.credentialId && finding.credential
          ? {
              id: finding.credentialId,
              kind: finding.credential.kind,
              name: finding.credential.name,
              lastUsedAt: finding.credential.lastUsedAt,
            }
          : null,
    });
  }
  // listFindings is most severe first, then oldest: use after termination first of all, then within a severity
  // what is new first.
  const rank = (finding: DigestFinding) =>
    (finding.usedAfterTermination ? 0 : 4) + (finding.severity === 'critical' ? 0 : 2) + (finding.isNew ? 0 : 1);
  urgent.sort((a, b) => rank(a) - rank(b));

  return {
    run: { id: run.id, status: run.status, startedAt: run.startedAt, finishedAt: run.finishedAt },
    failedSources,
    newBySeverity,
    openBySeverity: openBySeverity(db),
    resolvedInRun,
    usedAfterTermination: accountsUsedAfterTermination(open),
    urgent,
    reportsUrl: config.serve.reportsUrl ?? null,
    journalAnchor: journalHead(db),
  };
}

export interface NotifyResult {
  channel: string;
  ts: string;
  runId: number;
  /** Open critical/high findings at the time of the digest (the message may show fewer: Block Kit limits). */
  urgent: number;
  failedSources: string[];
}

export async function postDigest(
  db: Db,
  config: Config,
  deps: { chat: SlackChat; log: Logger },
): Promise<NotifyResult> {
  const slack = requireSlack(config);
  const data = collectDigest(db, config);
  const message: SlackMessage = renderSlackDigest(data);
  // Never retried on a 5xx or a cut connection: Slack may have posted it, and a duplicate digest invites two
  // reviewers to decide the same finding.
  const posted: { channel?: unknown; ts?: unknown } = await deps.chat.call(
    'chat.postMessage',
    { channel: slack.channel, text: message.text, blocks: message.blocks, unfurl_links: false, unfurl_media: false },
    { retryTransient: false },
  );
  const result: NotifyResult = {
    channel: typeof posted.channel === 'string' ? posted.channel : slack.channel,
    ts: typeof posted.ts === 'string' ? posted.ts : '',
    runId: data.run.id,
    urgent: data.urgent.length,
    failedSources: data.failedSources.map((source) => source.name),
  };
  deps.log.info('digest posted to Slack', {
    channel: result.channel,
    ts: result.ts,
    runId: result.runId,
    urgentFindings: result.urgent,
    failedSources: result.failedSources,
  });
  return result;
}

/**
 * A scheduled scan that did not run at all (roster guard, unreadable roster): said in the channel, because a digest
 * that silently does not come reads as "nothing new".
 */
export async function postScanFailure(
  config: Config,
  deps: { chat: SlackChat; log: Logger },
  reason: string,
): Promise<void> {
  const slack = requireSlack(config);
  const text =
    `:rotating_light: zombiescan: the scheduled scan did not run, findings were not updated: ` +
    escapeMrkdwn(truncate(reason, 2000));
  await deps.chat.call('chat.postMessage', { channel: slack.channel, text }, { retryTransient: false });
  deps.log.info('scan failure posted to Slack', { channel: slack.channel });
}

/**
 * Critical findings a run opened (or reopened) that are still open, posted at once, one message each: used by
 * `serve` after the sign-in poll, because an incident in progress must not wait for the next digest.
 */
export async function postNewCriticalFindings(
  db: Db,
  config: Config,
  deps: { chat: SlackChat; log: Logger },
  runId: number,
): Promise<number> {
  const slack = requireSlack(config);
  const opened = new Set(listFindingsOpenedByRun(db, runId));
  const critical = listFindings(db, { status: 'open' }).filter(
    (finding) => finding.severity === 'critical' && opened.has(finding.id),
  );
  for (const finding of critical) {
    const text =
      `:rotating_light: zombiescan: critical finding #${finding.id} (${finding.rule}, ${finding.source}): ` +
      escapeMrkdwn(truncate(headlineMessage(finding), 2500));
    await deps.chat.call(
      'chat.postMessage',
      { channel: slack.channel, text, unfurl_links: false },
      { retryTransient: false },
    );
  }
  if (critical.length > 0) deps.log.info('critical findings posted to Slack', { runId, findings: critical.length });
  return critical.length;
}
