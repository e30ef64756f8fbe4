import type { Command } from 'commander';
import type { CollectorDeps } from '../../contract/collector.js';
import { UsageError } from '../../contract/errors.js';
import type { ScanResult } from '../../contract/run.js';
import type { CliContext } from '../context.js';
import { autoRemediation, remediationApprover, type RemediationWiring } from '../remediation-deps.js';
import type { RunAction } from '../run-action.js';
import { engineDeps } from '../remediation-deps.js';

/**
 * `zombiescan serve` (the nightly scheduler and the Slack interactivity endpoint) and `zombiescan notify` (the
 * digest, once). Process signals and the remediation engine come in through `ServeWiring`, so tests drive the real
 * commands without signalling their own process. The engine, the collectors and the Slack SDK are imported when a
 * command runs: registering these commands must stay cheap for every other command (see program.ts).
 */

export interface ServeWiring {
  /** Resolves with the signal's name on SIGTERM/SIGINT; `dispose` removes the listeners. */
  shutdownSignal(): { received: Promise<string>; dispose(): void };
  /** The remediation engine's clients ("Approve remediation" and remediation.autoApply); tests swap in fakes. */
  remediation?: RemediationWiring;
  collectorDeps?: CollectorDeps;
  /** How often the leaver queue runs (default 20 s); tests shorten it. */
  lifecycleIntervalMs?: number;
}

export interface ServeCommandOptions {
  port?: number;
  once?: boolean;
}

export function registerServeCommands(
  program: Command,
  ctx: () => CliContext,
  run: RunAction,
  wiring: ServeWiring = defaultServeWiring,
): void {
  program
    .command('notify')
    .description('post the findings digest of the last scan to Slack (slack.channel)')
    .addHelpText(
      'after',
      `
Needs a \`slack:\` section (bot token with chat:write, and the channel id). Failed sources are said first.

Examples:
  $ zombiescan scan && zombiescan notify
  $ zombiescan notify --json`,
    )
    .action(run(() => notifyCommand(ctx())));

  program
    .command('serve')
    .description('run scans on the schedule (schedule.cron), post the digest, and take the digest buttons')
    .option('--port <port>', 'HTTP port for /healthz and /slack/actions (default serve.port)', parsePort)
    .option('--once', 'run the scheduled job (scan, digest, auto-remediation) once now and exit')
    .addHelpText(
      'after',
      `
Endpoints: GET /healthz (JSON status) · POST /slack/actions (Slack interactivity request URL; needs slack.signingSecret)
· POST /hooks/hr (signed leaver events; needs lifecycle.hrEvents.secret). The leaver queue runs every 20 s.
SIGTERM or SIGINT stops the schedule, aborts a running scan (nothing of it is committed) and exits 0.

Examples:
  $ zombiescan serve
  $ zombiescan serve --port 9090
  $ zombiescan serve --once        # for cron users: scan, digest, auto-remediation, exit`,
    )
    .action(run((options: ServeCommandOptions) => serveCommand(ctx(), options, wiring)));
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new UsageError(`--port ${value}: not a port number (0-65535)`);
  return port;
}

export async function notifyCommand(ctx: CliContext): Promise<number> {
  const [{ postDigest, requireSlack }, { createSlackChat }] = await Promise.all([
    import('../../slack/notify.js'),
    import('../slack-chat.js'),
  ]);
  const config = ctx.config();
  const chat = createSlackChat(requireSlack(config), ctx.log);
  const result = await postDigest(ctx.db(), config, { chat, log: ctx.log });
  if (ctx.json) ctx.outJson(result);
  else {
    const failed = result.failedSources.length > 0 ? ` (failed sources: ${result.failedSources.join(', ')})` : '';
    ctx.out(`Digest of scan #${result.runId} posted to ${result.channel}${failed}.\n`);
  }
  return 0;
}

export async function serveCommand(
  ctx: CliContext,
  options: ServeCommandOptions,
  wiring: ServeWiring = defaultServeWiring,
): Promise<number> {
  const [
    { postDigest, postNewCriticalFindings, postScanFailure },
    { createSlackChat },
    { createNightlyJob, Scheduler },
    { startServer },
    { pollSignIns },
    { createSignInPollJob },
    { runLifecycleTick },
    { LifecycleRunner },
    { HrEventHandler },
    { runOffboard },
  ] = await Promise.all([
    import('../../slack/notify.js'),
    import('../slack-chat.js'),
    import('../../serve/schedule.js'),
    import('../../serve/server.js'),
    import('../../scan/sign-ins.js'),
    import('../../serve/sign-in-poll.js'),
    import('../../lifecycle/queue.js'),
    import('../../lifecycle/runner.js'),
    import('../../lifecycle/hr-events.js'),
    import('../../remediation/offboard.js'),
  ]);
  const { SlackActionHandler } = await import('../../slack/interactivity.js');
  const config = ctx.config();
  const db = ctx.db();
  const log = ctx.log;
  const slack = config.slack;
  const job = createNightlyJob({
    scan: (signal) => scanInBackground(ctx, signal, wiring.collectorDeps),
    notify: slack ? (signal) => postDigest(db, config, { chat: createSlackChat(slack, log, signal), log }) : undefined,
    alert: slack
      ? (reason, signal) => postScanFailure(config, { chat: createSlackChat(slack, log, signal), log }, reason)
      : undefined,
    remediate: config.remediation.autoApply ? (signal) => autoRemediation(ctx, signal, wiring.remediation) : undefined,
    log,
    now: ctx.io.now,
  });
  const pollMinutes = config.signIns.pollMinutes;
  const poll =
    pollMinutes === undefined
      ? undefined
      : {
          everyMinutes: pollMinutes,
          job: createSignInPollJob({
            poll: async (signal) => {
              const [{ createCollector }, { loadRoster }] = await Promise.all([
                import('../../../collectors/index.js'),
                import('../../../collectors/hr-roster/index.js'),
              ]);
              return pollSignIns(db, config, {
                createCollector,
                collectorDeps: wiring.collectorDeps,
                loadRoster: (loaded) => loadRoster(loaded.roster, loaded.timezone),
                log,
                now: ctx.io.now,
                signal,
              });
            },
            scan: (signal, sources) => scanInBackground(ctx, signal, wiring.collectorDeps, sources),
            postCritical: slack
              ? (runId, signal) =>
                  postNewCriticalFindings(db, config, { chat: createSlackChat(slack, log, signal), log }, runId)
              : undefined,
            log,
            now: ctx.io.now,
          }),
        };
  const scheduler = new Scheduler({ cron: config.schedule.cron, timezone: config.timezone, job, log, poll });
  const signals = wiring.shutdownSignal();

  if (options.once) {
    void signals.received.then((signal) => {
      log.warn('signal received: aborting the job', { signal });
      return scheduler.stop();
    });
    try {
      const outcome = await scheduler.tick('once');
      if (outcome === 'skipped') return 1;
      if (ctx.json) ctx.outJson(outcome);
      else {
        const run = outcome.runId === null ? '' : ` (scan #${outcome.runId})`;
        ctx.out(`Scheduled job ${outcome.status}${run}${outcome.error ? `: ${outcome.error}` : ''}.\n`);
      }
      return outcome.exitCode;
    } finally {
      signals.dispose();
    }
  }

  if (!slack) log.info('no slack section: the digest and its buttons are off');
  else if (!slack.signingSecret) {
    log.warn('slack.signingSecret is not set: POST /slack/actions answers 404 and the digest buttons do nothing');
  } else if (slack.reviewers.length === 0) {
    log.warn('slack.reviewers is empty: every click on the digest buttons will be refused');
  }
  const signingSecret = slack?.signingSecret;
  const actions =
    slack && signingSecret
      ? new SlackActionHandler({
          db,
          chat: createSlackChat(slack, log),
          reviewers: slack.reviewers,
          channel: slack.channel,
          // The same plan, limits and safety checks as `remediate --apply --finding ID`, the Slack user as actor.
          approve: remediationApprover(ctx, wiring.remediation),
          now: ctx.io.now,
          log,
        })
      : null;
  // Scheduled and graceful offboarding: the leaver queue, and signed HR events.
  const postToChannel = slack
    ? async (text: string) => {
        await createSlackChat(slack, log).call(
          'chat.postMessage',
          { channel: slack.channel, text },
          { retryTransient: false },
        );
      }
    : undefined;
  const lifecycle = new LifecycleRunner({
    db,
    log,
    now: ctx.io.now,
    intervalMs: wiring.lifecycleIntervalMs,
    tick: async (signal) =>
      runLifecycleTick(db, config, {
        engine: await engineDeps(ctx, wiring.remediation, { actor: 'serve', signal }),
        loadRoster: async () =>
          (await import('../../../collectors/hr-roster/index.js')).loadRoster(config.roster, config.timezone),
        postReport: postToChannel,
        alert: postToChannel && ((text) => postToChannel(`:rotating_light: zombiescan leavers: ${text}`)),
      }),
  });
  const hrSecret = config.lifecycle.hrEvents?.secret;
  const hrEvents = hrSecret
    ? new HrEventHandler({
        db,
        config,
        secret: hrSecret,
        log,
        now: ctx.io.now,
        offboard: async (employeeId, reason, signal) =>
          runOffboard(
            db,
            config,
            { person: employeeId, apply: true, reason },
            await engineDeps(ctx, wiring.remediation, { actor: 'hr-event', signal }),
          ),
      })
    : undefined;
  let server;
  try {
    server = await startServer({
      host: config.serve.host,
      port: options.port ?? config.serve.port,
      db,
      log,
      now: ctx.io.now,
      scheduler,
      slack: actions && signingSecret ? { signingSecret, actions } : undefined,
      hrEvents,
    });
  } catch (error) {
    signals.dispose();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES') {
      throw new UsageError(`cannot listen on ${config.serve.host}:${options.port ?? config.serve.port}: ${code}`);
    }
    throw error;
  }
  scheduler.start();
  lifecycle.start();

  const signal = await signals.received;
  signals.dispose();
  log.info('shutting down', { signal });
  await lifecycle.stop();
  await hrEvents?.settle();
  await scheduler.stop();
  await actions?.close();
  await server.close();
  log.info('stopped');
  return 0;
}

/** A scan for the daemon: no terminal progress line (logs say what happens), cancellable on shutdown. */
async function scanInBackground(
  ctx: CliContext,
  signal: AbortSignal,
  collectorDeps?: CollectorDeps,
  sources?: string[],
): Promise<ScanResult> {
  const [{ createCollector }, { loadRoster }, { runScan }] = await Promise.all([
    import('../../../collectors/index.js'),
    import('../../../collectors/hr-roster/index.js'),
    import('../../scan/scan.js'),
  ]);
  return runScan(ctx.db(), ctx.config(), {
    sources,
    now: ctx.io.now,
    log: ctx.log,
    signal,
    createCollector,
    collectorDeps,
    loadRoster: (config) => loadRoster(config.roster, config.timezone),
    rules: ctx.rules(),
  });
}

function processShutdownSignal(): { received: Promise<string>; dispose(): void } {
  let handler: (signal: NodeJS.Signals) => void = () => {};
  const received = new Promise<string>((resolve) => {
    handler = (signal) => resolve(signal);
  });
  // `once`: a second Ctrl-C during shutdown falls through to Node's default and ends the process.
  process.once('SIGTERM', handler);
  process.once('SIGINT', handler);
  return {
    received,
    dispose: () => {
      process.off('SIGTERM', handler);
      process.off('SIGINT', handler);
    },
  };
}

export const defaultServeWiring: ServeWiring = { shutdownSignal: processShutdownSignal };
