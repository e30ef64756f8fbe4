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

export function renderFindingsCsv(findings: Iterable<Finding>): string {
  return [...findingsCsvChunks(findings)].join('');
}

/**
 * The same CSV a few hundred rows at a time, for writing as it is read: a large organisation's first scan opens
 * tens of thousands of findings, and the whole export as one string (with every finding as an object) was the
 * scan's memory peak at 2M accounts.
 */
export function* findingsCsvChunks(findings: Iterable<Finding>): Generator<string> {
  let rows: unknown[][] = [];
  let first = true;
  const chunk = () => {
    const text = stringify(rows, {
      header: first,
      columns: [...COLUMNS],
      bom: first,
      record_delimiter: 'windows',
      cast: {
        string: (value) => neutraliseFormula(value),
        number: (value) => String(value),
      },
    });
    rows = [];
    first = false;
    return text;
  };
  for (const finding of findings) {
    rows.push(findingCsvRow(finding));
    if (rows.length === CSV_CHUNK_ROWS) yield chunk();
  }
  if (first || rows.length > 0) yield chunk();
}

const CSV_CHUNK_ROWS = 500;

function findingCsvRow(finding: Finding): unknown[] {
  return [
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
  ];
}
