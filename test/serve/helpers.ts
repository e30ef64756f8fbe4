import { PassThrough } from 'node:stream';
import { Command } from 'commander';
import { CliContext, type GlobalOptions, type Io } from '../../src/cli/context.js';
import { registerServeCommands, type ServeWiring } from '../../src/cli/commands/serve.js';
import { ZombiescanError } from '../../src/contract/errors.js';
import type { Logger } from '../../src/common/logger.js';
import { slackSignature } from '../../src/slack/interactivity.js';
import { account, person, type Harness } from '../engine/helpers.js';
import { FAKE_BOT_TOKEN } from '../fakes/slack.js';

export const SIGNING_SECRET = 'test-signing-secret-5f1c2a';
export const CHANNEL = 'C0DIGEST';
export const REVIEWER = 'U0REVIEWER';
export const ENV = { SLACK_BOT_TOKEN: FAKE_BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET };

/** Two sources (okta as idp), Slack digest settings pointing at `apiUrl`. */
export function configYaml(apiUrl: string, extra = ''): string {
  return `
database: ./z.db
roster: { path: ./hr.csv }
sources:
  - { name: okta, type: csv, path: ./okta.csv, role: idp }
  - { name: app, type: csv, path: ./app.csv }
slack:
  token: "\${SLACK_BOT_TOKEN}"
  channel: ${CHANNEL}
  signingSecret: "\${SLACK_SIGNING_SECRET}"
  reviewers: [${REVIEWER}]
  apiUrl: "${apiUrl}"
${extra}`;
}

/** Bob left but still has an app account (critical); a ghost account belongs to no one (high). */
export function company(h: Harness): void {
  h.people = [
    person('E1', 'alice@acme.com', { name: 'Alice Archer' }),
    person('E2', 'bob@acme.com', {
      name: 'Bob <!channel> & Co',
      status: 'terminated',
      terminationEffectiveAt: '2026-10-01T00:00:00.000Z',
    }),
  ];
  h.accounts.set('okta', [
    account('okta', 'o1', { email: 'alice@acme.com' }),
    account('okta', 'o2', { email: 'bob@acme.com', enabled: false }),
  ]);
  h.accounts.set('app', [
    account('app', 'a1', { email: 'alice@acme.com', login: 'alice' }),
    account('app', 'a2', { email: 'bob@acme.com', login: 'bob', displayName: 'Bob <https://evil.test|click me>' }),
    account('app', 'a3', { email: 'ghost@acme.com', login: 'ghost' }),
  ]);
}

export function findingId(h: Harness, rule: string, accountId: string): number {
  const row = h.findings(`rule = '${rule}' AND account_id = '${accountId}'`)[0];
  if (!row) throw new Error(`no ${rule} finding for ${accountId}`);
  return row.id;
}

export function blockActionsBody(input: {
  user?: string;
  userName?: string;
  actionId: string;
  findingId: number;
  ts: string;
  blocks?: unknown[];
}): string {
  const user = input.user ?? REVIEWER;
  const payload = {
    type: 'block_actions',
    user: {
      id: user,
      username: input.userName ?? 'rita.reviewer',
      name: input.userName ?? 'rita.reviewer',
      team_id: 'T0FAKETEAM',
    },
    api_app_id: 'A0ZOMBIE',
    container: { type: 'message', message_ts: input.ts, channel_id: CHANNEL, is_ephemeral: false },
    trigger_id: '1.2.3',
    team: { id: 'T0FAKETEAM', domain: 'fake' },
    channel: { id: CHANNEL, name: 'security-reviews' },
    message: { type: 'message', ts: input.ts, text: 'zombiescan digest', blocks: input.blocks ?? [] },
    response_url: 'https://hooks.slack.com/actions/T0FAKETEAM/1/abc',
    actions: [
      {
        type: 'button',
        action_id: input.actionId,
        block_id: `zs_actions:${input.findingId}`,
        value: String(input.findingId),
        action_ts: '1764158400.000100',
      },
    ],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export function signedHeaders(body: string, at: Date, secret = SIGNING_SECRET): Record<string, string> {
  const timestamp = String(Math.floor(at.getTime() / 1000));
  return {
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': timestamp,
    'x-slack-signature': slackSignature(secret, timestamp, body),
  };
}

/** Log lines kept in memory, for asserting what was said. */
export function memoryLogger(): Logger & {
  lines: { level: string; message: string; fields?: Record<string, unknown> }[];
} {
  const lines: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push({ level, message, fields });
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `notify` / `serve` in-process through the real command registration, with the same exit-code handling as
 * src/cli/main.ts (which cannot reach these commands until program.ts registers them).
 */
export async function runServeCli(
  args: string[],
  options: { env: NodeJS.ProcessEnv; wiring: ServeWiring; now?: () => Date; onStderr?: (text: string) => void },
): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
    options.onStderr?.(err);
  });
  const io: Io = {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stderr: stderr as unknown as NodeJS.WriteStream,
    env: options.env,
    now: options.now ?? (() => new Date()),
  };
  let code = 0;
  let context: CliContext | undefined;
  const program = new Command('zombiescan')
    .option('-c, --config <file>')
    .option('--db <file>')
    .option('--json')
    .option('--log-format <format>')
    .exitOverride();
  const ctx = () => (context ??= new CliContext(program.opts<GlobalOptions>(), io));
  const run =
    <A extends unknown[]>(action: (...args: A) => number | Promise<number>) =>
    async (...args: A) => {
      code = await action(...args);
    };
  registerServeCommands(program, ctx, run, options.wiring);
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (error) {
    if (!(error instanceof ZombiescanError)) throw error;
    err += `zombiescan: ${error.message}\n`;
    code = error.exitCode;
  } finally {
    context?.close();
  }
  return { code, stdout: out, stderr: err };
}
