import type { Severity } from './model.js';

/** What a scan reports about itself: the summary the CLI prints, `serve` posts and `runs --json` lists. */

export interface ReconcileResult {
  opened: number;
  /** Of `opened`, the findings that started suppressed because a standing exception (config) covers them. */
  openedSuppressed: number;
  reopened: number;
  resolved: number;
}

export interface SourceOutcome {
  name: string;
  type: string;
  role: 'idp' | 'app';
  status: 'complete' | 'failed';
  accounts: number;
  activityKnown: boolean | null;
  error: string | null;
  notices: string[];
  durationMs: number;
  /** Credentials stored for the source in this run; absent when its collector collects none. */
  credentials?: number;
}

export interface ScanResult {
  runId: number;
  status: 'complete' | 'partial';
  startedAt: string;
  finishedAt: string;
  people: number;
  sources: SourceOutcome[];
  findings: ReconcileResult & { open: Record<Severity, number>; newThisRun: number };
}

/** `runs --json`: SPEC shape plus the finding counts. */
export interface RunSummary {
  id: number;
  startedAt: string;
  finishedAt: string | null;
  status: string;
  sources: Record<string, { status: string; accounts: number; error: string | null; notices: string[] }>;
  findingsOpen: number | null;
  findingsOpened: number | null;
  findingsResolved: number | null;
}
