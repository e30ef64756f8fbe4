import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderAuditHtml, trendSvg, type AuditData } from '../../reports/audit.js';
import { gatherAuditData, type AuditOptions } from '../../src/reporting/audit.js';
import { escapeHtml, formatInstant, formatLag, html } from '../../reports/html.js';
import { openDatabase } from '../../src/store/database.js';
import { testDatabase } from '../store/engines.js';
import { tempDir } from '../engine/helpers.js';
import { buildCompany, runCli, TZ, writeConfig, XSS, XSS_SCRIPT, type Harness } from './fixture.js';

let h: Harness;
let data: AuditData;

function options(extra: Partial<AuditOptions> = {}): AuditOptions {
  return {
    now: h.now,
    timezone: TZ,
    configFile: h.config.file,
    since: null,
    licensePrices: h.config.licenses.prices,
    currency: h.config.licenses.currency,
    configuredSources: h.config.sources,
    ...extra,
  };
}

beforeAll(async () => {
  h = await buildCompany();
  data = gatherAuditData(h.db, options());
});
afterAll(() => h.db.close());

describe('audit report data', () => {
  it('states the scope: roster size, latest run, timezone, config', () => {
    expect(data).toMatchObject({
      generatedAt: '2026-11-26T12:00:00.000Z',
      timezone: TZ,
      configFile: h.config.file,
      rosterPeople: 4,
      latestRun: { id: 4, status: 'partial' },
    });
  });

  it('reports coverage per source from its latest collection, with the last complete snapshot', () => {
    const bySource = Object.fromEntries(data.coverage.map((row) => [row.source, row]));
    expect(data.coverage.map((row) => row.source)).toEqual(['okta', 'github', 'slack']);
    expect(bySource.github).toMatchObject({
      status: 'failed',
      error: 'HTTP 503 from upstream',
      lastRunId: 4,
      accounts: 4,
      lastCompleteAt: '2026-11-10T02:00:00.000Z',
    });
    expect(bySource.okta).toMatchObject({
      status: 'complete',
      accounts: 4,
      lastCompleteAt: '2026-11-20T02:00:00.000Z',
    });
  });

  it('lists a configured source that was never collected as a gap', () => {
    const withNew = gatherAuditData(
      h.db,
      options({ configuredSources: [...h.config.sources, { name: 'zoom', type: 'scim', role: 'app' }] }),
    );
    expect(withNew.coverage.find((row) => row.source === 'zoom')).toMatchObject({
      status: 'never collected',
      lastCompleteAt: null,
    });
  });

  it('counts unresolved findings by rule, severity and age, and all findings by status', () => {
    expect(data.findings.unresolved).toBe(2);
    expect(data.findings.bySeverity).toEqual({ critical: 1, high: 0, medium: 1, low: 0 });
    expect(data.findings.byRule.map((row) => [row.rule, row.total])).toEqual([
      ['terminated-still-active', 1],
      ['dormant-account', 1],
    ]);
    expect(data.findings.byStatus).toEqual({ open: 2, suppressed: 2, resolved: 1 });
    // First seen 2026-10-10, report on 2026-11-26: 47 days.
    expect(data.findings.byAge.map((bucket) => bucket.total)).toEqual([0, 0, 2, 0]);
  });

  it('derives when each departed person lost each account, and flags what is still open', () => {
    const bob = data.terminations.find((person) => person.employeeId === 'E2')!;
    expect(bob).toMatchObject({ effectiveAt: '2026-09-30T23:00:00.000Z', stillOpen: true, allRemovedLagMs: null });
    const accounts = Object.fromEntries(bob.accounts.map((account) => [account.source, account]));
    // Disabled between scans 2 and 3: the scan that resolved its finding saw it gone.
    expect(accounts.github).toMatchObject({
      state: 'disabled',
      method: 'finding-resolved',
      removedSeenAt: '2026-11-10T02:00:00.000Z',
      lagMs: Date.parse('2026-11-10T02:00:00Z') - Date.parse('2026-09-30T23:00:00Z'),
      stillOpen: false,
    });
    // Disabled before zombiescan first collected okta: seen disabled then, but no delay can be claimed.
    expect(accounts.okta).toMatchObject({
      method: 'before-monitoring',
      removedSeenAt: '2026-10-10T02:00:00.000Z',
      lagMs: null,
      stillOpen: false,
    });
    expect(accounts.slack).toMatchObject({ state: 'enabled', stillOpen: true, displayName: XSS });

    // Erin's sources were collected before she left and her accounts were already disabled at the next scan.
    const erin = data.terminations.find((person) => person.employeeId === 'E5')!;
    const lag = Date.parse('2026-11-01T02:00:00Z') - Date.parse('2026-10-15T23:00:00Z');
    expect(erin.accounts.map((account) => [account.source, account.method, account.lagMs])).toEqual([
      ['github', 'first-scan-after-termination', lag],
      ['okta', 'first-scan-after-termination', lag],
    ]);
    expect(erin).toMatchObject({ stillOpen: false, allRemovedLagMs: lag });
  });

  it("leads with the accounts used after their owner's termination", () => {
    expect(data.usedAfterTermination).toMatchObject({
      accounts: 1,
      findings: [
        {
          rule: 'terminated-still-active',
          source: 'slack',
          account: 'bob@acme.com',
          personId: 'E2',
          message: expect.stringMatching(/^Used after termination: bob@acme\.com \(E2\) was terminated on 2026-09-30/),
        },
      ],
    });
    const bob = data.terminations.find((person) => person.employeeId === 'E2')!;
    expect(bob.accounts.map((account) => [account.source, account.usedAfterTermination])).toEqual([
      ['github', false],
      ['okta', false],
      ['slack', true],
    ]);
    const page = renderAuditHtml(data);
    const sections = [...page.matchAll(/<section id="([^"]+)"/g)].map((match) => match[1]);
    expect(sections[0]).toBe('used-after-termination');
    expect(page).toContain('<strong>1 account used after its owner&#39;s termination</strong>');
    expect(page.indexOf('USED AFTER TERMINATION')).toBeGreaterThan(page.indexOf('id="terminations"'));
    expect(page).toMatch(/<span class="label">Accounts used after their owner’s termination<\/span>/);
  });

  it('lists suppressions with reason, owner and expiry, and the standing exceptions', () => {
    expect(data.suppressions).toEqual([
      expect.objectContaining({
        rule: 'orphan-account',
        account: 'ghost@acme.com',
        reason: 'Shared mailbox, owner being assigned',
        owner: 'secops-lead',
        until: '2026-12-31T23:59:59.000Z',
        origin: 'manual',
      }),
      expect.objectContaining({
        account: 'breakglass@acme.com',
        owner: 'E1',
        origin: 'exception',
        // high for an orphan, raised to critical because the account is an admin: the report says "(admin)".
        severity: 'critical',
        severityRaisedForPrivilege: true,
      }),
    ]);
    expect(data.suppressions[0]!.severityRaisedForPrivilege).toBe(false);
    expect(renderAuditHtml(data)).toContain(
      '<span class="badge sev-critical">critical</span> <span class="muted">(admin)</span>',
    );
    expect(data.exceptions).toEqual([
      {
        source: 'slack',
        login: 'breakglass*',
        reason: 'Break-glass, reviewed quarterly',
        owner: 'E1',
        expires: '2027-06-30',
        expiresAsTyped: 'the end of 2027-06-30, Europe/London',
        rules: null,
        expired: false,
      },
    ]);
    const later = gatherAuditData(h.db, options({ now: new Date('2027-07-01T00:00:00Z') }));
    expect(later.exceptions[0]!.expired).toBe(true);
  });

  it('shows remediation results from the journal and verifies its hash chain', () => {
    expect(data.remediation).toMatchObject({
      unfinishedIntents: 0,
      journal: { ok: true, rows: 2 },
      results: [{ action: 'ticket', status: 'applied', source: 'slack', accountId: 's2', actor: 'alice' }],
    });
  });

  it('counts licences held by zombie accounts per SKU, priced from the config', () => {
    expect(data.licenses).toEqual({
      rows: [
        { sku: 'GH-ENT', accounts: 1, unitPrice: 21, monthlyCost: 21 },
        { sku: 'SLACK-PRO', accounts: 1, unitPrice: 8.75, monthlyCost: 8.75 },
      ],
      seats: 2,
      monthlyTotal: 29.75,
      unpricedSkus: 0,
      currency: 'EUR',
    });
    const unpriced = gatherAuditData(h.db, options({ licensePrices: { 'GH-ENT': 21 } }));
    expect(unpriced.licenses).toMatchObject({ monthlyTotal: 21, unpricedSkus: 1 });
  });

  it('replays the findings history into open counts per severity at each past scan', () => {
    expect(data.trend.map((point) => [point.runId, point.counts])).toEqual([
      [1, { critical: 2, high: 1, medium: 1, low: 0 }],
      [2, { critical: 2, high: 1, medium: 1, low: 0 }],
      [3, { critical: 1, high: 1, medium: 1, low: 0 }],
      [4, { critical: 1, high: 0, medium: 1, low: 0 }],
    ]);
  });

  it('--since limits the trend, departures and remediation history to the period', () => {
    const period = gatherAuditData(h.db, options({ since: new Date('2026-11-05T00:00:00Z') }));
    expect(period.trend.map((point) => point.runId)).toEqual([3, 4]);
    expect(period.terminations).toEqual([]);
    const late = gatherAuditData(h.db, options({ since: new Date('2026-11-21T00:00:00Z') }));
    expect(late.remediation).toMatchObject({ results: [] });
  });
});

describe('audit report on an empty database', () => {
  it('renders, saying there is nothing yet', () => {
    const db = openDatabase(testDatabase(':memory:'));
    const empty = gatherAuditData(db, { ...options(), configuredSources: [] });
    expect(empty).toMatchObject({ rosterPeople: null, latestRun: null, coverage: [], trend: [], terminations: [] });
    const page = renderAuditHtml(empty);
    expect(page).toContain('No source has been collected yet.');
    expect(page).toContain('No completed scan in the period.');
    db.close();
  });
});

describe('audit report journal checks', () => {
  it('reports a broken chain naming the first altered row', async () => {
    const tampered = await buildCompany();
    // The triggers forbid this; an attacker with the file can drop them, and the chain still tells.
    tampered.db.exec(
      tampered.db.engine === 'postgres'
        ? 'DROP TRIGGER audit_log_no_update ON audit_log'
        : 'DROP TRIGGER audit_log_no_update',
    );
    tampered.db.prepare(`UPDATE audit_log SET reason = 'nothing to see' WHERE id = 2`).run();
    const report = gatherAuditData(tampered.db, { ...options(), now: tampered.now });
    expect(report.remediation).toMatchObject({ journal: { ok: false, firstBadId: 2 } });
    expect(renderAuditHtml(report).replace(/\s+/g, ' ')).toContain('Journal hash chain BROKEN</strong> at entry #2');
    tampered.db.close();
  });
});

describe('audit report HTML', () => {
  it('escapes every value from a source: markup shows as text, no script, nothing external', () => {
    const page = renderAuditHtml(data);
    expect(page).toContain(escapeHtml(XSS));
    expect(page).toContain(escapeHtml(XSS_SCRIPT));
    expect(page).not.toContain(XSS);
    expect(page).not.toMatch(/<script/i);
    expect(page).not.toMatch(/<img/i);
    expect(page).not.toMatch(/<[a-z][^>]*\son[a-z]+=/i);
    expect(page).not.toMatch(/(src|href)=["']?(https?:)?\/\//i);
    expect(page).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
  });

  it('is printable: page breaks between sections, header rows repeat', () => {
    const page = renderAuditHtml(data);
    expect(page).toMatch(/@media print/);
    expect(page).toMatch(/section \{ break-before: page; page-break-before: always; \}/);
    expect(page).toMatch(/thead \{ display: table-header-group; \}/);
    // The fixture has an account used after termination: its section leads, so 8.
    expect(page.match(/<section /g)).toHaveLength(8);
    expect(page.match(/<section [^>]*class="first"/g)).toHaveLength(1);
  });

  it('shows the key numbers', () => {
    const text = renderAuditHtml(data).replace(/\s+/g, ' ');
    expect(text).toContain('€29.75');
    expect(text).toContain('40 d 3 h'); // bob's github: 2026-09-30 23:00Z -> 2026-11-10 02:00Z
    expect(text).toContain('HTTP 503 from upstream');
    expect(text).toContain('Journal hash chain verified: 2 entries, intact.');
    expect(text).toContain('Shared mailbox, owner being assigned');
  });

  it('draws the trend as inline SVG bars with totals', () => {
    const svg = trendSvg(data.trend, TZ).value;
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/<rect [^>]*><title>/g)).toHaveLength(3 + 3 + 3 + 2);
    expect(svg).toContain('<title>run #1: 2 critical</title>');
    expect(trendSvg([], TZ).value).toContain('<svg');
  });
});

describe('html helpers', () => {
  it('escapes interpolations, arrays and nothing else', () => {
    const name = `"><b>x</b>&'`;
    expect(html`<td title="${name}">${[name, null, 3]}</td>`.value).toBe(
      '<td title="&quot;&gt;&lt;b&gt;x&lt;/b&gt;&amp;&#39;">&quot;&gt;&lt;b&gt;x&lt;/b&gt;&amp;&#39;3</td>',
    );
    expect(html`${html`<b>${name}</b>`}`.value).toBe('<b>&quot;&gt;&lt;b&gt;x&lt;/b&gt;&amp;&#39;</b>');
  });

  it('formats times in the configured zone and delays in days and hours', () => {
    expect(formatInstant('2026-07-01T12:30:00Z', 'Europe/London')).toBe('2026-07-01 13:30');
    expect(formatInstant('2026-12-01T12:30:00Z', 'Europe/London')).toBe('2026-12-01 12:30');
    expect(formatLag(9_000)).toBe('9 s');
    expect(formatLag(90 * 60_000)).toBe('1 h');
    expect(formatLag((40 * 24 + 3) * 3_600_000)).toBe('40 d 3 h');
  });
});

describe('report audit (CLI)', () => {
  it('writes one self-contained HTML file into --out', async () => {
    const config = writeConfig(h);
    const out = path.join(tempDir('zombiescan-audit-'), 'reports');
    const result = await runCli([
      '--config',
      config,
      '--json',
      'report',
      'audit',
      '--out',
      out,
      '--since',
      '2026-11-05',
    ]);
    expect(result.code).toBe(0);
    const file = (JSON.parse(result.stdout) as { file: string }).file;
    expect(file).toBe(path.join(out, 'zombiescan-audit-2026-11-26.html'));
    expect(existsSync(file)).toBe(true);
    const page = readFileSync(file, 'utf8').replace(/\s+/g, ' ');
    expect(page).toContain('since 2026-11-05 00:00');
    expect(page).toContain('Europe/London');
  });

  it('refuses an impossible --since with exit 2', async () => {
    const result = await runCli(['--config', writeConfig(h), 'report', 'audit', '--since', '2026-02-30', '--out', '-']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--since 2026-02-30: not a real date');
  });
});
