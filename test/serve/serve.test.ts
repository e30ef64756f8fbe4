import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ServeWiring } from '../../src/cli/commands/serve.js';
import { silentLogger } from '../../src/common/logger.js';
import type { Account } from '../../src/contract/model.js';
import type { SourceRemediator } from '../../src/contract/action.js';
import type { ScanResult } from '../../src/contract/run.js';
import { createNightlyJob, Scheduler, type JobOutcome } from '../../src/serve/schedule.js';
import { startServer, type Health, type RunningServer } from '../../src/serve/server.js';
import { openDatabase } from '../../src/store/database.js';
import { account, Harness, tempDir } from '../engine/helpers.js';
import { startSlackChatFake, type SlackChatFake } from '../fakes/slack-chat.js';
import {
  blockActionsBody,
  CHANNEL,
  company,
  configYaml,
  ENV,
  memoryLogger,
  REVIEWER,
  runServeCli,
  signedHeaders,
} from './helpers.js';

/** A promise with its resolve handle: lets a test hold a job in flight without timers. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

async function healthz(port: number): Promise<Health> {
  const response = await fetch(`http://127.0.0.1:${port}/healthz`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/application\/json/);
  return (await response.json()) as Health;
}

describe('scheduler', () => {
  let scheduler: Scheduler | undefined;
  let server: RunningServer | undefined;
  afterEach(async () => {
    await scheduler?.stop();
    await server?.close();
    scheduler = undefined;
    server = undefined;
  });

  it('skips a tick while the previous job is still running, and logs it', async () => {
    const log = memoryLogger();
    const release = deferred();
    const started = deferred();
    let runs = 0;
    scheduler = new Scheduler({
      cron: '0 2 * * *',
      timezone: 'UTC',
      log,
      job: async (_signal, trigger): Promise<JobOutcome> => {
        runs++;
        started.resolve();
        await release.promise;
        const at = new Date().toISOString();
        return { trigger, startedAt: at, finishedAt: at, status: 'complete', runId: 1, error: null, exitCode: 0 };
      },
    });
    const first = scheduler.tick('schedule');
    await started.promise;
    expect(scheduler.status().running).toBe(true);
    const second = scheduler.tick('schedule');
    const runsWhileBusy = runs;
    release.resolve();
    expect(runsWhileBusy).toBe(1);
    expect(await second).toBe('skipped');
    expect(log.lines.some((line) => line.message.includes('skipped: the previous job is still running'))).toBe(true);
    expect(await first).toMatchObject({ status: 'complete' });
    expect(runs).toBe(1);
    expect(scheduler.status().running).toBe(false);
  });

  it('refuses a bad cron expression as a config error', () => {
    expect(
      () => new Scheduler({ cron: '61 * * * *', timezone: 'UTC', log: silentLogger, job: async () => never() }),
    ).toThrow(/schedule\.cron "61 \* \* \* \*"/);
  });

  it('computes the next run from the cron expression in the configured timezone', () => {
    scheduler = new Scheduler({
      cron: '0 2 * * *',
      timezone: 'Asia/Tokyo',
      log: silentLogger,
      job: async () => never(),
    });
    expect(scheduler.nextRun()).toBeNull();
    scheduler.start();
    const next = scheduler.nextRun()!;
    // 02:00 in Tokyo is 17:00 UTC.
    expect(next.toISOString()).toMatch(/T17:00:00\.000Z$/);
    expect(next.getTime()).toBeGreaterThan(Date.now());
  });

  it('GET /healthz: last run, running flag, next run; degraded after a partial scan', async () => {
    const h = new Harness(configYaml('http://127.0.0.1:9/api/'), ENV);
    company(h);
    const release = deferred();
    const started = deferred();
    let scans = 0;
    const job = createNightlyJob({
      scan: async () => {
        scans++;
        if (scans === 2) {
          started.resolve();
          await release.promise;
          h.accounts.set('okta', new Error('HTTP 503 from Okta'));
        }
        return h.scan();
      },
      log: silentLogger,
    });
    scheduler = new Scheduler({ cron: '0 2 * * *', timezone: 'UTC', log: silentLogger, job });
    scheduler.start();
    server = await startServer({
      host: '127.0.0.1',
      port: 0,
      db: h.db,
      log: silentLogger,
      now: () => h.now,
      scheduler,
    });

    const empty = await healthz(server.port);
    expect(empty).toMatchObject({ status: 'ok', lastRun: null, running: false, lastJob: null });
    expect(empty.nextRun).toBe(scheduler.nextRun()!.toISOString());

    await scheduler.tick('schedule');
    const afterFirst = await healthz(server.port);
    expect(afterFirst).toMatchObject({
      status: 'ok',
      running: false,
      lastRun: {
        id: 1,
        status: 'complete',
        startedAt: '2026-11-26T12:00:00.000Z',
        finishedAt: '2026-11-26T12:00:00.000Z',
      },
      lastJob: { status: 'complete', error: null },
    });

    const second = scheduler.tick('schedule');
    await started.promise;
    expect(await healthz(server.port)).toMatchObject({ running: true, lastRun: { id: 1 } });
    release.resolve();
    await second;
    expect(await healthz(server.port)).toMatchObject({
      status: 'degraded',
      running: false,
      lastRun: { id: 2, status: 'partial' },
      lastJob: { status: 'partial', error: 'okta failed' },
    });
    expect((await fetch(`http://127.0.0.1:${server.port}/nope`)).status).toBe(404);
    // Without a signing secret the actions endpoint does not exist.
    expect((await fetch(`http://127.0.0.1:${server.port}/slack/actions`, { method: 'POST' })).status).toBe(404);
  });

  it('shutdown aborts a running scan: nothing of it is committed and the previous state stays', async () => {
    const h = new Harness(configYaml('http://127.0.0.1:9/api/'), ENV);
    company(h);
    await h.scan();
    const before = h.findings();
    const accountsBefore = h.db.prepare('SELECT count(*) AS n FROM current_accounts').get();

    // Second scan: Alice is gone from HR, so a commit would change findings; the app source hangs mid-way.
    h.people = h.people.filter((p) => p.employeeId !== 'E1');
    const collecting = deferred();
    h.accounts.set('app', (signal) =>
      hangingSource(signal, [account('app', 'a9', { email: 'zed@acme.com' })], collecting.resolve),
    );
    const log = memoryLogger();
    const job = createNightlyJob({ scan: (signal) => h.scan({ signal, acceptRosterChange: true }), log });
    scheduler = new Scheduler({ cron: '0 2 * * *', timezone: 'UTC', log, job });
    scheduler.start();
    const tick = scheduler.tick('schedule');
    await collecting.promise;
    expect(h.db.prepare(`SELECT status FROM runs WHERE id = 2`).get()).toEqual({ status: 'running' });

    await scheduler.stop();
    expect(await tick).toMatchObject({ status: 'interrupted', exitCode: 1 });
    expect(scheduler.status()).toMatchObject({ running: false, nextRun: null });
    expect(h.db.prepare('SELECT id, status FROM runs ORDER BY id').all()).toEqual([
      { id: 1, status: 'complete' },
      { id: 2, status: 'interrupted' },
    ]);
    expect(h.findings()).toEqual(before);
    expect(h.db.prepare('SELECT count(*) AS n FROM current_accounts').get()).toEqual(accountsBefore);
    expect(h.db.prepare('SELECT count(*) AS n FROM accounts WHERE run_id = 2').get()).toEqual({ n: 0 });
    expect(h.db.prepare(`SELECT count(*) AS n FROM people`).get()).toEqual({ n: 2 });
    expect(log.lines.some((line) => line.message === 'scan interrupted: nothing of it was committed')).toBe(true);
    // A stopped scheduler starts nothing.
    expect(await scheduler.tick('schedule')).toBe('skipped');
  });
});

describe('nightly job', () => {
  it('scan -> digest -> remediation, in that order; a failed step makes the job failed but the others still run', async () => {
    const calls: string[] = [];
    const scanResult = {
      runId: 3,
      status: 'complete',
      sources: [],
      findings: { newThisRun: 0, resolved: 0, open: {} },
    };
    const job = createNightlyJob({
      scan: async () => {
        calls.push('scan');
        return scanResult as unknown as ScanResult;
      },
      notify: async () => {
        calls.push('notify');
        throw new Error('slack-notify: chat.postMessage: Slack answered channel_not_found');
      },
      remediate: async () => {
        calls.push('remediate');
        return [{ action: 'disable', status: 'applied' }];
      },
      log: silentLogger,
    });
    const outcome = await job(new AbortController().signal, 'once');
    expect(calls).toEqual(['scan', 'notify', 'remediate']);
    expect(outcome).toMatchObject({
      status: 'failed',
      runId: 3,
      exitCode: 1,
      error: 'digest not posted: slack-notify: chat.postMessage: Slack answered channel_not_found',
    });
  });

  it('a scan that cannot start (roster guard) skips the rest, says so in Slack, keeps its exit code', async () => {
    const h = new Harness(configYaml('http://127.0.0.1:9/api/'), ENV);
    let notified = false;
    const alerts: string[] = [];
    const job = createNightlyJob({
      scan: () => h.scan(),
      notify: async () => {
        notified = true;
      },
      alert: async (reason) => {
        alerts.push(reason);
      },
      log: silentLogger,
    });
    const outcome = await job(new AbortController().signal, 'schedule');
    expect(outcome).toMatchObject({ status: 'failed', exitCode: 2, runId: null });
    expect(outcome.error).toMatch(/HR roster is empty/);
    expect(notified).toBe(false);
    expect(alerts).toEqual([outcome.error]);
  });
});

describe('CLI: zombiescan serve / notify', () => {
  let slack: SlackChatFake;
  let dir: string;
  let config: string;
  /** Accounts the in-memory remediator has disabled. */
  let disabled: Set<string>;
  beforeEach(async () => {
    slack = await startSlackChatFake();
    dir = tempDir('zombiescan-serve-');
    config = path.join(dir, 'zombiescan.yaml');
    disabled = new Set();
    writeFileSync(config, configYaml(slack.apiUrl, 'remediation: { policy: { terminated-still-active: [disable] } }'));
    writeFileSync(
      path.join(dir, 'hr.csv'),
      'employee_id,email,name,status,termination_date\nE1,alice@acme.com,Alice,active,\nE2,bob@acme.com,Bob,terminated,2026-01-31\n',
    );
    writeFileSync(
      path.join(dir, 'okta.csv'),
      'id,login,email,status,privileged\no1,alice,alice@acme.com,active,false\n',
    );
    writeFileSync(
      path.join(dir, 'app.csv'),
      'id,login,email,status,privileged\na1,alice,alice@acme.com,active,false\na2,bob,bob@acme.com,active,false\n',
    );
  });
  afterEach(async () => {
    await slack.close();
  });

  function wiring(shutdown: Promise<string> = new Promise(() => {})): ServeWiring {
    const remediator = memoryRemediator(disabled);
    return {
      shutdownSignal: () => ({ received: shutdown, dispose: () => {} }),
      remediation: { engine: () => ({ remediatorFor: (name) => (name === 'app' ? remediator : null) }) },
    };
  }

  /** Starts `serve` with JSON logs (as under a supervisor) and resolves with the port its "listening" line names. */
  function startServe(shutdown: Promise<string>) {
    const listening = deferred<number>();
    const done = runServeCli(['--config', config, '--log-format', 'json', 'serve', '--port', '0'], {
      env: ENV,
      wiring: wiring(shutdown),
      onStderr: (text) => {
        const match = /"msg":"http server listening".*?"port":(\d+)/.exec(text);
        if (match) listening.resolve(Number(match[1]));
      },
    });
    return { port: listening.promise, done };
  }

  it('serve --once: scans, posts the digest, prints the outcome, exits 0', async () => {
    const result = await runServeCli(['--config', config, '--json', 'serve', '--once'], { env: ENV, wiring: wiring() });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ trigger: 'once', status: 'complete', runId: 1, exitCode: 0 });
    expect(slack.state.messages).toHaveLength(1);
    expect(slack.state.messages[0]!.channel).toBe(CHANNEL);
    expect(JSON.stringify(slack.state.messages[0]!.blocks)).toContain('terminated-still-active');
    // Structured logs (stderr is not a TTY), with no secret in them.
    const logs = result.stderr
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { msg: string });
    expect(logs.map((line) => line.msg)).toEqual(expect.arrayContaining(['scan finished', 'digest posted to Slack']));
    expect(result.stderr).not.toContain(ENV.SLACK_BOT_TOKEN);
    // No autoApply: nothing was remediated.
    expect(disabled.size).toBe(0);
  });

  it('serve --once with remediation.autoApply applies the policy after the scan', async () => {
    writeFileSync(
      config,
      configYaml(slack.apiUrl, 'remediation: { autoApply: true, policy: { terminated-still-active: [disable] } }'),
    );
    const result = await runServeCli(['--config', config, 'serve', '--once'], { env: ENV, wiring: wiring() });
    expect(result.code).toBe(0);
    expect([...disabled]).toEqual(['a2']);
    const db = openDatabase(path.join(dir, 'z.db'));
    try {
      expect(db.prepare(`SELECT status FROM findings WHERE account_id = 'a2'`).get()).toEqual({ status: 'remediated' });
      expect(db.prepare(`SELECT DISTINCT actor FROM audit_log`).all()).toEqual([{ actor: 'serve' }]);
    } finally {
      db.close();
    }
  });

  it('serve --once whose scan cannot run says so in the channel and exits 2', async () => {
    writeFileSync(path.join(dir, 'hr.csv'), 'employee_id,email,name,status,termination_date\n');
    const result = await runServeCli(['--config', config, 'serve', '--once'], { env: ENV, wiring: wiring() });
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/^Scheduled job failed: the HR roster is empty/);
    expect(slack.state.messages).toHaveLength(1);
    expect(slack.state.messages[0]!.text).toMatch(
      /^:rotating_light: zombiescan: the scheduled scan did not run, findings were not updated: the HR roster is empty/,
    );
  });

  it('notify posts the digest of the last scan; before any scan it exits 2', async () => {
    const none = await runServeCli(['--config', config, 'notify'], { env: ENV, wiring: wiring() });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no finished scan in the database yet/);
    await runServeCli(['--config', config, 'serve', '--once'], { env: ENV, wiring: wiring() });
    const posted = await runServeCli(['--config', config, 'notify'], { env: ENV, wiring: wiring() });
    expect(posted.code).toBe(0);
    expect(posted.stdout).toBe(`Digest of scan #1 posted to ${CHANNEL}.\n`);
    expect(slack.state.messages).toHaveLength(2);
  });

  it('serve listens, answers /healthz, and exits 0 on SIGTERM', async () => {
    const signal = deferred<string>();
    const serve = startServe(signal.promise);
    const port = await serve.port;
    const health = await healthz(port);
    expect(health).toMatchObject({ status: 'ok', lastRun: null, running: false });
    expect(health.nextRun).toMatch(/T02:00:00\.000Z$/);
    signal.resolve('SIGTERM');
    const result = await serve.done;
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('"msg":"stopped"');
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });

  it('"Approve remediation" from Slack runs the real engine for that finding, as the Slack user', async () => {
    await runServeCli(['--config', config, 'serve', '--once'], { env: ENV, wiring: wiring() });
    const digest = slack.state.messages[0]!;
    const signal = deferred<string>();
    const serve = startServe(signal.promise);
    const port = await serve.port;
    const db = openDatabase(path.join(dir, 'z.db'));
    try {
      const { id } = db.prepare(`SELECT id FROM findings WHERE account_id = 'a2'`).get() as { id: number };
      const body = blockActionsBody({
        actionId: 'zs_approve',
        findingId: id,
        ts: digest.ts,
        blocks: digest.blocks as unknown[],
      });
      const response = await fetch(`http://127.0.0.1:${port}/slack/actions`, {
        method: 'POST',
        headers: signedHeaders(body, new Date()),
        body,
      });
      expect(response.status).toBe(200);
      // The decision runs after the answer; its message edit is the last thing it does.
      await slack.updated(1);
      signal.resolve('SIGTERM');
      expect((await serve.done).code).toBe(0);

      expect([...disabled]).toEqual(['a2']);
      expect(db.prepare('SELECT status FROM findings WHERE id = ?').get(id)).toEqual({ status: 'remediated' });
      const journal = db.prepare('SELECT kind, actor, action, status FROM audit_log ORDER BY id').all();
      expect(journal).toMatchObject([
        { kind: 'decision', actor: REVIEWER, action: 'approve-remediation', status: 'approved' },
        { kind: 'intent', actor: REVIEWER, action: 'disable' },
        { kind: 'result', actor: REVIEWER, action: 'disable', status: 'applied' },
      ]);
      expect(journal).toHaveLength(3);
      const update = slack.updates.at(-1)!;
      expect(JSON.stringify(update.blocks)).toContain(`Remediation approved by <@${REVIEWER}>`);
      expect(JSON.stringify(update.blocks)).toContain('disable applied');
    } finally {
      db.close();
    }
  });
});

function memoryRemediator(disabled: Set<string>): SourceRemediator {
  return {
    unsupportedReason: (action) => (action === 'disable' ? null : `the test system cannot ${action}`),
    read: async (ref) => ({
      found: true,
      enabled: !disabled.has(ref.id),
      rawStatus: disabled.has(ref.id) ? 'disabled' : 'active',
    }),
    alreadyDone: (action, state) => action === 'disable' && !state.enabled,
    perform: async (_action, ref) => {
      disabled.add(ref.id);
      return { status: 'applied', reason: 'disabled in the test system' };
    },
  };
}

async function* hangingSource(
  signal: AbortSignal,
  firstPage: Account[],
  onFirstPage: () => void,
): AsyncGenerator<Account[]> {
  yield firstPage;
  onFirstPage();
  await new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

function never(): never {
  throw new Error('not called');
}
