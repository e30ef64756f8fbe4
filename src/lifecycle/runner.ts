import type { Logger } from '../contract/logger.js';
import { acquireRemediationLock } from '../remediation/apply.js';
import { describe } from '../remediation/engine.js';
import type { Db } from '../store/database.js';
import type { LifecycleTick } from './queue.js';

/**
 * Runs the leaver queue inside `serve`: a pass right away, then every `intervalMs` (20 s by default, so a leaver is
 * offboarded within a minute of the moment). One pass at a time; a pass waits its turn when a remediation holds the
 * lock (two processes must not act on the same account); stop() aborts a running pass and waits for it — a step
 * it leaves running is resumed by the next serve without repeating anything.
 */

export const DEFAULT_LIFECYCLE_INTERVAL_MS = 20_000;

export interface LifecycleRunnerOptions {
  db: Db;
  tick(signal: AbortSignal): Promise<LifecycleTick>;
  log: Logger;
  now: () => Date;
  intervalMs?: number;
}

export class LifecycleRunner {
  private timer: NodeJS.Timeout | null = null;
  private current: { promise: Promise<LifecycleTick | 'skipped'>; controller: AbortController } | null = null;
  private stopped = false;
  lastTick: LifecycleTick | null = null;

  constructor(private readonly options: LifecycleRunnerOptions) {}

  start(): void {
    if (this.timer || this.stopped) return;
    const interval = this.options.intervalMs ?? DEFAULT_LIFECYCLE_INTERVAL_MS;
    void this.runOnce();
    this.timer = setInterval(() => void this.runOnce(), interval);
    this.timer.unref();
    this.options.log.info('leaver queue started', { intervalSeconds: interval / 1000 });
  }

  /** One pass now, unless one is running or the remediation lock is held (then: skipped). Never throws. */
  async runOnce(): Promise<LifecycleTick | 'skipped'> {
    if (this.stopped || this.current) return 'skipped';
    const controller = new AbortController();
    const promise = this.pass(controller.signal);
    this.current = { promise, controller };
    try {
      return await promise;
    } finally {
      this.current = null;
    }
  }

  private async pass(signal: AbortSignal): Promise<LifecycleTick | 'skipped'> {
    const { log } = this.options;
    let release: () => void;
    try {
      release = await acquireRemediationLock(this.options.db);
    } catch (error) {
      log.debug('leaver queue pass skipped', { reason: describe(error) });
      return 'skipped';
    }
    try {
      const tick = await this.options.tick(signal);
      this.lastTick = tick;
      for (const step of tick.steps) {
        const fields = { person: step.personId, policy: step.policy, offsetDays: step.offsetDays, status: step.status };
        if (step.status === 'incomplete') log.error('leaver step incomplete', { ...fields, actions: step.actions });
        else if (step.status === 'planned' || step.status === 'waiting') log.debug('leaver step not run', fields);
        else log.info('leaver step', fields);
      }
      return tick;
    } catch (error) {
      if (signal.aborted) log.warn('leaver queue pass interrupted: the next serve resumes its step');
      else log.error('leaver queue pass failed', { error: describe(error) });
      return 'skipped';
    } finally {
      release();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const current = this.current;
    if (current) {
      current.controller.abort(new Error('zombiescan serve is shutting down'));
      await current.promise;
    }
  }
}
