import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createTicketClient, TicketError, type TicketRequest } from '../../src/remediation/tickets.js';
import { startJiraFake, type JiraFake } from '../fakes/jira.js';

const FAST = { baseDelayMs: 1, maxDelayMs: 50 };
const signal = () => AbortSignal.timeout(10_000);

function request(label = 'zombiescan-42'): TicketRequest {
  return {
    label,
    idempotencyKey: 'zombiescan:past-end-date:slack:U042',
    summary: '[zombiescan] past-end-date: carol@acme.com in slack',
    description: ['Carol’s contract ended on 2026-10-31.', '', 'Opened by zombiescan.'],
    payload: { id: 42, rule: 'past-end-date' },
  };
}

let jira: JiraFake | undefined;
let closeServer: (() => Promise<void>) | undefined;
afterEach(async () => {
  await jira?.close();
  await closeServer?.();
  jira = undefined;
  closeServer = undefined;
});

async function jiraClient(overrides: Record<string, unknown> = {}) {
  jira = await startJiraFake();
  return createTicketClient(
    {
      type: 'jira',
      baseUrl: `${jira.baseUrl}/`,
      email: jira.email,
      apiToken: jira.apiToken,
      project: 'SEC',
      issueType: 'Task',
      labels: [],
      ...overrides,
    } as never,
    { retryPolicy: FAST },
  );
}

describe('Jira tickets', () => {
  it('creates an issue with an ADF description and the finding label, and finds it again by label', async () => {
    const tickets = await jiraClient();
    const opened = await tickets.open(request(), signal());
    expect(opened).toEqual({ key: 'SEC-1', url: `${jira!.baseUrl}/browse/SEC-1` });
    const issue = jira!.state.issues[0]!;
    expect(issue.fields).toMatchObject({ project: 'SEC', issuetype: 'Task', labels: ['zombiescan', 'zombiescan-42'] });
    expect(issue.fields.description).toEqual({
      type: 'doc',
      version: 1,
      content: [
        { type: 'paragraph', content: [{ type: 'text', text: 'Carol’s contract ended on 2026-10-31.' }] },
        { type: 'paragraph', content: [{ type: 'text', text: 'Opened by zombiescan.' }] },
      ],
    });
    expect(await tickets.find('zombiescan-42', signal())).toEqual(opened);
    expect(await tickets.find('zombiescan-43', signal())).toBeNull();
    const search = jira!.state.requests.find((r) => r.path === '/rest/api/3/search/jql')!;
    expect(search.query.jql).toBe('project = "SEC" AND labels = "zombiescan-42" ORDER BY created ASC');
  });

  it('waits out 429 with Retry-After', async () => {
    const tickets = await jiraClient();
    jira!.inject({ status: 429, times: 2, retryAfter: '0', path: '/rest/api/3/issue' });
    expect((await tickets.open(request(), signal())).key).toBe('SEC-1');
    expect(jira!.creates().map((r) => r.status)).toEqual([429, 429, 201]);
  });

  it('does not create a duplicate when a 5xx came back after the issue was created', async () => {
    const tickets = await jiraClient();
    jira!.inject({ status: 502, times: 1, path: '/rest/api/3/issue', method: 'POST', afterCreate: true });
    expect((await tickets.open(request(), signal())).key).toBe('SEC-1');
    expect(jira!.state.issues).toHaveLength(1);
    expect(jira!.creates()).toHaveLength(1);
  });

  it('explains refusals without leaking the token', async () => {
    const bad = await jiraClient({ issueType: 'Epic Saga' });
    const error = await bad.open(request(), signal()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TicketError);
    expect((error as TicketError).message).toBe(
      'jira: POST /rest/api/3/issue: HTTP 400, Jira refused the request: issuetype: Specify a valid issue type',
    );
    await jira!.close();

    const denied = await jiraClient({ apiToken: 'wrong-token-value-123' });
    const refused = (await denied.open(request(), signal()).catch((caught: unknown) => caught)) as TicketError;
    expect(refused.message).toBe(
      'jira: POST /rest/api/3/issue: HTTP 401, Jira refused tickets.email / tickets.apiToken',
    );
    expect(refused.kind).toBe('auth');
    expect(refused.message).not.toContain('wrong-token-value-123');
  });
});

describe('webhook tickets', () => {
  async function receiver(answers: { status: number; body: string }[]) {
    const received: { headers: IncomingMessage['headers']; body: unknown }[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        const answer = answers.shift() ?? { status: 200, body: '' };
        res.writeHead(answer.status, { 'Content-Type': 'application/json' });
        res.end(answer.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closeServer = () => new Promise((resolve) => server.close(() => resolve()));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/tickets`, received };
  }

  it('posts the finding with a Bearer token and the same Idempotency-Key on every retry', async () => {
    const hook = await receiver([
      { status: 503, body: '' },
      { status: 201, body: '{"key":"OPS-77","url":"https://ops.example/77"}' },
    ]);
    const tickets = createTicketClient(
      { type: 'webhook', url: hook.url, token: 'hook-secret-token' },
      { retryPolicy: FAST },
    );
    expect(tickets.searchable).toBe(false);
    expect(await tickets.open(request(), signal())).toEqual({ key: 'OPS-77', url: 'https://ops.example/77' });
    expect(hook.received).toHaveLength(2);
    for (const call of hook.received) {
      expect(call.headers['idempotency-key']).toBe('zombiescan:past-end-date:slack:U042');
      expect(call.headers.authorization).toBe('Bearer hook-secret-token');
      expect(call.body).toEqual({ id: 42, rule: 'past-end-date' });
    }
  });

  it('names a failing webhook by its origin and a hash of its path: the path is its credential', async () => {
    const hook = await receiver([{ status: 400, body: '{"error":"no"}' }]);
    const secretUrl = hook.url.replace('/hooks/tickets', '/services/T0000/B0000/XXXXsecretXXXX');
    const tickets = createTicketClient({ type: 'webhook', url: secretUrl }, { retryPolicy: FAST });
    const error = (await tickets.open(request(), signal()).then(
      () => new Error('opened'),
      (e: unknown) => e,
    )) as Error;
    expect(error.message).not.toContain('XXXXsecretXXXX');
    expect(error.message).not.toContain('/services/');
    expect(error.message).toMatch(/POST http:\/\/127\.0\.0\.1:\d+\/…#[0-9a-f]{8}: HTTP 400/);
  });

  it('names the ticket by its idempotency key when the receiver answers without one', async () => {
    const hook = await receiver([{ status: 204, body: '' }]);
    const tickets = createTicketClient({ type: 'webhook', url: hook.url }, { retryPolicy: FAST });
    expect((await tickets.open(request(), signal())).key).toBe('zombiescan:past-end-date:slack:U042');
    expect(hook.received[0]!.headers.authorization).toBeUndefined();
  });
});
