import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RULES, resolveRuleOptions } from '../../rules/index.js';
import type { SourceCollector } from '../../src/contract/collector.js';
import { parseConfig, type Config } from '../../src/config/config.js';
import type { RuleSet } from '../../src/scan/evaluate.js';
import { silentLogger } from '../../src/common/logger.js';
import type { Account, Person } from '../../src/contract/model.js';
import { runScan, type ScanOptions } from '../../src/scan/scan.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { testDatabase } from '../store/engines.js';

export function tempDir(prefix = 'zombiescan-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export function person(employeeId: string, email: string, extra: Partial<Person> = {}): Person {
  return {
    employeeId,
    email,
    name: null,
    status: 'active',
    workerType: 'employee',
    hireDate: null,
    terminationDate: null,
    terminationEffectiveAt: null,
    managerId: null,
    department: null,
    aliases: [],
    ...extra,
  };
}

export function account(source: string, id: string, extra: Partial<Account> = {}): Account {
  return {
    source,
    id,
    login: null,
    email: null,
    emails: [],
    employeeId: null,
    displayName: null,
    enabled: true,
    rawStatus: 'active',
    type: 'human',
    createdAt: '2025-01-01T00:00:00.000Z',
    lastActivityAt: null,
    activityKnown: false,
    privileged: false,
    privilegeKnown: true,
    licenses: [],
    builtIn: false,
    attributes: {},
    ...extra,
  };
}

export function ruleSet(config: Config): RuleSet {
  return { rules: RULES, byId: new Map(RULES.map((r) => [r.id, r])), options: resolveRuleOptions(config.rules) };
}

/** A scan harness over in-memory sources: what each source yields (or throws) is set per scan. */
export class Harness {
  readonly dir = tempDir();
  readonly db: Db;
  readonly config: Config;
  people: Person[] = [];
  accounts = new Map<string, Account[] | Error | ((signal: AbortSignal) => AsyncIterable<Account[]>)>();
  now = new Date('2026-11-26T12:00:00Z');

  constructor(yaml: string, env: NodeJS.ProcessEnv = {}) {
    writeFileSync(path.join(this.dir, 'hr.csv'), 'employee_id,email,status\n');
    const parsed = parseConfig(yaml, path.join(this.dir, 'zombiescan.yaml'), env);
    this.config = { ...parsed, database: testDatabase(parsed.database) };
    this.db = openDatabase(this.config.database);
  }

  collector(name: string): SourceCollector {
    const planned = this.accounts.get(name);
    return {
      async *collect(context) {
        if (planned instanceof Error) throw planned;
        if (typeof planned === 'function') {
          yield* planned(context.signal);
          return;
        }
        const list = planned ?? [];
        for (let i = 0; i < list.length; i += 2) yield list.slice(i, i + 2);
      },
      doctor: async () => [],
    };
  }

  scan(extra: Partial<ScanOptions> = {}) {
    return runScan(this.db, this.config, {
      log: silentLogger,
      now: () => this.now,
      createCollector: (source) => this.collector(source.name),
      loadRoster: async () => this.people,
      rules: ruleSet(this.config),
      ...extra,
    });
  }

  findings(where = '1 = 1') {
    return this.db.prepare(`SELECT * FROM findings WHERE ${where} ORDER BY id`).all() as {
      id: number;
      rule: string;
      source: string;
      account_id: string;
      status: string;
      severity: string;
      first_seen: string;
      last_seen: string;
    }[];
  }
}
