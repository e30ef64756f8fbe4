// First: the certificate the Graph fake loads with its module (see certs.ts).
import './certs.js';
import { fork } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { ScanChildInput, FloorChildInput, ScanChildOutput, FloorChildOutput } from './child.js';
import type { BenchFakes } from './fakes.js';
import type { ScenarioDatabase } from './postgres.js';
import {
  API_AS_CSV,
  CSV_APPS,
  generateOrganisation,
  type GeneratedOrganisation,
  type PlantedCounts,
} from './generate.js';
import {
  evaluateTargets,
  renderReport,
  type BenchResult,
  type OffboardResult,
  type RateLimitResult,
  type ScanRun,
  type Scenario,
} from './report.js';

/**
 * `npm run bench [-- --people N]`: builds a synthetic organisation, serves it from the loopback fakes (in this
 * process) and CSV files, and scans it with the real scanner in a child process (so its peak RSS is the scanner's
 * alone): a first scan, the insert floor for the same rows, a second scan of the unchanged organisation (the nightly
 * case), a first scan of an organisation twice the size, and an Okta collection against a rate-limited fake. Prints
 * a table per run and the targets met or missed, and writes everything to bench/results/<time>-<people>.json.
 */

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** dist/bench -> the repository. */
const ROOT = path.resolve(HERE, '../..');
const ANCHOR = new Date('2026-11-26T12:00:00.000Z');
const DAY_MS = 86_400_000;

interface Options {
  people: number;
  seed: number;
  double: boolean;
  rescan: boolean;
  rateLimit: boolean;
  rateLimitUsers: number;
  out: string;
  keep: boolean;
  nodeFlags: string | undefined;
  sources: 'csv' | 'mixed';
  offboard: boolean;
}

async function main(): Promise<void> {
  // `--store postgres`: the PostgreSQL store against its COPY floor, and a first scan into it (bench/postgres.ts).
  const store = process.argv.indexOf('--store');
  if (store !== -1 && process.argv[store + 1] === 'postgres') {
    const { startFakes } = await import('./fakes.js');
    return (await import('./postgres.js')).benchPostgres(process.argv.slice(2), async (people, database) => {
      const fakes = await startFakes();
      const workDirs: string[] = [];
      const options = { seed: 20_261_126, sources: 'csv', nodeFlags: undefined } as Options;
      try {
        return await scenario(fakes, options, people, 1, workDirs, database);
      } finally {
        await fakes.close();
        for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
      }
    });
  }
  const program = new Command('bench')
    .description('Scan a synthetic organisation and measure time, throughput and memory per phase')
    .option('--people <n>', 'people in the organisation (about 10 accounts each)', positiveInteger, 100_000)
    .option('--seed <n>', 'seed of the organisation generator', positiveInteger, 20_261_126)
    .option('--no-double', 'skip the run at twice the size')
    .option('--no-rescan', 'skip the second scan of the unchanged organisation')
    .addOption(
      new Option(
        '--sources <kind>',
        'csv: every source a CSV export (the issue-17 targets); mixed: Okta, Entra, Slack and SCIM through their fakes',
      )
        .choices(['csv', 'mixed'])
        .default('csv'),
    )
    .option('--no-offboard', 'skip the offboard timing (npm run bench:offboard, 3 runs)')
    .option('--no-rate-limit', 'skip the Okta collection against a rate-limited fake')
    .option('--rate-limit-users <n>', 'people in the rate-limited Okta organisation', positiveInteger, 60_000)
    .option('--out <dir>', 'where the JSON result goes', path.join(ROOT, 'bench', 'results'))
    .option('--keep', 'keep the generated organisation and databases (printed at the end)', false)
    .option(
      '--node-flags <flags>',
      'extra Node flags for every scan child, e.g. "--cpu-prof --cpu-prof-dir prof" (profile before you optimise)',
    )
    .parse();
  const options = program.opts<Options>();

  const { startFakes, startRateLimitedOkta, oktaSourceYaml, OKTA_FAKE_TOKEN } = await import('./fakes.js');

  const started = Date.now();
  const fakes = await startFakes();
  const workDirs: string[] = [];
  try {
    const scenarios: Scenario[] = [];
    scenarios.push(await scenario(fakes, options, options.people, options.rescan ? 2 : 1, workDirs));
    if (options.double) scenarios.push(await scenario(fakes, options, options.people * 2, 1, workDirs));

    let rateLimit: RateLimitResult | null = null;
    if (options.rateLimit) {
      rateLimit = await rateLimitedOkta(options, workDirs, startRateLimitedOkta, oktaSourceYaml, OKTA_FAKE_TOKEN);
    }

    const offboard = options.offboard ? await offboardTiming(workDirs) : null;

    const result: BenchResult = {
      startedAt: new Date(started).toISOString(),
      durationSeconds: Math.round((Date.now() - started) / 1000),
      command: `npm run bench -- --people ${options.people} --sources ${options.sources}`,
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? 'unknown',
        memoryGiB: Math.round(os.totalmem() / 2 ** 30),
        node: process.version,
        platform: `${os.platform()} ${os.release()}`,
        loadAverage: os.loadavg().map((load) => Math.round(load * 100) / 100),
      },
      options: { people: options.people, seed: options.seed, rateLimitUsers: options.rateLimitUsers },
      scenarios,
      rateLimit,
      offboard,
      targets: [],
    };
    result.targets = evaluateTargets(result);
    process.stdout.write(renderReport(result));
    mkdirSync(options.out, { recursive: true });
    const file = path.join(options.out, `${result.startedAt.replace(/[:.]/g, '-')}-${options.people}.json`);
    writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
    process.stdout.write(`\nResults: ${path.relative(process.cwd(), file)}\n`);
    if (options.keep) process.stdout.write(`Kept: ${workDirs.join(' ')}\n`);
    if (result.scenarios.some((s) => s.runs.some((run) => !run.findingsMatch))) process.exitCode = 1;
  } finally {
    await fakes.close();
    if (!options.keep) for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
  }
}

/** One organisation: generate, serve, scan `runs` times (a day apart), and measure the floor after the first. */
async function scenario(
  fakes: BenchFakes,
  options: Options,
  people: number,
  runs: number,
  workDirs: string[],
  /** Another store than the scenario's SQLite file (`--store postgres`), with the floor of that engine. */
  database?: ScenarioDatabase,
): Promise<Scenario> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'zombiescan-bench-'));
  workDirs.push(dir);
  process.stderr.write(`bench: generating ${people} people in ${dir}\n`);
  const generationStarted = performance.now();
  const org = await generateOrganisation({
    people,
    seed: options.seed,
    dir,
    anchor: ANCHOR,
    oktaOrgUrl: fakes.okta.orgUrl,
    apiAsCsv: options.sources === 'csv',
  });
  const generationMs = Math.round(performance.now() - generationStarted);
  fakes.load(org);
  const configFile = writeConfig(dir, org, options.sources === 'csv' ? '' : fakes.sourcesYaml(), database?.url);
  const env = { ...fakes.env, ...database?.env };
  const accounts = Object.values(org.accounts).reduce((sum, n) => sum + n, 0);
  const credentials = Object.values(org.credentials).reduce((sum, n) => sum + n, 0);

  const scans: ScanRun[] = [];
  let floor: FloorChildOutput | null = null;
  for (let run = 0; run < runs; run++) {
    const label = run === 0 ? 'first scan' : 'second scan (unchanged, a day later)';
    process.stderr.write(`bench: ${people} people, ${label}\n`);
    const parentCpu = process.cpuUsage();
    const input: ScanChildInput = {
      mode: 'scan',
      configFile,
      now: new Date(ANCHOR.getTime() + run * DAY_MS).toISOString(),
      caCertificateFile: path.join(ROOT, 'test', 'fakes', 'certs', 'localhost-cert.pem'),
      reportDir: dir,
      credentialFiles: org.credentialFiles,
    };
    // Kept organisations can be scanned again by hand (CSV sources need no fakes), e.g. under a profiler:
    // node dist/bench/child.js "$(cat DIR/scan-1.json)"
    if (options.keep) writeFileSync(path.join(dir, `scan-${run + 1}.json`), JSON.stringify(input));
    const output = await child<ScanChildOutput>(input, env, options.nodeFlags);
    const fakesCpu = process.cpuUsage(parentCpu);
    scans.push({
      label,
      ...output,
      fakesCpuMs: Math.round((fakesCpu.user + fakesCpu.system) / 1000),
      ...compareFindings(org.planted, output.findings),
    });
    if (run === 0) {
      process.stderr.write(`bench: ${people} people, insert floor\n`);
      floor = database
        ? await database.floor(output.runId)
        : await child<FloorChildOutput>(
            {
              mode: 'floor',
              databaseFile: path.join(dir, 'zombiescan.db'),
              runId: output.runId,
              floorFile: path.join(dir, 'floor.db'),
            },
            env,
          );
      rmSync(path.join(dir, 'floor.db'), { force: true });
    }
  }
  fakes.clear();
  return {
    people,
    rosterRows: org.rosterRows,
    accounts,
    accountsBySource: org.accounts,
    credentials,
    credentialsBySource: org.credentials,
    generationMs,
    planted: org.planted,
    floor: floor!,
    runs: scans,
  };
}

/** Okta alone against a fake allowing `requests` per `windowSeconds` on /api/v1/users. */
async function rateLimitedOkta(
  options: Options,
  workDirs: string[],
  start: typeof import('./fakes.js').startRateLimitedOkta,
  sourceYaml: (orgUrl: string) => string,
  token: string,
): Promise<RateLimitResult> {
  const limit = { requests: 100, windowSeconds: 10 };
  const okta = await start(limit);
  try {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'zombiescan-bench-okta-'));
    workDirs.push(dir);
    const org = await generateOrganisation({
      people: options.rateLimitUsers,
      seed: options.seed,
      dir,
      anchor: ANCHOR,
      oktaOrgUrl: okta.orgUrl,
    });
    okta.state.users = org.okta.users;
    okta.state.adminIds = new Set(org.okta.adminIds);
    const configFile = path.join(dir, 'zombiescan.yaml');
    writeFileSync(
      configFile,
      `database: ${JSON.stringify(path.join(dir, 'zombiescan.db'))}\nroster: { path: ${JSON.stringify(org.rosterFile)} }\nsources:\n${sourceYaml(okta.orgUrl)}\n`,
    );
    process.stderr.write(
      `bench: Okta collection of ${org.okta.users.length} users at ${limit.requests} requests per ${limit.windowSeconds} s\n`,
    );
    const output = await child<ScanChildOutput>(
      {
        mode: 'scan',
        configFile,
        now: ANCHOR.toISOString(),
        caCertificateFile: path.join(ROOT, 'test', 'fakes', 'certs', 'localhost-cert.pem'),
        reportDir: dir,
        accountsOnly: true,
      },
      { OKTA_API_TOKEN: token },
      options.nodeFlags,
    );
    const listing = okta.state.requests.filter((request) => request.path === '/api/v1/users');
    const failed = okta.state.requests.filter((request) => request.status !== 200);
    const source = output.sources.find((candidate) => candidate.name === 'okta')!;
    return {
      limit,
      pageSize: 200,
      users: source.accounts,
      status: source.status,
      error: source.error,
      requests: listing.length,
      failedRequests: failed.length,
      failedStatuses: [...new Set(failed.map((request) => request.status))],
      collectMs: source.durationMs,
      firstRequestAt: listing[0]?.at ?? 0,
      lastRequestAt: listing[listing.length - 1]?.at ?? 0,
      requestTimes: listing.map((request) => request.at),
    };
  } finally {
    await okta.close();
  }
}

/**
 * `npm run bench:offboard -- --runs 3` after the scans (never beside them: it measures wall time too): its CLI and
 * in-process medians become the offboard target.
 */
async function offboardTiming(workDirs: string[]): Promise<OffboardResult> {
  const out = mkdtempSync(path.join(os.tmpdir(), 'zombiescan-bench-offboard-'));
  workDirs.push(out);
  process.stderr.write('bench: offboard timing (bench:offboard, 3 runs per mode)\n');
  await new Promise<void>((resolve, reject) => {
    const run = fork(path.join(HERE, 'offboard.js'), ['--runs', '3', '--out', out], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    run.on('error', reject);
    run.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`bench:offboard exited with code ${code}`))));
  });
  const file = readdirSync(out).find((name) => name.startsWith('offboard-') && name.endsWith('.json'))!;
  const parsed = JSON.parse(readFileSync(path.join(out, file), 'utf8')) as {
    summary: { cli: { median: number }; inProcess: { median: number } };
    startup: { nodeMs: number; cliModulesMs: number };
    criticalPath: unknown;
    checksPassed: boolean;
    options: { latencyMs: number };
  };
  return {
    cliMedianMs: parsed.summary.cli.median,
    inProcessMedianMs: parsed.summary.inProcess.median,
    nodeStartMs: parsed.startup.nodeMs,
    cliModulesMs: parsed.startup.cliModulesMs,
    latencyMs: parsed.options.latencyMs,
    checksPassed: parsed.checksPassed,
  };
}

function writeConfig(dir: string, org: GeneratedOrganisation, apiSources: string, database?: string): string {
  const file = path.join(dir, 'zombiescan.yaml');
  const csvSources = [...API_AS_CSV, ...CSV_APPS]
    .filter((app) => org.csvFiles[app.name] !== undefined)
    .map(
      (app) =>
        `  - { name: ${app.name}, type: csv,${app.idp ? ' role: idp,' : ''} path: ${JSON.stringify(org.csvFiles[app.name])} }`,
    )
    .join('\n');
  const yaml = `database: ${JSON.stringify(database ?? path.join(dir, 'zombiescan.db'))}
timezone: UTC
roster: { path: ${JSON.stringify(org.rosterFile)} }
identity:
  domainAliases: ${JSON.stringify(org.domainAliases)}
  stripPlusTags: true
sources:
${apiSources ? `${apiSources}\n` : ''}${csvSources}
serviceAccounts:
${org.serviceAccounts.map((entry) => `  - ${JSON.stringify(entry)}`).join('\n')}
exceptions:
${org.exceptions.map((entry) => `  - ${JSON.stringify(entry)}`).join('\n')}
`;
  writeFileSync(file, yaml);
  return file;
}

/** Every finding in the database must be a planted one, with the planted status. */
function compareFindings(
  planted: PlantedCounts,
  actual: Record<string, Record<string, number>>,
): { findingsMatch: boolean; findingsTotal: number; plantedTotal: number; mismatches: string[] } {
  const mismatches: string[] = [];
  let findingsTotal = 0;
  let plantedTotal = 0;
  const rules = new Set([...Object.keys(planted), ...Object.keys(actual)]);
  for (const rule of rules) {
    const expected = planted[rule as keyof PlantedCounts] ?? { open: 0, suppressed: 0 };
    const found = actual[rule] ?? {};
    plantedTotal += expected.open + expected.suppressed;
    for (const count of Object.values(found)) findingsTotal += count;
    for (const status of new Set(['open', 'suppressed', ...Object.keys(found)])) {
      const want = status === 'open' ? expected.open : status === 'suppressed' ? expected.suppressed : 0;
      const got = found[status] ?? 0;
      if (want !== got) mismatches.push(`${rule} ${status}: planted ${want}, found ${got}`);
    }
  }
  return { findingsMatch: mismatches.length === 0, findingsTotal, plantedTotal, mismatches };
}

function child<T>(
  input: ScanChildInput | FloorChildInput,
  env: Record<string, string>,
  nodeFlags?: string,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const worker = fork(path.join(HERE, 'child.js'), [JSON.stringify(input)], {
      env: { ...process.env, ...env },
      execArgv: nodeFlags && input.mode === 'scan' ? nodeFlags.split(/\s+/).filter(Boolean) : [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let output: T | undefined;
    worker.on('message', (message) => (output = message as T));
    worker.on('error', reject);
    worker.on('exit', (code) => {
      if (code === 0 && output !== undefined) resolve(output);
      else reject(new Error(`bench child (${input.mode}) exited with code ${code}`));
    });
  });
}

function positiveInteger(value: string): number {
  const parsed = Number(value.replace(/_/g, ''));
  if (!Number.isInteger(parsed) || parsed <= 0) throw new InvalidArgumentError('expected a positive whole number');
  return parsed;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
