import { usedAfterTerminationHeadline } from '../src/contract/finding-facts.js';
import {
  formatInstant,
  formatLag,
  html,
  htmlDocument,
  section,
  severityLabelBadge,
  statusBadge,
  table,
  type SafeHtml,
} from './html.js';

/**
 * `report termination --person ID`: the evidence for one departure. When `zombiescan offboard` ran, its stored
 * report is the record: every account, before and after, each action with its time and result, and whether the
 * source confirmed it. Without one, the report shows what the latest scans hold for the person and says plainly that
 * no offboarding was recorded. This file declares the model (`TerminationData`) and renders it as HTML or JSON;
 * src/reporting/termination.ts gathers it.
 */

export interface OffboardAccount {
  source: string;
  accountId: string;
  login: string | null;
  before: { enabled: boolean | null };
  actions: { action: string; status: string; at: string | null; reason: string | null }[];
  after: { enabled: boolean | null };
  verified: boolean;
}

/** One credential the offboarding revoked (or could not), before and after. */
export interface OffboardCredential {
  source: string;
  credentialId: string;
  kind: string;
  name: string | null;
  ownerAccountId: string | null;
  before: { enabled: boolean | null };
  action: { action: string; status: string; at: string | null; reason: string | null };
  after: { enabled: boolean | null };
  verified: boolean;
  /** Deliberately not revoked (an app registration other current owners depend on). */
  leftAlone: boolean;
}

export interface CurrentAccount {
  source: string;
  accountId: string;
  login: string | null;
  email: string | null;
  displayName: string | null;
  enabled: boolean;
  rawStatus: string | null;
  privileged: boolean;
  lastActivityAt: string | null;
  activityKnown: boolean;
  openFindings: {
    id: number;
    rule: string;
    severity: string;
    status: string;
    message: string;
    /** The severity was raised one level because the account is privileged: shown as "(admin)". */
    severityRaisedForPrivilege?: boolean;
  }[];
  /**
   * Used at or after the termination took effect (its last activity, or a successful sign-in in the log); false when
   * the activity or the log says not; null when neither is known. Absent from reports of older versions.
   */
  usedAfterTermination?: boolean | null;
}

export interface CoverageGap {
  source: string;
  accountId: string | null;
  reason: string;
}

export interface TerminationData {
  generatedAt: string;
  timezone: string;
  person: {
    employeeId: string;
    email: string | null;
    name: string | null;
    status: string | null;
    terminationDate: string | null;
    terminationEffectiveAt: string | null;
  };
  offboarding: {
    reportId: number;
    startedAt: string;
    finishedAt: string | null;
    complete: boolean;
    accounts: OffboardAccount[];
    /** Tokens, grants, keys and app secrets; empty for an offboarding recorded before credentials existed. */
    credentials: OffboardCredential[];
  } | null;
  /** Every account the latest complete snapshots match to the person, with their unresolved findings. */
  current: CurrentAccount[];
  /** Where the report cannot vouch that access is gone. */
  gaps: CoverageGap[];
  /**
   * Successful sign-ins of the person's accounts at or after the termination took effect, from the sign-in logs.
   * Absent from reports of older versions; null when HR gives no termination moment.
   */
  signInsAfterTermination?: SignInsAfterTermination | null;
}

export interface SignInsAfterTermination {
  /** Sources whose log was read, and up to when: "none" is evidence only up to that moment. */
  logs: { source: string; readUntil: string }[];
  /** Sources holding an account of the person whose sign-ins are unknown (no log, or never read). */
  unknown: string[];
  events: {
    source: string;
    accountId: string;
    at: string;
    ip: string | null;
    application: string | null;
  }[];
}

function enabledBadge(enabled: boolean | null): SafeHtml {
  if (enabled === null) return statusBadge('unknown', 'warn');
  return enabled ? statusBadge('enabled', 'bad') : statusBadge('disabled', 'ok');
}

function actionTone(status: string): 'ok' | 'bad' | 'warn' | 'muted' {
  if (status === 'applied' || status === 'already-done') return 'ok';
  if (status === 'failed' || status === 'refused') return 'bad';
  return 'muted';
}

export function renderTerminationHtml(data: TerminationData): string {
  const tz = data.timezone;
  const when = (iso: string | null | undefined) => formatInstant(iso, tz);
  const person = data.person;
  const off = data.offboarding;
  const title = person.name ?? person.email ?? person.employeeId;
  const enabledNow = data.current.filter((account) => account.enabled).length;
  const usedAfter = data.current.filter((account) => account.usedAfterTermination === true);

  const header = html`<h1>Termination evidence: ${title}</h1>
    <dl class="facts">
      <dt>Employee id</dt>
      <dd>${person.employeeId}</dd>
      <dt>Email</dt>
      <dd>${person.email ?? '—'}</dd>
      <dt>HR status</dt>
      <dd>${person.status ?? 'not in the current roster'}</dd>
      <dt>Termination date</dt>
      <dd>
        ${person.terminationDate ?? '—'}${
          person.terminationEffectiveAt
            ? html` <span class="muted">(access due gone by ${when(person.terminationEffectiveAt)})</span>`
            : ''
        }
      </dd>
      <dt>Offboarding</dt>
      <dd>
        ${
          off
            ? html`started
              ${when(off.startedAt)}${off.finishedAt ? html`, finished ${when(off.finishedAt)} (took ${formatLag(Date.parse(off.finishedAt) - Date.parse(off.startedAt))})` : ''}${
                person.terminationEffectiveAt
                  ? html`, ${formatLag(Date.parse(off.startedAt) - Date.parse(person.terminationEffectiveAt))} after the
                    termination took effect`
                  : ''
              }
              ${off.complete ? statusBadge('COMPLETE: every account verified disabled', 'ok') : statusBadge('INCOMPLETE', 'bad')}`
            : statusBadge('no offboarding recorded', 'warn')
        }
      </dd>
      <dt>Generated at</dt>
      <dd>${when(data.generatedAt)} (${tz})</dd>
    </dl>`;

  const gapRows = data.gaps.map(
    (gap) =>
      html`<tr class="gap">
        <td>${gap.source}</td>
        <td class="mono">${gap.accountId ?? 'whole source'}</td>
        <td>${gap.reason}</td>
      </tr>`,
  );
  const gaps = section(
    'gaps',
    'Coverage gaps',
    data.gaps.length === 0
      ? html`<div class="callout ok">
          None: ${off ? 'every account was verified by its source after offboarding, and ' : ''}every source's latest
          collection completed.
        </div>`
      : html`<div class="callout warn">
            <strong>${data.gaps.length}</strong> ${data.gaps.length === 1 ? 'place' : 'places'} where this report cannot
            vouch that access is gone.
          </div>
          ${table(['Source', 'Account', 'Why'], gapRows, '')}`,
    { first: true },
  );

  let evidence: SafeHtml;
  if (off) {
    const rows = off.accounts.map(
      (account) =>
        html`<tr class="${account.verified ? '' : 'gap'}">
          <td>${account.source}</td>
          <td>${account.login ?? ''}<br /><span class="mono muted">${account.accountId}</span></td>
          <td>${enabledBadge(account.before.enabled)}</td>
          <td>
            ${
              account.actions.length === 0
                ? html`<span class="muted">none needed</span>`
                : account.actions.map(
                    (action) =>
                      html`<div>
                        <code>${action.action}</code> ${statusBadge(action.status, actionTone(action.status))}
                        <span class="muted">${when(action.at)}</span
                        >${action.reason ? html`<br /><span class="muted">${action.reason}</span>` : ''}
                      </div>`,
                  )
            }
          </td>
          <td>${enabledBadge(account.after.enabled)}</td>
          <td>${account.verified ? statusBadge('verified', 'ok') : statusBadge('NOT VERIFIED', 'bad')}</td>
        </tr>`,
    );
    evidence = section(
      'offboarding',
      'Offboarding actions',
      html`<p>
          Report #${off.reportId} of <code>zombiescan offboard</code>: identity providers were locked first, then every
          other source; each account was re-read from its source afterwards to verify.
        </p>
        ${table(['Source', 'Account', 'Before', 'Actions (time, result)', 'After', 'Verified'], rows, 'The offboarding found no account for this person.')}
        <h3>Credentials</h3>
        <p>
          Tokens, OAuth grants, keys and app secrets keep working after an account is disabled: each was revoked through
          its source and re-read to verify.
        </p>
        ${table(
          ['Source', 'Credential', 'Before', 'Action (time, result)', 'After', 'Verified'],
          off.credentials.map(
            (credential) =>
              html`<tr class="${credential.verified || credential.leftAlone ? '' : 'gap'}">
                <td>${credential.source}</td>
                <td>
                  <code>${credential.kind}</code> ${credential.name ?? ''}<br /><span class="mono muted"
                    >${credential.credentialId}</span
                  >
                </td>
                <td>${enabledBadge(credential.before.enabled)}</td>
                <td>
                  <code>${credential.action.action}</code>
                  ${statusBadge(credential.action.status, actionTone(credential.action.status))}
                  <span class="muted">${when(credential.action.at)}</span
                  >${credential.action.reason ? html`<br /><span class="muted">${credential.action.reason}</span>` : ''}
                </td>
                <td>${enabledBadge(credential.after.enabled)}</td>
                <td>
                  ${
                    credential.verified
                      ? statusBadge('verified', 'ok')
                      : credential.leftAlone
                        ? statusBadge('left for review', 'warn')
                        : statusBadge('NOT VERIFIED', 'bad')
                  }
                </td>
              </tr>`,
          ),
          'The offboarding found no credential of this person.',
        )}`,
    );
  } else {
    evidence = section(
      'offboarding',
      'Offboarding actions',
      html`<div class="callout warn">
        No offboarding was recorded for this person (<code>zombiescan offboard ${person.employeeId}</code> was never run
        against this database). The state below is what the latest scans saw, not the result of an offboarding.
      </div>`,
    );
  }

  const currentRows = data.current.map(
    (account) =>
      html`<tr class="${account.enabled ? 'alert' : ''}">
        <td>${account.source}</td>
        <td>
          ${account.login ?? account.email ?? account.accountId}${account.displayName ? html`<br /><span class="muted">${account.displayName}</span>` : ''}${account.privileged ? html` ${statusBadge('admin', 'warn')}` : ''}${account.usedAfterTermination ? html` ${statusBadge('USED AFTER TERMINATION', 'bad')}` : ''}
        </td>
        <td>
          ${enabledBadge(account.enabled)}${account.rawStatus ? html`<br /><span class="muted">${account.rawStatus}</span>` : ''}
        </td>
        <td>
          ${account.activityKnown ? (account.lastActivityAt ? when(account.lastActivityAt) : 'never') : html`<span class="muted">unknown</span>`}
        </td>
        <td>
          ${account.openFindings.map((finding) => html`<div>#${finding.id} ${severityLabelBadge(finding.severity, finding.severityRaisedForPrivilege === true)} <code>${finding.rule}</code> (${finding.status})<br /><span class="muted">${finding.message}</span></div>`)}
        </td>
      </tr>`,
  );
  const current = section(
    'current',
    'State at the latest scan',
    html`<p>
        Every account the latest complete collection of each source matches to this
        person${enabledNow > 0 ? html`: <strong>${enabledNow} still enabled</strong>` : ''}.
      </p>
      ${table(['Source', 'Account', 'State', 'Last sign-in', 'Unresolved findings'], currentRows, 'No account in any source is matched to this person.')}`,
  );

  const signIns = data.signInsAfterTermination;
  const signInSection =
    signIns === undefined
      ? null
      : section(
          'sign-ins',
          'Sign-ins after termination',
          signIns === null
            ? html`<div class="callout warn">HR gives no termination moment: sign-ins cannot be compared to it.</div>`
            : html`${
                signIns.events.length === 0
                  ? html`<div class="callout ${signIns.logs.length > 0 ? 'ok' : 'warn'}">
                      Sign-ins after termination:
                      none${
                        signIns.logs.length > 0
                          ? html` (${signIns.logs.map((log, index) => html`${index > 0 ? ', ' : ''}${log.source} log read up to ${when(log.readUntil)}`)})`
                          : html` known: no sign-in log was read`
                      }.
                    </div>`
                  : html`<div class="callout bad">
                        <strong>${signIns.events.length}</strong> successful
                        sign-in${signIns.events.length === 1 ? '' : 's'} after the termination took effect.
                      </div>
                      ${table(
                        ['Source', 'Account', 'Time', 'IP', 'Application'],
                        signIns.events.map(
                          (event) =>
                            html`<tr class="alert">
                              <td>${event.source}</td>
                              <td class="mono">${event.accountId}</td>
                              <td>${when(event.at)}</td>
                              <td class="mono">${event.ip ?? ''}</td>
                              <td>${event.application ?? ''}</td>
                            </tr>`,
                        ),
                        '',
                      )}`
              }${
                signIns.unknown.length > 0
                  ? html`<p class="muted">
                      Sign-ins unknown for: ${signIns.unknown.join(', ')} (no sign-in log read).
                    </p>`
                  : ''
              }`,
        );

  const footer = html`<p>
    Times in ${tz}. "Verified" means the source was re-read after the actions and reported the account disabled or gone.
    zombiescan · ${when(data.generatedAt)}
  </p>`;
  // The headline, before the gaps: use after departure is a possible incident.
  const alarm =
    usedAfter.length === 0
      ? null
      : html`<div class="callout bad" id="used-after-termination">
          <strong>${usedAfterTerminationHeadline(usedAfter.length)}</strong>:
          ${usedAfter.map(
            (account, index) =>
              html`${index > 0 ? ', ' : ''}${account.source}
              ${account.login ?? account.email ?? account.accountId}${account.lastActivityAt ? html` (last used ${when(account.lastActivityAt)})` : ''}`,
          )}.
          Review what these accounts did since the termination took effect.
        </div>`;
  const body = signInSection ? [gaps, evidence, current, signInSection] : [gaps, evidence, current];
  return htmlDocument({
    title: `Termination evidence ${person.employeeId}`,
    header: alarm ? html`${header}${alarm}` : header,
    body,
    footer,
  });
}

export function renderTerminationJson(data: TerminationData): string {
  return JSON.stringify(data, null, 2) + '\n';
}
