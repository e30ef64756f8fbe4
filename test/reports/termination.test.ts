import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError, NotFoundError } from '../../src/contract/errors.js';
import { escapeHtml } from '../../reports/html.js';
import { renderTerminationHtml } from '../../reports/termination.js';
import { gatherTerminationData } from '../../src/reporting/termination.js';
import { bobOffboarding, buildCompany, runCli, TZ, writeConfig, XSS, type Harness } from './fixture.js';

let h: Harness;
const gather = (person: string) => gatherTerminationData(h.db, { person, now: h.now, timezone: TZ });

beforeAll(async () => {
  h = await buildCompany();
});
afterAll(() => h.db.close());

describe('termination report data', () => {
  it('renders the latest offboarding: every account, before/after, actions, verification', () => {
    const data = gather('E2');
    expect(data.person).toEqual({
      employeeId: 'E2',
      email: 'bob@acme.com',
      name: `Bob ${XSS}`,
      status: 'terminated',
      terminationDate: '2026-09-30',
      terminationEffectiveAt: '2026-09-30T23:00:00.000Z',
    });
    expect(data.offboarding).toMatchObject({ reportId: 1, complete: false, startedAt: '2026-11-21T08:00:00.000Z' });
    expect(data.offboarding!.accounts).toEqual(bobOffboarding().accounts);
  });

  it('highlights coverage gaps: unverified accounts and sources whose latest collection failed', () => {
    expect(gather('E2').gaps).toEqual([
      { source: 'github', accountId: null, reason: expect.stringContaining('latest collection failed (HTTP 503') },
      { source: 'github', accountId: 'g2', reason: 'could not be re-read after offboarding: removal not verified' },
    ]);
  });

  it('names accounts the latest scan holds that the offboarding did not cover', () => {
    const report = bobOffboarding();
    report.accounts = report.accounts.filter((account) => account.source !== 'slack');
    h.db
      .prepare('INSERT INTO termination_reports (person_id, started_at, json) VALUES (?, ?, ?)')
      .run('E2', '2026-11-22T08:00:00.000Z', JSON.stringify(report));
    const data = gather('E2');
    expect(data.offboarding!.reportId).toBe(2);
    expect(data.gaps).toContainEqual({
      source: 'slack',
      accountId: 's2',
      reason: 'in the latest scan (enabled) but not in the offboarding report',
    });
    h.db.prepare('DELETE FROM termination_reports WHERE id = 2').run();
  });

  it('leads with the accounts used after the termination took effect, and never turns unknown into "no"', () => {
    const data = gather('E2');
    expect(data.current.map((account) => [account.source, account.usedAfterTermination])).toEqual([
      ['github', null],
      ['okta', null],
      ['slack', true],
    ]);
    const page = renderTerminationHtml(data);
    const alarm = page.indexOf('id="used-after-termination"');
    expect(alarm).toBeGreaterThan(-1);
    // In the header, before the coverage gaps and every section.
    expect(alarm).toBeLessThan(page.indexOf('<section'));
    expect(page).toContain('<strong>1 account used after its owner&#39;s termination</strong>');
    expect(page).toContain('USED AFTER TERMINATION');
    // Erin's accounts have no known activity and no sign-in log: no alarm, and no claim either way.
    const erin = gather('E5');
    expect(erin.current.map((account) => account.usedAfterTermination)).toEqual([null, null]);
    expect(renderTerminationHtml(erin)).not.toContain('id="used-after-termination"');
  });

  it('says "(admin)" beside a severity raised because the account is privileged', () => {
    const data = gather('E2');
    const slack = data.current.find((account) => account.source === 'slack')!;
    expect(slack.openFindings[0]!.severityRaisedForPrivilege).toBe(false);
    expect(renderTerminationHtml(data)).not.toContain('(admin)');
    slack.openFindings[0]!.severityRaisedForPrivilege = true;
    expect(renderTerminationHtml(data)).toContain(
      '<span class="badge sev-critical">critical</span> <span class="muted">(admin)</span>',
    );
  });

  it('finds the person by email too', () => {
    expect(gather('BOB@acme.com').person.employeeId).toBe('E2');
  });

  it('without an offboarding, shows the current state of every account and says none was recorded', () => {
    const data = gather('E5');
    expect(data.offboarding).toBeNull();
    expect(data.current.map((account) => [account.source, account.accountId, account.enabled])).toEqual([
      ['github', 'g5', false],
      ['okta', 'o5', false],
    ]);
    const page = renderTerminationHtml(data);
    expect(page).toContain('No offboarding was recorded for this person');
    expect(page).toContain('no offboarding recorded');
  });

  it('lists the open findings of each current account', () => {
    const slack = gather('E2').current.find((account) => account.source === 'slack')!;
    expect(slack).toMatchObject({ enabled: true, displayName: XSS });
    expect(slack.openFindings).toEqual([expect.objectContaining({ rule: 'terminated-still-active', status: 'open' })]);
  });

  it('refuses an unknown person, and an offboarding record it cannot read', () => {
    expect(() => gather('E404')).toThrow(NotFoundError);
    h.db
      .prepare('INSERT INTO termination_reports (person_id, started_at, json) VALUES (?, ?, ?)')
      .run('E1', '2026-11-22T08:00:00.000Z', JSON.stringify({ person: { employeeId: 'E1' }, accounts: 'nope' }));
    expect(() => gather('E1')).toThrow(InputError);
    h.db.prepare(`DELETE FROM termination_reports WHERE person_id = 'E1'`).run();
  });
});

describe('termination report HTML', () => {
  it('escapes names, reasons and display names; carries no script', () => {
    const page = renderTerminationHtml(gather('E2')).replace(/\s+/g, ' ');
    expect(page).toContain(`Termination evidence: Bob ${escapeHtml(XSS)}`);
    expect(page).not.toContain(XSS);
    expect(page).not.toMatch(/<script|<img/i);
    expect(page).toContain('NOT VERIFIED');
    expect(page).toContain('INCOMPLETE');
    expect(page).toContain('(took 9 s)');
    expect(page).toContain('51 d 9 h after the termination took effect');
  });
});

describe('report termination (CLI)', () => {
  it('--format json --out - prints the evidence as JSON', async () => {
    const result = await runCli([
      '--config',
      writeConfig(h),
      'report',
      'termination',
      '--person',
      'E2',
      '--format',
      'json',
      '--out',
      '-',
    ]);
    expect(result.code).toBe(0);
    const data = JSON.parse(result.stdout) as ReturnType<typeof gather>;
    expect(data.offboarding?.complete).toBe(false);
    expect(data.person.employeeId).toBe('E2');
  });

  it('exits 2 for a person it knows nothing about', async () => {
    const result = await runCli([
      '--config',
      writeConfig(h),
      'report',
      'termination',
      '--person',
      'nobody',
      '--out',
      '-',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no person "nobody"');
  });
});
