import { createCollector } from '../../../collectors/index.js';
import { loadRoster } from '../../../collectors/hr-roster/index.js';
import type { CollectorDeps } from '../../contract/collector.js';
import { listFindings } from '../../store/findings.js';
import { SEVERITIES, severityRank, type Severity } from '../../contract/model.js';
import type { ScanResult } from '../../contract/run.js';
import { runScan } from '../../scan/scan.js';
import { renderScanSummary } from '../../../reports/scan-summary.js';
import type { CliContext } from '../context.js';
import { createProgress } from '../progress.js';

export interface ScanCommandOptions {
  source?: string[];
  acceptRosterChange?: boolean;
  failOn?: Severity;
}

export async function scanCommand(ctx: CliContext, options: ScanCommandOptions): Promise<number> {
  const result = await scanWithProgress(ctx, options);
  if (ctx.json) ctx.outJson(result);
  else ctx.out(summaryText(ctx, result));
  return scanExitCode(ctx, result, options.failOn ?? ctx.config().scan.failOn);
}

export async function scanWithProgress(
  ctx: CliContext,
  options: ScanCommandOptions,
  collectorDeps?: CollectorDeps,
): Promise<ScanResult> {
  const config = ctx.config();
  const rules = ctx.rules();
  const db = ctx.db();
  const progress = createProgress(ctx.io.stderr);
  try {
    return await runScan(db, config, {
      sources: options.source ?? [],
      acceptRosterChange: options.acceptRosterChange ?? false,
      now: ctx.io.now,
      log: ctx.log,
      progress,
      createCollector,
      collectorDeps,
      loadRoster: (c) => loadRoster(c.roster, c.timezone),
      rules,
    });
  } finally {
    progress.done();
  }
}

export function summaryText(ctx: CliContext, result: ScanResult, footer: string[] = []): string {
  const db = ctx.db();
  return renderScanSummary(result, {
    critical: listFindings(db, { severity: 'critical' }),
    high: listFindings(db, { severity: 'high' }),
    color: ctx.color,
    footer,
  });
}

/** 1 when a source failed (incomplete data is the louder problem), else 3 when --fail-on is met, else 0. */
export function scanExitCode(ctx: CliContext, result: ScanResult, failOn: Severity | undefined): number {
  if (result.sources.some((source) => source.status === 'failed')) return 1;
  if (failOn) {
    const met = SEVERITIES.filter((severity) => severityRank(severity) >= severityRank(failOn)).some(
      (severity) => result.findings.open[severity] > 0,
    );
    if (met) {
      ctx.log.warn(`--fail-on ${failOn}: open findings at or above ${failOn}`);
      return 3;
    }
  }
  return 0;
}
