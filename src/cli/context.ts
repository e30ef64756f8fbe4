import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, resolveConfigPath, type Config } from '../config/config.js';
import { ConfigError } from '../contract/errors.js';
import { createLogger, Redactor, type Logger } from '../common/logger.js';
import { closeDatabase, openDatabase, type Db } from '../store/database.js';
import { resolveRuleOptions, RULES } from '../../rules/index.js';
import type { RuleSet } from '../scan/evaluate.js';

export interface GlobalOptions {
  config?: string;
  db?: string;
  json?: boolean;
  color?: boolean;
  verbose?: boolean;
}

export interface Io {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
  now: () => Date;
}

/** What every command needs, loaded on first use: a command that needs no config never reads one. */
export class CliContext {
  private loadedConfig: Config | undefined;
  private openedDb: Db | undefined;
  private redactor = new Redactor([]);
  readonly log: Logger;

  constructor(
    readonly globals: GlobalOptions,
    readonly io: Io,
  ) {
    this.log = createLogger({
      stream: io.stderr,
      json: io.stderr.isTTY ? false : undefined,
      level: globals.verbose ? 'debug' : 'info',
      redact: (text: string) => this.redactor.redact(text),
    });
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
    }
    return this.loadedConfig;
  }

  /** Use a config that was built elsewhere (the demo's). */
  useConfig(config: Config): void {
    this.loadedConfig = config;
    this.redactor = new Redactor(config.secrets);
  }

  redact(text: string): string {
    return this.redactor.redact(text);
  }

  /** --db wins; else the config's `database`; commands that only read findings work with --db alone. */
  databaseFile(): string {
    if (this.globals.db) return path.resolve(this.globals.db);
    if (this.loadedConfig) return this.loadedConfig.database;
    if (existsSync(this.configPath())) {
      return loadConfig(this.configPath(), this.io.env, { allowMissingEnv: true }).database;
    }
    throw new ConfigError(
      `${this.configPath()}: no such config file, and no --db given (run \`zombiescan init\`, or pass --db)`,
    );
  }

  db(): Db {
    this.openedDb ??= openDatabase(this.databaseFile());
    return this.openedDb;
  }

  rules(): RuleSet {
    const options = resolveRuleOptions(this.config().rules);
    return { rules: RULES, byId: new Map(RULES.map((rule) => [rule.id, rule])), options };
  }

  close(): void {
    if (this.openedDb) closeDatabase(this.openedDb);
    this.openedDb = undefined;
  }

  out(text: string): void {
    this.io.stdout.write(text);
  }

  outJson(value: unknown): void {
    this.io.stdout.write(JSON.stringify(value, null, 2) + '\n');
  }
}
