import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loadRoster, type RosterOptions } from '../../collectors/hr-roster/index.js';
import { parseConfig } from '../../src/config/config.js';
import { InputError, SourceError } from '../../src/contract/errors.js';

/**
 * An HR report endpoint on loopback (Workday RaaS / BambooHR style): basic auth or an API-key header, CSV answers, and
 * the failures a real one produces (a sign-in page, a 500, a JSON error).
 */
const CSV =
  'employee_id,email,status,termination_date\nE1,alice@acme.com,active,\nE2,bob@acme.com,terminated,2026-11-26\n';

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

async function hrReport(handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  close = () => new Promise((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/ccx/service/customreport2/acme/roster?format=csv&token=abc123`;
}

function options(url: string, extra: Partial<RosterOptions> = {}): RosterOptions {
  return { url, columns: {}, delimiter: ',', headers: {}, timeoutSeconds: 5, ...extra };
}

const basic = `Basic ${Buffer.from('isu_zombiescan:hunter2-report').toString('base64')}`;

describe('roster from an HR report URL', () => {
  it('fetches the whole report with basic auth and reads it like a file', async () => {
    const url = await hrReport((request, response) => {
      if (request.headers.authorization !== basic) return response.writeHead(401).end('unauthorized');
      response.writeHead(200, { 'content-type': 'text/csv; charset=utf-8' }).end(CSV);
    });
    const people = await loadRoster(
      options(url, { username: 'isu_zombiescan', password: 'hunter2-report' }),
      'America/New_York',
    );
    expect(people.map((person) => [person.employeeId, person.status, person.terminationEffectiveAt])).toEqual([
      ['E1', 'active', null],
      ['E2', 'terminated', '2026-11-27T05:00:00.000Z'],
    ]);
  });

  it('sends configured headers (an API key)', async () => {
    const url = await hrReport((request, response) => {
      if (request.headers['x-api-key'] !== 'key-7f3a9c1e') return response.writeHead(403).end();
      response.writeHead(200, { 'content-type': 'text/plain' }).end(CSV);
    });
    expect(await loadRoster(options(url, { headers: { 'X-API-Key': 'key-7f3a9c1e' } }), 'UTC')).toHaveLength(2);
  });

  it.each([
    ['a refused sign-in', (response: ServerResponse) => response.writeHead(401).end(), /HTTP 401 \(check roster/],
    ['a server error', (response: ServerResponse) => response.writeHead(500).end('oops'), /HTTP 500/],
    [
      'an HTML sign-in page',
      (response: ServerResponse) =>
        response.writeHead(200, { 'content-type': 'text/html' }).end('<html>Sign in</html>'),
      /the answer is text\/html, not CSV/,
    ],
    [
      'JSON served as text',
      (response: ServerResponse) => response.writeHead(200, { 'content-type': 'text/plain' }).end('{"error":"x"}'),
      /does not look like CSV/,
    ],
  ])('stops with exit 1 on %s, naming the URL without its query', async (_name, answer, message) => {
    const url = await hrReport((_request, response) => answer(response));
    const error = await loadRoster(options(url), 'UTC').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).exitCode).toBe(1);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toContain('/ccx/service/customreport2/acme/roster');
    expect((error as Error).message).not.toContain('abc123');
  });

  it('stops with exit 1 when nothing answers', async () => {
    const error = await loadRoster(options('http://127.0.0.1:9/report.csv'), 'UTC').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as Error).message).toMatch(/cannot fetch/);
  });

  it('validates rows exactly like a file, naming the URL and the line', async () => {
    const url = await hrReport((_request, response) =>
      response.writeHead(200, { 'content-type': 'text/csv' }).end('employee_id,email,status\nE1,alice@acme.com,gone\n'),
    );
    const error = await loadRoster(options(url), 'UTC').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+\/ccx\/service\/customreport2\/acme\/roster:2: status: unknown status "gone"/,
    );
  });

  it('config: exactly one of path or url; credentials as environment references; header values redacted', () => {
    const parse = (roster: string, env: NodeJS.ProcessEnv = {}) => parseConfig(`roster: ${roster}\n`, '/z.yaml', env);
    expect(() => parse('{}')).toThrow(/give exactly one of roster.path \(a CSV file\) or roster.url/);
    expect(() => parse('{ path: ./hr.csv, url: "https://hr.example/r" }')).toThrow(/exactly one/);
    expect(() => parse('{ url: "https://hr.example/r", username: u, password: plain }')).toThrow(
      /roster\.password: credentials are accepted only as an environment reference/,
    );
    const config = parse('{ url: "https://hr.example/r", headers: { X-API-Key: "${HR_KEY}" } }', {
      HR_KEY: 'key-7f3a9c1e',
    });
    expect(config.roster.url).toBe('https://hr.example/r');
    expect(config.secrets).toContain('key-7f3a9c1e');
  });
});
