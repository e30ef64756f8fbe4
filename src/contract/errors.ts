/**
 * The one error hierarchy. Everything the user can fix is a ZombiescanError with the exit code SPEC gives it;
 * the CLI entry catches them in one place. Anything else is a bug and is reported as one.
 */
export class ZombiescanError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad usage: unknown option value, missing argument, conflicting flags. Exit 2. */
export class UsageError extends ZombiescanError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** A config file that cannot be used. Exit 2; the message names the file, line and field. */
export class ConfigError extends ZombiescanError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** Input data (HR roster, CSV export) refused whole. Exit 2; `file:line: column: problem`. */
export class InputError extends ZombiescanError {
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly column: string | null,
    readonly problem: string,
  ) {
    super(`${file}${line === null ? '' : `:${line}`}: ${column === null ? '' : `${column}: `}${problem}`, 2);
  }
}

/** The roster guard stopped the scan: an HR export glitch must never turn everyone into an orphan. Exit 2. */
export class RosterGuardError extends ZombiescanError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** Something we asked for is not there (a finding id, a person). Exit 2. */
export class NotFoundError extends ZombiescanError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** A source or an action failed; partial results were kept. Exit 1. */
export class PartialFailureError extends ZombiescanError {
  constructor(message: string) {
    super(message, 1);
  }
}

/**
 * Another process holds the lock (a scan already running): nothing is wrong with the input, try again later.
 * Exit 75 (EX_TEMPFAIL from sysexits.h), so a scheduler can retry instead of paging someone about bad config.
 */
export class BusyError extends ZombiescanError {
  constructor(message: string) {
    super(message, 75);
  }
}

/** Stopped by Ctrl-C or SIGTERM before committing: nothing was written, the previous results stand. Exit 130. */
export class InterruptedError extends ZombiescanError {
  constructor(message = 'interrupted: nothing committed, previous results kept') {
    super(message, 130);
  }
}

/** `--fail-on` threshold met. Exit 3. */
export class ThresholdError extends ZombiescanError {
  constructor(message: string) {
    super(message, 3);
  }
}

/** A source call that failed for good (after retries), with a reason safe to show and store. */
export class SourceError extends ZombiescanError {
  constructor(
    readonly source: string,
    message: string,
    readonly kind: 'auth' | 'rate-limit' | 'server' | 'network' | 'timeout' | 'data' | 'config' = 'server',
  ) {
    super(`${source}: ${message}`, 1);
  }
}
