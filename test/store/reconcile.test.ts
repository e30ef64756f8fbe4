import { describe, expect, it } from 'vitest';
import type { ReconcileResult } from '../../src/contract/run.js';
import { closeDatabase, type Db } from '../../src/store/database.js';
import { reconcileFindings, stageDrafts, type FindingDraft } from '../../src/store/findings.js';
import type { PostgresDb } from '../../src/store/postgres.js';
import { beginTestRun, ENGINES, freshDatabase, useEngines } from './engines.js';

useEngines();

const ACCOUNTS = 6_000;
const RULES = ['inactive', 'orphan'];
const SOURCES = ['slack', 'okta'];
const ORDER = {
  source: new Map(SOURCES.map((source, index) => [source, index])),
  rule: new Map(RULES.map((rule, index) => [rule, index])),
};
const SCOPE = { sources: SOURCES, rules: RULES };

/**
 * Three scans of 12,000 findings: all new (a tenth under a standing exception); then a seventh not found again and
 * some exceptions gone; then everything found again without exceptions (reopened, unsuppressed).
 */
function* drafts(round: number): Generator<FindingDraft> {
  for (let i = 0; i < ACCOUNTS; i++) {
    if (round === 2 && i % 7 === 0) continue;
    for (const rule of RULES) {
      const excepted = round === 1 ? i % 10 === 0 : round === 2 ? i % 10 === 0 && i % 20 !== 0 : false;
      yield {
        rule,
        // Staged out of order: findings are numbered by (source, account, rule) whatever order rules found them in.
        source: SOURCES[(i * 7) % 2]!,
        accountId: `acct-${(ACCOUNTS - i).toString().padStart(5, '0')}`,
        severity: i % 3 === 0 ? 'high' : 'medium',
        personId: `E${i}`,
        login: `user${i}`,
        email: `user${i}@acme.example`,
        displayName: `User\t${i}\n"quoted"`,
        message: `round ${round}: account ${i} ${rule}`,
        evidence: { round, i, note: 'back\\slash' },
        exception: excepted
          ? {
              reason: 'contractor tooling',
              owner: 'it@acme.example',
              expires: '2027-06-30T00:00:00.000Z',
              expiresAsTyped: { value: '2027-06-30', timezone: 'Europe/Paris' },
            }
          : null,
      };
    }
  }
}

function scan(db: Db, round: number): { result: ReconcileResult; roundTrips: number } {
  const now = new Date(Date.UTC(2026, 10, round, 12));
  const runId = beginTestRun(db, now);
  stageDrafts(db, drafts(round), ORDER);
  let roundTrips = 0;
  if (db.engine === 'postgres') {
    const bridge = (db as unknown as PostgresDb).bridge;
    const call = bridge.call.bind(bridge);
    bridge.call = (request) => {
      roundTrips++;
      return call(request);
    };
    try {
      return { result: db.transaction(() => reconcileFindings(db, { runId, now, scope: SCOPE }))(), roundTrips };
    } finally {
      bridge.call = call;
      db.prepare(`UPDATE runs SET status = 'complete', finished_at = ? WHERE id = ?`).run(now.toISOString(), runId);
    }
  }
  const result = db.transaction(() => reconcileFindings(db, { runId, now, scope: SCOPE }))();
  db.prepare(`UPDATE runs SET status = 'complete', finished_at = ? WHERE id = ?`).run(now.toISOString(), runId);
  return { result, roundTrips };
}

describe('reconciling many changed findings', () => {
  it('gives the same findings and history on both engines, in a few round trips on PostgreSQL', () => {
    const dumps: Record<string, unknown> = {};
    for (const engine of ENGINES) {
      const db = freshDatabase(engine);
      const first = scan(db, 1);
      expect(first.result).toEqual({ opened: 12_000, openedSuppressed: 1_200, reopened: 0, resolved: 0 });
      const second = scan(db, 2);
      expect(second.result).toEqual({ opened: 0, openedSuppressed: 0, reopened: 0, resolved: 1_716 });
      const third = scan(db, 3);
      expect(third.result).toEqual({ opened: 0, openedSuppressed: 0, reopened: 1_716, resolved: 0 });
      if (engine === 'postgres') {
        for (const round of [first, second, third]) expect(round.roundTrips).toBeLessThan(30);
      }
      dumps[engine] = {
        findings: db.prepare('SELECT * FROM findings ORDER BY id').all(),
        events: db.prepare('SELECT * FROM finding_events ORDER BY id').all(),
      };
      closeDatabase(db);
    }
    const sqlite = dumps.sqlite as { findings: Record<string, unknown>[]; events: unknown[] };
    expect(sqlite.findings).toHaveLength(12_000);
    // Numbered in (source, account, rule) order.
    expect(sqlite.findings.slice(0, 2).map((f) => [f.id, f.source, f.account_id, f.rule])).toEqual([
      [1, 'slack', 'acct-00002', 'inactive'],
      [2, 'slack', 'acct-00002', 'orphan'],
    ]);
    // 12,000 opened; 1,716 resolved and 514 unsuppressed; 1,716 reopened and 514 more unsuppressed.
    expect(sqlite.events).toHaveLength(12_000 + 1_716 + 514 + 1_716 + 514);
    expect(dumps.postgres).toEqual(dumps.sqlite);
  }, 120_000);
});
