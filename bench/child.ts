import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createCollector } from '../collectors/index.js';
import { loadRoster } from '../collectors/hr-roster/index.js';
import { findingsCsvChunks } from '../reports/findings-csv.js';
import { renderScanSummary } from '../reports/scan-summary.js';
import { gatherScanSummary } from '../src/reporting/scan-summary.js';
import { CREDENTIAL_RULES, RULES, resolveRuleOptions } from '../rules/index.js';
import { loadConfig } from '../src/config/config.js';
import { eachFinding } from '../src/store/findings.js';
import { Counted } from '../src/common/counted.js';
import { writeReport } from '../src/cli/commands/report.js';
import { listFindingStatuses } from '../src/store/audit-queries.js';
import type { Logger } from '../src/common/logger.js';
import { runScan } from '../src/scan/scan.js';
import { limitHeapGrowth } from '../src/common/heap.js';
import { closeDatabase, openDatabase } from '../src/store/database.js';
import { measureInsertFloor, type FloorResult } from '../src/store/floor.js';
import { withCredentialFeed, withoutCredentials } from './credential-feed.js';

/**
 * The measured side of the benchmark, run as a child process so that its peak RSS is the scanner's alone (the fakes
 * and the generated organisation live in the parent). Modes:
 * - scan: one `zombiescan scan` as the CLI runs it (real collectors, real roster loader, every rule), then the
 *   report a scan prints plus the findings CSV; per phase its wall time, rows and the peak RSS reached so far;
 * - floor: the same account rows inserted into an equally shaped table with one bare prepared statement.
 */

export interface PhaseSample {
  phase: string;
  ms: number;
  rows: number;
  /** Peak RSS of the process up to the end of this phase, in MiB. */
  peakRssMiB: number;
  /** V8 heap in use at the end of this phase, in MiB: what of the RSS is JavaScript objects. */
  heapUsedMiB: number;
}

export interface ScanChildInput {
  mode: 'scan';
  configFile: string;
  /** ISO time the scan runs at (rules compare against it). */
  now: string;
  caCertificateFile: string;
  reportDir: string;
  /** CSV source name -> its generated credentials (see credential-feed.ts). */
  credentialFiles?: Record<string, string>;
  /**
   * Accounts only: the rate-limited Okta run measures the users listing, and Okta's per-user grant lists (one call
   * per account at risk, under the same limit) would stretch it by minutes without telling anything about it.
   */
  accountsOnly?: boolean;
}

export interface FloorChildInput {
  mode: 'floor';
  databaseFile: string;
  runId: number;
  floorFile: string;
}

export interface ScanChildOutput {
  mode: 'scan';
  runId: number;
  status: string;
  phases: PhaseSample[];
  /** runScan plus the report, ms. */
  totalMs: number;
  peakRssMiB: number;
  /** Highest value of each process.memoryUsage() field seen (sampled every 100 ms), in MiB: what the RSS is made of. */
  memoryPeaks: Record<string, number>;
  cpuUserMs: number;
  cpuSystemMs: number;
  sources: {
    name: string;
    status: string;
    accounts: number;
    credentials: number | null;
    error: string | null;
    durationMs: number;
  }[];
  /** Every finding in the database, by rule and status. */
  findings: Record<string, Record<string, number>>;
  opened: number;
  resolved: number;
  warnings: string[];
}

export interface FloorChildOutput extends FloorResult {
  mode: 'floor';
  peakRssMiB: number;
}

const MiB = 1024;

function peakRssMiB(): number {
  return Math.round((process.resourceUsage().maxRSS / MiB) * 10) / 10;
}

function heapUsedMiB(): number {
  return Math.round(process.memoryUsage().heapUsed / MiB / MiB);
}

function sampleMemory(): { stop(): Record<string, number> } {
  const peaks: Record<string, number> = {};
  const sample = () => {
    for (const [field, bytes] of Object.entries(process.memoryUsage())) {
      peaks[field] = Math.max(peaks[field] ?? 0, Math.round(bytes / MiB / MiB));
    }
  };
  const timer = setInterval(sample, 100);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peaks;
    },
  };
}

async function scan(input: ScanChildInput): Promise<ScanChildOutput> {
  // As `zombiescan` does at start (src/cli/bin.ts).
  limitHeapGrowth();
  const warnings: string[] = [];
  const log: Logger = {
    debug: () => {},
    info: () => {},
    warn: (message) => warnings.push(message),
    error: (message) => warnings.push(`error: ${message}`),
  };
  const config = loadConfig(input.configFile, process.env);
  const db = openDatabase(config.database);
  const rules = {
    rules: RULES,
    byId: new Map(RULES.map((rule) => [rule.id, rule])),
    options: resolveRuleOptions(config.rules),
    credentialRules: CREDENTIAL_RULES,
  };
  const now = new Date(input.now);
  const phases: PhaseSample[] = [];
  const memory = sampleMemory();
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const result = await runScan(db, config, {
    now: () => now,
    log,
    createCollector: input.accountsOnly
      ? withoutCredentials(createCollector)
      : withCredentialFeed(createCollector, input.credentialFiles ?? {}),
    collectorDeps: { caCertificate: readFileSync(input.caCertificateFile, 'utf8') },
    loadRoster: (c) => loadRoster(c.roster, c.timezone),
    rules,
    onPhase: (phase, ms, rows) =>
      phases.push({ phase, ms: Math.round(ms), rows, peakRssMiB: peakRssMiB(), heapUsedMiB: heapUsedMiB() }),
  });

  // What `zombiescan scan` prints, and the findings export a nightly job hands on.
  const reportStarted = performance.now();
  const summary = renderScanSummary(result, { ...gatherScanSummary(db), color: false });
  writeFileSync(path.join(input.reportDir, `summary-${result.runId}.txt`), summary);
  const open = new Counted(eachFinding(db, { status: 'open' }));
  writeReport(input.reportDir, `findings-${result.runId}.csv`, findingsCsvChunks(open));
  phases.push({
    phase: 'report',
    ms: Math.round(performance.now() - reportStarted),
    rows: open.count,
    peakRssMiB: peakRssMiB(),
    heapUsedMiB: heapUsedMiB(),
  });
  const totalMs = Math.round(performance.now() - started);
  const cpu = process.cpuUsage(cpuStarted);
  const memoryPeaks = memory.stop();
  // The scan's peak: what the bench does next to check the findings is not part of it.
  const scanPeakRssMiB = peakRssMiB();

  const findings: Record<string, Record<string, number>> = {};
  // By rule, then status, in code-point order (the order SQLite's GROUP BY gave the report).
  const everyFinding = listFindingStatuses(db).sort(
    (a, b) => compareText(a.rule, b.rule) || compareText(a.status, b.status),
  );
  for (const finding of everyFinding) {
    const byStatus = (findings[finding.rule] ??= {});
    byStatus[finding.status] = (byStatus[finding.status] ?? 0) + 1;
  }
  closeDatabase(db);
  return {
    mode: 'scan',
    runId: result.runId,
    status: result.status,
    phases,
    totalMs,
    peakRssMiB: scanPeakRssMiB,
    memoryPeaks,
    cpuUserMs: Math.round(cpu.user / 1000),
    cpuSystemMs: Math.round(cpu.system / 1000),
    sources: result.sources.map((source) => ({
      name: source.name,
      status: source.status,
      accounts: source.accounts,
      credentials: source.credentials ?? null,
      error: source.error,
      durationMs: source.durationMs,
    })),
    findings,
    opened: result.findings.opened + result.findings.reopened,
    resolved: result.findings.resolved,
    warnings: warnings.slice(0, 50),
  };
}

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2] ?? '{}') as ScanChildInput | FloorChildInput;
  const output: ScanChildOutput | FloorChildOutput =
    input.mode === 'scan'
      ? await scan(input)
      : {
          mode: 'floor',
          ...measureInsertFloor(input.databaseFile, input.runId, input.floorFile),
          peakRssMiB: peakRssMiB(),
        };
  // Run by hand (a kept organisation, see run.ts): the result goes to stdout.
  if (!process.send) return void process.stdout.write(`${JSON.stringify(output, null, 1)}\n`);
  process.send(output, () => process.exit(0));
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench child failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
