import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/common/logger.js';
import { isLoopback, startServer, type RunningServer } from '../../src/serve/server.js';
import { openDatabase } from '../../src/store/database.js';

/** Sends raw bytes and collects the answer until the server closes the connection (or `ms` pass). */
function rawRequest(port: number, head: string, body: Buffer | null, ms = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(answer + '\n<still open>');
    }, ms);
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      if (answer) resolve(answer);
      else reject(error);
    });
    socket.write(head);
    if (body) socket.write(body);
  });
}

describe('serve HTTP limits', () => {
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function start(): Promise<number> {
    server = await startServer({
      host: '127.0.0.1',
      port: 0,
      db: openDatabase(':memory:'),
      log: silentLogger,
      now: () => new Date(),
      scheduler: { status: () => ({ running: false, nextRun: null, lastJob: null }) },
      slack: { signingSecret: 'test-signing-secret', actions: { dispatch: () => {} } as never },
    });
    return server.port;
  }

  it('refuses an oversized body from its Content-Length before reading it, and closes the connection', async () => {
    const port = await start();
    const started = Date.now();
    const answer = await rawRequest(
      port,
      'POST /slack/actions HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n' +
        'Content-Length: 50000000\r\n\r\n',
      null,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 413/);
    expect(answer).not.toContain('<still open>');
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('stops reading a chunked body as soon as it passes the limit', async () => {
    const port = await start();
    const chunk = Buffer.alloc(256 * 1024, 'a');
    const chunked = Buffer.concat(
      Array.from({ length: 6 }, () =>
        Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]),
      ),
    );
    const answer = await rawRequest(
      port,
      'POST /slack/actions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n',
      chunked,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 413/);
    expect(answer).not.toContain('<still open>');
  });

  it('tells only loopback callers the details of /healthz', () => {
    expect(isLoopback('127.0.0.1')).toBe(true);
    expect(isLoopback('::1')).toBe(true);
    expect(isLoopback('::ffff:127.0.0.1')).toBe(true);
    expect(isLoopback('10.1.2.3')).toBe(false);
    expect(isLoopback('::ffff:192.168.1.5')).toBe(false);
    expect(isLoopback(undefined)).toBe(false);
  });
});
