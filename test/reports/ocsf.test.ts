import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FindingStatus, Severity } from '../../src/contract/model.js';
import { findingToOcsf, type OcsfSourceFinding } from '../../reports/ocsf.js';
import { gatherOcsfFindings } from '../../src/reporting/ocsf.js';
import { buildCompany, runCli, writeConfig, XSS, type Harness } from './fixture.js';

/** Events are read as loose JSON, the way a SIEM parses them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type OcsfEvent = Record<string, any>;

const base: OcsfSourceFinding = {
  id: 7,
  rule: 'terminated-still-active',
  severity: 'critical',
  status: 'open',
  source: 'slack',
  accountId: 'U123',
  login: 'bob',
  email: 'bob@acme.com',
  displayName: 'Bob',
  personId: 'E2',
  firstSeen: '2026-11-01T02:00:00.000Z',
  lastSeen: '2026-11-01T02:00:00.000Z',
  message: 'bob@acme.com (E2) was terminated on 2026-09-30 but their slack account is still enabled.',
  evidence: { terminationDate: '2026-09-30' },
  suppressedUntil: null,
  suppressReason: null,
  suppressedBy: null,
  ticketKey: null,
  statusChangedAt: '2026-11-01T02:00:00.000Z',
};

const ocsf = (extra: Partial<OcsfSourceFinding> = {}) =>
  findingToOcsf({ ...base, ...extra }, { version: '9.9.9' }) as OcsfEvent;

/** OCSF 1.x Detection Finding: what the class and its base event require. */
function expectValidDetectionFinding(event: OcsfEvent): void {
  expect(event.class_uid).toBe(2004);
  expect(event.category_uid).toBe(2);
  expect([1, 2, 3]).toContain(event.activity_id);
  expect(event.type_uid).toBe(2004 * 100 + event.activity_id);
  expect(Number.isInteger(event.time)).toBe(true);
  expect([2, 3, 4, 5]).toContain(event.severity_id);
  expect(event.metadata.version).toMatch(/^1\.\d+\.\d+$/);
  expect(event.metadata.product).toMatchObject({ name: 'zombiescan', vendor_name: 'zombiescan' });
  expect(typeof event.finding_info.uid).toBe('string');
  expect(typeof event.finding_info.title).toBe('string');
}

describe('OCSF Detection Finding mapping', () => {
  it('maps a finding onto the required attributes, with the account as resource and user', () => {
    const event = ocsf();
    expectValidDetectionFinding(event);
    expect(event).toMatchObject({
      activity_id: 1,
      activity_name: 'Create',
      type_uid: 200401,
      time: Date.parse('2026-11-01T02:00:00Z'),
      severity_id: 5,
      severity: 'Critical',
      status_id: 1,
      status: 'New',
      is_alert: true,
      message: base.message,
      metadata: { product: { version: '9.9.9' } },
      finding_info: {
        uid: '7',
        title: 'Terminated person still has an enabled account',
        desc: base.message,
        types: ['terminated-still-active'],
        first_seen_time: Date.parse(base.firstSeen),
        last_seen_time: Date.parse(base.lastSeen),
        analytic: { uid: 'terminated-still-active', type_id: 1, type: 'Rule' },
      },
      resources: [{ uid: 'U123', name: 'bob', type: 'Account', owner: { uid: 'E2' } }],
      evidences: [{ user: { uid: 'U123', name: 'bob', email_addr: 'bob@acme.com' }, data: base.evidence }],
      unmapped: { zombiescan: { source: 'slack', status: 'open' } },
    });
    expect(event.remediation.desc).toMatch(/Revoke the sessions/);
  });

  it.each<[Severity, number]>([
    ['low', 2],
    ['medium', 3],
    ['high', 4],
    ['critical', 5],
  ])('severity %s -> severity_id %i', (severity, id) => {
    expect(ocsf({ severity }).severity_id).toBe(id);
  });

  it.each<[FindingStatus, number, string, number]>([
    ['open', 1, 'New', 2],
    ['acknowledged', 2, 'In Progress', 2],
    ['suppressed', 3, 'Suppressed', 2],
    ['resolved', 4, 'Resolved', 3],
    ['remediated', 4, 'Resolved', 3],
  ])('status %s -> status_id %i (%s), activity %i', (status, statusId, caption, activityId) => {
    const event = ocsf({ status, lastSeen: '2026-11-10T02:00:00.000Z', statusChangedAt: '2026-11-12T09:00:00.000Z' });
    expectValidDetectionFinding(event);
    expect(event).toMatchObject({ status_id: statusId, status: caption, activity_id: activityId });
    expect(event.type_uid).toBe(200400 + activityId);
    // The event time is the latest thing that happened to the finding: here its status change.
    expect(event.time).toBe(Date.parse('2026-11-12T09:00:00Z'));
  });

  it('a finding seen again in a later scan is an Update', () => {
    expect(ocsf({ lastSeen: '2026-11-10T02:00:00.000Z' })).toMatchObject({ activity_id: 2, type_uid: 200402 });
  });
});

describe('report findings --format ocsf', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await buildCompany();
  });
  afterAll(() => h.db.close());

  it('gathers the status change time with each finding', () => {
    const findings = gatherOcsfFindings(h.db, { status: 'suppressed' });
    expect(findings.find((finding) => finding.suppressedBy === 'secops-lead')?.statusChangedAt).toBe(
      '2026-11-12T09:00:00.000Z',
    );
  });

  it('prints one valid Detection Finding per finding as a JSON array, with the package version', async () => {
    const result = await runCli([
      '--config',
      writeConfig(h),
      'report',
      'findings',
      '--format',
      'ocsf',
      '--status',
      'all',
    ]);
    expect(result.code).toBe(0);
    const events = JSON.parse(result.stdout) as OcsfEvent[];
    expect(events).toHaveLength(h.findings().length);
    events.forEach(expectValidDetectionFinding);
    const pkg = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../package.json'), 'utf8')) as {
      version: string;
    };
    expect(new Set(events.map((event) => event.metadata.product.version))).toEqual(new Set([pkg.version]));
    const bob = events.find((event) => event.resources[0].uid === 's2')!;
    expect(bob.evidences[0].user.full_name).toBe(XSS);
    expect(events.map((event) => event.status).sort()).toEqual(['New', 'New', 'Resolved', 'Suppressed', 'Suppressed']);
  });
});
