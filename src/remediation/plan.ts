import type { Config } from '../config/config.js';
import { NotFoundError } from '../contract/errors.js';
import { listFindings } from '../store/findings.js';
import { globToRegExp } from '../scan/matching.js';
import { describeTypedTime, type Finding } from '../contract/model.js';
import type { Db } from '../store/database.js';
import { currentAccount } from '../store/accounts.js';
import { currentCredential } from '../store/credentials.js';
import { sourceCollectionStatuses, type SourceCollectionStatus } from '../store/sources.js';
import { ROSTER_EVIDENCE_SOURCE } from '../scan/evaluate.js';
import { endOfLocalDay } from '../common/time.js';
import type { AccountRef, ActionName, CredentialRef, SourceRemediator } from '../contract/action.js';
import { chooseRecipient } from './notify-owner.js';
import { actionsForRule, isSystemAction, resolveActions, type Fallback } from './policy.js';

/**
 * From findings to a plan: which actions each finding gets (the policy, with unsupported system actions folded into
 * one ticket), and which are refused before anything is called: findings that are not open or acknowledged, findings
 * whose evidence came from a source whose latest collection failed (the account's own source, the IdPs a rule read),
 * excepted accounts, privileged accounts without --include-privileged (and system actions on accounts whose privilege
 * is unknown), tickets without a `tickets` config, owner messages without a `slack` config. Reads the database only.
 *
 * A credential finding (a token, grant, key or app secret) is acted on through `revoke-credential`, under the same
 * guards: its credential must be in its source's current snapshot, a privileged credential (or one whose owner account
 * is privileged) needs --include-privileged, and one whose owner's roles could not be read fails closed. A source
 * that cannot revoke the kind gets a ticket instead; account actions (disable, …) are refused on it.
 */

export type ActionStatus = 'planned' | 'applied' | 'already-done' | 'refused' | 'failed';

/** One element of `remediate --json`. */
export interface ActionRecord {
  findingId: number;
  rule: string;
  source: string;
  accountId: string;
  action: ActionName;
  status: ActionStatus;
  reason: string;
  at: string;
  /** Ticket actions only: the ticket opened (or already open), else null. */
  ticketKey?: string | null;
  /** Credential findings only: the credential's vendor id (`accountId` is then its owner account, or ''). */
  credentialId?: string;
}

export interface PlannedStep {
  action: ActionName;
  /** For a ticket: the system actions it stands in for. */
  fallbackFor: Fallback[];
  /** Why this step will not be attempted; null when it will be. */
  refusal: string | null;
  /** The finding's ticket is already open: nothing to call. */
  ticketKey: string | null;
  /** Why the step is in the plan. */
  reason: string;
}

export interface PlannedFinding {
  finding: Finding;
  /** The account acted on; for a credential finding its owner account (or the finding's record of it). */
  account: AccountRef;
  /** A credential finding's credential as its source's current snapshot holds it; null on account findings. */
  credential: CredentialRef | null;
  steps: PlannedStep[];
}

export interface RemediationPlan {
  findings: PlannedFinding[];
  /** Steps that would call a system (the ones the limit counts). */
  actionCount: number;
  limit: number;
  overLimit: boolean;
}

export interface PlanOptions {
  /** Only these findings (any status: a finding that is not actionable is listed as refused). */
  findingIds?: readonly number[];
  /** Overrides remediation.maxActionsPerRun for this run. */
  max?: number;
  includePrivileged?: boolean;
  now: Date;
  /** The remediator of a configured source, or null when the source is not configured. */
  remediatorFor(source: string): SourceRemediator | null;
  /**
   * Per `actionKey`, a note for an action whose earlier attempt was interrupted: refused when `refuse` is set
   * (its outcome could not be confirmed, so doing it again could repeat it), else only noted.
   */
  interrupted?: ReadonlyMap<string, { reason: string; refuse: boolean }>;
}

const ACTIONABLE = new Set(['open', 'acknowledged']);

/**
 * Identifies one action on one account across runs (crash reconciliation). A credential's actions are journaled with
 * the credential id in the account column, so for them `accountId` is the credential id.
 */
export function actionKey(source: string, accountId: string, action: string): string {
  return `${source}\u0000${accountId}\u0000${action}`;
}

export function planRemediation(db: Db, config: Config, options: PlanOptions): RemediationPlan {
  const findings = selectFindings(db, options.findingIds);
  const sourceStatus = sourceCollectionStatuses(db);
  const configured = new Set(config.sources.map((source) => source.name));
  const exceptions = config.exceptions
    .filter((entry) => endOfLocalDay(entry.expires, config.timezone).getTime() > options.now.getTime())
    .map((entry) => ({ ...entry, regex: globToRegExp(entry.login) }));

  const planned: PlannedFinding[] = [];
  for (const finding of findings) {
    const current = currentAccount(db, finding.source, finding.accountId);
    const account: AccountRef = current?.ref ?? {
      source: finding.source,
      id: finding.accountId,
      login: finding.login,
      email: finding.email,
      displayName: finding.displayName,
      attributes: {},
    };
    let remediator: SourceRemediator | null = null;
    let findingRefusal: string | null = null;
    const credentialId = finding.credentialId ?? null;
    const stored = credentialId !== null ? currentCredential(db, finding.source, credentialId) : null;
    const credential: CredentialRef | null = stored
      ? {
          source: stored.source,
          id: stored.id,
          kind: stored.kind,
          name: stored.name,
          accountId: stored.accountId,
          attributes: stored.attributes,
        }
      : null;
    const exception = exceptions.find((entry) => {
      if (entry.source !== finding.source || (entry.rules && !entry.rules.includes(finding.rule))) return false;
      // One naming a credential covers that credential only; one on an account covers its credentials too.
      if (entry.credential !== undefined) return credentialId !== null && entry.credential === credentialId;
      return [account.login, account.email].some((value) => value !== null && entry.regex.test(value));
    });
    // A credential's own privilege (an admin's API token, an admin scope) or its owner account's.
    const privileged =
      (stored ? stored.privileged : finding.evidence.privileged === true) || current?.privileged === true;
    // Fail closed: roles that could not be read may hide an admin. The account as last collected decides; a finding
    // whose account is no longer in a snapshot falls back to its evidence (older findings lack the key: unknown).
    // A credential's privilege is unknown when its owner account's is (a token acts with its owner's rights); with no
    // owner account left in the snapshot, the credential's own privilege decides.
    const privilegeUnknown =
      credentialId !== null
        ? current !== null && !current.privilegeKnown
        : current
          ? !current.privilegeKnown
          : finding.evidence.privilegeKnown !== true;
    const staleSource = staleEvidence(finding, sourceStatus);
    if (!ACTIONABLE.has(finding.status)) {
      findingRefusal = describeInactive(finding);
    } else if (!configured.has(finding.source)) {
      findingRefusal = `source ${finding.source} is no longer in the config`;
    } else if (staleSource) {
      findingRefusal = staleSource;
    } else if (exception) {
      const what = exception.credential !== undefined ? `credential ${exception.credential}` : exception.login;
      const until = describeTypedTime({ value: exception.expires, timezone: config.timezone });
      findingRefusal = `excepted (${what}): ${exception.reason}, owner ${exception.owner}, until ${until}`;
    } else if (privileged && !options.includePrivileged) {
      findingRefusal =
        credentialId !== null
          ? 'privileged credential (or owner account): re-run with --include-privileged to act on it'
          : 'privileged account: re-run with --include-privileged to act on it';
    } else {
      try {
        remediator = options.remediatorFor(finding.source);
        if (!remediator) findingRefusal = `source ${finding.source} is no longer in the config`;
      } catch (error) {
        findingRefusal = `cannot act on ${finding.source}: ${error instanceof Error ? error.message : String(error)}`;
      }
    }

    const resolved = resolveActions(actionsForRule(finding.rule, config.remediation.policy), (action) => {
      if (!remediator) return null;
      if (action !== 'revoke-credential') return remediator.unsupportedReason(action, finding.accountId);
      // Only a credential finding can be revoked (others are refused below); the source's hook says which kinds.
      if (credentialId === null) return null;
      const hook = remediator.credentials;
      if (!hook) return `${finding.source} cannot revoke credentials through its API`;
      return finding.credential ? hook.unsupportedKind(finding.credential.kind) : null;
    });
    const actedOn = credentialId ?? finding.accountId;
    const steps = resolved.map(({ action, fallbackFor }): PlannedStep => {
      const step: PlannedStep = {
        action,
        fallbackFor,
        refusal: findingRefusal,
        ticketKey: null,
        reason: stepReason(finding, fallbackFor),
      };
      if (step.refusal !== null) return step;
      if (credentialId !== null && isSystemAction(action)) {
        return {
          ...step,
          refusal:
            `${action} acts on accounts, and this finding is about a credential: its policy takes ` +
            'revoke-credential (or ticket)',
        };
      }
      if (
        privilegeUnknown &&
        (isSystemAction(action) || action === 'revoke-credential') &&
        !options.includePrivileged
      ) {
        return {
          ...step,
          refusal:
            credentialId !== null
              ? `roles unreadable: ${finding.source} could not say whether the owner account holds an admin role, ` +
                'so the credential may act as one (see `zombiescan doctor`); re-run with --include-privileged to ' +
                'act on it'
              : `roles unreadable: ${finding.source} could not say whether this account holds an admin role ` +
                '(see `zombiescan doctor`); re-run with --include-privileged to act on it',
        };
      }
      if (action === 'revoke-credential') {
        if (credentialId === null) return { ...step, refusal: 'revoke-credential applies only to credential findings' };
        if (!credential) {
          return {
            ...step,
            refusal:
              `credential ${credentialId} is not in the current snapshot of ${finding.source}: nothing to revoke ` +
              'until a complete scan lists it again',
          };
        }
      }
      const interrupted = options.interrupted?.get(actionKey(finding.source, actedOn, action));
      if (interrupted?.refuse) return { ...step, refusal: interrupted.reason };
      if (interrupted) step.reason = `${step.reason}; ${interrupted.reason}`;
      if (action === 'ticket') {
        if (finding.ticketKey) return { ...step, ticketKey: finding.ticketKey };
        if (!config.tickets) {
          return { ...step, refusal: 'no `tickets` configured: add a tickets section (jira or webhook) to the config' };
        }
      }
      if (action === 'notify-owner') {
        if (!config.slack) return { ...step, refusal: 'no `slack` configured: notify-owner sends a Slack message' };
        const recipient = chooseRecipient(db, finding);
        if ('refusal' in recipient) return { ...step, refusal: recipient.refusal };
        step.reason =
          recipient.role === 'owner'
            ? `ask the owner ${recipient.person.email} whether the account is still needed`
            : `the owner has left: ask their manager ${recipient.person.email} whether the account is still needed`;
      }
      return step;
    });
    planned.push({ finding, account, credential, steps });
  }

  const actionCount = planned
    .flatMap((entry) => entry.steps)
    .filter((step) => step.refusal === null && step.ticketKey === null).length;
  const limit = options.max ?? config.remediation.maxActionsPerRun;
  return { findings: planned, actionCount, limit, overLimit: actionCount > limit };
}

/** The plan as `remediate --plan` prints it: every step planned, refused, or (ticket already open) already done. */
export function planRecords(plan: RemediationPlan, at: Date): ActionRecord[] {
  return plan.findings.flatMap(({ finding, steps }) =>
    steps.map((step) => {
      const record: ActionRecord = {
        findingId: finding.id,
        rule: finding.rule,
        source: finding.source,
        accountId: finding.accountId,
        action: step.action,
        status: step.refusal !== null ? 'refused' : step.ticketKey !== null ? 'already-done' : 'planned',
        reason:
          step.refusal ??
          (step.ticketKey !== null ? `ticket ${step.ticketKey} is already open for this finding` : step.reason),
        at: at.toISOString(),
      };
      if (finding.credentialId) record.credentialId = finding.credentialId;
      if (step.action === 'ticket') record.ticketKey = step.ticketKey;
      return record;
    }),
  );
}

function selectFindings(db: Db, ids: readonly number[] | undefined): Finding[] {
  if (!ids || ids.length === 0) {
    // One list, so the most severe findings come first whichever of the two statuses they have.
    return listFindings(db, { status: 'all' }).filter((finding) => ACTIONABLE.has(finding.status));
  }
  const found = listFindings(db, { status: 'all', ids: [...ids] });
  const missing = ids.filter((id) => !found.some((finding) => finding.id === id));
  if (missing.length > 0) {
    throw new NotFoundError(`no finding with id ${missing.join(', ')} (see \`zombiescan findings --status all\`)`);
  }
  return found;
}

/**
 * Why the finding's evidence can no longer be trusted, or null: any source it came from (`evidence.sources`, filled
 * by the engine; the account's own source always) whose latest collection failed. The HR roster cannot be stale
 * here: a roster that does not load stops the scan before anything is written.
 */
function staleEvidence(finding: Finding, statuses: ReadonlyMap<string, SourceCollectionStatus>): string | null {
  const recorded = Array.isArray(finding.evidence.sources)
    ? finding.evidence.sources.filter((source): source is string => typeof source === 'string')
    : [];
  for (const source of new Set([finding.source, ...recorded])) {
    if (source === ROSTER_EVIDENCE_SOURCE) continue;
    const status = statuses.get(source);
    if (status?.lastStatus !== 'failed') continue;
    const evidence = source === finding.source ? '' : ` (this finding's evidence comes from it)`;
    const completed = status.lastCompletedAt ? `last completed ${status.lastCompletedAt}` : 'never completed';
    return (
      `the latest collection of ${source}${evidence} failed${status.lastError ? ` (${status.lastError})` : ''}; ` +
      `it ${completed}: no action until a scan completes it`
    );
  }
  return null;
}

function describeInactive(finding: Finding): string {
  if (finding.status === 'suppressed') {
    const by = finding.suppressedBy ? ` by ${finding.suppressedBy}` : '';
    const until = finding.suppressedUntil
      ? ` until ${describeTypedTime(finding.suppressedUntilAsTyped, finding.suppressedUntil)}`
      : '';
    return `finding is suppressed${by}${until}${finding.suppressReason ? `: ${finding.suppressReason}` : ''}`;
  }
  return `finding is ${finding.status}: only open or acknowledged findings are remediated`;
}

function stepReason(finding: Finding, fallbacks: readonly Fallback[]): string {
  if (fallbacks.length === 0) return `policy for ${finding.rule}`;
  return fallbacks.map((fallback) => `instead of ${fallback.action}: ${fallback.reason}`).join('; ');
}
