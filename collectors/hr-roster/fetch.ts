import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SourceError } from '../../src/contract/errors.js';

/**
 * The roster from an HR system's report URL (Workday RaaS, BambooHR or any HRIS custom report that answers CSV):
 * fetched whole, then read by the same validating CSV reader as a file. A failed fetch or an answer that is not CSV
 * (an HTML sign-in page, a JSON error) stops the scan — never an empty roster, which would make everyone an orphan.
 */

export interface RosterUrlOptions {
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  headers: Record<string, string>;
  timeoutSeconds: number;
}

/** Reports are a few MB even for large companies; anything far beyond is not a roster. */
const MAX_ROSTER_BYTES = 512 * 1024 * 1024;

/** The URL as it may be shown: no userinfo, no query (report URLs sometimes carry tokens there). */
export function displayUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
}

/** Fetches the report into a private temporary file; `dispose` removes it. */
export async function fetchRosterToFile(
  options: RosterUrlOptions,
  fetchImpl: typeof fetch = fetch,
): Promise<{ file: string; dispose(): Promise<void> }> {
  const shown = displayUrl(options.url);
  const fail = (message: string, kind: SourceError['kind'] = 'server') =>
    new SourceError('roster', `${shown}: ${message}; the scan stops rather than use no roster`, kind);
  const headers: Record<string, string> = { accept: 'text/csv, text/plain;q=0.9, */*;q=0.1', ...options.headers };
  if (options.username !== undefined) {
    headers.authorization = `Basic ${Buffer.from(`${options.username}:${options.password ?? ''}`).toString('base64')}`;
  }
  let response: Response;
  try {
    response = await fetchImpl(options.url, {
      headers,
      redirect: 'follow',
      signal: AbortSignal.timeout(options.timeoutSeconds * 1000),
    });
  } catch (error) {
    const reason = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : '';
    const timedOut = error instanceof Error && error.name === 'TimeoutError';
    throw fail(
      timedOut ? `no answer within ${options.timeoutSeconds} s` : `cannot fetch (${reason})`,
      timedOut ? 'timeout' : 'network',
    );
  }
  if (!response.ok) {
    await response.body?.cancel();
    const kind = response.status === 401 || response.status === 403 ? 'auth' : 'server';
    throw fail(`HTTP ${response.status}${kind === 'auth' ? ' (check roster.username/password or headers)' : ''}`, kind);
  }
  const type = (response.headers.get('content-type') ?? '').toLowerCase();
  if (/html|json|xml/.test(type)) {
    await response.body?.cancel();
    throw fail(`the answer is ${type.split(';')[0]}, not CSV (a sign-in page or an error?)`, 'data');
  }
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > MAX_ROSTER_BYTES) throw fail(`the answer is ${declared} bytes, larger than any roster`, 'data');
  const body = Buffer.from(await response.arrayBuffer());
  const start = body
    .subarray(0, 256)
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trimStart();
  if (start.startsWith('<') || start.startsWith('{') || start.startsWith('[')) {
    throw fail('the answer does not look like CSV (it starts like HTML or JSON)', 'data');
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'zombiescan-roster-'));
  const file = path.join(dir, 'roster.csv');
  await writeFile(file, body, { mode: 0o600 });
  return { file, dispose: () => rm(dir, { recursive: true, force: true }) };
}
