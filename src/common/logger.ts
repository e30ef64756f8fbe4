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

/** Human lines on a terminal, JSON lines otherwise; always on stderr so stdout stays machine output. */
export function createLogger(options: {
  redact?: (text: string) => string;
  json?: boolean;
  level?: Level;
  stream?: NodeJS.WritableStream;
}): Logger {
  const stream = options.stream ?? process.stderr;
  const json = options.json ?? !(stream as NodeJS.WriteStream).isTTY;
  const minimum = LEVELS.indexOf(options.level ?? 'info');
  const redact = options.redact ?? ((text: string) => text);
  const write = (level: Level, message: string, fields?: Record<string, unknown>) => {
    if (LEVELS.indexOf(level) < minimum) return;
    if (json) {
      stream.write(redact(JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...fields })) + '\n');
    } else {
      const extra = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
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
