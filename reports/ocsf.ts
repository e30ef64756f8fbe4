import type { Finding, FindingStatus, Severity } from '../src/contract/model.js';
import { ruleById } from '../rules/index.js';

/**
 * Findings as OCSF Detection Finding events (class 2004, category 2 Findings) for SIEMs. Required by OCSF 1.x:
 * activity_id, category_uid, class_uid, type_uid (class_uid * 100 + activity_id), time, severity_id, metadata
 * (product, version) and finding_info (uid, title). Everything zombiescan knows beyond the schema rides in
 * `unmapped`, so no fact is lost and no attribute is misused.
 */

export const OCSF_SCHEMA_VERSION = '1.4.0';
const CLASS_UID = 2004;
const CATEGORY_UID = 2;

const ACTIVITIES = { 1: 'Create', 2: 'Update', 3: 'Close' } as const;
type ActivityId = keyof typeof ACTIVITIES;

const SEVERITY_IDS: Record<Severity, { id: number; caption: string }> = {
  low: { id: 2, caption: 'Low' },
  medium: { id: 3, caption: 'Medium' },
  high: { id: 4, caption: 'High' },
  critical: { id: 5, caption: 'Critical' },
};

const STATUS_IDS: Record<FindingStatus, { id: number; caption: string }> = {
  open: { id: 1, caption: 'New' },
  acknowledged: { id: 2, caption: 'In Progress' },
  suppressed: { id: 3, caption: 'Suppressed' },
  resolved: { id: 4, caption: 'Resolved' },
  remediated: { id: 4, caption: 'Resolved' },
};

/**
 * A finding plus the one stored fact the shared Finding shape leaves out: when its status last changed (gathered by
 * src/reporting/ocsf.ts).
 */
export interface OcsfSourceFinding extends Finding {
  statusChangedAt: string | null;
}

const epochMs = (iso: string | null): number | undefined => {
  if (!iso) return undefined;
  const time = Date.parse(iso);
  return Number.isNaN(time) ? undefined : time;
};

/**
 * A finding seen in one scan and never touched is a Create; a closed one (resolved, remediated) a Close; anything
 * else has a history and is an Update, so a SIEM that ingests every export keeps one alert per finding.
 */
function activityOf(finding: OcsfSourceFinding): ActivityId {
  if (finding.status === 'resolved' || finding.status === 'remediated') return 3;
  if (finding.status === 'open' && finding.firstSeen === finding.lastSeen) return 1;
  return 2;
}

export function findingToOcsf(finding: OcsfSourceFinding, product: { version: string }): Record<string, unknown> {
  const activityId = activityOf(finding);
  const rule = ruleById(finding.rule);
  const severity = SEVERITY_IDS[finding.severity] ?? { id: 0, caption: 'Unknown' };
  const status = STATUS_IDS[finding.status] ?? { id: 0, caption: 'Unknown' };
  const firstSeen = epochMs(finding.firstSeen);
  const lastSeen = epochMs(finding.lastSeen);
  const changed = epochMs(finding.statusChangedAt);
  const time = Math.max(lastSeen ?? 0, changed ?? 0) || (firstSeen ?? 0);
  const accountName = finding.login ?? finding.email ?? finding.accountId;
  return {
    class_uid: CLASS_UID,
    class_name: 'Detection Finding',
    category_uid: CATEGORY_UID,
    category_name: 'Findings',
    activity_id: activityId,
    activity_name: ACTIVITIES[activityId],
    type_uid: CLASS_UID * 100 + activityId,
    type_name: `Detection Finding: ${ACTIVITIES[activityId]}`,
    time,
    severity_id: severity.id,
    severity: severity.caption,
    status_id: status.id,
    status: status.caption,
    is_alert: finding.status === 'open' || finding.status === 'acknowledged',
    message: finding.message,
    metadata: {
      version: OCSF_SCHEMA_VERSION,
      product: { name: 'zombiescan', vendor_name: 'zombiescan', version: product.version },
      uid: `${finding.id}-${time}`,
    },
    finding_info: {
      uid: String(finding.id),
      title: rule?.title ?? finding.rule,
      desc: finding.message,
      types: [finding.rule],
      analytic: {
        uid: finding.rule,
        name: finding.rule,
        type_id: 1,
        type: 'Rule',
        ...(rule ? { desc: rule.risk } : {}),
      },
      created_time: firstSeen,
      first_seen_time: firstSeen,
      last_seen_time: lastSeen,
      modified_time: changed,
    },
    ...(rule ? { remediation: { desc: rule.remediation } } : {}),
    resources: [
      // A credential finding's first resource is the credential itself (OCSF resource type is free text), so a
      // SIEM sees a key, not an account; its owner account follows.
      ...(finding.credentialId && finding.credential
        ? [
            {
              uid: finding.credentialId,
              name: finding.credential.name ?? finding.credentialId,
              type: `Credential: ${finding.credential.kind}`,
              labels: [`source:${finding.source}`, `credential:${finding.credential.kind}`],
              ...(finding.personId ? { owner: { uid: finding.personId, type_id: 1, type: 'User' } } : {}),
              data: {
                source: finding.source,
                kind: finding.credential.kind,
                lastUsedAt: finding.credential.lastUsedAt,
                expiresAt: finding.credential.expiresAt,
                ownerAccountId: finding.accountId === '' ? null : finding.accountId,
              },
            },
          ]
        : []),
      {
        uid: finding.accountId,
        name: accountName,
        type: 'Account',
        labels: [`source:${finding.source}`],
        ...(finding.personId ? { owner: { uid: finding.personId, type_id: 1, type: 'User' } } : {}),
        data: { source: finding.source, login: finding.login, email: finding.email, displayName: finding.displayName },
      },
    ],
    evidences: [
      {
        user: {
          uid: finding.accountId,
          name: accountName,
          ...(finding.email ? { email_addr: finding.email } : {}),
          ...(finding.displayName ? { full_name: finding.displayName } : {}),
          account: { uid: finding.accountId, name: accountName },
        },
        data: finding.evidence,
      },
    ],
    unmapped: {
      zombiescan: {
        rule: finding.rule,
        status: finding.status,
        source: finding.source,
        accountId: finding.accountId,
        personId: finding.personId,
        suppressedUntil: finding.suppressedUntil,
        suppressReason: finding.suppressReason,
        suppressedBy: finding.suppressedBy,
        ticketKey: finding.ticketKey,
        credentialId: finding.credentialId ?? null,
        credential: finding.credential ?? null,
      },
    },
  };
}

/** One Detection Finding per finding, as a JSON array. */
export function renderFindingsOcsf(findings: readonly OcsfSourceFinding[], product: { version: string }): string {
  return (
    JSON.stringify(
      findings.map((finding) => findingToOcsf(finding, product)),
      null,
      2,
    ) + '\n'
  );
}
