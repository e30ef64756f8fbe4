import { z } from 'zod';
import { InputError, NotFoundError } from '../contract/errors.js';
import type { Db } from '../store/database.js';
import {
  findRosterPerson,
  latestTerminationReport,
  listMatchedAccounts,
  listSourcesNotComplete,
} from '../store/termination-queries.js';
import { accountSignIns, signInCursors } from '../store/sign-ins.js';
import { listFindings } from '../store/findings.js';
import { severityRaisedForPrivilege } from '../contract/finding-facts.js';
import type {
  CoverageGap,
  CurrentAccount,
  OffboardAccount,
  OffboardCredential,
  SignInsAfterTermination,
  TerminationData,
} from '../../reports/termination.js';

/**
 * Gathers the model `report termination --person ID` renders (reports/termination.ts). When `zombiescan offboard`
 * ran, its stored report (table termination_reports, SPEC "offboard PERSON --json") is the record; without one, the
 * model holds what the latest scans hold for the person and no offboarding.
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
  credentials: z
    .array(
      z.looseObject({
        source: z.string(),
        credentialId: z.string(),
        kind: z.string(),
        name: z.string().nullable().optional(),
        ownerAccountId: z.string().nullable().optional(),
        before: stateSchema,
        action: actionSchema,
        after: stateSchema,
        verified: z.boolean(),
        leftAlone: z.boolean().optional(),
      }),
    )
    .default([]),
});

export function gatherTerminationData(
  db: Db,
  options: { person: string; now: Date; timezone: string },
): TerminationData {
  const personRow = findRosterPerson(db, options.person);
  const employeeId = personRow?.employeeId ?? options.person;
  const offboarding = latestOffboarding(db, employeeId);
  const current = currentAccounts(db, employeeId);
  if (!personRow && !offboarding && current.length === 0) {
    throw new NotFoundError(
      `no person "${options.person}" in the roster, no offboarding recorded and no account matched to them`,
    );
  }
  const reported = offboarding?.person;
  const signIns = signInsAfter(db, personRow?.terminationEffectiveAt ?? null, current);
  const raised = new Set(
    listFindings(db, { status: 'all', person: employeeId })
      .filter(severityRaisedForPrivilege)
      .map((finding) => finding.id),
  );
  for (const account of current) {
    account.usedAfterTermination = usedAfter(account, personRow?.terminationEffectiveAt ?? null, signIns);
    for (const finding of account.openFindings) finding.severityRaisedForPrivilege = raised.has(finding.id);
  }
  return {
    generatedAt: options.now.toISOString(),
    timezone: options.timezone,
    person: {
      employeeId,
      email: personRow?.email ?? reported?.email ?? null,
      name: personRow?.name ?? reported?.name ?? null,
      status: personRow?.status ?? reported?.status ?? null,
      terminationDate: personRow?.terminationDate ?? null,
      terminationEffectiveAt: personRow?.terminationEffectiveAt ?? null,
    },
    offboarding: offboarding
      ? {
          reportId: offboarding.reportId,
          startedAt: offboarding.startedAt,
          finishedAt: offboarding.finishedAt ?? null,
          complete: offboarding.complete,
          accounts: offboarding.accounts,
          credentials: offboarding.credentials,
        }
      : null,
    current,
    gaps: coverageGaps(db, offboarding?.accounts ?? null, current),
    signInsAfterTermination: signIns,
  };
}

/** Unknown stays unknown: without a known activity or a read sign-in log, the answer is null, never "no". */
function usedAfter(
  account: CurrentAccount,
  effectiveAt: string | null,
  signIns: SignInsAfterTermination | null,
): boolean | null {
  if (effectiveAt === null) return null;
  const signedIn = signIns?.events.some(
    (event) => event.source === account.source && event.accountId === account.accountId,
  );
  const activeAfter =
    account.activityKnown &&
    account.lastActivityAt !== null &&
    Date.parse(account.lastActivityAt) >= Date.parse(effectiveAt);
  if (signedIn || activeAfter) return true;
  const logRead = signIns?.logs.some((log) => log.source === account.source) ?? false;
  return account.activityKnown || logRead ? false : null;
}

/** "None" is evidence too, but only up to where each log was read; a source without a log is said to be unknown. */
function signInsAfter(
  db: Db,
  effectiveAt: string | null,
  current: readonly CurrentAccount[],
): SignInsAfterTermination | null {
  if (effectiveAt === null) return null;
  const effective = Date.parse(effectiveAt);
  const cursors = new Map(signInCursors(db).map((cursor) => [cursor.source, cursor.readUntil]));
  const sources = [...new Set(current.map((account) => account.source))];
  const events: SignInsAfterTermination['events'] = [];
  for (const account of current) {
    if (!cursors.has(account.source)) continue;
    for (const event of accountSignIns(db, account.source, account.accountId)) {
      if (event.result !== 'success' || Date.parse(event.at) < effective) continue;
      events.push({
        source: account.source,
        accountId: account.accountId,
        at: event.at,
        ip: event.ip,
        application: event.application,
      });
    }
  }
  return {
    logs: sources
      .filter((source) => cursors.has(source))
      .map((source) => ({ source, readUntil: cursors.get(source)! })),
    unknown: sources.filter((source) => !cursors.has(source)),
    events,
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
  credentials: OffboardCredential[];
} | null {
  const row = latestTerminationReport(db, employeeId);
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
    credentials: parsed.credentials.map((credential) => ({
      source: credential.source,
      credentialId: credential.credentialId,
      kind: credential.kind,
      name: credential.name ?? null,
      ownerAccountId: credential.ownerAccountId ?? null,
      before: { enabled: credential.before?.enabled ?? null },
      action: {
        action: credential.action.action,
        status: credential.action.status,
        at: credential.action.at ?? null,
        reason: credential.action.reason ?? null,
      },
      after: { enabled: credential.after?.enabled ?? null },
      verified: credential.verified,
      leftAlone: credential.leftAlone ?? false,
    })),
  };
}

function currentAccounts(db: Db, employeeId: string): CurrentAccount[] {
  return listMatchedAccounts(db, employeeId).map((row) => ({
    source: row.source,
    accountId: row.id,
    login: row.login,
    email: row.email,
    displayName: row.displayName,
    enabled: row.enabled,
    rawStatus: row.rawStatus,
    privileged: row.privileged,
    lastActivityAt: row.activityKnown ? row.lastActivityAt : null,
    activityKnown: row.activityKnown,
    openFindings: row.standingFindings.map((finding) => ({
      id: finding.id,
      rule: finding.rule,
      severity: finding.severity,
      status: finding.status,
      message: finding.message,
    })),
  }));
}

function coverageGaps(db: Db, offboarded: OffboardAccount[] | null, current: CurrentAccount[]): CoverageGap[] {
  const gaps: CoverageGap[] = [];
  for (const source of listSourcesNotComplete(db)) {
    gaps.push({
      source: source.name,
      accountId: null,
      reason: `the latest collection failed${source.lastError ? ` (${source.lastError})` : ''}: accounts there are known only from an older snapshot`,
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
