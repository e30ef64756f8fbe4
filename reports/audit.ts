import { SEVERITIES, type Severity } from '../src/contract/model.js';
import { usedAfterTerminationHeadline } from '../src/contract/finding-facts.js';
import {
  formatDay,
  formatInstant,
  formatLag,
  formatMoney,
  html,
  htmlDocument,
  section,
  SEVERITY_COLORS,
  severityBadge,
  severityLabelBadge,
  statusBadge,
  table,
  trusted,
  type SafeHtml,
} from './html.js';

/**
 * `report audit`: the evidence an auditor asks for before a compliance review. This file declares the model
 * (`AuditData`) and renders it; src/reporting/audit.ts gathers it from the store, and the CLI writes the file.
 */

/** Findings an auditor counts as exposure: not resolved, not remediated, not accepted by a suppression. */
export const UNRESOLVED_STATUSES = ['open', 'acknowledged'] as const;

/** Rules whose accounts should not exist at all: any licence they hold can be reclaimed. */
export const RECLAIM_RULES = [
  'terminated-still-active',
  'past-end-date',
  'orphan-account',
  'dormant-account',
  'idp-disabled-app-active',
] as const;

export const AGE_BUCKETS = [
  { label: '0–7 days', max: 7 },
  { label: '8–30 days', max: 30 },
  { label: '31–90 days', max: 90 },
  { label: '> 90 days', max: Infinity },
] as const;

/** What the remediation journal says about its own integrity. */
export type JournalCheck = { ok: true; rows: number } | { ok: false; rows: number; firstBadId: number; reason: string };

export interface CoverageRow {
  source: string;
  type: string;
  role: string;
  /** Status of the source in the last run that tried it, or 'never collected'. */
  status: string;
  lastRunId: number | null;
  lastRunAt: string | null;
  /** Accounts in the source's last complete snapshot. */
  accounts: number | null;
  activityKnown: boolean | null;
  notices: string[];
  error: string | null;
  lastCompleteAt: string | null;
  inConfig: boolean;
}

export interface TerminationAccount {
  source: string;
  accountId: string;
  login: string | null;
  displayName: string | null;
  privileged: boolean;
  /** 'enabled' | 'disabled' | 'removed' (no longer in the source's snapshot). */
  state: 'enabled' | 'disabled' | 'removed';
  /** When a scan first saw access gone (upper bound: the true moment lies between two scans). */
  removedSeenAt: string | null;
  /** How removedSeenAt was derived (see the report's method note). */
  method:
    | 'finding-resolved'
    | 'finding-remediated'
    | 'first-scan-after-termination'
    | 'before-monitoring'
    | 'unknown'
    | 'still-enabled'
    | 'not-due';
  lagMs: number | null;
  stillOpen: boolean;
  /** An unresolved finding shows the account was used after the termination took effect. */
  usedAfterTermination?: boolean;
}

export interface TerminationRow {
  employeeId: string;
  name: string | null;
  email: string;
  terminationDate: string | null;
  effectiveAt: string | null;
  inEffect: boolean;
  accounts: TerminationAccount[];
  stillOpen: boolean;
  /** Time from termination until the last account was seen gone; null while any is still open. */
  allRemovedLagMs: number | null;
}

export interface SuppressionRow {
  findingId: number;
  rule: string;
  severity: string;
  /** The severity was raised one level because the account or credential is privileged. */
  severityRaisedForPrivilege?: boolean;
  source: string;
  account: string;
  displayName: string | null;
  reason: string | null;
  owner: string | null;
  until: string | null;
  /** The expiry as typed (`the end of 2027-01-31, America/New_York`), shown instead of the instant when set. */
  untilAsTyped?: string | null;
  origin: string | null;
}

export interface ExceptionRow {
  source: string;
  login: string;
  reason: string;
  owner: string;
  expires: string;
  /** `expires` as typed, with the zone a date is read in. */
  expiresAsTyped?: string;
  rules: string[] | null;
  expired: boolean;
}

export interface RemediationRow {
  id: number;
  at: string;
  actor: string | null;
  findingId: number | null;
  personId: string | null;
  source: string | null;
  accountId: string | null;
  action: string | null;
  status: string | null;
  reason: string | null;
}

export interface LicenseRow {
  sku: string;
  accounts: number;
  unitPrice: number | null;
  monthlyCost: number | null;
}

export interface TrendPoint {
  runId: number;
  at: string;
  status: string;
  counts: Record<Severity, number>;
}

/** An unresolved finding whose account was used after its owner's termination took effect. */
export interface UsedAfterTerminationRow {
  findingId: number;
  rule: string;
  severity: string;
  severityRaisedForPrivilege: boolean;
  source: string;
  account: string;
  personId: string | null;
  message: string;
}

export interface AuditData {
  generatedAt: string;
  timezone: string;
  configFile: string | null;
  since: string | null;
  rosterPeople: number | null;
  latestRun: { id: number; startedAt: string; finishedAt: string | null; status: string } | null;
  coverage: CoverageRow[];
  findings: {
    bySeverity: Record<Severity, number>;
    byRule: { rule: string; title: string; counts: Record<Severity, number>; total: number }[];
    byStatus: Record<string, number>;
    byAge: { label: string; counts: Record<Severity, number>; total: number }[];
    unresolved: number;
  };
  terminations: TerminationRow[];
  suppressions: SuppressionRow[];
  exceptions: ExceptionRow[];
  remediation: { results: RemediationRow[]; unfinishedIntents: number; journal: JournalCheck };
  licenses: { rows: LicenseRow[]; seats: number; monthlyTotal: number; unpricedSkus: number; currency: string };
  trend: TrendPoint[];
  /**
   * Unresolved findings showing use after the owner's termination, and how many distinct accounts: the report leads
   * with them. Absent from data gathered by older versions.
   */
  usedAfterTermination?: { accounts: number; findings: UsedAfterTerminationRow[] };
}

const SEVERITY_ORDER: Severity[] = ['critical', 'high', 'medium', 'low'];

const METHOD_LABELS: Record<TerminationAccount['method'], string> = {
  'finding-resolved': 'scan saw it disabled',
  'finding-remediated': 'remediated by zombiescan',
  'first-scan-after-termination': 'already disabled at first scan after termination',
  'before-monitoring': 'already disabled when zombiescan first collected this source',
  unknown: 'no scan after termination',
  'still-enabled': 'STILL ENABLED',
  'not-due': 'termination not yet in effect',
};

export function renderAuditHtml(data: AuditData): string {
  const tz = data.timezone;
  const when = (iso: string | null | undefined) => formatInstant(iso, tz);
  const openTerminations = data.terminations.filter((person) => person.stillOpen).length;
  const failedSources = data.coverage.filter((row) => row.status !== 'complete').length;
  const usedAccounts = data.usedAfterTermination?.accounts ?? 0;

  const header = html`<h1>Access review: zombie accounts audit report</h1>
    <p class="muted">
      Evidence that access of people who left, of accounts without an owner, and of unused accounts is found and
      removed. Generated by zombiescan.
    </p>
    <dl class="facts">
      <dt>Generated at</dt>
      <dd>${when(data.generatedAt)} (${tz})</dd>
      <dt>Timezone</dt>
      <dd>${tz}</dd>
      <dt>Config file</dt>
      <dd class="mono">${data.configFile ?? 'not given (database only)'}</dd>
      <dt>HR roster</dt>
      <dd>${data.rosterPeople === null ? 'no scan yet' : `${data.rosterPeople} people`}</dd>
      <dt>Latest scan</dt>
      <dd>
        ${
          data.latestRun
            ? html`#${data.latestRun.id}, ${when(data.latestRun.finishedAt ?? data.latestRun.startedAt)}
              ${statusBadge(data.latestRun.status, data.latestRun.status === 'complete' ? 'ok' : 'bad')}`
            : 'none recorded'
        }
      </dd>
      <dt>Audit period</dt>
      <dd>${data.since ? `since ${when(data.since)}` : 'all recorded history'}</dd>
    </dl>
    <div class="tiles">
      ${tile('Accounts used after their owner’s termination', String(usedAccounts), usedAccounts > 0)}
      ${tile('Unresolved findings', String(data.findings.unresolved), data.findings.unresolved > 0)}
      ${tile('Critical', String(data.findings.bySeverity.critical), data.findings.bySeverity.critical > 0)}
      ${tile('Departed people with access still open', String(openTerminations), openTerminations > 0)}
      ${tile('Sources not complete', String(failedSources), failedSources > 0)}
      ${tile(
        'Licences held by zombie accounts',
        data.licenses.monthlyTotal > 0
          ? `${data.licenses.seats} (${formatMoney(data.licenses.monthlyTotal, data.licenses.currency)}/mo)`
          : String(data.licenses.seats),
        data.licenses.seats > 0,
      )}
    </div>`;

  const body = [
    // The headline: use after departure is a possible incident, so it comes before coverage and counts.
    ...(usedAccounts > 0 ? [renderUsedAfterTermination(data)] : []),
    renderCoverage(data, when),
    renderFindings(data),
    renderTrend(data, tz),
    renderTerminations(data, when),
    renderSuppressions(data, when),
    renderRemediation(data, when),
    renderLicenses(data),
  ];

  const footer = html`<ol class="notes">
      <li>
        "Unresolved" means status open or acknowledged; suppressed findings are listed with their owner and expiry
        instead. Ages count whole days since a scan first saw the finding.
      </li>
      <li>
        Access removal times are derived, not reported by the sources: each source's snapshot is kept only for its
        latest complete collection, so the time an account was disabled is the time of the scan that resolved (or the
        remediation that closed) its terminated-still-active finding. An account that was already disabled when the
        first complete collection of its source after the termination ran never had a finding; that collection is the
        time shown, unless zombiescan had never collected that source before the termination: then no delay is claimed.
        Both are upper bounds: access ended at or before the time shown, after the scan before it.
      </li>
      <li>
        Removal delay is measured from the termination's effective time: the end of the last working day in ${tz} for a
        date-only termination date, or the exact time HR gave.
      </li>
      <li>
        The trend replays each finding's status history (finding_events) to the end of every scan, using the finding's
        current severity.
      </li>
      <li>
        The remediation journal is an append-only hash chain: each row's hash covers the previous row's hash and the row
        itself, so an altered, inserted or deleted row breaks the chain from that row on.
      </li>
    </ol>
    <p>zombiescan · ${when(data.generatedAt)} ${tz}</p>`;

  return htmlDocument({ title: `zombiescan audit report ${formatDay(data.generatedAt, tz)}`, header, body, footer });
}

function renderUsedAfterTermination(data: AuditData): SafeHtml {
  const used = data.usedAfterTermination!;
  const rows = used.findings.map(
    (row) =>
      html`<tr class="alert">
        <td class="num">${row.findingId}</td>
        <td><code>${row.rule}</code> ${severityLabelBadge(row.severity, row.severityRaisedForPrivilege)}</td>
        <td>${row.source}: ${row.account}</td>
        <td>${row.personId ?? ''}</td>
        <td>${row.message}</td>
      </tr>`,
  );
  return section(
    'used-after-termination',
    'Used after termination',
    html`<div class="callout">
        <strong>${usedAfterTerminationHeadline(used.accounts)}</strong>: a sign-in or recorded activity after the
        termination took effect. Treat each as a possible incident: review what the account did since.
      </div>
      ${table(['Finding', 'Rule', 'Account', 'Owner', 'Why'], rows, '')}`,
    { first: true },
  );
}

function tile(label: string, value: string, alert: boolean): SafeHtml {
  return html`<div class="tile${alert ? ' alert' : ''}">
    <span class="value">${value}</span><span class="label">${label}</span>
  </div>`;
}

function renderCoverage(data: AuditData, when: (iso: string | null) => string): SafeHtml {
  const rows = data.coverage.map((row) => {
    const complete = row.status === 'complete';
    const activity = row.activityKnown === null ? '—' : row.activityKnown ? 'known' : statusBadge('unknown', 'warn');
    return html`<tr class="${complete ? '' : 'alert'}">
      <td>${row.source}${row.inConfig ? '' : html` <span class="muted">(no longer configured)</span>`}</td>
      <td>${row.type}${row.role === 'idp' ? ' (identity provider)' : ''}</td>
      <td>
        ${statusBadge(row.status, complete ? 'ok' : 'bad')}${
          row.lastRunId !== null
            ? html`<br /><span class="muted">run #${row.lastRunId}, ${when(row.lastRunAt)}</span>`
            : ''
        }
      </td>
      <td class="num">${row.accounts ?? '—'}</td>
      <td>${activity}</td>
      <td>
        ${row.error ? html`<strong>${row.error}</strong><br />` : ''}${row.notices.map((notice) => html`${notice}<br />`)}
      </td>
      <td>${row.lastCompleteAt ? when(row.lastCompleteAt) : html`<strong>never</strong>`}</td>
    </tr>`;
  });
  const gaps = data.coverage.filter((row) => row.status !== 'complete');
  return section(
    'coverage',
    'Coverage per source',
    html`<p>
        What each source delivered at its latest collection. A failed source keeps its last complete snapshot: its
        findings were neither opened nor resolved from partial data.
      </p>
      ${
        gaps.length > 0
          ? html`<div class="callout">
              Not complete at the latest collection:
              ${gaps.map((row, index) => html`${index ? ', ' : ''}<strong>${row.source}</strong> (${row.status})`)}.
              Accounts in these sources are reported as of their last complete snapshot.
            </div>`
          : data.coverage.length > 0
            ? html`<div class="callout ok">Every source completed at its latest collection.</div>`
            : ''
      }
      ${table(
        [
          'Source',
          'Type',
          'Latest collection',
          'Accounts (last complete)',
          'Activity',
          'Errors and notices',
          'Last complete snapshot',
        ],
        rows,
        'No source has been collected yet.',
      )}`,
    { first: !data.usedAfterTermination?.accounts },
  );
}

function severityHeaders(): string[] {
  return SEVERITY_ORDER.map((severity) => severity);
}

function renderFindings(data: AuditData): SafeHtml {
  const f = data.findings;
  const countCells = (counts: Record<Severity, number>, total: number) =>
    html`${SEVERITY_ORDER.map((severity) => html`<td class="num">${counts[severity] || ''}</td>`)}
      <td class="num"><strong>${total}</strong></td>`;
  const ruleRows = f.byRule.map(
    (row) =>
      html`<tr>
        <td><code>${row.rule}</code><br /><span class="muted">${row.title}</span></td>
        ${countCells(row.counts, row.total)}
      </tr>`,
  );
  const matrix =
    ruleRows.length === 0
      ? html`<p class="empty">No unresolved findings.</p>`
      : html`<table>
          <thead>
            <tr>
              <th>Rule</th>
              ${severityHeaders().map((severity) => html`<th class="num">${severityBadge(severity)}</th>`)}
              <th class="num">Total</th>
            </tr>
          </thead>
          <tbody>
            ${ruleRows}
          </tbody>
          <tfoot>
            <tr>
              <td>All rules</td>
              ${countCells(f.bySeverity, f.unresolved)}
            </tr>
          </tfoot>
        </table>`;
  const ageRows = f.byAge.map(
    (row) =>
      html`<tr>
        <td>${row.label}</td>
        ${countCells(row.counts, row.total)}
      </tr>`,
  );
  const statusLine = Object.entries(f.byStatus)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, count]) => `${count} ${status}`)
    .join(' · ');
  return section(
    'findings',
    'Findings by rule and severity',
    html`<p>
        Unresolved findings (open or acknowledged) by rule and severity. All findings ever recorded, by status:
        ${statusLine || 'none'}.
      </p>
      ${matrix}
      <h3>Age of unresolved findings (days since first seen)</h3>
      <table>
        <thead>
          <tr>
            <th>Age</th>
            ${severityHeaders().map((severity) => html`<th class="num">${severityBadge(severity)}</th>`)}
            <th class="num">Total</th>
          </tr>
        </thead>
        <tbody>
          ${ageRows}
        </tbody>
      </table>`,
  );
}

/** Stacked bars, one per scan: the chart is plain SVG, so it prints and needs no script. */
export function trendSvg(points: readonly TrendPoint[], timeZone: string): SafeHtml {
  const width = 760;
  const height = 260;
  const left = 44;
  const right = 120;
  const top = 14;
  const bottom = 46;
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const totals = points.map((point) => SEVERITIES.reduce((sum, severity) => sum + point.counts[severity], 0));
  const max = Math.max(1, ...totals);
  const step = niceStep(max);
  const yMax = Math.ceil(max / step) * step;
  const slot = plotWidth / Math.max(points.length, 1);
  const barWidth = Math.max(4, Math.min(40, slot * 0.7));
  const y = (value: number) => top + plotHeight - (value / yMax) * plotHeight;
  const parts: string[] = [];
  for (let value = 0; value <= yMax; value += step) {
    parts.push(
      `<line x1="${left}" x2="${left + plotWidth}" y1="${y(value)}" y2="${y(value)}" stroke="#d5d9e0" stroke-width="1"/>`,
      `<text x="${left - 6}" y="${y(value) + 4}" font-size="11" text-anchor="end" fill="#5b6477">${value}</text>`,
    );
  }
  const labelEvery = Math.ceil(points.length / 12);
  points.forEach((point, index) => {
    const x = left + slot * index + (slot - barWidth) / 2;
    let base = 0;
    for (const severity of SEVERITY_ORDER.slice().reverse()) {
      const count = point.counts[severity];
      if (count === 0) continue;
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${y(base + count).toFixed(1)}" width="${barWidth.toFixed(1)}" height="${(
          (count / yMax) *
          plotHeight
        ).toFixed(
          1,
        )}" fill="${SEVERITY_COLORS[severity]}"><title>run #${point.runId}: ${count} ${severity}</title></rect>`,
      );
      base += count;
    }
    parts.push(
      `<text x="${(x + barWidth / 2).toFixed(1)}" y="${(y(base) - 3).toFixed(1)}" font-size="10" text-anchor="middle" fill="#1d2330">${totals[index]}</text>`,
    );
    if (index % labelEvery === 0) {
      parts.push(
        `<text x="${(x + barWidth / 2).toFixed(1)}" y="${top + plotHeight + 14}" font-size="10" text-anchor="middle" fill="#5b6477">#${point.runId}</text>`,
        `<text x="${(x + barWidth / 2).toFixed(1)}" y="${top + plotHeight + 27}" font-size="9" text-anchor="middle" fill="#5b6477">${escapeSvg(formatDay(point.at, timeZone).slice(5))}</text>`,
      );
    }
  });
  parts.push(
    `<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotHeight}" stroke="#1d2330"/>`,
    `<line x1="${left}" x2="${left + plotWidth}" y1="${top + plotHeight}" y2="${top + plotHeight}" stroke="#1d2330"/>`,
  );
  SEVERITY_ORDER.forEach((severity, index) => {
    const ly = top + 6 + index * 18;
    parts.push(
      `<rect x="${width - right + 16}" y="${ly}" width="12" height="12" fill="${SEVERITY_COLORS[severity]}"/>`,
      `<text x="${width - right + 34}" y="${ly + 10}" font-size="12" fill="#1d2330">${severity}</text>`,
    );
  });
  return trusted(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="Unresolved findings per severity over the last ${points.length} scans">${parts.join('')}</svg>`,
  );
}

function escapeSvg(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function niceStep(max: number): number {
  const rough = max / 5;
  const magnitude = 10 ** Math.floor(Math.log10(Math.max(rough, 1)));
  const candidates = [1, 2, 5, 10].map((factor) => factor * magnitude);
  return candidates.find((candidate) => candidate >= rough) ?? 10 * magnitude;
}

function renderTrend(data: AuditData, tz: string): SafeHtml {
  if (data.trend.length === 0) {
    return section('trend', 'Trend over past scans', html`<p class="empty">No completed scan in the period.</p>`);
  }
  const first = data.trend[0]!;
  const last = data.trend[data.trend.length - 1]!;
  const total = (point: TrendPoint) => SEVERITIES.reduce((sum, severity) => sum + point.counts[severity], 0);
  return section(
    'trend',
    'Trend over past scans',
    html`<p>
        Unresolved findings per severity at the end of each of the last ${data.trend.length} scans (${total(first)} at
        scan #${first.runId}, ${total(last)} at scan #${last.runId}).
      </p>
      <div class="chart">${trendSvg(data.trend, tz)}</div>`,
  );
}

function renderTerminations(data: AuditData, when: (iso: string | null) => string): SafeHtml {
  const people = data.terminations;
  const open = people.filter((person) => person.stillOpen);
  const blocks = people.map((person) => {
    const rows = person.accounts.map(
      (account) =>
        html`<tr class="${account.stillOpen ? 'alert' : ''}">
          <td>${account.source}</td>
          <td>
            ${account.login ?? account.accountId}${account.displayName ? html`<br /><span class="muted">${account.displayName}</span>` : ''}${account.privileged ? html` ${statusBadge('admin', 'warn')}` : ''}${account.usedAfterTermination ? html` ${statusBadge('USED AFTER TERMINATION', 'bad')}` : ''}
          </td>
          <td>
            ${account.state === 'enabled' ? statusBadge('enabled', 'bad') : account.state === 'removed' ? statusBadge('removed', 'ok') : statusBadge('disabled', 'ok')}
          </td>
          <td>
            ${account.removedSeenAt ? when(account.removedSeenAt) : '—'}<br /><span class="muted"
              >${METHOD_LABELS[account.method]}</span
            >
          </td>
          <td class="num">
            ${account.lagMs === null ? '—' : account.stillOpen ? html`<strong>${formatLag(account.lagMs)} and counting</strong>` : formatLag(account.lagMs)}
          </td>
          <td>
            ${
              account.stillOpen
                ? statusBadge('STILL OPEN', 'bad')
                : account.method === 'not-due'
                  ? statusBadge('not due', 'muted')
                  : statusBadge('closed', 'ok')
            }
          </td>
        </tr>`,
    );
    return html`<h3>
        ${person.name ?? person.email} <span class="muted">(${person.employeeId}, ${person.email})</span> ${
          !person.inEffect
            ? statusBadge('not yet due', 'muted')
            : person.stillOpen
              ? statusBadge('access still open', 'bad')
              : person.accounts.length
                ? statusBadge('all access removed', 'ok')
                : ''
        }
      </h3>
      <p>
        Termination date: <strong>${person.terminationDate ?? 'not given'}</strong>; access due gone by
        ${
          person.effectiveAt ? when(person.effectiveAt) : 'immediately (no date)'
        }${person.inEffect ? '' : ' (not yet in effect)'}.${
          person.allRemovedLagMs !== null
            ? html` All access removed within <strong>${formatLag(person.allRemovedLagMs)}</strong>.`
            : ''
        }
      </p>
      ${table(['Source', 'Account', 'Now', 'Access seen removed', 'Delay after termination', 'Status'], rows, 'No account in any source is matched to this person.')}`;
  });
  return section(
    'terminations',
    'Time from termination to access removal (SOC 2 CC6.2)',
    html`<p>
        Every person the HR roster marks terminated${data.since ? ' with a termination in the audit period' : ''}, each
        of their accounts in every source, and when a scan first saw the access gone (method in note 2).
      </p>
      ${
        open.length > 0
          ? html`<div class="callout">
              <strong>${open.length}</strong> departed ${open.length === 1 ? 'person still has' : 'people still have'}
              access:
              ${open.map((person, index) => html`${index ? ', ' : ''}${person.name ?? person.email} (${person.employeeId})`)}.
            </div>`
          : people.length > 0
            ? html`<div class="callout ok">No departed person has an enabled account.</div>`
            : ''
      }
      ${people.length === 0 ? html`<p class="empty">No terminated person in the roster${data.since ? ' for the period' : ''}.</p>` : blocks}`,
  );
}

function renderSuppressions(data: AuditData, when: (iso: string | null) => string): SafeHtml {
  const suppressions = data.suppressions.map(
    (row) =>
      html`<tr>
        <td class="num">${row.findingId}</td>
        <td><code>${row.rule}</code> ${severityLabelBadge(row.severity, row.severityRaisedForPrivilege === true)}</td>
        <td>
          ${row.source}:
          ${row.account}${row.displayName ? html`<br /><span class="muted">${row.displayName}</span>` : ''}
        </td>
        <td>${row.reason ?? ''}</td>
        <td>${row.owner ?? ''}</td>
        <td>${row.untilAsTyped ?? (row.until ? when(row.until) : html`<strong>no expiry</strong>`)}</td>
        <td>${row.origin === 'exception' ? 'standing exception' : 'per finding'}</td>
      </tr>`,
  );
  const exceptions = data.exceptions.map(
    (row) =>
      html`<tr class="${row.expired ? 'gap' : ''}">
        <td>${row.source}</td>
        <td class="mono">${row.login}</td>
        <td>${row.rules ? row.rules.join(', ') : 'all rules'}</td>
        <td>${row.reason}</td>
        <td>${row.owner}</td>
        <td>${row.expiresAsTyped ?? row.expires}${row.expired ? html` ${statusBadge('expired', 'warn')}` : ''}</td>
      </tr>`,
  );
  return section(
    'suppressions',
    'Suppressions and standing exceptions',
    html`<p>
        Accepted risks: every suppressed finding with who accepted it, why, and until when. Suppressions reopen
        automatically after their expiry if still true.
      </p>
      ${table(['Finding', 'Rule', 'Account', 'Reason', 'Owner', 'Expires', 'Kind'], suppressions, 'No finding is suppressed.')}
      <h3>Standing exceptions (config)</h3>
      ${table(['Source', 'Login pattern', 'Rules', 'Reason', 'Owner', 'Expires'], exceptions, 'No standing exception is configured.')}`,
  );
}

function renderRemediation(data: AuditData, when: (iso: string | null) => string): SafeHtml {
  const remediation = data.remediation;
  const journal = remediation.journal;
  const chain = journal.ok
    ? html`<div class="callout ok">
        Journal hash chain verified: ${journal.rows} ${journal.rows === 1 ? 'entry' : 'entries'}, intact.
      </div>`
    : html`<div class="callout">
        <strong>Journal hash chain BROKEN</strong> at entry #${journal.firstBadId}: ${journal.reason}. Entries from
        there on cannot be trusted as evidence.
      </div>`;
  const rows = remediation.results.map((row) => {
    const tone =
      row.status === 'applied' || row.status === 'already-done' ? 'ok' : row.status === 'planned' ? 'muted' : 'bad';
    return html`<tr>
      <td class="num">${row.id}</td>
      <td>${when(row.at)}</td>
      <td>${row.actor ?? ''}</td>
      <td>
        ${row.source ?? ''}${row.accountId ? html`: <span class="mono">${row.accountId}</span>` : ''}${row.personId ? html`<br /><span class="muted">person ${row.personId}</span>` : ''}
      </td>
      <td>${row.findingId ?? ''}</td>
      <td><code>${row.action ?? ''}</code></td>
      <td>${statusBadge(row.status ?? 'unknown', tone)}</td>
      <td>${row.reason ?? ''}</td>
    </tr>`;
  });
  return section(
    'remediation',
    'Remediation history',
    html`${chain}
    ${
      remediation.unfinishedIntents > 0
        ? html`<div class="callout warn">
            ${remediation.unfinishedIntents} journaled
            ${remediation.unfinishedIntents === 1 ? 'intent has' : 'intents have'} no recorded result (interrupted
            action).
          </div>`
        : ''
    }
    ${table(['#', 'When', 'By', 'Account', 'Finding', 'Action', 'Result', 'Reason'], rows, data.since ? 'No remediation result in the period.' : 'No remediation result recorded.')}`,
  );
}

function renderLicenses(data: AuditData): SafeHtml {
  const l = data.licenses;
  const rows = l.rows.map(
    (row) =>
      html`<tr>
        <td class="mono">${row.sku}</td>
        <td class="num">${row.accounts}</td>
        <td class="num">
          ${row.unitPrice === null ? html`<span class="muted">no price configured</span>` : formatMoney(row.unitPrice, l.currency)}
        </td>
        <td class="num">${row.monthlyCost === null ? '—' : formatMoney(row.monthlyCost, l.currency)}</td>
      </tr>`,
  );
  const totalRow = html`<tr>
    <td>Total</td>
    <td class="num">${l.seats}</td>
    <td></td>
    <td class="num">${formatMoney(l.monthlyTotal, l.currency)}</td>
  </tr>`;
  return section(
    'licenses',
    'Licences held by zombie accounts',
    html`<p>
        Licences assigned to accounts with an unresolved
        ${RECLAIM_RULES.map((rule, index) => html`${index ? ', ' : ''}<code>${rule}</code>`)} finding: seats that can be
        reclaimed. Prices come from <code>licenses.prices</code> in the config (${l.currency} per month).
      </p>
      ${
        l.rows.length === 0
          ? html`<p class="empty">No zombie account holds a licence the sources report.</p>`
          : html`<table>
                <thead>
                  <tr>
                    <th>Licence (SKU)</th>
                    <th class="num">Accounts</th>
                    <th class="num">Price / month</th>
                    <th class="num">Cost / month</th>
                  </tr>
                </thead>
                <tbody>
                  ${rows}
                </tbody>
                <tfoot>
                  ${totalRow}
                </tfoot>
              </table>
              ${l.unpricedSkus > 0 ? html`<p class="muted">${l.unpricedSkus} SKU${l.unpricedSkus === 1 ? ' has' : 's have'} no price in the config and ${l.unpricedSkus === 1 ? 'is' : 'are'} not in the total.</p>` : ''}`
      }`,
  );
}
