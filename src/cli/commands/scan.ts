import { existsSync, rmSync } from 'node:fs';
import { createCollector } from '../../../collectors/index.js';
import { InterruptedError, ZombiescanError } from '../../contract/errors.js';
import { loadRoster } from '../../../collectors/hr-roster/index.js';
import type { CollectorDeps } from '../../contract/collector.js';
import { SEVERITIES, severityRank, type Severity } from '../../contract/model.js';
import type { ScanResult } from '../../contract/run.js';
import { runScan } from '../../scan/scan.js';
import { renderScanSummary } from '../../../reports/scan-summary.js';
import { gatherScanSummary } from '../../reporting/scan-summary.js';
import type { CliContext } from '../context.js';
import { createProgress } from '../progress.js';

export interface ScanCommandOptions {
  source?: string[];
  acceptRosterChange?: boolean;
  acceptEmptyRoster?: boolean;
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
  const databaseFile = ctx.databaseFile();
  const databaseExisted = existsSync(databaseFile);
  const db = ctx.db();
  const progress = createProgress(ctx.io.stderr);
  // Ctrl-C or SIGTERM aborts the scan before its commit; a second Ctrl-C kills the process as usual.
  const interrupt = new AbortController();
  const onSignal = () => interrupt.abort(new InterruptedError());
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await runScan(db, config, {
      signal: interrupt.signal,
      sources: options.source ?? [],
      acceptRosterChange: options.acceptRosterChange ?? false,
      acceptEmptyRoster: options.acceptEmptyRoster ?? false,
      now: ctx.io.now,
      log: ctx.log,
      progress,
      createCollector,
      collectorDeps,
      loadRoster: (c) => loadRoster(c.roster, c.timezone),
      rules,
    });
  } catch (error) {
    if (interrupt.signal.aborted) throw new InterruptedError();
    // A scan refused before it began (bad roster, roster guard) leaves no database behind it did not find.
    if (!databaseExisted && error instanceof ZombiescanError && error.exitCode === 2) {
      ctx.close();
      for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(databaseFile + suffix, { force: true });
    }
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    progress.done();
  }
}

export function summaryText(ctx: CliContext, result: ScanResult, footer: string[] = []): string {
  return renderScanSummary(result, {
    ...gatherScanSummary(ctx.db()),
    color: ctx.color,
    footer,
    durationMs: ctx.elapsedMs(),
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
