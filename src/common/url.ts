import { createHash } from 'node:crypto';

/**
 * URLs from the config can carry secrets: a webhook's path is its credential (Slack, Teams, Zapier), a query can hold
 * a key. Logs, errors and the journal (which keeps them forever) name such a URL by its origin and a short hash of the
 * rest: enough to tell two endpoints apart, nothing to call one with.
 */
export function describeUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '<unparseable URL>';
  }
  const rest = parsed.pathname + parsed.search;
  if (rest === '/' || rest === '') return parsed.origin;
  return `${parsed.origin}/…#${createHash('sha256').update(rest).digest('hex').slice(0, 8)}`;
}

/** 127.0.0.0/8, ::1 and localhost: the only hosts plain http is accepted for (tests, a local proxy). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}
