import type { Logger } from '../common/logger.js';
import type { ScanResult } from '../contract/run.js';
import { jobOutcome, type Job } from './schedule.js';

/**
 * The sign-in poll of `zombiescan serve` (`signIns.pollMinutes`): read every sign-in log from its cursor; when events
 * of accounts of interest arrived, scan the sources they came from (which evaluates the rules and commits findings
 * like any scan) and post any new critical finding to Slack at once, not at the next digest. A leaver's sign-in is
 * seen within minutes without re-collecting every account of every source each time.
 */

/** What a poll says per source (the engine's pollSignIns result). */
export interface PolledSource {
  name: string;
  status: 'complete' | 'failed' | 'skipped';
  newEvents: number;
  detail: string | null;
}

export interface SignInPollJobDeps {
  poll(signal: AbortSignal): Promise<PolledSource[]>;
  scan(signal: AbortSignal, sources: string[]): Promise<ScanResult>;
  /** Posts the critical findings the scan opened; absent when Slack is not configured. */
  postCritical?: (runId: number, signal: AbortSignal) => Promise<unknown>;
  log: Logger;
  now?: () => Date;
}

export function createSignInPollJob(deps: SignInPollJobDeps): Job {
  const now = deps.now ?? (() => new Date());
  return async (signal, trigger) => {
    const startedAt = now().toISOString();
    const outcome = jobOutcome(trigger, startedAt, now);
    try {
      const polled = await deps.poll(signal);
      const failed = polled.filter((source) => source.status === 'failed');
      const fresh = polled.filter((source) => source.newEvents > 0).map((source) => source.name);
      deps.log.info('sign-in logs polled', {
        newEvents: Object.fromEntries(polled.map((source) => [source.name, source.newEvents])),
        failed: failed.map((source) => source.name),
      });
      if (fresh.length === 0) {
        return outcome(failed.length > 0 ? 'partial' : 'complete', {
          error: failed.length > 0 ? failed.map((source) => `${source.name}: ${source.detail}`).join('; ') : null,
        });
      }
      const scan = await deps.scan(signal, fresh);
      deps.log.info('scan after new sign-in events', {
        runId: scan.runId,
        sources: fresh,
        new: scan.findings.newThisRun,
      });
      if (deps.postCritical && !signal.aborted) {
        try {
          await deps.postCritical(scan.runId, signal);
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          deps.log.error('critical findings not posted to Slack', { runId: scan.runId, error: message });
          return outcome('failed', { runId: scan.runId, error: `critical findings not posted: ${message}` });
        }
      }
      return outcome(scan.status, { runId: scan.runId });
    } catch (error) {
      if (signal.aborted) return outcome('interrupted', { error: 'interrupted' });
      const message = error instanceof Error ? error.message : String(error);
      deps.log.error('sign-in poll failed', { error: message });
      return outcome('failed', { error: message });
    }
  };
}
