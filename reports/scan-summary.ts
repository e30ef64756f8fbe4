import type { Finding, Severity } from '../src/contract/model.js';
import { colors, formatDuration, paintSeverity } from './terminal.js';

/** What the summary shows of a finished scan (the `ScanResult` src/scan/scan.ts returns has these fields). */
export interface ScanSummaryData {
  runId: number;
  status: 'complete' | 'partial';
  startedAt: string;
  finishedAt: string;
  people: number;
  sources: readonly {
    name: string;
    role: 'idp' | 'app';
    status: 'complete' | 'failed';
    accounts: number;
    activityKnown: boolean | null;
    error: string | null;
    notices: readonly string[];
  }[];
  findings: { open: Record<Severity, number>; newThisRun: number; resolved: number; reopened: number };
}

/**
 * What a security lead reads after a scan: was the data complete, how many zombies by severity, and the critical
 * ones by name. Everything else is one command away.
 */
export function renderScanSummary(
  result: ScanSummaryData,
  context: {
    critical: readonly Finding[];
    high: readonly Finding[];
    color: boolean;
    /** Lines appended verbatim (where the CSV was written, what to run next). */
    footer?: string[];
  },
): string {
  const c = colors(context.color);
  const lines: string[] = [];
  const took = formatDuration(Date.parse(result.finishedAt) - Date.parse(result.startedAt));
  const status = result.status === 'complete' ? c.green('complete') : c.red('PARTIAL: a source failed');
  lines.push(
    `${c.bold(`Scan #${result.runId}`)} ${status} at ${result.finishedAt.replace('T', ' ').slice(0, 16)} UTC (${took})`,
  );
  lines.push(`HR roster: ${result.people} people`);
  lines.push('');
  lines.push(c.bold('Sources'));
  const width = Math.max(...result.sources.map((source) => source.name.length + (source.role === 'idp' ? 6 : 0)));
  for (const source of result.sources) {
    const name = `${source.name}${source.role === 'idp' ? ' (idp)' : ''}`.padEnd(width);
    if (source.status === 'failed') {
      lines.push(`  ${name}  ${c.red('FAILED')}    ${source.error ?? ''}`);
      lines.push(
        `  ${' '.repeat(width)}  ${c.dim('kept its last complete snapshot; its findings were left as they were')}`,
      );
    } else {
      const activity = source.activityKnown === false ? c.yellow('  activity unknown') : '';
      lines.push(`  ${name}  ${c.green('complete')}  ${String(source.accounts).padStart(7)} accounts${activity}`);
    }
    for (const notice of source.notices) lines.push(`  ${' '.repeat(width)}  ${c.yellow('note:')} ${notice}`);
  }
  lines.push('');
  const open = result.findings.open;
  const order: Severity[] = ['critical', 'high', 'medium', 'low'];
  const total = order.reduce((sum, severity) => sum + open[severity], 0);
  lines.push(
    `${c.bold('Open findings')}: ${total}  (${order.map((s) => `${open[s]} ${paintSeverity(c, s)}`).join(' · ')})`,
  );
  lines.push(
    `  ${result.findings.newThisRun} new this scan, ${result.findings.resolved} resolved` +
      (result.findings.reopened > 0 ? `, ${result.findings.reopened} reopened` : ''),
  );
  const named = (title: string, findings: readonly Finding[], limit: number) => {
    if (findings.length === 0) return;
    lines.push('');
    lines.push(c.bold(title));
    for (const finding of findings.slice(0, limit)) {
      lines.push(`  #${finding.id} ${c.dim(`[${finding.rule} · ${finding.source}]`)} ${finding.message}`);
    }
    if (findings.length > limit) lines.push(c.dim(`  … and ${findings.length - limit} more`));
  };
  named('Critical', context.critical, 20);
  named('High', context.high, 10);
  if (context.footer?.length) {
    lines.push('');
    lines.push(...context.footer);
  }
  return lines.join('\n') + '\n';
}
