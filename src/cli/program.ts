import { Command, Option } from 'commander';
import { FINDING_STATUSES, SEVERITIES } from '../contract/model.js';
import { LOG_FORMATS } from '../common/logger.js';
import type { FindingFilter } from '../store/findings.js';
import { CliContext, type GlobalOptions, type Io } from './context.js';
import type { RemediationWiring } from './remediation-deps.js';
import type { RunAction } from './run-action.js';
import type { FindingsFormat } from './commands/report.js';
import type { ScanCommandOptions } from './commands/scan.js';
import { FINDING_SORTS, parseLimit, type FindingSort } from './commands/finding-options.js';
import { COMPLETION_SHELLS, completionScript } from './completion.js';
import { packageVersion } from './version.js';
import { registerAuditLogCommand } from './commands/audit-log.js';
import { registerOffboardCommand } from './commands/offboard.js';
import { registerRemediateCommand } from './commands/remediate.js';
import { registerServeCommands } from './commands/serve.js';
import { registerLeaversCommand } from './commands/leavers.js';

/**
 * The command tree. Each action resolves to an exit code; errors propagate to the single handler in main.ts.
 * Command modules are imported when their command runs, not here: `--help` or `offboard` must not pay for loading
 * every vendor SDK (Node 20 compiles each module on every start; the Okta SDK alone is ~2,000 files).
 */
export function buildProgram(
  io: Io,
  setExitCode: (code: number) => void,
): { program: Command; close(): void; redact(text: string): string } {
  let context: CliContext | undefined;
  const program = new Command('zombiescan');
  const ctx = () => (context ??= new CliContext(program.opts<GlobalOptions>(), io));
  const run =
    <A extends unknown[]>(action: (...args: A) => number | Promise<number>) =>
    async (...args: A) => {
      setExitCode(await action(...args));
    };

  // Set before any subcommand is added: commander copies these settings to subcommands only at creation.
  program.exitOverride();
  program.configureOutput({
    writeOut: (text) => io.stdout.write(text),
    writeErr: (text) => io.stderr.write(text),
  });
  program
    .description('Finds zombie accounts: accounts whose owner left, has no owner, or stopped using them.')
    .option('-c, --config <file>', 'config file (default ./zombiescan.yaml, or $ZOMBIESCAN_CONFIG)')
    .option('--db <file>', 'SQLite database (overrides `database` in the config)')
    .option('--json', 'machine output on stdout (logs stay on stderr, as JSON lines)')
    .addOption(
      new Option('--log-format <format>', 'stderr logs: human sentences, or JSON lines for a log collector')
        .choices(LOG_FORMATS)
        .default(undefined, 'json with --json, else human'),
    )
    .option('--no-color', 'plain output')
    .option('-v, --verbose', 'debug logs')
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `
Exit codes: 0 success (findings are not failure) · 1 a source or action failed · 2 bad usage, config or input ·
3 --fail-on met · 70 internal error · 75 another scan holds the lock (retry later) · 130 interrupted (nothing committed)

Examples:
  $ zombiescan demo                      scan the bundled sample company
  $ zombiescan init && zombiescan doctor
  $ zombiescan scan --fail-on critical
  $ zombiescan findings --severity high --json`,
    );

  program
    .command('demo')
    .description('scan the bundled demo organisation (no credentials) into ./zombiescan-demo/')
    .option('--dir <dir>', 'where to write the demo database, data and reports', 'zombiescan-demo')
    .addHelpText('after', '\nExamples:\n  $ zombiescan demo\n  $ zombiescan demo --json > summary.json')
    .action(run(async (options: { dir: string }) => (await import('./commands/demo.js')).demoCommand(ctx(), options)));

  program
    .command('init')
    .description('write a commented starter zombiescan.yaml')
    .option('--force', 'overwrite an existing file')
    .addHelpText('after', '\nExamples:\n  $ zombiescan init\n  $ zombiescan --config /etc/zombiescan.yaml init')
    .action(
      run(async (options: { force?: boolean }) => (await import('./commands/init.js')).initCommand(ctx(), options)),
    );

  program
    .command('doctor')
    .description('check the config, the roster, and per source: reachable, authenticated, which fields it can read')
    .addHelpText('after', '\nExamples:\n  $ zombiescan doctor\n  $ zombiescan doctor --json')
    .action(run(async () => (await import('./commands/doctor.js')).doctorCommand(ctx())));

  program
    .command('scan')
    .description('collect the roster and every source, evaluate the rules, update findings, print a summary')
    .option('-s, --source <name...>', 'collect only these sources (repeatable)')
    .option('--accept-roster-change', 'scan even if the roster shrank by more than 20%')
    .option('--accept-empty-roster', 'scan even if the roster has no one (every account becomes an orphan)')
    .addOption(new Option('--fail-on <severity>', 'exit 3 when an open finding is at or above').choices(SEVERITIES))
    .addHelpText(
      'after',
      `
Examples:
  $ zombiescan scan
  $ zombiescan scan --source okta --source slack
  $ zombiescan scan --fail-on high --json > scan.json`,
    )
    .action(
      run(async (options: ScanCommandOptions) => (await import('./commands/scan.js')).scanCommand(ctx(), options)),
    );

  const filterOptions = (command: Command, defaultStatus: string) =>
    command
      .addOption(
        new Option('--status <status>', 'finding status').choices([...FINDING_STATUSES, 'all']).default(defaultStatus),
      )
      .option('--rule <id>', 'only this rule')
      .addOption(new Option('--severity <severity>', 'only this severity').choices(SEVERITIES))
      .option('--source <name>', 'only this source')
      .option('--person <id>', "only this person's (employee id or email)");

  const findings = filterOptions(program.command('findings'), 'open')
    .description('list findings (default: open), most severe first; `findings show ID` for one')
    .addOption(new Option('--sort <key>', 'order').choices(FINDING_SORTS).default('severity'))
    .option('--limit <n>', 'at most this many', parseLimit)
    .addHelpText(
      'after',
      `
Examples:
  $ zombiescan findings
  $ zombiescan findings --rule terminated-still-active --json
  $ zombiescan findings --status all --person E1042
  $ zombiescan findings --sort last-seen --limit 10
  $ zombiescan findings show 42`,
    )
    .action(
      run(async (options: FindingFilter & { sort?: FindingSort; limit?: number }) =>
        (await import('./commands/findings.js')).findingsCommand(ctx(), options),
      ),
    );
  findings
    .command('show <id>')
    .description("one finding: its evidence, and the rule's risk and remediation")
    .addHelpText('after', '\nExamples:\n  $ zombiescan findings show 42\n  $ zombiescan findings show 42 --json')
    .action(run(async (id: string) => (await import('./commands/findings-more.js')).findingShowCommand(ctx(), id)));

  program
    .command('acknowledge <id>')
    .description('acknowledge an open finding: someone owns the follow-up (as the Slack button does)')
    .option('--reason <text>', 'what happens next')
    .option('--by <who>', 'who owns it (default: $USER)')
    .addHelpText('after', '\nExamples:\n  $ zombiescan acknowledge 42 --reason "Ticket SEC-12 with IT"')
    .action(
      run(async (id: string, options: { reason?: string; by?: string }) =>
        (await import('./commands/findings-more.js')).acknowledgeCommand(ctx(), id, options),
      ),
    );

  program
    .command('completion')
    .description(`print a shell completion script (${COMPLETION_SHELLS.join(', ')})`)
    .argument('<shell>', COMPLETION_SHELLS.join(' | '))
    .addHelpText(
      'after',
      `
Examples:
  $ eval "$(zombiescan completion bash)"            # in ~/.bashrc
  $ zombiescan completion zsh > "\${fpath[1]}/_zombiescan"
  $ zombiescan completion fish > ~/.config/fish/completions/zombiescan.fish`,
    )
    .action(
      run((shell: string) => {
        io.stdout.write(completionScript(program, shell));
        return 0;
      }),
    );

  program
    .command('suppress <id>')
    .description('suppress one finding until a date, with a reason (it reopens after, if still true)')
    .requiredOption('--reason <text>', 'why this is accepted')
    .requiredOption('--until <date>', 'YYYY-MM-DD (end of that day in the config timezone) or an ISO date-time')
    .option('--by <who>', 'who accepts it (default: $USER)')
    .addHelpText(
      'after',
      '\nExamples:\n  $ zombiescan suppress 42 --reason "Contract extension in signature" --until 2026-12-31 --by alice',
    )
    .action(
      run(async (id: string, options: { reason: string; until: string; by?: string }) =>
        (await import('./commands/findings.js')).suppressCommand(ctx(), id, options),
      ),
    );

  program
    .command('unsuppress <id>')
    .description('reopen a suppressed finding')
    .option('--by <who>', 'who reopens it (default: $USER)')
    .addHelpText('after', '\nExamples:\n  $ zombiescan unsuppress 42')
    .action(
      run(async (id: string, options: { by?: string }) =>
        (await import('./commands/findings.js')).unsuppressCommand(ctx(), id, options),
      ),
    );

  program
    .command('runs')
    .description('past scans: when, per-source completeness, finding counts')
    .option('--limit <n>', 'how many', (value) => Number.parseInt(value, 10), 20)
    .addHelpText('after', '\nExamples:\n  $ zombiescan runs\n  $ zombiescan runs --json --limit 5')
    .action(
      run(async (options: { limit: number }) => (await import('./commands/runs.js')).runsCommand(ctx(), options)),
    );

  program
    .command('migrate')
    .description('copy this database (SQLite) into an empty PostgreSQL database, verified by counts and the journal')
    .requiredOption('--to <url>', 'the target: postgres://USER@HOST:PORT/DATABASE (password from ${VAR} or PGPASSWORD)')
    .addHelpText(
      'after',
      '\nExamples:\n  $ PGPASSWORD=… zombiescan migrate --to postgres://zombiescan@db.internal/zombiescan',
    )
    .action(
      run(async (options: { to: string }) => (await import('./commands/migrate.js')).migrateCommand(ctx(), options)),
    );

  const report = program.command('report').description('write reports');
  filterOptions(report.command('findings'), 'open')
    .description('findings as CSV (spreadsheet-safe), JSON, or OCSF Detection Findings (JSON array) for SIEMs')
    .addOption(new Option('--format <format>', 'output format').choices(['csv', 'json', 'ocsf']).default('csv'))
    .option('--out <dir>', 'write zombiescan-findings-DATE.<format> into this folder instead of stdout')
    .addHelpText(
      'after',
      `
Examples:
  $ zombiescan report findings --format csv --out reports/   # reports/zombiescan-findings-2026-12-06.csv
  $ zombiescan report findings --format json --status all > findings.json
  $ zombiescan report findings --format ocsf --status all > findings.ocsf.json`,
    )
    .action(
      run(async (options: FindingFilter & { format: FindingsFormat; out?: string }) =>
        (await import('./commands/report.js')).reportFindingsCommand(ctx(), options),
      ),
    );

  report
    .command('audit')
    .description('audit report (self-contained, printable HTML): coverage, findings, departures, remediation, trend')
    .option('--out <dir>', 'write zombiescan-audit-DATE.html into this folder instead of stdout')
    .option('--since <date>', 'audit period start (YYYY-MM-DD in the config timezone, or an ISO date-time)')
    .addHelpText(
      'after',
      `
Examples:
  $ zombiescan report audit --out reports/        # reports/zombiescan-audit-2026-12-06.html
  $ zombiescan report audit --since 2026-01-01 > audit.html`,
    )
    .action(
      run(async (options: { out?: string; since?: string }) =>
        (await import('./commands/report.js')).reportAuditCommand(ctx(), options),
      ),
    );

  report
    .command('termination')
    .description("one person's offboarding evidence: every account, before/after, actions, verification, gaps")
    .requiredOption('--person <id>', 'employee id or email')
    .addOption(new Option('--format <format>', 'output format').choices(['html', 'json']).default('html'))
    .option('--out <dir>', 'write zombiescan-termination-ID-DATE.<format> into this folder instead of stdout')
    .addHelpText(
      'after',
      `
Examples:
  $ zombiescan report termination --person E1042 --out reports/   # zombiescan-termination-E1042-DATE.html
  $ zombiescan report termination --person bob@acme.com --format json`,
    )
    .action(
      run(async (options: { person: string; out?: string; format: 'html' | 'json' }) =>
        (await import('./commands/report.js')).reportTerminationCommand(ctx(), options),
      ),
    );

  registerRemediationCommands(program, ctx, run);
  registerServeCommands(program, ctx, run);
  registerLeaversCommand(program, ctx, run);

  return { program, close: () => context?.close(), redact: (text) => context?.redact(text) ?? text };
}

/**
 * `remediate`, `offboard` and `audit-log`: the commands that change other systems, and the journal that proves what
 * they did. `wiring` swaps the engine's clients (end-to-end tests pass fakes).
 */
export function registerRemediationCommands(
  program: Command,
  ctx: () => CliContext,
  run: RunAction,
  wiring: RemediationWiring = {},
): void {
  registerRemediateCommand(program, ctx, run, wiring);
  registerOffboardCommand(program, ctx, run, wiring);
  registerAuditLogCommand(program, ctx, run);
}
