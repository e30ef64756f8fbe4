import { visible } from '../../common/terminal-text.js';
import { createCollector } from '../../../collectors/index.js';
import { loadRoster } from '../../../collectors/hr-roster/index.js';
import { BLOCKING_CHECKS, type DoctorCheck } from '../../contract/collector.js';
import { RosterGuardError, ZombiescanError } from '../../contract/errors.js';
import { rosterGuardRefusal } from '../../scan/scan.js';
import { acceptedRosterSize } from '../../store/people.js';
import { existsSync } from 'node:fs';
import { colors, table } from '../../../reports/terminal.js';
import type { CliContext } from '../context.js';
import { describeStore, isPostgresUrl } from '../../store/database.js';

interface SourceReport {
  source: string;
  type: string;
  checks: DoctorCheck[];
}

/**
 * Config valid? Roster readable? Then per source: reachable, authenticated, and which fields it can read, with the
 * exact permission or licence missing. Exit codes agree with `scan` for the same problem: 2 when the roster is
 * refused (scan would refuse it too), 1 when a source cannot be collected at all; limitations (activity unknown)
 * are reported but are not failures.
 */
export async function doctorCommand(ctx: CliContext): Promise<number> {
  const config = ctx.config();
  ctx.rules();
  const reports: SourceReport[] = [];
  const rosterCheck: DoctorCheck = { check: 'HR roster', ok: true, detail: '' };
  // The code `scan` would exit with for the same roster problem (2: refused input), so the two agree.
  let rosterExitCode = 0;
  try {
    const people = await loadRoster(config.roster, config.timezone);
    rosterCheck.detail = `${people.length} people in ${config.roster.path ?? new URL(config.roster.url!).host}`;
    // The roster guard too (empty, or shrunk against the last accepted roster): what `scan` would refuse, doctor
    // reports with the same exit code. Only an existing database is read: doctor never creates one.
    const previous = people.length > 0 && existsSync(ctx.databaseFile()) ? acceptedRosterSize(ctx.db()) : 0;
    const refusal = rosterGuardRefusal(people.length, previous, config.scan.maxRosterShrink);
    if (refusal) throw new RosterGuardError(refusal);
  } catch (error) {
    rosterCheck.ok = false;
    rosterCheck.limitation = false;
    rosterExitCode = error instanceof ZombiescanError ? error.exitCode : 1;
    rosterCheck.detail = error instanceof Error ? error.message : String(error);
  }
  reports.push({ source: 'roster', type: 'csv', checks: [rosterCheck] });

  // A PostgreSQL store: reachable, credentials and grants accepted, schema current (opening it migrates, as the next
  // scan would). A SQLite file is not created by doctor.
  let databaseExitCode = 0;
  if (isPostgresUrl(ctx.databaseFile())) {
    const databaseCheck: DoctorCheck = { check: 'database', ok: true, detail: '', limitation: false };
    try {
      databaseCheck.detail = describeStore(ctx.db());
    } catch (error) {
      databaseCheck.ok = false;
      databaseExitCode = error instanceof ZombiescanError ? error.exitCode : 1;
      databaseCheck.detail = error instanceof Error ? error.message : String(error);
    }
    reports.push({ source: 'database', type: 'postgres', checks: [databaseCheck] });
  }

  const results = await Promise.all(
    config.sources.map(async (source): Promise<SourceReport> => {
      const signal = AbortSignal.timeout(Math.min(source.timeoutSeconds, 60) * 1000);
      const notices: string[] = [];
      try {
        const checks = await createCollector(source).doctor({
          signal,
          log: ctx.log,
          now: ctx.io.now(),
          notice: (message) => notices.push(message),
        });
        for (const notice of notices) checks.push({ check: 'note', ok: false, detail: notice, limitation: true });
        return { source: source.name, type: source.type, checks };
      } catch (error) {
        const detail =
          signal.aborted && !(error instanceof ZombiescanError)
            ? 'no answer within the time limit'
            : error instanceof Error
              ? error.message
              : String(error);
        return { source: source.name, type: source.type, checks: [{ check: 'reachable', ok: false, detail }] };
      }
    }),
  );
  reports.push(...results);
  for (const report of reports) {
    for (const check of report.checks) {
      check.detail = ctx.redact(check.detail);
      if (!check.ok && check.limitation === undefined) check.limitation = !BLOCKING_CHECKS.includes(check.check);
    }
  }

  const failed = reports.some((report) => report.checks.some((check) => !check.ok && !check.limitation));
  if (ctx.json) {
    ctx.outJson({ config: config.file, ok: !failed, sources: reports });
  } else {
    const c = colors(ctx.color);
    ctx.out(`Config ${config.file}: valid\n`);
    const view = table(['SOURCE', 'CHECK', '', 'DETAIL'], [14, 22, 6, Math.max(40, ctx.width - 46)]);
    for (const report of reports) {
      for (const check of report.checks) {
        const mark = check.ok ? c.green('ok') : check.limitation ? c.yellow('limit') : c.red('FAIL');
        view.push([report.source, check.check, mark, visible(check.detail)]);
      }
    }
    ctx.out(view.toString() + '\n');
  }
  if (rosterExitCode !== 0) return rosterExitCode;
  if (databaseExitCode !== 0) return databaseExitCode;
  return failed ? 1 : 0;
}
