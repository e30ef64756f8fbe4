import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../common/logger.js';
import type { SchedulerStatus } from './schedule.js';
import {
  parseActionRequest,
  slackReplayEntry,
  SLACK_REPLAY_SCOPE,
  verifySlackRequest,
  type SlackActionHandler,
} from '../slack/interactivity.js';
import { rememberRequest } from '../store/request-replay.js';
import type { Db } from '../store/database.js';
import { lastFinishedRun } from '../store/runs.js';

/**
 * The HTTP side of `zombiescan serve`: GET /healthz for monitors, POST /slack/actions for the digest's buttons.
 * Nothing else is served: findings never leave over this port except as Slack messages.
 */

/** Slack's interactivity payloads carry the whole message (≤ 50 blocks): far below this. */
const MAX_BODY_BYTES = 1024 * 1024;
/** An HR leaver event is a few fields of JSON. */
const MAX_HOOK_BODY_BYTES = 64 * 1024;
/** Slack and monitors open a handful of connections; more is a flood, refused by the kernel's backlog instead. */
const MAX_CONNECTIONS = 64;

export interface ServerDeps {
  host: string;
  port: number;
  db: Db;
  log: Logger;
  now: () => Date;
  scheduler: { status(): SchedulerStatus };
  /** Absent when `slack.signingSecret` is not configured: the endpoint then answers 404. */
  slack?: { signingSecret: string; actions: SlackActionHandler };
  /** POST /hooks/hr (src/lifecycle/hr-events.ts); absent when `lifecycle.hrEvents` is not configured: 404. */
  hrEvents?: {
    handle(request: {
      rawBody: Buffer;
      header(name: string): string | undefined;
      remote: string | undefined;
    }): Promise<{ status: number; body: unknown }>;
  };
}

export interface RunningServer {
  port: number;
  close(): Promise<void>;
}

export interface Health {
  status: 'ok' | 'degraded';
  lastRun: { id: number; status: string; startedAt: string; finishedAt: string | null } | null;
  running: boolean;
  nextRun: string | null;
  lastJob: { status: string; startedAt: string; finishedAt: string; error: string | null } | null;
}

/**
 * `degraded` when the last finished scan was partial or interrupted, or the last job of this process failed
 * (roster guard, digest not posted…): the service is up, but its data or its duties are not in order.
 */
export function health(db: Db, scheduler: SchedulerStatus): Health {
  const run = lastFinishedRun(db);
  const lastJob = scheduler.lastJob;
  const degraded =
    (run !== null && run.status !== 'complete') ||
    (lastJob !== null && lastJob.status !== 'complete' && lastJob.status !== 'partial');
  return {
    status: degraded ? 'degraded' : 'ok',
    lastRun: run,
    running: scheduler.running,
    nextRun: scheduler.nextRun?.toISOString() ?? null,
    lastJob: lastJob
      ? { status: lastJob.status, startedAt: lastJob.startedAt, finishedAt: lastJob.finishedAt, error: lastJob.error }
      : null,
  };
}

export async function startServer(deps: ServerDeps): Promise<RunningServer> {
  const { log } = deps;
  const server = createServer((request, response) => {
    route(deps, request, response).catch((error: unknown) => {
      log.error('http handler failed', {
        path: request.url,
        error: error instanceof Error ? error.message : String(error),
      });
      if (!response.headersSent) send(response, 500, { error: 'internal error' });
      else response.destroy();
    });
  });
  // Slack's requests are short; a client that holds a connection open must not keep shutdown waiting.
  server.keepAliveTimeout = 5000;
  server.requestTimeout = 30_000;
  // A client trickling headers (slowloris) is cut off long before requestTimeout.
  server.headersTimeout = 10_000;
  server.maxConnections = MAX_CONNECTIONS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(deps.port, deps.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  log.info('http server listening', {
    host: deps.host,
    port,
    slackActions: Boolean(deps.slack),
    hrEvents: Boolean(deps.hrEvents),
  });
  return {
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      }),
  };
}

async function route(deps: ServerDeps, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  if (path === '/healthz') {
    if (request.method !== 'GET' && request.method !== 'HEAD') return send(response, 405, { error: 'use GET' });
    const full = health(deps.db, deps.scheduler.status());
    // Run ids, times and job errors are for the operator on this host; a remote monitor needs only the status.
    return send(response, 200, isLoopback(request.socket.remoteAddress) ? full : { status: full.status });
  }
  if (path === '/slack/actions') {
    if (request.method !== 'POST') return send(response, 405, { error: 'use POST' });
    if (!deps.slack) return send(response, 404, { error: 'Slack interactivity is off: set slack.signingSecret' });
    return slackActions(deps, deps.slack, request, response);
  }
  if (path === '/hooks/hr') {
    if (request.method !== 'POST') return send(response, 405, { error: 'use POST' });
    if (!deps.hrEvents) return send(response, 404, { error: 'HR events are off: set lifecycle.hrEvents.secret' });
    const body = await readBody(request, MAX_HOOK_BODY_BYTES);
    if (body === null) return refuseTooLarge(request, response);
    const answer = await deps.hrEvents.handle({
      rawBody: body,
      header: (name) => header(request, name),
      remote: request.socket.remoteAddress,
    });
    return send(response, answer.status, answer.body);
  }
  return send(response, 404, { error: 'not found' });
}

async function slackActions(
  deps: ServerDeps,
  slack: NonNullable<ServerDeps['slack']>,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const body = await readBody(request, MAX_BODY_BYTES);
  if (body === null) return refuseTooLarge(request, response);
  const timestamp = header(request, 'x-slack-request-timestamp');
  const signature = header(request, 'x-slack-signature');
  const now = deps.now();
  const refusal = verifySlackRequest({ signingSecret: slack.signingSecret, timestamp, signature, rawBody: body, now });
  if (refusal !== null) {
    deps.log.warn('slack request refused', { reason: refusal, remote: request.socket.remoteAddress });
    return send(response, 401, { error: 'invalid Slack signature' });
  }
  // A signed request is good for five minutes: whoever captured one could replay an approval. Each is taken once.
  const replay = slackReplayEntry(timestamp!, signature!);
  if (!rememberRequest(deps.db, SLACK_REPLAY_SCOPE, replay.signatureHash, replay.expiresAt, now)) {
    deps.log.warn('slack request refused', { reason: 'replayed: seen before', remote: request.socket.remoteAddress });
    return send(response, 409, { error: 'request already processed' });
  }
  let parsed: ReturnType<typeof parseActionRequest>;
  try {
    parsed = parseActionRequest(body.toString('utf8'));
  } catch (error) {
    deps.log.warn('slack request not understood', { reason: error instanceof Error ? error.message : String(error) });
    return send(response, 400, { error: 'malformed payload' });
  }
  // Answer first (Slack gives up after 3 s); the decision and the message edit follow.
  response.writeHead(200).end();
  if (parsed) slack.actions.dispatch(parsed);
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The raw bytes (the signature covers them exactly), or null past `limit`: refused from Content-Length before a
 * byte is read, and otherwise as soon as the stream passes the limit — an oversized body is never buffered.
 */
async function readBody(request: IncomingMessage, limit: number): Promise<Buffer | null> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (!Number.isFinite(declared) || declared > limit) return null;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** 413, then the connection is closed: the rest of the body is not read. */
function refuseTooLarge(request: IncomingMessage, response: ServerResponse): void {
  response.setHeader('connection', 'close');
  send(response, 413, { error: 'request body too large' });
  response.once('finish', () => request.destroy());
}

export function isLoopback(address: string | undefined): boolean {
  return address === '::1' || address?.startsWith('127.') === true || address?.startsWith('::ffff:127.') === true;
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  response.end(text);
}
