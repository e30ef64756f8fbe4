import type { Severity } from '../src/contract/model.js';

/**
 * Shared pieces of the HTML reports. Every value in a report comes from an identity source, the HR export or the
 * config, and anyone who can set a display name can try to plant markup: the `html` template escapes every
 * interpolated value unless it is already `SafeHtml`, so escaping is the default and forgetting it is impossible.
 * The documents carry no JavaScript and load nothing: a Content-Security-Policy forbids both as a second wall.
 */

export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char]!);
}

function render(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

/** Tagged template: literal parts are markup, every `${value}` is escaped (arrays are joined, nullish is empty). */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, index) => {
    out += render(value) + (strings[index + 1] ?? '');
  });
  return new SafeHtml(out);
}

/** For markup built here from constants only (CSS, numbers already formatted). Never for data. */
export function trusted(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

/** Instants are stored in UTC; an auditor reads them in the organisation's timezone, labelled. */
export function formatInstant(iso: string | null | undefined, timeZone: string): string {
  if (!iso) return '';
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return iso;
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(new Date(time))
      .map((part) => [part.type, part.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

export function formatDay(iso: string | null | undefined, timeZone: string): string {
  return formatInstant(iso, timeZone).slice(0, 10);
}

/** "3 d 4 h", "5 h", "12 min", "9 s": how long access outlived a termination, or an offboarding took. */
export function formatLag(ms: number): string {
  if (ms < 0) return `${formatLag(-ms)} before`;
  if (ms < 60_000) return `${Math.floor(ms / 1000)} s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h`;
  const days = Math.floor(hours / 24);
  const rest = hours % 24;
  return rest === 0 ? `${days} d` : `${days} d ${rest} h`;
}

export function formatMoney(amount: number, currency: string): string {
  try {
    return new Intl.NumberFormat('en-US', { style: 'currency', currency }).format(amount);
  } catch {
    return `${amount.toFixed(2)} ${currency}`;
  }
}

export const SEVERITY_COLORS: Record<Severity, string> = {
  critical: '#8b1a1a',
  high: '#d9480f',
  medium: '#e8a317',
  low: '#6b7f99',
};

export function severityBadge(severity: string): SafeHtml {
  const known = severity in SEVERITY_COLORS ? severity : 'unknown';
  return html`<span class="badge sev-${known}">${severity}</span>`;
}

/** The severity badge, with "(admin)" beside it when the severity was raised because the account is privileged. */
export function severityLabelBadge(severity: string, raisedForPrivilege: boolean): SafeHtml {
  return raisedForPrivilege
    ? html`${severityBadge(severity)} <span class="muted">(admin)</span>`
    : severityBadge(severity);
}

export function statusBadge(text: string, tone: 'ok' | 'bad' | 'warn' | 'muted'): SafeHtml {
  return html`<span class="badge ${tone}">${text}</span>`;
}

/** A table with a header row that repeats on every printed page; an empty body says so instead of vanishing. */
export function table(headers: readonly string[], rows: readonly SafeHtml[], empty: string): SafeHtml {
  if (rows.length === 0) return html`<p class="empty">${empty}</p>`;
  return html`<table>
    <thead>
      <tr>
        ${headers.map((header) => html`<th>${header}</th>`)}
      </tr>
    </thead>
    <tbody>
      ${rows}
    </tbody>
  </table>`;
}

/** A report section; every section but the first starts a new printed page. */
export function section(id: string, title: string, body: HtmlValue, options: { first?: boolean } = {}): SafeHtml {
  return html`<section id="${id}" ${options.first ? trusted(' class="first"') : ''}>
    <h2>${title}</h2>
    ${body}
  </section> `;
}

const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font: 14px/1.45 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #1d2330;
  margin: 0 auto; max-width: 1100px; padding: 24px 32px 48px; background: #fff; }
header.report { border-bottom: 3px solid #1d2330; margin-bottom: 8px; padding-bottom: 12px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 1px solid #c9ced8; }
h3 { font-size: 15px; margin: 18px 0 6px; }
p { margin: 6px 0; }
.muted, .empty { color: #5b6477; }
.empty { font-style: italic; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0; }
dl.facts dt { color: #5b6477; }
dl.facts dd { margin: 0; }
.tiles { display: flex; flex-wrap: wrap; gap: 10px; margin: 12px 0; }
.tile { border: 1px solid #c9ced8; border-radius: 6px; padding: 8px 14px; min-width: 150px; }
.tile .value { font-size: 22px; font-weight: 600; display: block; }
.tile .label { color: #5b6477; font-size: 12px; }
.tile.alert { border-color: #8b1a1a; background: #fdf0f0; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; font-size: 13px; }
th, td { border: 1px solid #d5d9e0; padding: 4px 7px; text-align: left; vertical-align: top; }
th { background: #eef1f5; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.alert td { background: #fdf0f0; }
tr.gap td { background: #fff6e0; }
tfoot td { font-weight: 600; background: #f6f7f9; }
.badge { display: inline-block; padding: 0 6px; border-radius: 3px; font-size: 12px; font-weight: 600;
  color: #fff; background: #6b7f99; white-space: nowrap; }
.sev-critical { background: ${SEVERITY_COLORS.critical}; }
.sev-high { background: ${SEVERITY_COLORS.high}; }
.sev-medium { background: ${SEVERITY_COLORS.medium}; color: #1d2330; }
.sev-low { background: ${SEVERITY_COLORS.low}; }
.badge.ok { background: #2b7a3d; }
.badge.bad { background: #b42318; }
.badge.warn { background: #e8a317; color: #1d2330; }
.badge.muted { background: #8a93a3; }
.callout { border-left: 4px solid #b42318; background: #fdf0f0; padding: 8px 12px; margin: 10px 0; }
.callout.ok { border-color: #2b7a3d; background: #eef8f0; }
.callout.warn { border-color: #e8a317; background: #fff6e0; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px;
  overflow-wrap: anywhere; }
.chart { margin: 8px 0; }
.chart svg { max-width: 100%; height: auto; }
ol.notes { font-size: 12px; color: #5b6477; padding-left: 20px; }
footer { margin-top: 32px; border-top: 1px solid #c9ced8; padding-top: 8px; font-size: 12px; color: #5b6477; }
@media print {
  @page { size: A4; margin: 14mm 12mm; }
  body { max-width: none; padding: 0; font-size: 11px; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  section { break-before: page; page-break-before: always; }
  section.first { break-before: auto; page-break-before: auto; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  thead { display: table-header-group; }
  tr, .tile, .chart, .callout { break-inside: avoid; page-break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
`;

/** A whole, self-contained document: inline CSS, no script, and a policy that would block one anyway. */
export function htmlDocument(input: { title: string; header: SafeHtml; body: HtmlValue; footer: HtmlValue }): string {
  return html`<!DOCTYPE html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta
          http-equiv="Content-Security-Policy"
          content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"
        />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="generator" content="zombiescan" />
        <title>${input.title}</title>
        <style>
          ${trusted(CSS)}
        </style>
      </head>
      <body>
        <header class="report">${input.header}</header>
        <main>${input.body}</main>
        <footer>${input.footer}</footer>
      </body>
    </html> `.value;
}
