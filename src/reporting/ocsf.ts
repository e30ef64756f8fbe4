import { listFindings, type FindingFilter } from '../store/findings.js';
import type { Db } from '../store/database.js';
import { findingStatusChangeTimes } from '../store/ocsf-queries.js';
import type { OcsfSourceFinding } from '../../reports/ocsf.js';

/** Gathers what `report findings --format ocsf` renders (reports/ocsf.ts): each finding with its status change time. */
export function gatherOcsfFindings(db: Db, filter: FindingFilter): OcsfSourceFinding[] {
  const findings = listFindings(db, filter);
  const changedAt = findingStatusChangeTimes(db);
  return findings.map((finding) => ({ ...finding, statusChangedAt: changedAt(finding.id) }));
}
