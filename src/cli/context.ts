import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, resolveConfigPath, UNRESOLVED_REFERENCE, type Config } from '../config/config.js';
import { ConfigError } from '../contract/errors.js';
import { createLogger, redactValue, Redactor, type LogFormat, type Logger } from '../common/logger.js';
import { closeDatabase, isPostgresUrl, openDatabase, type Db } from '../store/database.js';
import { useJournalKey } from '../store/journal.js';
import { CREDENTIAL_RULES, resolveRuleOptions, RULES } from '../../rules/index.js';
import type { RuleSet } from '../scan/evaluate.js';

export interface GlobalOptions {
  config?: string;
  db?: string;
  json?: boolean;
  /** Default: json with --json, else human. */
  logFormat?: LogFormat;
  color?: boolean;
  verbose?: boolean;
}

export interface Io {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
  now: () => Date;
  /**
   * When the command started, on the `performance.now()` clock: 0 for the process (`defaultIo`: node's own start,
   * module loading included). Absent: when the context was made.
   */
  startedAt?: number;
}

/** What every command needs, loaded on first use: a command that needs no config never reads one. */
export class CliContext {
  private loadedConfig: Config | undefined;
  private openedDb: Db | undefined;
  private redactor = new Redactor([]);
  readonly log: Logger;
  private readonly startedAt: number;

  constructor(
    readonly globals: GlobalOptions,
    readonly io: Io,
  ) {
    this.startedAt = io.startedAt ?? performance.now();
    this.log = createLogger({
      stream: io.stderr,
      format: globals.logFormat ?? (globals.json ? 'json' : 'human'),
      level: globals.verbose ? 'debug' : 'info',
      redact: (text: string) => this.redactor.redact(text),
    });
  }

  /** Milliseconds since the command started: what a "took" shown to the user means. */
  elapsedMs(): number {
    return performance.now() - this.startedAt;
  }

  get json(): boolean {
    return Boolean(this.globals.json);
  }

  get color(): boolean {
    return this.globals.color !== false && Boolean(this.io.stdout.isTTY) && !this.io.env.NO_COLOR;
  }

  get width(): number {
    return this.io.stdout.columns ?? (Number(this.io.env.COLUMNS) || 160);
  }

  configPath(): string {
    return resolveConfigPath(this.globals.config, this.io.env);
  }

  config(): Config {
    if (!this.loadedConfig) {
      this.loadedConfig = loadConfig(this.configPath(), this.io.env);
      this.redactor = new Redactor(this.loadedConfig.secrets);
      if (this.openedDb) useJournalKey(this.openedDb, auditKeyOf(this.loadedConfig));
    }
    return this.loadedConfig;
  }

  /** Use a config that was built elsewhere (the demo's). */
  useConfig(config: Config): void {
    this.loadedConfig = config;
    this.redactor = new Redactor(config.secrets);
    if (this.openedDb) useJournalKey(this.openedDb, auditKeyOf(config));
  }

  redact(text: string): string {
    return this.redactor.redact(text);
  }

  /** --db wins; else the config's `database`; commands that only read findings work with --db alone. */
  /** Where the database is: --db, else the config's `database`. */
  databaseFile(): string {
    if (this.globals.db) return isPostgresUrl(this.globals.db) ? this.globals.db : path.resolve(this.globals.db);
    const config = this.loadedConfig ?? this.configForDatabase();
    if (config) return config.database;
    throw new ConfigError(
      `${this.configPath()}: no such config file, and no --db given (run \`zombiescan init\`, or pass --db)`,
    );
  }

  db(): Db {
    if (!this.openedDb) {
      // The journal key comes from the config even with --db: every row this process writes is MACed with it.
      const config = this.loadedConfig ?? this.configForDatabase();
      this.openedDb = openDatabase(this.databaseFile());
      useJournalKey(this.openedDb, config ? auditKeyOf(config) : null);
    }
    return this.openedDb;
  }

  /** The config as far as opening the database needs it; with --db, a config that does not load is no obstacle. */
  private configForDatabase(): Config | undefined {
    if (!existsSync(this.configPath())) return undefined;
    try {
      return loadConfig(this.configPath(), this.io.env, { allowMissingEnv: true });
    } catch (error) {
      if (this.globals.db) return undefined;
      throw error;
    }
  }

  rules(): RuleSet {
    const options = resolveRuleOptions(this.config().rules);
    return {
      rules: RULES,
      byId: new Map(RULES.map((rule) => [rule.id, rule])),
      options,
      credentialRules: CREDENTIAL_RULES,
    };
  }

  close(): void {
    if (this.openedDb) closeDatabase(this.openedDb);
    this.openedDb = undefined;
  }

  out(text: string): void {
    this.io.stdout.write(text);
  }

  /** Machine output is redacted like the logs: value by value before serialising, then the text as a whole. */
  outJson(value: unknown): void {
    const redact = (text: string) => this.redactor.redact(text);
    const plain = JSON.parse(JSON.stringify(value ?? null)) as unknown;
    this.io.stdout.write(redact(JSON.stringify(redactValue(plain, redact), null, 2)) + '\n');
  }
}

/** The audit key, or null when there is none or its variable is unset (a read-only command loaded the config). */
function auditKeyOf(config: Config): string | null {
  const key = config.audit?.key;
  return key && !UNRESOLVED_REFERENCE.test(key) ? key : null;
}
