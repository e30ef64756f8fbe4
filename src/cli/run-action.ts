/** Wraps a command's action so the exit code it resolves to becomes the process's (see program.ts). */
export type RunAction = <A extends unknown[]>(
  action: (...args: A) => number | Promise<number>,
) => (...args: A) => Promise<void>;
