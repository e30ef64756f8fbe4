import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { createOktaCollector } from '../collectors/okta/index.js';
import { parseConfig } from '../src/config/config.js';
import type { SourceCollector } from '../src/contract/collector.js';
import type { Account, Person, SignInEvent } from '../src/contract/model.js';
import { silentLogger } from '../src/common/logger.js';
import { RULES, resolveRuleOptions } from '../rules/index.js';
import { runScan } from '../src/scan/scan.js';
import { readSourceSignIns } from '../src/scan/sign-ins.js';
import { openDatabase, closeDatabase } from '../src/store/database.js';
import { commitSignInPoll } from '../src/store/sign-ins.js';
import { snapshotRuns } from '../src/store/sources.js';
import { makeOktaLogEvent, OKTA_FAKE_TOKEN, startOktaFake, type OktaFakeLogEvent } from '../test/fakes/okta.js';

/**
 * `npm run bench:sign-ins [-- --events N]`: the sign-in log pass on its own. A source of `--accounts` accounts (5%
 * of interest: disabled, or owned by a leaver) is scanned once; then `--events` sign-in events are generated page by
 * page (1,000 a page, as the logs serve them: 90% successes of healthy accounts, 5% failures on accounts of interest,
 * 2% unknown users, 2% duplicates of earlier events, 1% stamped in the future) and read, resolved, aggregated,
 * staged and committed exactly as a scan or poll does. Reports events per minute and peak RSS, sampled every 50 ms;
 * the generator keeps nothing, so a flat RSS between sizes is the engine's own. `--okta-events N` also reads N
 * events from the Okta fake through the SDK (HTTP, JSON, paging) for the end-to-end rate.
 */

const NOW = new Date('2026-11-26T12:00:00.000Z');
const PAGE = 1_000;

interface Options {
  events: number;
  accounts: number;
  oktaEvents: number;
}

function positiveInteger(value: string): number {
  const parsed = Number(value.replace(/_/g, ''));
  if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError('expected a whole number');
  return parsed;
}

function accountId(index: number): string {
  return `00u${String(index).padStart(10, '0')}`;
}

function makeAccounts(count: number): Account[] {
  return Array.from({ length: count }, (_, index) => ({
    source: 'okta',
    id: accountId(index),
    login: `user${index}@acme.com`,
    email: `user${index}@acme.com`,
    emails: [`user${index}@acme.com`],
    employeeId: null,
    displayName: null,
    enabled: index % 40 !== 0,
    rawStatus: index % 40 !== 0 ? 'ACTIVE' : 'SUSPENDED',
    type: 'human',
    createdAt: '2024-01-01T00:00:00.000Z',
    lastActivityAt: '2026-11-01T00:00:00.000Z',
    activityKnown: true,
    privileged: false,
    privilegeKnown: true,
    licenses: [],
    builtIn: false,
    attributes: {},
  }));
}

function makePeople(count: number): Person[] {
  return Array.from({ length: count }, (_, index) => ({
    employeeId: `E${index}`,
    email: `user${index}@acme.com`,
    name: null,
    // Every 40th account is disabled and every 40th (offset 20) person has left: 5% of interest.
    status: index % 40 === 20 ? 'terminated' : 'active',
    workerType: 'employee',
    hireDate: null,
    terminationDate: index % 40 === 20 ? '2026-11-01' : null,
    terminationEffectiveAt: index % 40 === 20 ? '2026-11-01T23:59:59.999Z' : null,
    managerId: null,
    department: null,
    aliases: [],
  }));
}

/** Events page by page, made on the fly: nothing is kept between pages. */
async function* generatedLog(total: number, accounts: number, since: Date): AsyncGenerator<SignInEvent[]> {
  const span = NOW.getTime() - since.getTime();
  for (let start = 0; start < total; start += PAGE) {
    const page: SignInEvent[] = [];
    for (let index = start; index < Math.min(total, start + PAGE); index++) {
      const kind = index % 100;
      const at = new Date(since.getTime() + Math.floor((index / total) * span) + (kind === 99 ? span : 0));
      const interesting = kind >= 90 && kind < 95;
      const account = interesting ? (index * 40 + (index % 2) * 20) % accounts : (index * 7919) % accounts;
      page.push({
        source: 'okta',
        // 2% repeat an event id already seen (overlapping windows): stored once.
        id: kind === 95 || kind === 96 ? `evt-${index - 50}` : `evt-${index}`,
        at: at.toISOString(),
        accountId: kind === 97 || kind === 98 ? `00uUNKNOWN${index}` : accountId(account),
        login: null,
        result: interesting ? 'failure' : 'success',
        reason: interesting ? 'INVALID_CREDENTIALS' : null,
        ip: `198.51.${index % 256}.${(index >> 8) % 256}`,
        application: 'Okta Dashboard',
      });
    }
    yield page;
  }
}

interface Measured {
  events: number;
  seconds: number;
  perMinute: number;
  peakRssMiB: number;
  stored: number;
}

async function measure(run: () => Promise<number>, events: number): Promise<Measured> {
  global.gc?.();
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const started = performance.now();
  const stored = await run();
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  return {
    events,
    seconds,
    perMinute: Math.round((events / seconds) * 60),
    peakRssMiB: Math.round(peak / 2 ** 20),
    stored,
  };
}

async function main(): Promise<void> {
  const options = new Command('bench:sign-ins')
    .option('--events <n>', 'sign-in events to process', positiveInteger, 1_000_000)
    .option('--accounts <n>', 'accounts in the source', positiveInteger, 100_000)
    .option('--okta-events <n>', 'also read this many events from the Okta fake through the SDK', positiveInteger, 0)
    .parse()
    .opts<Options>();

  const dir = mkdtempSync(path.join(os.tmpdir(), 'zombiescan-bench-sign-ins-'));
  try {
    writeFileSync(path.join(dir, 'hr.csv'), 'employee_id,email,status\n');
    const config = parseConfig(
      `database: ./z.db\nroster: { path: ./hr.csv }\nsources:\n  - { name: okta, type: csv, path: ./okta.csv, role: idp }\n`,
      path.join(dir, 'zombiescan.yaml'),
      {},
    );
    const db = openDatabase(config.database);
    const accounts = makeAccounts(options.accounts);
    const people = makePeople(options.accounts);
    const plain: SourceCollector = {
      async *collect() {
        for (let i = 0; i < accounts.length; i += PAGE) yield accounts.slice(i, i + PAGE);
      },
      doctor: async () => [],
    };
    await runScan(db, config, {
      log: silentLogger,
      now: () => NOW,
      createCollector: () => plain,
      loadRoster: async () => people,
      rules: { rules: RULES, byId: new Map(RULES.map((r) => [r.id, r])), options: resolveRuleOptions({}) },
    });
    const snapshot = snapshotRuns(db).get('okta')!;
    const byId = new Map(people.map((person) => [person.employeeId, person]));
    const since = new Date(NOW.getTime() - 7 * 86_400_000);

    const read = async (collector: SourceCollector & Required<Pick<SourceCollector, 'readSignIns'>>) => {
      const outcome = await readSourceSignIns(db, {
        runId: snapshot,
        source: 'okta',
        collector,
        context: { signal: new AbortController().signal, log: silentLogger, notice: () => {}, now: NOW },
        person: (id) => (id === null ? null : (byId.get(id) ?? null)),
        lookbackDays: 7,
        now: NOW,
        refineActivity: false,
      });
      if (outcome.status === 'failed') throw outcome.error;
      return commitSignInPoll(db, [outcome.read], NOW).get('okta') ?? 0;
    };

    const results: Record<string, Measured> = {};
    for (const events of [options.events, options.events * 2]) {
      db.prepare('DELETE FROM sign_in_events').run();
      db.prepare('DELETE FROM sign_in_cursors').run();
      results[`engine ${events}`] = await measure(
        () => read({ ...plain, readSignIns: () => generatedLog(events, options.accounts, since) }),
        events,
      );
    }

    if (options.oktaEvents > 0) {
      const logEvents: OktaFakeLogEvent[] = [];
      const span = 7 * 86_400_000 - 60_000;
      for (let index = 0; index < options.oktaEvents; index++) {
        const account = index % 100 < 5 ? (index * 40) % options.accounts : (index * 7919) % options.accounts;
        logEvents.push(
          makeOktaLogEvent(
            index,
            new Date(since.getTime() + Math.floor((index / options.oktaEvents) * span)).toISOString(),
            {
              actorId: accountId(account),
              result: index % 100 < 5 ? 'FAILURE' : 'SUCCESS',
            },
          ),
        );
      }
      const fake = await startOktaFake({ logEvents });
      try {
        db.prepare('DELETE FROM sign_in_events').run();
        db.prepare('DELETE FROM sign_in_cursors').run();
        const okta = createOktaCollector({
          name: 'okta',
          type: 'okta',
          role: 'idp',
          timeoutSeconds: 3600,
          orgUrl: fake.orgUrl,
          token: OKTA_FAKE_TOKEN,
        });
        results[`okta fake + SDK ${options.oktaEvents}`] = await measure(
          () => read(okta as SourceCollector & Required<Pick<SourceCollector, 'readSignIns'>>),
          options.oktaEvents,
        );
      } finally {
        await fake.close();
      }
    }
    closeDatabase(db);

    const [load1] = os.loadavg();
    process.stdout.write(
      `sign-in pass, ${options.accounts.toLocaleString('en')} accounts, ${os.cpus().length} CPUs, ` +
        `load average ${load1!.toFixed(1)} at the end\n`,
    );
    process.stdout.write(
      '| run | events | seconds | events/min | stored | peak RSS |\n|---|---:|---:|---:|---:|---:|\n',
    );
    for (const [name, result] of Object.entries(results)) {
      process.stdout.write(
        `| ${name} | ${result.events.toLocaleString('en')} | ${result.seconds.toFixed(1)} | ` +
          `${result.perMinute.toLocaleString('en')} | ${result.stored.toLocaleString('en')} | ${result.peakRssMiB} MiB |\n`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
