import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSlackFake, type RecordedRequest, type SlackFake, type SlackFakeOptions } from './slack.js';

/**
 * The Slack fake plus the chat methods the review buttons use, `chat.update` and `chat.postEphemeral`, which the
 * base fake's method table does not have (and offers no way to add). A loopback proxy answers those two itself,
 * against the base fake's state (a message must have been posted to be updated), and forwards everything else.
 * Same rules as Slack: POST, Bearer token with `chat:write`, errors as HTTP 200 `{ok:false, error}`.
 */

export interface ChatUpdate {
  channel: string;
  ts: string;
  text: string | null;
  blocks: unknown[] | null;
}

export interface EphemeralMessage {
  channel: string;
  user: string;
  text: string | null;
}

export interface SlackChatFake extends SlackFake {
  /** chat.update calls that succeeded, in order. */
  updates: ChatUpdate[];
  /** chat.postEphemeral calls that succeeded, in order. */
  ephemerals: EphemeralMessage[];
  /** Resolves once `count` chat.update calls have succeeded (for work a server does after answering). */
  updated(count: number): Promise<ChatUpdate[]>;
}

export async function startSlackChatFake(options: SlackFakeOptions = {}): Promise<SlackChatFake> {
  const base = await startSlackFake(options);
  const upstream = new URL(base.apiUrl);
  const updates: ChatUpdate[] = [];
  const ephemerals: EphemeralMessage[] = [];
  const waiters: { count: number; resolve: (updates: ChatUpdate[]) => void }[] = [];
  const wake = () => {
    for (const waiter of waiters.filter((candidate) => updates.length >= candidate.count)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(updates);
    }
  };

  const answerChat = (method: string, request: IncomingMessage, body: string, response: ServerResponse) => {
    const params = parseParams(request.headers['content-type'], body);
    const tokenValue =
      /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '')?.[1] ??
      (typeof params.token === 'string' ? params.token : null);
    delete params.token;
    const record: RecordedRequest = {
      httpMethod: request.method ?? '',
      method,
      contentType: request.headers['content-type'] ?? null,
      params,
      token: tokenValue,
      at: Date.now(),
      status: 200,
      error: null,
    };
    base.state.requests.push(record);
    const reply = (payload: Record<string, unknown>) => {
      record.error = payload.ok === false ? String(payload.error) : null;
      response.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      response.end(JSON.stringify(payload));
    };
    if (tokenValue === null) return reply({ ok: false, error: 'not_authed' });
    const token = base.state.tokens[tokenValue];
    if (!token) return reply({ ok: false, error: 'invalid_auth' });
    if (!token.scopes.includes('chat:write')) {
      return reply({ ok: false, error: 'missing_scope', needed: 'chat:write', provided: token.scopes.join(',') });
    }
    const channel = typeof params.channel === 'string' ? params.channel : '';
    if (channel === '') return reply({ ok: false, error: 'channel_not_found' });
    const text = typeof params.text === 'string' && params.text !== '' ? params.text : null;
    const blocks = typeof params.blocks === 'string' ? (JSON.parse(params.blocks) as unknown[]) : null;
    if (text === null && blocks === null) return reply({ ok: false, error: 'no_text' });

    if (method === 'chat.update') {
      const ts = typeof params.ts === 'string' ? params.ts : '';
      const message = base.state.messages.find((candidate) => candidate.channel === channel && candidate.ts === ts);
      if (!message) return reply({ ok: false, error: 'message_not_found' });
      // Slack: only the poster can edit a message ("cant_update_message").
      if (message.token !== tokenValue) return reply({ ok: false, error: 'cant_update_message' });
      message.text = text ?? message.text;
      message.blocks = blocks ?? message.blocks;
      updates.push({ channel, ts, text, blocks });
      reply({ ok: true, channel, ts, text: text ?? '' });
      return wake();
    }
    const user = typeof params.user === 'string' ? params.user : '';
    if (user === '') return reply({ ok: false, error: 'user_not_found' });
    ephemerals.push({ channel, user, text });
    return reply({
      ok: true,
      message_ts: `${Math.floor(Date.now() / 1000)}.${String(ephemerals.length).padStart(6, '0')}`,
    });
  };

  const forward = async (request: IncomingMessage, body: Buffer, response: ServerResponse) => {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (typeof value === 'string' && !['host', 'connection', 'content-length'].includes(name)) headers[name] = value;
    }
    try {
      const answer = await fetch(new URL(request.url ?? '/', upstream), {
        method: request.method,
        headers,
        body: request.method === 'GET' || request.method === 'HEAD' ? undefined : body,
      });
      const responseHeaders: Record<string, string> = {};
      answer.headers.forEach((value, name) => {
        if (!['content-length', 'transfer-encoding', 'connection', 'keep-alive'].includes(name)) {
          responseHeaders[name] = value;
        }
      });
      response.writeHead(answer.status, responseHeaders);
      response.end(Buffer.from(await answer.arrayBuffer()));
    } catch {
      // The base fake cut the connection (an injected network failure): cut ours too.
      request.socket.destroy();
    }
  };

  const server = createServer((request, response) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks);
      const method = decodeURIComponent(new URL(request.url ?? '/', 'http://fake').pathname.replace(/^\/api\//, ''));
      if (request.method === 'POST' && (method === 'chat.update' || method === 'chat.postEphemeral')) {
        answerChat(method, request, body.toString('utf8'), response);
      } else {
        await forward(request, body, response);
      }
    })();
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;

  return {
    ...base,
    apiUrl: `${origin}/api/`,
    scimUrl: base.scimUrl.replace(upstream.origin, origin),
    updates,
    ephemerals,
    updated: (count) =>
      new Promise((resolve) => {
        waiters.push({ count, resolve });
        wake();
      }),
    close: async () => {
      await new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      });
      await base.close();
    },
  };
}

function parseParams(contentType: string | undefined, body: string): Record<string, unknown> {
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  if (mediaType === 'application/json') {
    const parsed = JSON.parse(body) as Record<string, unknown>;
    // JSON bodies carry blocks as arrays; keep one shape for the handler.
    if (Array.isArray(parsed.blocks)) parsed.blocks = JSON.stringify(parsed.blocks);
    return parsed;
  }
  return Object.fromEntries(new URLSearchParams(body));
}
