import type { CredentialSummary, Finding, TypedTime } from './model.js';
import { severityBeforePrivilege, usedAfterTermination } from './finding-facts.js';

/** The documented JSON shape of a finding (SPEC "findings --json"): stable field names, ISO 8601 UTC times. */
export interface FindingJson {
  id: number;
  rule: string;
  severity: string;
  status: string;
  source: string;
  /** The account, or for a credential finding its owner account (null when the credential has none). */
  accountId: string | null;
  login: string | null;
  email: string | null;
  displayName: string | null;
  personId: string | null;
  firstSeen: string;
  lastSeen: string;
  message: string;
  evidence: Record<string, unknown>;
  suppressedUntil: string | null;
  /** The expiry as typed (`{value: "2027-01-31", timezone}`: the end of that day there); null when none was typed. */
  suppressedUntilAsTyped: TypedTime | null;
  suppressReason: string | null;
  suppressedBy: string | null;
  ticketKey: string | null;
  /** Null on account findings. */
  credentialId: string | null;
  credential: CredentialSummary | null;
  /** The rule's severity before it was raised one level for a privileged account or credential; null: not raised. */
  severityBeforePrivilege: string | null;
  /** The evidence shows use after the owner's termination took effect (the headline of a scan). */
  usedAfterTermination: boolean;
}

export function findingToJson(finding: Finding): FindingJson {
  return {
    id: finding.id,
    rule: finding.rule,
    severity: finding.severity,
    status: finding.status,
    source: finding.source,
    accountId: finding.credentialId && finding.accountId === '' ? null : finding.accountId,
    login: finding.login,
    email: finding.email,
    displayName: finding.displayName,
    personId: finding.personId,
    firstSeen: finding.firstSeen,
    lastSeen: finding.lastSeen,
    message: finding.message,
    evidence: finding.evidence,
    suppressedUntil: finding.suppressedUntil,
    suppressedUntilAsTyped: finding.suppressedUntilAsTyped ?? null,
    suppressReason: finding.suppressReason,
    suppressedBy: finding.suppressedBy,
    ticketKey: finding.ticketKey,
    credentialId: finding.credentialId ?? null,
    credential: finding.credential ?? null,
    severityBeforePrivilege: severityBeforePrivilege(finding),
    usedAfterTermination: usedAfterTermination(finding),
  };
}
