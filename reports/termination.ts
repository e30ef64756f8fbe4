import { z } from 'zod';
import { InputError, NotFoundError } from '../src/contract/errors.js';
import type { Db } from '../src/store/database.js';
import {
  formatInstant,
  formatLag,
  html,
  htmlDocument,
  section,
  severityBadge,
  statusBadge,
  table,
  type SafeHtml,
} from './html.js';

/**
 * `report termination --person ID`: the evidence for one departure. When `zombiescan offboard` ran, its stored
 * report (table termination_reports, SPEC "offboard PERSON --json") is the record: every account, before and after,
 * each action with its time and result, and whether the source confirmed it. Without one, the report shows what
 * the latest scans hold for the person and says plainly that no offboarding was recorded.
 */

const actionSchema = z.looseObject({
  action: z.string(),
  status: z.string(),
  at: z.string().nullable().optional(),
  reason: z.string().nullable().optional(),
});

const stateSchema = z.looseObject({ enabled: z.boolean().nullable().optional() }).nullable().optional();

/** SPEC "offboard PERSON --json"; read leniently so a report from a newer zombiescan still renders. */
const offboardSchema = z.looseObject({
  person: z.looseObject({
    employeeId: z.string(),
    email: z.string().nullable().optional(),
    name: z.string().nullable().optional(),
    status: z.string().nullable().optional(),
  }),
  startedAt: z.string(),
  finishedAt: z.string().nullable().optional(),
  complete: z.boolean(),
  accounts: z.array(
    z.looseObject({
      source: z.string(),
      accountId: z.string(),
      login: z.string().nullable().optional(),
      before: stateSchema,
      actions: z.array(actionSchema).default([]),
      after: stateSchema,
      verified: z.boolean(),
    }),
  ),
});

export interface OffboardAccount {
  source: string;
  accountId: string;
  login: string | null;
  before: { enabled: boolean | null };
  actions: { action: string; status: string; at: string | null; reason: string | null }[];
  after: { enabled: boolean | null };
  verified: boolean;
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
  openFindings: { id: number; rule: string; severity: string; status: string; message: string }[];
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
  } | null;
  /** Every account the latest complete snapshots match to the person, with their unresolved findings. */
  current: CurrentAccount[];
  /** Where the report cannot vouch that access is gone. */
  gaps: CoverageGap[];
}

export function gatherTerminationData(
  db: Db,
  options: { person: string; now: Date; timezone: string },
): TerminationData {
  const personRow = db
    .prepare(
      `SELECT employee_id, email, name, status, termination_date, termination_effective_at FROM people
       WHERE employee_id = @id OR lower(email) = lower(@id) ORDER BY employee_id = @id DESC LIMIT 1`,
    )
    .get({ id: options.person }) as
    | {
        employee_id: string;
        email: string;
        name: string | null;
        status: string;
        termination_date: string | null;
        termination_effective_at: string | null;
      }
    | undefined;
  const employeeId = personRow?.employee_id ?? options.person;
  const offboarding = latestOffboarding(db, employeeId);
  const current = currentAccounts(db, employeeId);
  if (!personRow && !offboarding && current.length === 0) {
    throw new NotFoundError(
      `no person "${options.person}" in the roster, no offboarding recorded and no account matched to them`,
    );
  }
  const reported = offboarding?.person;
  return {
    generatedAt: options.now.toISOString(),
    timezone: options.timezone,
    person: {
      employeeId,
      email: personRow?.email ?? reported?.email ?? null,
      name: personRow?.name ?? reported?.name ?? null,
      status: personRow?.status ?? reported?.status ?? null,
      terminationDate: personRow?.termination_date ?? null,
      terminationEffectiveAt: personRow?.termination_effective_at ?? null,
    },
    offboarding: offboarding
      ? {
          reportId: offboarding.reportId,
          startedAt: offboarding.startedAt,
          finishedAt: offboarding.finishedAt ?? null,
          complete: offboarding.complete,
          accounts: offboarding.accounts,
        }
      : null,
    current,
    gaps: coverageGaps(db, offboarding?.accounts ?? null, current),
  };
}

function latestOffboarding(
  db: Db,
  employeeId: string,
): {
  reportId: number;
  person: { email: string | null; name: string | null; status: string | null };
  startedAt: string;
  finishedAt: string | null;
  complete: boolean;
  accounts: OffboardAccount[];
} | null {
  const row = db
    .prepare('SELECT id, json FROM termination_reports WHERE person_id = ? ORDER BY started_at DESC, id DESC LIMIT 1')
    .get(employeeId) as { id: number; json: string } | undefined;
  if (!row) return null;
  let parsed: z.infer<typeof offboardSchema>;
  try {
    parsed = offboardSchema.parse(JSON.parse(row.json));
  } catch (error) {
    const problem =
      error instanceof z.ZodError
        ? `${error.issues[0]?.path.join('.') || '(top level)'}: ${error.issues[0]?.message}`
        : 'not valid JSON';
    throw new InputError(`termination_reports row ${row.id}`, null, null, `unreadable offboarding report: ${problem}`);
  }
  return {
    reportId: row.id,
    person: {
      email: parsed.person.email ?? null,
      name: parsed.person.name ?? null,
      status: parsed.person.status ?? null,
    },
    startedAt: parsed.startedAt,
    finishedAt: parsed.finishedAt ?? null,
    complete: parsed.complete,
    accounts: parsed.accounts.map((account) => ({
      source: account.source,
      accountId: account.accountId,
      login: account.login ?? null,
      before: { enabled: account.before?.enabled ?? null },
      actions: account.actions.map((action) => ({
        action: action.action,
        status: action.status,
        at: action.at ?? null,
        reason: action.reason ?? null,
      })),
      after: { enabled: account.after?.enabled ?? null },
      verified: account.verified,
    })),
  };
}

function currentAccounts(db: Db, employeeId: string): CurrentAccount[] {
  const findingsOf = db.prepare(
    `SELECT id, rule, severity, status, message FROM findings
     WHERE source = ? AND account_id = ? AND status IN ('open', 'acknowledged', 'suppressed') ORDER BY id`,
  );
  return (
    db
      .prepare(
        `SELECT source, id, login, email, display_name, enabled, raw_status, privileged, last_activity_at, activity_known
         FROM current_accounts WHERE person_id = ? AND match_method != 'service-account' ORDER BY source, id`,
      )
      .all(employeeId) as {
      source: string;
      id: string;
      login: string | null;
      email: string | null;
      display_name: string | null;
      enabled: number;
      raw_status: string | null;
      privileged: number;
      last_activity_at: string | null;
      activity_known: number;
    }[]
  ).map((row) => ({
    source: row.source,
    accountId: row.id,
    login: row.login,
    email: row.email,
    displayName: row.display_name,
    enabled: row.enabled === 1,
    rawStatus: row.raw_status,
    privileged: row.privileged === 1,
    lastActivityAt: row.activity_known === 1 ? row.last_activity_at : null,
    activityKnown: row.activity_known === 1,
    openFindings: findingsOf.all(row.source, row.id) as CurrentAccount['openFindings'],
  }));
}

function coverageGaps(db: Db, offboarded: OffboardAccount[] | null, current: CurrentAccount[]): CoverageGap[] {
  const gaps: CoverageGap[] = [];
  const failed = db
    .prepare(
      `SELECT name, last_error FROM sources WHERE last_status IS NOT NULL AND last_status != 'complete' ORDER BY name`,
    )
    .all() as { name: string; last_error: string | null }[];
  for (const source of failed) {
    gaps.push({
      source: source.name,
      accountId: null,
      reason: `the latest collection failed${source.last_error ? ` (${source.last_error})` : ''}: accounts there are known only from an older snapshot`,
    });
  }
  if (offboarded) {
    for (const account of offboarded) {
      if (account.verified) continue;
      const failedAction = account.actions.find((action) => action.status === 'failed' || action.status === 'refused');
      gaps.push({
        source: account.source,
        accountId: account.accountId,
        reason:
          account.after.enabled === null
            ? 'could not be re-read after offboarding: removal not verified'
            : account.after.enabled
              ? `still enabled after offboarding${failedAction?.reason ? `: ${failedAction.reason}` : ''}`
              : 'not verified by the source',
      });
    }
    const covered = new Set(offboarded.map((account) => `${account.source}\u0000${account.accountId}`));
    for (const account of current) {
      if (covered.has(`${account.source}\u0000${account.accountId}`)) continue;
      gaps.push({
        source: account.source,
        accountId: account.accountId,
        reason: `in the latest scan (${account.enabled ? 'enabled' : 'disabled'}) but not in the offboarding report`,
      });
    }
  }
  return gaps;
}

// ---------------------------------------------------------------------------------------------------------------
// Rendering

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
        ${table(['Source', 'Account', 'Before', 'Actions (time, result)', 'After', 'Verified'], rows, 'The offboarding found no account for this person.')}`,
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
          ${account.login ?? account.email ?? account.accountId}${account.displayName ? html`<br /><span class="muted">${account.displayName}</span>` : ''}${account.privileged ? html` ${statusBadge('admin', 'warn')}` : ''}
        </td>
        <td>
          ${enabledBadge(account.enabled)}${account.rawStatus ? html`<br /><span class="muted">${account.rawStatus}</span>` : ''}
        </td>
        <td>
          ${account.activityKnown ? (account.lastActivityAt ? when(account.lastActivityAt) : 'never') : html`<span class="muted">unknown</span>`}
        </td>
        <td>
          ${account.openFindings.map((finding) => html`<div>#${finding.id} ${severityBadge(finding.severity)} <code>${finding.rule}</code> (${finding.status})<br /><span class="muted">${finding.message}</span></div>`)}
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

  const footer = html`<p>
    Times in ${tz}. "Verified" means the source was re-read after the actions and reported the account disabled or gone.
    zombiescan · ${when(data.generatedAt)}
  </p>`;
  return htmlDocument({
    title: `Termination evidence ${person.employeeId}`,
    header,
    body: [gaps, evidence, current],
    footer,
  });
}

export function renderTerminationJson(data: TerminationData): string {
  return JSON.stringify(data, null, 2) + '\n';
}
