import { userInfo } from 'node:os';
import type { Logger } from '../common/logger.js';
import type { RetryPolicy } from '../common/retry.js';
import type { Config } from '../config/config.js';
import type { EngineDeps } from '../remediation/engine.js';
import type { SlackChat } from '../contract/chat.js';
import { createChatOwnerNotifier, type OwnerNotifier } from '../remediation/notify-owner.js';
import type { ActionRecord } from '../remediation/plan.js';
import type { CliContext } from './context.js';

/**
 * The remediation engine wired for the commands that change other systems (`remediate`, `offboard`, and `serve`'s
 * approvals and auto-apply): the real remediators, ticket system and Slack from the config, unless a
 * `RemediationWiring` swaps them (end-to-end tests pass fakes). The engine and the vendor SDKs are imported when a
 * command runs, not when the CLI starts: `--help` and `offboard` must not pay for every SDK.
 */

export interface RemediationWiring {
  /** Overrides for the engine's clients (tests: in-memory remediators, a Jira fake). */
  engine?(ctx: CliContext): Partial<EngineDeps>;
}

export interface EngineDepsOptions {
  /**
   * Each system's remediator module (and SDK) imported when the engine first asks for it (`offboard`: the IdP's
   * first, the others while its round trips are under way) instead of all of them before the engine starts.
   */
  loadRemediatorsOnDemand?: boolean;
}

/** The engine's clients for a CLI run: real systems from the config, unless the wiring says otherwise. */
export async function engineDeps(
  ctx: CliContext,
  wiring: RemediationWiring = {},
  overrides: Partial<EngineDeps> = {},
  options: EngineDepsOptions = {},
): Promise<EngineDeps> {
  const config = ctx.config();
  const [remediators, { createTicketClient }] = await Promise.all([
    options.loadRemediatorsOnDemand
      ? import('../../collectors/remediator-loading.js').then(({ remediatorLoading }) => remediatorLoading(config))
      : import('../../collectors/remediators.js').then(({ remediatorLookup }) => ({
          remediatorFor: remediatorLookup(config),
        })),
    import('../remediation/tickets.js'),
  ]);
  const wired = { ...wiring.engine?.(ctx), ...overrides };
  const deps: EngineDeps = {
    now: ctx.io.now,
    log: ctx.log,
    actor: cliActor(ctx),
    ...remediators,
    tickets: config.tickets ? createTicketClient(config.tickets, { log: ctx.log }) : null,
    notifier: config.slack ? createSlackOwnerNotifier(config.slack, { log: ctx.log }) : null,
    redact: (text) => ctx.redact(text),
    ...wired,
  };
  // A wiring that brings its own remediators (tests) and no loader: the engine must ask those, not the real systems.
  if (wired.remediatorFor && !wired.loadRemediator) delete deps.loadRemediator;
  return deps;
}

/** Who ran the command: $ZOMBIESCAN_ACTOR, else the login name. */
export function cliActor(ctx: CliContext): string {
  return ctx.io.env.ZOMBIESCAN_ACTOR ?? ctx.io.env.USER ?? userInfo().username;
}

/**
 * For `serve`: one finding approved in Slack, through the same plan, limits and checks as
 * `remediate --apply --finding ID`, journaled with the Slack user as actor.
 */
export function remediationApprover(ctx: CliContext, wiring: RemediationWiring = {}) {
  return async (findingId: number, actor: string, signal: AbortSignal): Promise<ActionRecord[]> => {
    const { runRemediation } = await import('../remediation/apply.js');
    const result = await runRemediation(
      ctx.db(),
      ctx.config(),
      { apply: true, findingIds: [findingId] },
      await engineDeps(ctx, wiring, { actor, signal }),
    );
    if (result.refusedToStart) ctx.log.error(result.refusedToStart);
    return result.records;
  };
}

/** For `serve` with remediation.autoApply: `remediate --apply` over every open finding, actor `serve`. */
export async function autoRemediation(
  ctx: CliContext,
  signal: AbortSignal,
  wiring: RemediationWiring = {},
): Promise<ActionRecord[]> {
  const { runRemediation } = await import('../remediation/apply.js');
  const result = await runRemediation(
    ctx.db(),
    ctx.config(),
    { apply: true },
    await engineDeps(ctx, wiring, { actor: 'serve', signal }),
  );
  if (result.refusedToStart) ctx.log.error(result.refusedToStart);
  return result.records;
}

export interface SlackNotifierDeps {
  retryPolicy?: Partial<RetryPolicy>;
  log?: Logger;
}

/**
 * notify-owner through the Slack client of collectors/slack (our retry policy, errors without the token). The Slack
 * SDK is loaded on the first message, not when a command that might notify starts.
 */
export function createSlackOwnerNotifier(
  config: NonNullable<Config['slack']>,
  deps: SlackNotifierDeps = {},
): OwnerNotifier {
  return createChatOwnerNotifier((signal: AbortSignal): SlackChat => {
    const client = import('../../collectors/slack/client.js').then(
      ({ SlackApi }) =>
        new SlackApi({
          source: 'slack',
          token: config.token,
          apiUrl: config.apiUrl,
          signal,
          retryPolicy: deps.retryPolicy,
          log: deps.log,
        }),
    );
    return { call: async (method, args, options) => (await client).call(method, args, options) };
  });
}
