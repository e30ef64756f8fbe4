import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { table } from '../reports/terminal.js';
import type { TerminationReport } from '../src/remediation/offboard.js';
import { closeDatabase, openDatabaseReadOnly } from '../src/store/database.js';
import { readJournal } from '../src/store/journal.js';
import type { ObservedCall, OffboardFakes, OffboardPerson, SourceName } from './offboard-setup.js';

/**
 * `npm run bench:offboard [-- --runs N]`: the emergency-offboarding target of issue "offboard PERSON": with six
 * sources whose fakes answer every call after 300 ms, `offboard --apply` completes in under 2 s because independent
 * systems are called concurrently. The fakes run in this process; the organisation is scanned once by the built CLI,
 * then each run starts from a copy of that database with the person's accounts enabled again, and is timed twice:
 * `zombiescan offboard EMAIL --apply --json` as a child process (wall clock from spawn to exit) and runOffboard
 * in-process (the engine alone). Every run is checked: complete, every account verified disabled by the source
 * itself, and the IdP locked before any other system was touched. Prints a table and writes
 * bench/results/offboard-<time>.json.
 */

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** dist/bench -> the repository. */
const ROOT = path.resolve(HERE, '../..');
const BIN = path.join(ROOT, 'dist', 'src', 'cli', 'bin.js');
const CERT_FILE = path.join(ROOT, 'test', 'fakes', 'certs', 'localhost-cert.pem');
const TARGET_MS = 2000;

interface Options {
  runs: number;
  people: number;
  latency: number;
  out: string;
  keep: boolean;
}

type Mode = 'cli' | 'in-process';

/** Milliseconds spent in each stage of one offboarding, from the report's and the journal's timestamps. */
interface Phases {
  /** Spawn to the report's startedAt: Node, module loading, config, database (CLI only). */
  startup: number | null;
  /** startedAt to the IdP's first intent: reconciling, the decision row, re-reading the IdP account. */
  reread: number;
  /** The IdP's first intent to its last result: disable and revoke sessions, sent together. */
  lockIdp: number;
  /** The IdP locked to the other systems' last result. */
  apps: number;
  /** The other systems' last result to finishedAt: reading every account back. */
  verify: number;
  /** finishedAt to the process's exit: storing the report, printing, exiting (CLI only). */
  exit: number | null;
}

interface RunResult {
  run: number;
  mode: Mode;
  ms: number;
  exitCode: number;
  complete: boolean;
  phases: Phases;
  /** Empty when every check passed. */
  problems: string[];
  calls: ObservedCall[];
  report: TerminationReport | null;
  stderr: string;
}

interface Stats {
  min: number;
  median: number;
  max: number;
}

interface CriticalPath {
  /** The longest chain of calls that must follow one another, as made in the runs. */
  chain: string[];
  roundTrips: number;
  floorMs: number;
  /** The same calls if every account were re-read before the IdP is touched and verified only after all acted. */
  phasedRoundTrips: number;
}

interface JournalRow {
  id: number;
  at: string;
  kind: string;
  source: string | null;
  action: string | null;
  status: string | null;
}

async function main(): Promise<void> {
  const program = new Command('bench:offboard')
    .description('Time `offboard --apply` against six slow sources, from the CLI and in-process')
    .option('--runs <n>', 'offboardings per mode', positiveInteger, 5)
    .option('--people <n>', 'people on the roster, each with an account in every source', positiveInteger, 300)
    .option('--latency <ms>', 'how long every fake takes to answer each call', nonNegativeInteger, 300)
    .option('--out <dir>', 'where the JSON result goes', path.join(ROOT, 'bench', 'results'))
    .option('--keep', 'keep the organisation and databases (printed at the end)', false)
    .parse();
  const options = program.opts<Options>();
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npm run build\` first`);

  // The Graph fake reads its test certificate next to its compiled module.
  const certs = path.join(ROOT, 'dist', 'test', 'fakes', 'certs');
  if (!existsSync(certs)) cpSync(path.join(ROOT, 'test', 'fakes', 'certs'), certs, { recursive: true });
  const setup = await import('./offboard-setup.js');
  const engine = await loadEngine();

  const started = new Date();
  const fakes = await setup.startOffboardFakes(options.latency);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'zombiescan-bench-offboard-'));
  try {
    const person = setup.offboardPerson(Math.min(137, options.people));
    fakes.load(options.people, person);
    const configFile = setup.writeOrganisation(dir, fakes, options.people, person);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...fakes.env,
      NODE_EXTRA_CA_CERTS: CERT_FILE,
      ZOMBIESCAN_ACTOR: 'bench',
    };

    process.stderr.write(`bench: scanning ${options.people} people in 6 sources (${options.latency} ms a call)\n`);
    const scan = await runCli(['--config', configFile, '--json', 'scan'], env);
    if (scan.exitCode !== 0) throw new Error(`zombiescan scan exited ${scan.exitCode}:\n${scan.stderr}`);
    const scanned = path.join(dir, 'zombiescan.db');

    const runs: RunResult[] = [];
    for (let run = 1; run <= options.runs; run++) {
      for (const mode of ['cli', 'in-process'] as const) {
        const database = path.join(dir, `offboard-${run}-${mode}.db`);
        fakes.reset(person);
        setup.copyDatabase(scanned, database);
        process.stderr.write(`bench: run ${run}/${options.runs}, ${mode}\n`);
        const result =
          mode === 'cli'
            ? await offboardCli(run, configFile, database, person, env)
            : await offboardInProcess(run, engine, configFile, database, person, env, fakes.caCertificate);
        result.calls = fakes.calls(person);
        result.problems.push(
          ...checkRun(result, engine, database, fakes, person, setup.IDP_SOURCE, setup.SOURCES, options.latency),
        );
        runs.push(result);
      }
    }

    process.stderr.write('bench: timing the CLI startup\n');
    const startup = await probeStartup(env);
    const summary = {
      cli: stats(runs.filter((run) => run.mode === 'cli').map((run) => run.ms)),
      inProcess: stats(runs.filter((run) => run.mode === 'in-process').map((run) => run.ms)),
    };
    // The last run: the first one also pays for warming the fakes and the SDKs, which skews arrival times.
    const criticalPath = criticalPathOf(runs[runs.length - 1]!.calls, setup.IDP_SOURCE, options.latency);
    const result = {
      startedAt: started.toISOString(),
      command: `npm run bench:offboard -- --runs ${options.runs} --people ${options.people} --latency ${options.latency}`,
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? 'unknown',
        node: process.version,
        platform: `${os.platform()} ${os.release()}`,
        loadAverage: os.loadavg().map((load) => Math.round(load * 100) / 100),
      },
      options: { runs: options.runs, people: options.people, latencyMs: options.latency },
      person: { employeeId: person.employeeId, email: person.email },
      scanMs: scan.ms,
      summary,
      medianPhases: {
        cli: medianPhases(runs.filter((run) => run.mode === 'cli')),
        inProcess: medianPhases(runs.filter((run) => run.mode === 'in-process')),
      },
      criticalPath,
      startup,
      targets: [
        { target: `CLI median < ${TARGET_MS} ms`, measured: summary.cli.median, met: summary.cli.median < TARGET_MS },
        {
          target: `in-process median < ${TARGET_MS} ms`,
          measured: summary.inProcess.median,
          met: summary.inProcess.median < TARGET_MS,
        },
      ],
      checksPassed: runs.every((run) => run.problems.length === 0),
      runs: runs.map(({ stderr, ...run }) => ({ ...run, stderr: stderr.trim() === '' ? undefined : stderr.trim() })),
    };

    process.stdout.write(render(result, runs, options.latency));
    mkdirSync(options.out, { recursive: true });
    const file = path.join(options.out, `offboard-${result.startedAt.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
    process.stdout.write(`\nResults: ${path.relative(process.cwd(), file)}\n`);
    if (options.keep) process.stdout.write(`Kept: ${dir}\n`);
    if (!result.checksPassed) process.exitCode = 1;
  } finally {
    await fakes.close();
    if (!options.keep) rmSync(dir, { recursive: true, force: true });
  }
}

// ---- The two ways of offboarding ----------------------------------------------------------------------------------

/** Loaded after the certificates are in place and before any run, so no run pays for module loading. */
async function loadEngine() {
  const [offboard, config, database, remediators, journal, logger] = await Promise.all([
    import('../src/remediation/offboard.js'),
    import('../src/config/config.js'),
    import('../src/store/database.js'),
    import('../collectors/remediators.js'),
    import('../src/store/journal.js'),
    import('../src/common/logger.js'),
  ]);
  return {
    runOffboard: offboard.runOffboard,
    loadConfig: config.loadConfig,
    openDatabase: database.openDatabase,
    remediatorLookup: remediators.remediatorLookup,
    createRemediator: remediators.createRemediator,
    verifyJournal: journal.verifyJournal,
    Redactor: logger.Redactor,
  };
}
type Engine = Awaited<ReturnType<typeof loadEngine>>;

async function offboardCli(
  run: number,
  configFile: string,
  database: string,
  person: OffboardPerson,
  env: NodeJS.ProcessEnv,
): Promise<RunResult> {
  const args = ['--config', configFile, '--db', database, 'offboard', person.email, '--apply', '--json'];
  const spawnedAt = Date.now();
  const child = await runCli(args, env);
  const exitedAt = spawnedAt + child.ms;
  const problems: string[] = [];
  let report: TerminationReport | null = null;
  try {
    report = JSON.parse(child.stdout) as TerminationReport;
  } catch {
    problems.push(`stdout is not the termination report JSON: ${child.stdout.slice(0, 200)}`);
  }
  return {
    run,
    mode: 'cli',
    ms: child.ms,
    exitCode: child.exitCode,
    complete: report?.complete ?? false,
    phases: phasesOf(report, database, { spawnedAt, exitedAt }),
    problems,
    calls: [],
    report,
    stderr: child.stderr,
  };
}

async function offboardInProcess(
  run: number,
  engine: Engine,
  configFile: string,
  database: string,
  person: OffboardPerson,
  env: NodeJS.ProcessEnv,
  caCertificate: string,
): Promise<RunResult> {
  const config = engine.loadConfig(configFile, env);
  const db = engine.openDatabase(database);
  const redactor = new engine.Redactor(config.secrets);
  const logged: string[] = [];
  const log = (level: string) => (message: string) => logged.push(`${level}: ${redactor.redact(message)}`);
  try {
    const started = performance.now();
    const result = await engine.runOffboard(
      db,
      config,
      { person: person.email, apply: true, reason: 'bench: emergency offboarding' },
      {
        now: () => new Date(),
        log: { debug: () => {}, info: log('info'), warn: log('warn'), error: log('error') },
        actor: 'bench',
        remediatorFor: engine.remediatorLookup(config, engine.createRemediator, { caCertificate }),
        tickets: null,
        notifier: null,
        redact: (text) => redactor.redact(text),
      },
    );
    const ms = Math.round(performance.now() - started);
    return {
      run,
      mode: 'in-process',
      ms,
      exitCode: result.exitCode,
      complete: result.report.complete,
      phases: phasesOf(result.report, database, null),
      problems: [],
      calls: [],
      report: result.report,
      stderr: logged.join('\n'),
    };
  } finally {
    closeDatabase(db);
  }
}

interface ChildRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Spawn to exit, ms. */
  ms: number;
}

function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<ChildRun> {
  return runNode([BIN, ...args], env);
}

function runNode(args: string[], env: NodeJS.ProcessEnv): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let ms = 0;
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('exit', () => (ms = Math.round(performance.now() - started)));
    child.on('close', (code) =>
      resolve({
        exitCode: code ?? -1,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        ms,
      }),
    );
  });
}

interface StartupProbe {
  /** `node -e 0`. */
  nodeMs: number;
  /** `zombiescan --help`: Node plus loading every module of the CLI. */
  cliModulesMs: number;
  /** Node plus loading @okta/okta-sdk-nodejs alone, from its ~2,500 files (the Okta collector and remediator use it). */
  oktaSdkMs: number;
  /** Node plus the same SDK as the CLI loads it: the build's bundle with its V8 code cache. */
  oktaBundleMs: number;
  /** Node plus every remediator's module and SDK (what offboard of a person in every system may load). */
  remediatorsMs: number;
}

/** Where the CLI's startup goes, each the median of three spawns: what no concurrency can win back. */
async function probeStartup(env: NodeJS.ProcessEnv): Promise<StartupProbe> {
  const median = async (args: string[]) => {
    const times: number[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const child = await runNode(args, env);
      if (child.exitCode !== 0) throw new Error(`node ${args.join(' ')} exited ${child.exitCode}: ${child.stderr}`);
      times.push(child.ms);
    }
    return stats(times).median;
  };
  return {
    nodeMs: await median(['-e', '0']),
    cliModulesMs: await median([BIN, '--help']),
    oktaSdkMs: await median(['--input-type=module', '-e', "await import('@okta/okta-sdk-nodejs')"]),
    oktaBundleMs: await median([path.join(ROOT, 'dist', 'collectors', 'okta', 'sdk.js')]),
    remediatorsMs: await median([path.join(ROOT, 'dist', 'collectors', 'remediators.js')]),
  };
}

// ---- Reading a run back -------------------------------------------------------------------------------------------

function journalOf(database: string): JournalRow[] {
  // A separate, read-only connection: the CLI's has closed, the in-process one is still open.
  const db = openDatabaseReadOnly(database);
  try {
    return readJournal(db);
  } finally {
    closeDatabase(db);
  }
}

function phasesOf(
  report: TerminationReport | null,
  database: string,
  child: { spawnedAt: number; exitedAt: number } | null,
): Phases {
  const rows = journalOf(database);
  const ms = (iso: string | undefined) => (iso ? Date.parse(iso) : NaN);
  const idp = rows.filter((row) => row.source === 'okta');
  const apps = rows.filter((row) => row.source !== null && row.source !== 'okta');
  const startedAt = ms(report?.startedAt);
  const finishedAt = ms(report?.finishedAt);
  const idpFirst = Math.min(...idp.filter((row) => row.kind === 'intent').map((row) => ms(row.at)));
  const idpLocked = Math.max(...idp.filter((row) => row.kind === 'result').map((row) => ms(row.at)));
  const appsDone = Math.max(...apps.filter((row) => row.kind === 'result').map((row) => ms(row.at)));
  return {
    startup: child ? startedAt - child.spawnedAt : null,
    reread: idpFirst - startedAt,
    lockIdp: idpLocked - idpFirst,
    apps: appsDone - idpLocked,
    verify: finishedAt - appsDone,
    exit: child ? child.exitedAt - finishedAt : null,
  };
}

function checkRun(
  run: RunResult,
  engine: Engine,
  database: string,
  fakes: OffboardFakes,
  person: OffboardPerson,
  idpSource: SourceName,
  sources: readonly SourceName[],
  latencyMs: number,
): string[] {
  const problems: string[] = [];
  const report = run.report;
  if (run.exitCode !== 0) problems.push(`exit code ${run.exitCode}`);
  if (!report) return problems;
  if (!report.complete) problems.push('report.complete is false');
  if (report.person.employeeId !== person.employeeId) problems.push(`offboarded ${report.person.employeeId}`);
  const reported = report.accounts.map((account) => account.source).sort();
  if (reported.join(',') !== [...sources].sort().join(',')) problems.push(`accounts in ${reported.join(', ')}`);
  for (const account of report.accounts) {
    if (!account.verified || account.after.enabled !== false) problems.push(`${account.source}: not verified disabled`);
    if (account.before.enabled !== true) problems.push(`${account.source}: was not enabled before`);
  }
  for (const [source, problem] of Object.entries(fakes.sourcesAgree(person))) {
    if (problem) problems.push(`${source} itself: ${problem}`);
  }

  const rows = journalOf(database);
  const idpResults = rows.filter((row) => row.source === idpSource && row.kind === 'result');
  const appIntents = rows.filter((row) => row.source !== null && row.source !== idpSource && row.kind === 'intent');
  if (idpResults.length === 0) problems.push('no IdP action in the journal');
  const lastIdp = idpResults[idpResults.length - 1];
  const firstApp = appIntents[0];
  if (lastIdp && firstApp) {
    if (lastIdp.id > firstApp.id) problems.push(`journal: ${firstApp.source} acted before the IdP was locked`);
    if (Date.parse(lastIdp.at) > Date.parse(firstApp.at)) problems.push('journal times: an app before the IdP');
  }
  // The fakes' own clocks agree: no app write arrived before the IdP's last write was answered.
  const idpWrites = run.calls.filter((call) => call.source === idpSource && call.kind === 'write' && call.at !== null);
  const appWrites = run.calls.filter((call) => call.source !== idpSource && call.kind === 'write' && call.at !== null);
  const idpAnswered = Math.max(...idpWrites.map((call) => call.at! + latencyMs));
  const appFirstArrival = Math.min(...appWrites.map((call) => call.at!));
  // 1 ms of slack: a timer may fire up to a millisecond early.
  if (appFirstArrival < idpAnswered - 1) problems.push('fakes: an app write arrived before the IdP was locked');

  const db = engine.openDatabase(database);
  try {
    const verification = engine.verifyJournal(db);
    if (!verification.ok) problems.push(`journal chain broken: ${JSON.stringify(verification)}`);
  } finally {
    closeDatabase(db);
  }
  return problems;
}

/**
 * The calls of one run, per source in arrival order: the IdP's calls up to its last write must finish before any
 * other system writes; each other system's own calls follow one another, except writes that arrived together (within
 * half a latency: sent at once, such as an account's disable and revoke-sessions), which are one round trip. A write
 * whose fake records no arrival time (Graph) is counted as a round trip of its own. The longest chain is the floor.
 */
function criticalPathOf(calls: readonly ObservedCall[], idp: SourceName, latencyMs: number): CriticalPath {
  const bySource = new Map<string, ObservedCall[]>();
  for (const call of calls) bySource.set(call.source, [...(bySource.get(call.source) ?? []), call]);
  const split = (list: ObservedCall[]) => {
    const firstWrite = list.findIndex((call) => call.kind === 'write');
    const lastWrite = list.map((call) => call.kind).lastIndexOf('write');
    if (firstWrite < 0) return { before: list, writes: [] as ObservedCall[], after: [] as ObservedCall[] };
    return {
      before: list.slice(0, firstWrite),
      writes: roundTripsOf(list.slice(firstWrite, lastWrite + 1), latencyMs),
      after: list.slice(lastWrite + 1),
    };
  };
  const label = (call: ObservedCall) => `${call.source} ${call.call}`;
  const idpParts = split(bySource.get(idp) ?? []);
  const idpLock = [...idpParts.before, ...idpParts.writes];
  let chain = [...idpLock, ...idpParts.after].map(label);
  let roundTrips = chain.length;
  const others = [...bySource.entries()].filter(([source]) => source !== idp).map(([, list]) => split(list));
  for (const parts of others) {
    const ready = Math.max(idpLock.length, parts.before.length);
    const length = ready + parts.writes.length + parts.after.length;
    if (length > roundTrips) {
      const lead = idpLock.length >= parts.before.length ? idpLock : parts.before;
      chain = [...lead, ...parts.writes, ...parts.after].map(label);
      roundTrips = length;
    }
  }
  const all = [idpParts, ...others];
  const phasedRoundTrips =
    Math.max(...all.map((parts) => parts.before.length)) +
    idpParts.writes.length +
    Math.max(0, ...others.map((parts) => parts.writes.length)) +
    Math.max(...all.map((parts) => parts.after.length));
  return { chain, roundTrips, floorMs: roundTrips * latencyMs, phasedRoundTrips };
}

/** One call per round trip: the first of each group of calls that arrived within half a latency of each other. */
function roundTripsOf(calls: readonly ObservedCall[], latencyMs: number): ObservedCall[] {
  const trips: ObservedCall[] = [];
  for (const call of calls) {
    const previous = trips[trips.length - 1];
    const together =
      previous !== undefined && previous.at !== null && call.at !== null && call.at - previous.at < latencyMs / 2;
    if (together) trips[trips.length - 1] = { ...previous, call: `${previous.call} + ${call.call}` };
    else trips.push(call);
  }
  return trips;
}

// ---- Output -----------------------------------------------------------------------------------------------------

function stats(values: number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : Math.round((sorted[middle - 1]! + sorted[middle]!) / 2);
  return { min: sorted[0] ?? NaN, median, max: sorted[sorted.length - 1] ?? NaN };
}

function medianPhases(runs: RunResult[]): Record<keyof Phases, number | null> {
  const keys: (keyof Phases)[] = ['startup', 'reread', 'lockIdp', 'apps', 'verify', 'exit'];
  return Object.fromEntries(
    keys.map((key) => {
      const values = runs.map((run) => run.phases[key]).filter((value): value is number => value !== null);
      return [key, values.length > 0 ? stats(values).median : null];
    }),
  ) as Record<keyof Phases, number | null>;
}

function render(
  result: {
    summary: { cli: Stats; inProcess: Stats };
    medianPhases: { cli: Record<keyof Phases, number | null>; inProcess: Record<keyof Phases, number | null> };
    criticalPath: CriticalPath;
    startup: StartupProbe;
    targets: { target: string; measured: number; met: boolean }[];
    options: { people: number; latencyMs: number };
  },
  runs: RunResult[],
  latencyMs: number,
): string {
  const cell = (value: number | null) => (value === null || Number.isNaN(value) ? '-' : String(Math.round(value)));
  const perRun = table([
    'RUN',
    'MODE',
    'TOTAL ms',
    'STARTUP',
    'RE-READ',
    'LOCK IDP',
    'APPS',
    'VERIFY',
    'EXIT',
    'CHECKS',
  ]);
  for (const run of runs) {
    const p = run.phases;
    perRun.push([
      String(run.run),
      run.mode,
      String(run.ms),
      cell(p.startup),
      cell(p.reread),
      cell(p.lockIdp),
      cell(p.apps),
      cell(p.verify),
      cell(p.exit),
      run.problems.length === 0 ? 'ok' : run.problems.join('; '),
    ]);
  }
  const summary = table(['MODE', 'MIN ms', 'MEDIAN ms', 'MAX ms', `TARGET < ${TARGET_MS} ms`]);
  const [cliTarget, engineTarget] = result.targets;
  summary.push(['CLI (spawn to exit)', ...statCells(result.summary.cli), cliTarget!.met ? 'met' : 'MISSED']);
  summary.push([
    'in-process (runOffboard)',
    ...statCells(result.summary.inProcess),
    engineTarget!.met ? 'met' : 'MISSED',
  ]);

  const phases = table(['PHASE (median)', 'CLI ms', 'IN-PROCESS ms', `ROUND TRIPS OF ${latencyMs} ms`]);
  const names: Record<keyof Phases, string> = {
    startup: 'startup: node, modules, config, database',
    reread: 're-read (until the IdP is first acted on)',
    lockIdp: 'lock the IdP: disable + revoke sessions',
    apps: 'other systems, in parallel',
    verify: 'verify: read every account back',
    exit: 'store the report, print, exit',
  };
  for (const key of Object.keys(names) as (keyof Phases)[]) {
    const engineMs = result.medianPhases.inProcess[key];
    const trips =
      key === 'startup' || key === 'exit' || engineMs === null || latencyMs === 0
        ? '-'
        : (engineMs / latencyMs).toFixed(1);
    phases.push([names[key], cell(result.medianPhases.cli[key]), cell(engineMs), trips]);
  }
  const path = result.criticalPath;
  return [
    `Emergency offboarding: ${result.options.people} people, 6 sources, every call answered after ${latencyMs} ms`,
    perRun.toString(),
    '',
    summary.toString(),
    '',
    phases.toString(),
    '',
    `Critical path: ${path.roundTrips} sequential round trips -> floor ${path.floorMs} ms ` +
      `(${path.phasedRoundTrips} if every phase waited for the slowest source: ${path.phasedRoundTrips * latencyMs} ms)`,
    ...path.chain.map((call, index) => `  ${index + 1}. ${call}`),
    '',
    `CLI startup (median of 3 spawns): node alone ${result.startup.nodeMs} ms; node + every CLI module ` +
      `(zombiescan --help) ${result.startup.cliModulesMs} ms; node + @okta/okta-sdk-nodejs from its package ` +
      `${result.startup.oktaSdkMs} ms, as bundled by the build ${result.startup.oktaBundleMs} ms; node + every ` +
      `remediator and its SDK ${result.startup.remediatorsMs} ms. The CLI's floor is its startup plus the ` +
      `${path.floorMs} ms above.`,
    '',
  ].join('\n');
}

function statCells(value: Stats): string[] {
  return [String(value.min), String(value.median), String(value.max)];
}

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0) throw new InvalidArgumentError('expected a positive whole number');
  return parsed;
}

function nonNegativeInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError('expected a whole number >= 0');
  return parsed;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
