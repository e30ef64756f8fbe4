import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '../../src/cli/main.js';
import { appendEntry } from '../../src/store/journal.js';
import { suppressFinding } from '../../src/store/findings.js';
import { endOfLocalDay } from '../../src/common/time.js';
import type { Account } from '../../src/contract/model.js';
import { account, Harness, person } from '../engine/helpers.js';

export type { Harness };

/** A display name and an HR name a hostile insider could set: every report must show them as text. */
export const XSS = '<img src=x onerror=alert(1)>';
export const XSS_SCRIPT = '<script>window.__xss = 1</script>';

export const CONFIG = `
database: ./z.db
timezone: Europe/London
roster: { path: ./hr.csv }
sources:
  - { name: okta, type: csv, path: ./okta.csv, role: idp }
  - { name: slack, type: csv, path: ./slack.csv }
  - { name: github, type: csv, path: ./github.csv }
exceptions:
  - { source: slack, login: "breakglass*", reason: "Break-glass, reviewed quarterly", owner: E1, expires: 2027-06-30 }
licenses:
  prices: { SLACK-PRO: 8.75, GH-ENT: 21 }
  currency: EUR
`;

export const TZ = 'Europe/London';

/**
 * A small company scanned four times:
 * - bob (E2) left on 2026-09-30: okta disabled before the first scan, his github account is disabled between scans
 *   2 and 3, his slack account (display name is an XSS payload) stays enabled with a paid licence;
 * - erin (E5) still works at scan 1, leaves on 2026-10-15, and every account is disabled by scan 2;
 * - a slack account nobody owns (orphan) is suppressed with an owner, a reason and an expiry;
 * - carol's github account is dormant; github fails at the fourth scan.
 * A remediation is journaled and bob has an offboarding report.
 */
export async function buildCompany(): Promise<Harness> {
  const h = new Harness(CONFIG);
  h.people = [
    person('E1', 'alice@acme.com', { name: 'Alice Admin' }),
    person('E2', 'bob@acme.com', {
      name: `Bob ${XSS}`,
      status: 'terminated',
      terminationDate: '2026-09-30',
      terminationEffectiveAt: endOfLocalDay('2026-09-30', TZ).toISOString(),
    }),
    person('E3', 'carol@acme.com', { name: 'Carol' }),
    person('E5', 'erin@acme.com', {
      name: 'Erin',
      status: 'terminated',
      terminationDate: '2026-10-15',
      terminationEffectiveAt: endOfLocalDay('2026-10-15', TZ).toISOString(),
    }),
  ];
  const okta = [
    account('okta', 'o1', { email: 'alice@acme.com' }),
    account('okta', 'o2', { email: 'bob@acme.com', enabled: false, rawStatus: 'SUSPENDED' }),
    account('okta', 'o3', { email: 'carol@acme.com' }),
    account('okta', 'o5', { email: 'erin@acme.com', enabled: false, rawStatus: 'DEPROVISIONED' }),
  ];
  const slack = [
    account('slack', 's1', { email: 'alice@acme.com', licenses: ['SLACK-PRO'] }),
    // Used after bob's termination took effect: the reports lead with it.
    account('slack', 's2', {
      email: 'bob@acme.com',
      displayName: XSS,
      licenses: ['SLACK-PRO'],
      activityKnown: true,
      lastActivityAt: '2026-10-05T08:00:00Z',
    }),
    account('slack', 's4', { email: 'ghost@acme.com', displayName: XSS_SCRIPT, licenses: ['SLACK-PRO'] }),
    account('slack', 's9', { login: 'breakglass-admin', email: 'breakglass@acme.com', privileged: true }),
  ];
  const github = (bobEnabled: boolean) => [
    account('github', 'g1', { email: 'alice@acme.com', activityKnown: true, lastActivityAt: '2026-10-30T10:00:00Z' }),
    account('github', 'g2', {
      email: 'bob@acme.com',
      enabled: bobEnabled,
      rawStatus: bobEnabled ? 'active' : 'suspended',
      licenses: ['GH-ENT'],
    }),
    account('github', 'g3', {
      email: 'carol@acme.com',
      activityKnown: true,
      lastActivityAt: '2026-03-01T10:00:00Z',
      licenses: ['GH-ENT'],
    }),
    account('github', 'g5', { email: 'erin@acme.com', enabled: false, rawStatus: 'suspended' }),
  ];

  // Scan 1: erin still works here; bob has left, his okta account was disabled before zombiescan ever looked.
  const erinTerminated = h.people[3]!;
  h.people[3] = person('E5', 'erin@acme.com', { name: 'Erin' });
  const erinActive = (accounts: Account[]) =>
    accounts.map((item) => (item.email === 'erin@acme.com' ? { ...item, enabled: true, rawStatus: 'active' } : item));
  h.accounts.set('okta', erinActive(okta));
  h.accounts.set('slack', slack);
  h.accounts.set('github', erinActive(github(true)));
  h.now = new Date('2026-10-10T02:00:00Z');
  await h.scan();

  // Scan 2: erin left on 2026-10-15 and every account of hers was disabled before this scan.
  h.people[3] = erinTerminated;
  h.accounts.set('okta', okta);
  h.accounts.set('github', github(true));
  h.now = new Date('2026-11-01T02:00:00Z');
  await h.scan();

  h.accounts.set('github', github(false));
  h.now = new Date('2026-11-10T02:00:00Z');
  await h.scan();

  const orphan = h.findings(`rule = 'orphan-account'`)[0]!;
  suppressFinding(h.db, {
    id: orphan.id,
    reason: 'Shared mailbox, owner being assigned',
    until: new Date('2026-12-31T23:59:59Z'),
    by: 'secops-lead',
    now: new Date('2026-11-12T09:00:00Z'),
  });

  h.accounts.set('github', new Error('HTTP 503 from upstream'));
  h.now = new Date('2026-11-20T02:00:00Z');
  await h.scan();

  const slackFinding = h.findings(`rule = 'terminated-still-active' AND source = 'slack'`)[0]!;
  const intent = appendEntry(h.db, {
    at: '2026-11-20T03:00:00.000Z',
    kind: 'intent',
    actor: 'alice',
    findingId: slackFinding.id,
    personId: 'E2',
    source: 'slack',
    accountId: 's2',
    action: 'ticket',
  });
  appendEntry(h.db, {
    at: '2026-11-20T03:00:01.000Z',
    kind: 'result',
    intentId: intent.id,
    actor: 'alice',
    findingId: slackFinding.id,
    personId: 'E2',
    source: 'slack',
    accountId: 's2',
    action: 'ticket',
    status: 'applied',
    reason: `opened SEC-42 for ${XSS}`,
    detail: { ticketKey: 'SEC-42' },
  });
  h.db
    .prepare('INSERT INTO termination_reports (person_id, started_at, json) VALUES (?, ?, ?)')
    .run('E2', '2026-11-21T08:00:00.000Z', JSON.stringify(bobOffboarding()));
  h.now = new Date('2026-11-26T12:00:00Z');
  return h;
}

export function bobOffboarding() {
  return {
    person: { employeeId: 'E2', email: 'bob@acme.com', name: `Bob ${XSS}`, status: 'terminated' },
    startedAt: '2026-11-21T08:00:00.000Z',
    finishedAt: '2026-11-21T08:00:09.000Z',
    complete: false,
    accounts: [
      {
        source: 'okta',
        accountId: 'o2',
        login: 'bob@acme.com',
        before: { enabled: false },
        actions: [{ action: 'disable', status: 'already-done', at: '2026-11-21T08:00:01.000Z', reason: 'SUSPENDED' }],
        after: { enabled: false },
        verified: true,
      },
      {
        source: 'slack',
        accountId: 's2',
        login: 'bob@acme.com',
        before: { enabled: true },
        actions: [
          { action: 'revoke-sessions', status: 'failed', at: '2026-11-21T08:00:03.000Z', reason: XSS },
          { action: 'disable', status: 'applied', at: '2026-11-21T08:00:05.000Z', reason: 'SCIM deactivate' },
        ],
        after: { enabled: false },
        verified: true,
      },
      {
        source: 'github',
        accountId: 'g2',
        login: 'bob@acme.com',
        before: { enabled: false },
        actions: [],
        after: { enabled: null },
        verified: false,
      },
    ],
  };
}

/** Runs the CLI in-process (no build needed), capturing stdout and stderr. */
export async function runCli(
  args: string[],
  now = new Date('2026-11-26T12:00:00Z'),
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const code = await main(args, {
    stdout: stdout as unknown as typeof process.stdout,
    stderr: stderr as unknown as typeof process.stderr,
    env: { NO_COLOR: '1' },
    now: () => now,
  });
  return { code, stdout: out, stderr: err };
}

/** The fixture's config written beside its database, so the CLI reads the same timezone and prices. */
export function writeConfig(h: Harness): string {
  const file = path.join(h.dir, 'zombiescan.yaml');
  writeFileSync(file, CONFIG);
  return file;
}
