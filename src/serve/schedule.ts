import cron, { type ScheduledTask } from 'node-cron';
import { ConfigError, ZombiescanError } from '../contract/errors.js';
import type { Logger } from '../common/logger.js';
import type { ScanResult } from '../contract/run.js';
import type { RemediationOutcome } from '../slack/interactivity.js';

/**
 * The nightly job of `zombiescan serve` and the scheduler that runs it: scan, then the Slack digest, then
 * policy-driven remediation when `remediation.autoApply` is on. One job at a time: a tick that finds the previous
 * job still running is skipped and logged (a slow scan must never race the next one over the same database).
 */

/** `poll`: the sign-in log poll between scheduled scans (`signIns.pollMinutes`). */
export type JobTrigger = 'schedule' | 'once' | 'poll';

export interface JobOutcome {
  trigger: JobTrigger;
  startedAt: string;
  finishedAt: string;
  /** `failed`: the scan did not run or the digest/remediation failed; `interrupted`: aborted (shutdown). */
  status: 'complete' | 'partial' | 'failed' | 'interrupted';
  runId: number | null;
  /** What went wrong, safe to log and show (no secrets: messages are our own and redacted by the logger). */
  error: string | null;
  /** SPEC exit code the job would have as a command: 0, 1 (source/action failed), 2 (bad config/input). */
  exitCode: number;
}

export interface NightlyJobDeps {
  scan(signal: AbortSignal): Promise<ScanResult>;
  /** Posts the digest; absent when Slack is not configured. */
  notify?: (signal: AbortSignal) => Promise<unknown>;
  /** Says in Slack that the scan could not run at all; absent when Slack is not configured. */
  alert?: (reason: string, signal: AbortSignal) => Promise<unknown>;
  /** Applies the remediation policy; present only when `remediation.autoApply` is on. */
  remediate?: (signal: AbortSignal) => Promise<RemediationOutcome[]>;
  log: Logger;
  now?: () => Date;
}

export type Job = (signal: AbortSignal, trigger: JobTrigger) => Promise<JobOutcome>;

/** How a job that started at `startedAt` ended: exit code 0 only when complete. */
export function jobOutcome(trigger: JobTrigger, startedAt: string, now: () => Date) {
  return (status: JobOutcome['status'], fields: Partial<JobOutcome> = {}): JobOutcome => ({
    trigger,
    startedAt,
    finishedAt: now().toISOString(),
    status,
    runId: null,
    error: null,
    exitCode: status === 'complete' ? 0 : 1,
    ...fields,
  });
}

export function createNightlyJob(deps: NightlyJobDeps): Job {
  const now = deps.now ?? (() => new Date());
  return async (signal, trigger) => {
    const startedAt = now().toISOString();
    const outcome = jobOutcome(trigger, startedAt, now);
    const { log } = deps;
    log.info('scheduled job started', { trigger });

    let scan: ScanResult;
    try {
      scan = await deps.scan(signal);
    } catch (error) {
      if (signal.aborted) {
        log.warn('scan interrupted: nothing of it was committed', { trigger });
        return outcome('interrupted', { error: 'interrupted' });
      }
      const message = describe(error);
      log.error('scan failed', { trigger, error: message });
      if (deps.alert) {
        await deps.alert(message, signal).catch((alertError: unknown) => {
          log.error('scan failure not posted to Slack', { error: describe(alertError) });
        });
      }
      return outcome('failed', { error: message, exitCode: error instanceof ZombiescanError ? error.exitCode : 1 });
    }
    const failedSources = scan.sources.filter((source) => source.status === 'failed').map((source) => source.name);
    log.info('scan finished', {
      runId: scan.runId,
      status: scan.status,
      newFindings: scan.findings.newThisRun,
      resolved: scan.findings.resolved,
      open: scan.findings.open,
      failedSources,
    });
    let status: JobOutcome['status'] = scan.status;
    const problems: string[] = failedSources.map((name) => `${name} failed`);

    if (deps.notify && !signal.aborted) {
      try {
        await deps.notify(signal);
      } catch (error) {
        status = 'failed';
        problems.push(`digest not posted: ${describe(error)}`);
        log.error('digest not posted', { runId: scan.runId, error: describe(error) });
      }
    }
    if (deps.remediate && !signal.aborted) {
      try {
        const results = await deps.remediate(signal);
        const count = (wanted: string) => results.filter((result) => result.status === wanted).length;
        const summary = {
          applied: count('applied'),
          alreadyDone: count('already-done'),
          refused: count('refused'),
          failed: count('failed'),
        };
        log.info('automatic remediation finished', { runId: scan.runId, ...summary });
        if (summary.refused + summary.failed > 0) {
          status = 'failed';
          problems.push(`${summary.refused} remediation actions refused, ${summary.failed} failed`);
        }
      } catch (error) {
        status = 'failed';
        problems.push(`remediation: ${describe(error)}`);
        log.error('automatic remediation failed', { runId: scan.runId, error: describe(error) });
      }
    }
    if (signal.aborted) return outcome('interrupted', { runId: scan.runId, error: 'interrupted' });
    return outcome(status, { runId: scan.runId, error: problems.length > 0 ? problems.join('; ') : null });
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export interface SchedulerOptions {
  /** node-cron expression (5 or 6 fields), evaluated in `timezone`. */
  cron: string;
  timezone: string;
  job: Job;
  log: Logger;
  /** The sign-in poll, run every `everyMinutes` through the same one-job-at-a-time guard as the scan. */
  poll?: { everyMinutes: number; job: Job };
}

export interface SchedulerStatus {
  running: boolean;
  nextRun: Date | null;
  lastJob: JobOutcome | null;
}

export class Scheduler {
  private task: ScheduledTask | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private current: { promise: Promise<JobOutcome>; controller: AbortController; startedAt: Date } | null = null;
  private lastJob: JobOutcome | null = null;
  private stopped = false;

  constructor(private readonly options: SchedulerOptions) {
    const check = cron.validateDetailed(options.cron);
    if (!check.valid) {
      const first = check.errors[0];
      throw new ConfigError(`schedule.cron "${options.cron}": ${first ? first.message : 'not a cron expression'}`);
    }
  }

  /** Starts ticking on the cron schedule. */
  start(): void {
    if (this.task || this.stopped) return;
    this.task = cron.schedule(
      this.options.cron,
      async () => {
        await this.tick('schedule');
      },
      {
        name: 'zombiescan-scan',
        timezone: this.options.timezone,
        // Our own guard skips overlapping ticks (and logs it); node-cron's would do it silently.
        noOverlap: false,
        logger: cronLogger(this.options.log),
      },
    );
    const poll = this.options.poll;
    if (poll) {
      this.pollTimer = setInterval(() => void this.tick('poll'), poll.everyMinutes * 60_000);
      this.pollTimer.unref();
    }
    this.options.log.info('scheduler started', {
      signInPollMinutes: poll?.everyMinutes ?? null,
      cron: this.options.cron,
      timezone: this.options.timezone,
      nextRun: this.nextRun()?.toISOString() ?? null,
    });
  }

  /**
   * Runs the job now unless one is running (then: skipped and logged) or the scheduler was stopped. Never throws:
   * node-cron would only log a rejection, and `--once` reads the outcome instead.
   */
  async tick(trigger: JobTrigger): Promise<JobOutcome | 'skipped'> {
    if (this.stopped) return 'skipped';
    const job = trigger === 'poll' ? this.options.poll?.job : this.options.job;
    if (!job) return 'skipped';
    if (this.current) {
      // A poll that meets a running job is routine (the job reads the logs itself): not worth a warning.
      if (trigger === 'poll') return 'skipped';
      this.options.log.warn('scheduled scan skipped: the previous job is still running', {
        trigger,
        runningSince: this.current.startedAt.toISOString(),
      });
      return 'skipped';
    }
    const controller = new AbortController();
    const promise = job(controller.signal, trigger).catch((error: unknown): JobOutcome => {
      // The job reports its own failures; reaching here is a bug, still never fatal to the scheduler.
      this.options.log.error('scheduled job crashed', { error: describe(error) });
      const at = new Date().toISOString();
      return {
        trigger,
        startedAt: at,
        finishedAt: at,
        status: 'failed',
        runId: null,
        error: describe(error),
        exitCode: 1,
      };
    });
    this.current = { promise, controller, startedAt: new Date() };
    try {
      const outcome = await promise;
      // /healthz reports the last scheduled job: a quiet poll must not hide a failed nightly scan.
      if (trigger !== 'poll') this.lastJob = outcome;
      return outcome;
    } finally {
      this.current = null;
    }
  }

  status(): SchedulerStatus {
    return { running: this.current !== null, nextRun: this.nextRun(), lastJob: this.lastJob };
  }

  nextRun(): Date | null {
    return this.task?.getNextRun() ?? null;
  }

  /** Stops scheduling, aborts the running job (an aborted scan commits nothing) and waits for it to settle. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pollTimer) {
      clearInterval(this.pollTimer);
      this.pollTimer = null;
    }
    if (this.task) {
      await this.task.destroy();
      this.task = null;
    }
    const current = this.current;
    if (current) {
      this.options.log.warn('aborting the running job', { runningSince: current.startedAt.toISOString() });
      current.controller.abort(new Error('zombiescan serve is shutting down'));
      await current.promise;
    }
  }
}

function cronLogger(log: Logger) {
  const text = (message: string | Error) => (message instanceof Error ? message.message : message);
  return {
    info: (message: string) => log.debug(`node-cron: ${message}`),
    warn: (message: string) => log.warn(`node-cron: ${message}`),
    error: (message: string | Error) => log.error(`node-cron: ${text(message)}`),
    debug: (message: string | Error) => log.debug(`node-cron: ${text(message)}`),
  };
}
