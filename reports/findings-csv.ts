import { stringify } from 'csv-stringify/sync';
import { describeTypedTime, type Finding } from '../src/contract/model.js';
import { severityBeforePrivilege, usedAfterTermination } from '../src/contract/finding-facts.js';

/**
 * Findings as CSV for spreadsheets. Account names come from the sources, so anyone who can set a display name
 * could plant a formula: cells starting with = + - @ tab or CR are prefixed with a quote (OWASP CSV injection).
 */
const COLUMNS = [
  'id',
  'severity',
  'rule',
  'status',
  'source',
  'account_id',
  'login',
  'email',
  'display_name',
  'person_id',
  'first_seen',
  'last_seen',
  'message',
  'suppressed_until',
  'suppress_reason',
  'suppressed_by',
  'ticket_key',
  'evidence',
  'credential_id',
  'credential_kind',
  'credential_name',
  'credential_last_used_at',
  'credential_expires_at',
  'suppressed_until_as_typed',
  // Appended, so scripts reading columns by position keep working.
  'severity_before_privilege',
  'used_after_termination',
] as const;

export function neutraliseFormula(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

export function renderFindingsCsv(findings: readonly Finding[]): string {
  const rows = findings.map((finding) => [
    finding.id,
    finding.severity,
    finding.rule,
    finding.status,
    finding.source,
    finding.accountId,
    finding.login,
    finding.email,
    finding.displayName,
    finding.personId,
    finding.firstSeen,
    finding.lastSeen,
    finding.message,
    finding.suppressedUntil,
    finding.suppressReason,
    finding.suppressedBy,
    finding.ticketKey,
    JSON.stringify(finding.evidence),
    finding.credentialId ?? null,
    finding.credential?.kind ?? null,
    finding.credential?.name ?? null,
    finding.credential?.lastUsedAt ?? null,
    finding.credential?.expiresAt ?? null,
    finding.suppressedUntilAsTyped ? describeTypedTime(finding.suppressedUntilAsTyped) : null,
    severityBeforePrivilege(finding),
    usedAfterTermination(finding) ? 'true' : 'false',
  ]);
  return stringify(rows, {
    header: true,
    columns: [...COLUMNS],
    bom: true,
    record_delimiter: 'windows',
    cast: {
      string: (value) => neutraliseFormula(value),
      number: (value) => String(value),
    },
  });
}
