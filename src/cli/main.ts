import { CommanderError } from 'commander';
import { ZombiescanError } from '../contract/errors.js';
import { buildProgram } from './program.js';
import type { Io } from './context.js';

/**
 * The one place errors are caught: a ZombiescanError prints its message and exits with its code; a commander usage
 * error exits 2; anything else is a bug and says so.
 */
export async function main(argv: string[], io = defaultIo()): Promise<number> {
  let exitCode = 0;
  const { program, close, redact } = buildProgram(io, (code) => (exitCode = code));
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    exitCode = exitCodeFor(error, io.stderr, redact);
  } finally {
    close();
  }
  return exitCode;
}

function exitCodeFor(error: unknown, stderr: NodeJS.WritableStream, redact: (text: string) => string): number {
  if (error instanceof CommanderError) {
    // Help and version are "errors" to commander; its own message was already printed.
    return error.exitCode === 0 ? 0 : 2;
  }
  if (error instanceof ZombiescanError) {
    stderr.write(`zombiescan: ${redact(error.message)}\n`);
    return error.exitCode;
  }
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  stderr.write(`zombiescan: internal error (a bug — please report it with this output):\n${redact(text)}\n`);
  return 70;
}

export function defaultIo(): Io {
  // startedAt 0: the process's own start, so a command's "took" includes loading the program.
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, now: () => new Date(), startedAt: 0 };
}
