import type { Db } from '../store/database.js';
import { findingsUsedAfterTermination, firstOpenFindings } from '../store/findings.js';
import { accountsUsedAfterTermination } from '../contract/finding-facts.js';
import { NAMED_IN_SUMMARY, type ScanSummaryFindings } from '../../reports/scan-summary.js';

/** What reports/scan-summary.ts names after a scan: only the findings it shows (it counts from the scan's result). */
export function gatherScanSummary(db: Db): ScanSummaryFindings {
  const used = findingsUsedAfterTermination(db);
  return {
    critical: firstOpenFindings(db, 'critical', NAMED_IN_SUMMARY.critical),
    high: firstOpenFindings(db, 'high', NAMED_IN_SUMMARY.high),
    usedAfterTermination: { accounts: accountsUsedAfterTermination(used), findings: used },
  };
}
