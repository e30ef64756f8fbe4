import type { Finding, Severity } from '../src/contract/model.js';
import type { ScanResult } from '../src/contract/run.js';
import { visible } from '../src/common/terminal-text.js';
import {
  headlineMessage,
  severityRaisedForPrivilege,
  usedAfterTermination,
  usedAfterTerminationHeadline,
} from '../src/contract/finding-facts.js';
import { colors, formatCount, formatDuration, paintSeverity } from './terminal.js';

/** How many critical and high findings a summary names; the rest are counted (the scan's own open counts). */
export const NAMED_IN_SUMMARY = { critical: 20, high: 10 } as const;

/** The summary's model, gathered by src/reporting/scan-summary.ts. */
export interface ScanSummaryFindings {
  /** The first NAMED_IN_SUMMARY open findings of each severity, used after termination first. */
  critical: readonly Finding[];
  high: readonly Finding[];
  /**
   * Open findings whose account was used after the owner's termination, and how many distinct accounts they are:
   * the summary leads with them.
   */
  usedAfterTermination?: { accounts: number; findings: readonly Finding[] };
}

/**
 * What a security lead reads after a scan: was the data complete, how many zombies by severity, and the critical
 * ones by name. Everything else is one command away.
 */
export function renderScanSummary(
  result: ScanResult,
  context: ScanSummaryFindings & {
    color: boolean;
    /** Lines appended verbatim (where the CSV was written, what to run next). */
    footer?: string[];
    /**
     * How long the whole command took, from its start (config, roster and all): what the user waited. Without it,
     * the scan's own start to finish.
     */
    durationMs?: number;
  },
): string {
  const c = colors(context.color);
  const lines: string[] = [];
  const took = formatDuration(context.durationMs ?? Date.parse(result.finishedAt) - Date.parse(result.startedAt));
  const status = result.status === 'complete' ? c.green('complete') : c.red('PARTIAL: a source failed');
  lines.push(
    `${c.bold(`Scan #${result.runId}`)} ${status} at ${result.finishedAt.replace('T', ' ').slice(0, 16)} UTC (${took})`,
  );
  const used = context.usedAfterTermination;
  if (used && used.accounts > 0) {
    // Said before anything else: use after departure is a possible incident, not a hygiene gap.
    const ids = used.findings.map((finding) => `#${finding.id}`);
    lines.push(
      `${c.bold(c.red(`ALERT: ${usedAfterTerminationHeadline(used.accounts, formatCount)}`))} ` +
        `(finding${ids.length === 1 ? '' : 's'} ${ids.slice(0, 10).join(', ')}${ids.length > 10 ? ', …' : ''})`,
    );
  }
  lines.push(`HR roster: ${formatCount(result.people)} people`);
  lines.push('');
  lines.push(c.bold('Sources'));
  const width = Math.max(...result.sources.map((source) => source.name.length + (source.role === 'idp' ? 6 : 0)));
  for (const source of result.sources) {
    const name = `${source.name}${source.role === 'idp' ? ' (idp)' : ''}`.padEnd(width);
    if (source.status === 'failed') {
      lines.push(`  ${name}  ${c.red('FAILED')}    ${visible(source.error ?? '')}`);
      lines.push(
        `  ${' '.repeat(width)}  ${c.dim('kept its last complete snapshot; its findings were left as they were')}`,
      );
    } else {
      const activity = source.activityKnown === false ? c.yellow('  activity unknown') : '';
      lines.push(`  ${name}  ${c.green('complete')}  ${formatCount(source.accounts).padStart(7)} accounts${activity}`);
    }
    for (const notice of source.notices) lines.push(`  ${' '.repeat(width)}  ${c.yellow('note:')} ${visible(notice)}`);
  }
  lines.push('');
  const open = result.findings.open;
  const order: Severity[] = ['critical', 'high', 'medium', 'low'];
  const total = order.reduce((sum, severity) => sum + open[severity], 0);
  lines.push(
    `${c.bold('Open findings')}: ${formatCount(total)}  (${order
      .map((s) => `${formatCount(open[s])} ${paintSeverity(c, s)}`)
      .join(' · ')})`,
  );
  lines.push(`  This scan: ${changesLine(result.findings)}`);
  const named = (title: string, severity: 'critical' | 'high') => {
    const findings = context[severity];
    if (findings.length === 0) return;
    lines.push('');
    lines.push(c.bold(title));
    // Use after termination first, then the order given (most severe, oldest).
    const ordered = [...findings].sort((a, b) => Number(usedAfterTermination(b)) - Number(usedAfterTermination(a)));
    for (const finding of ordered.slice(0, NAMED_IN_SUMMARY[severity])) {
      const admin = severityRaisedForPrivilege(finding) ? ` ${c.yellow('(admin)')}` : '';
      lines.push(
        `  #${finding.id}${admin} ${c.dim(`[${finding.rule} · ${visible(finding.source)}]`)} ` +
          visible(headlineMessage(finding)),
      );
    }
    const shown = Math.min(NAMED_IN_SUMMARY[severity], ordered.length);
    if (open[severity] > shown) lines.push(c.dim(`  … and ${formatCount(open[severity] - shown)} more`));
  };
  named('Critical', 'critical');
  named('High', 'high');
  if (context.footer?.length) {
    lines.push('');
    lines.push(...context.footer);
  }
  return lines.join('\n') + '\n';
}

/**
 * "29 new, 2 reopened, 1 suppressed by an exception, 3 resolved": every number says what it counts, so the open
 * total above adds up (a new finding a standing exception covers is not open, and is not counted as new here).
 */
export function changesLine(findings: ScanResult['findings']): string {
  const parts = [`${formatCount(findings.opened - findings.openedSuppressed)} new`];
  if (findings.reopened > 0) parts.push(`${formatCount(findings.reopened)} reopened`);
  if (findings.openedSuppressed > 0) {
    parts.push(`${formatCount(findings.openedSuppressed)} suppressed by an exception`);
  }
  parts.push(`${formatCount(findings.resolved)} resolved`);
  return parts.join(', ');
}
