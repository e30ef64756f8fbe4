import { SEVERITIES, type Finding, type Severity } from './model.js';

/**
 * Facts every view of a finding must say up front, read from the finding's evidence in one place so the table, the
 * digest, the exports and the reports agree: whether the account was used after its owner's termination (the
 * headline of a scan), and whether the severity was raised because the account or credential is privileged.
 */

type FindingFacts = Pick<Finding, 'rule' | 'severity' | 'evidence'>;

/** The rule whose every finding is a successful sign-in after the owner's termination took effect. */
export const SIGN_IN_AFTER_TERMINATION_RULE = 'sign-in-after-termination';

/**
 * True when the evidence shows use after the owner's termination took effect: a sign-in after it
 * (`sign-in-after-termination`), or a last activity at or after it (`terminated-still-active`'s
 * `usedAfterTermination`). False when the evidence does not say so (unknown activity included).
 */
export function usedAfterTermination(finding: Pick<Finding, 'rule' | 'evidence'>): boolean {
  return finding.rule === SIGN_IN_AFTER_TERMINATION_RULE || finding.evidence.usedAfterTermination === true;
}

/** The finding's message, led by "Used after termination: " when it was and the message does not already say so. */
export function headlineMessage(finding: Pick<Finding, 'rule' | 'evidence' | 'message'>): string {
  if (!usedAfterTermination(finding) || /^used after termination\b/i.test(finding.message)) return finding.message;
  return `Used after termination: ${finding.message}`;
}

/** Evidence key the engine sets when it raised the rule's severity one level for a privileged account. */
export const SEVERITY_BEFORE_PRIVILEGE = 'severityBeforePrivilege';

/** The severity the rule gave before the privilege bump, or null when the severity was not raised. */
export function severityBeforePrivilege(finding: Pick<Finding, 'evidence'>): Severity | null {
  const before = finding.evidence[SEVERITY_BEFORE_PRIVILEGE];
  return typeof before === 'string' && (SEVERITIES as readonly string[]).includes(before) ? (before as Severity) : null;
}

export function severityRaisedForPrivilege(finding: Pick<Finding, 'evidence'>): boolean {
  return severityBeforePrivilege(finding) !== null;
}

/** "critical (admin)" when the severity was raised because the account is privileged, else the severity. */
export function severityLabel(finding: FindingFacts): string {
  return severityRaisedForPrivilege(finding) ? `${finding.severity} (admin)` : finding.severity;
}

/** Distinct accounts (source + account id) among the findings that were used after their owner's termination. */
export function accountsUsedAfterTermination(
  findings: readonly Pick<Finding, 'rule' | 'evidence' | 'source' | 'accountId'>[],
): number {
  const accounts = new Set<string>();
  for (const finding of findings) {
    if (usedAfterTermination(finding)) accounts.add(`${finding.source}\u0000${finding.accountId}`);
  }
  return accounts.size;
}

/** "2 accounts used after their owner's termination": the line a scan summary and the digest lead with. */
export function usedAfterTerminationHeadline(accounts: number, format: (n: number) => string = String): string {
  return `${format(accounts)} account${accounts === 1 ? '' : 's'} used after ${accounts === 1 ? 'its' : 'their'} owner's termination`;
}

/**
 * What an admin types into the source's search box: the login, with the email beside it when it differs
 * ("nrahman (nadia.rahman@acme.com)"); the email or the account id when there is no login.
 */
export function accountSearchLabel(finding: Pick<Finding, 'login' | 'email' | 'accountId'>): string {
  const { login, email } = finding;
  if (login && email && login.toLowerCase() !== email.toLowerCase()) return `${login} (${email})`;
  return login ?? email ?? finding.accountId;
}
