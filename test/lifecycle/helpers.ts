import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadRoster } from '../../collectors/hr-roster/index.js';
import { silentLogger } from '../../src/common/logger.js';
import type { LifecycleDeps } from '../../src/lifecycle/queue.js';
import type { SourceRemediator } from '../../src/contract/action.js';
import type { Account } from '../../src/contract/model.js';
import { Harness } from '../engine/helpers.js';
import { engineDeps, MemoryNotifier } from '../remediation/helpers.js';

/** A company whose roster is a real CSV read by the real loader (dates become moments in `timezone`). */
export class LifecycleCompany {
  readonly h: Harness;
  clock = new Date('2026-11-26T12:00:00Z');
  readonly notifier = new MemoryNotifier();
  readonly posted: string[] = [];
  readonly alerts: string[] = [];

  constructor(extraYaml = '', timezone = 'America/New_York') {
    this.h = new Harness(`
database: ./z.db
timezone: ${timezone}
roster: { path: ./hr.csv }
sources:
  - { name: okta, type: csv, path: ./okta.csv, role: idp }
  - { name: slack, type: csv, path: ./slack.csv }
${extraYaml}`);
  }

  get db() {
    return this.h.db;
  }

  get config() {
    return this.h.config;
  }

  /** Rows after the header: employee_id,email,name,status,worker_type,termination_date,manager_id */
  writeRoster(rows: string[]): void {
    writeFileSync(
      path.join(this.h.dir, 'hr.csv'),
      ['employee_id,email,name,status,worker_type,termination_date,manager_id', ...rows].join('\n') + '\n',
    );
  }

  roster() {
    return loadRoster(this.h.config.roster, this.h.config.timezone);
  }

  async scan(accounts: Record<string, Account[]>): Promise<void> {
    this.h.people = await this.roster();
    for (const [source, list] of Object.entries(accounts)) this.h.accounts.set(source, list);
    this.h.now = this.clock;
    await this.h.scan();
  }

  deps(systems: Record<string, SourceRemediator>, extra: Partial<LifecycleDeps> = {}, signal?: AbortSignal) {
    return {
      engine: engineDeps(systems, { notifier: this.notifier, signal, actor: 'serve' }, () => this.clock),
      loadRoster: () => this.roster(),
      postReport: async (text: string) => {
        this.posted.push(text);
      },
      alert: async (text: string) => {
        this.alerts.push(text);
      },
      ...extra,
    } satisfies LifecycleDeps;
  }
}

export { silentLogger };
