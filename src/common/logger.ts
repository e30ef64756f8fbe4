import type { Logger } from '../contract/logger.js';

export { silentLogger, type Logger } from '../contract/logger.js';

/** Replaces every registered secret in a text: secrets never reach logs, errors, the database or reports. */
export class Redactor {
  private readonly secrets: string[];
  constructor(secrets: readonly string[]) {
    // Longest first, so a secret containing another is masked whole.
    this.secrets = [...new Set(secrets.filter((secret) => secret.length >= 4))].sort((a, b) => b.length - a.length);
  }
  redact(text: string): string {
    let result = text;
    for (const secret of this.secrets) result = result.split(secret).join('[redacted]');
    return result;
  }
}

type Level = 'debug' | 'info' | 'warn' | 'error';
const LEVELS: Level[] = ['debug', 'info', 'warn', 'error'];

/** `human`: sentences for a person at a terminal (the default); `json`: one JSON object a line, for log collectors. */
export type LogFormat = 'human' | 'json';
export const LOG_FORMATS: readonly LogFormat[] = ['human', 'json'];

/**
 * Always on stderr, so stdout stays the command's output. The format is chosen by the caller, never guessed from
 * whether stderr is a terminal: `npm run demo | tee`, CI logs and `2> file` are read by people too.
 */
export function createLogger(options: {
  redact?: (text: string) => string;
  format?: LogFormat;
  level?: Level;
  stream?: NodeJS.WritableStream;
}): Logger {
  const stream = options.stream ?? process.stderr;
  const json = options.format === 'json';
  const minimum = LEVELS.indexOf(options.level ?? 'info');
  const redact = options.redact ?? ((text: string) => text);
  const write = (level: Level, message: string, fields?: Record<string, unknown>) => {
    if (LEVELS.indexOf(level) < minimum) return;
    if (json) {
      stream.write(redact(JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...fields })) + '\n');
    } else {
      const extra = fields && Object.keys(fields).length > 0 ? ` (${humanFields(fields)})` : '';
      stream.write(redact(`${level === 'info' ? '' : `${level}: `}${message}${extra}`) + '\n');
    }
  };
  return {
    debug: (message, fields) => write('debug', message, fields),
    info: (message, fields) => write('info', message, fields),
    warn: (message, fields) => write('warn', message, fields),
    error: (message, fields) => write('error', message, fields),
  };
}

/** `{port: 8080, trigger: "cron"}` -> `port 8080, trigger cron`: the facts of a log line, read as words. */
export function humanFields(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key} ${humanValue(value)}`)
    .join(', ');
}

function humanValue(value: unknown): string {
  if (value === null) return 'none';
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.length === 0 ? 'none' : value.map(humanValue).join(' ');
  if (typeof value === 'object') {
    return `{${humanFields(value as Record<string, unknown>)}}`;
  }
  return String(value);
}
