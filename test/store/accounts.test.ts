import { describe, expect, it } from 'vitest';
import type { Account, Match } from '../../src/contract/model.js';
import {
  AccountWriter,
  countRunAccounts,
  currentAccountsOfPerson,
  runAccountsToReevaluate,
} from '../../src/store/accounts.js';
import { accountKey } from '../../src/store/rows.js';
import { recordSourceOutcomes } from '../../src/store/sources.js';
import type { Db, Engine } from '../../src/store/database.js';
import { makeAccount } from '../rules/fixtures.js';
import { beginTestRun, ENGINES, freshDatabase, useEngines } from './engines.js';

useEngines();

function account(id: string, fields: Partial<Account>): Account {
  return makeAccount({ id, login: null, email: null, emails: [], displayName: null, ...fields });
}

/** A database with a run begun: the accounts written in it become the sources' snapshots once recorded. */
function databaseWithRun(engine: Engine): { db: Db; runId: number } {
  const db = freshDatabase(engine);
  return { db, runId: beginTestRun(db) };
}

const NONE: Match = { method: 'none', personId: null, candidates: [], matchedOn: null };

/**
 * `offboard` finds a person's accounts through this filter, then narrows them with the matcher's own normalised
 * emails: whatever the matcher could tie to the person must be among the candidates, or it would survive offboarding.
 */
describe.each(ENGINES)('the current accounts that may be one person’s, on %s', (engine) => {
  it('keeps every account the matcher could tie to the person, and leaves the rest of the company out', () => {
    const { db, runId } = databaseWithRun(engine);
    const writer = new AccountWriter(db, runId);
    const stored: [Account, Match][] = [
      [account('by-id', { login: 'zz-unrelated' }), { ...NONE, method: 'employee-id', personId: 'E1' }],
      [account('upper', { email: 'JORDAN.LEE@ACME.COM' }), NONE],
      [account('plus', { email: 'jordan.lee+builds@acme.co.uk' }), NONE],
      [account('other-email', { emails: ['x@acme.com', 'Jordan.Lee@acme.com'] }), NONE],
      [account('login', { login: 'jordan.lee@acme.com' }), NONE],
      // U+212A KELVIN SIGN lower-cases to an ASCII k in JavaScript, not in SQLite's lower().
      [account('kelvin', { email: '\u212Aim.jordan@acme.com' }), NONE],
      [account('someone-else', { email: 'sam.park@acme.com' }), { ...NONE, method: 'email', personId: 'E2' }],
      [account('built-in', { email: 'jordan.lee@acme.com', builtIn: true }), NONE],
    ];
    for (const [entry, match] of stored) writer.add(entry, match);
    writer.flush();
    recordSourceOutcomes(db, runId, [{ name: 'slack', type: 'slack', role: 'app', status: 'complete', error: null }]);

    const ids = (emailLocalParts: string[]) =>
      [...currentAccountsOfPerson(db, { personIds: ['E1'], emailLocalParts })].map(({ account: found }) => found.id);
    expect(ids(['jordan.lee'])).toEqual(['by-id', 'kelvin', 'login', 'other-email', 'plus', 'upper']);
    expect(ids(['kim.jordan'])).toEqual(['by-id', 'kelvin']);
    // A local part the filter cannot fold (non-ASCII, or escaped in the JSON list): every account is a candidate.
    expect(ids(['jörg'])).toEqual(['by-id', 'kelvin', 'login', 'other-email', 'plus', 'someone-else', 'upper']);
    expect(ids([])).toEqual(['by-id', 'kelvin']);
  });
});

describe.each(ENGINES)('writing a run’s accounts on %s', (engine) => {
  it('stores an account a source lists twice once, as listed last, within a batch and across batches', () => {
    const { db, runId } = databaseWithRun(engine);
    const writer = new AccountWriter(db, runId);
    writer.add(account('U1', { login: 'first' }), NONE);
    writer.add(account('U2', { login: 'only' }), NONE);
    writer.add(account('U1', { login: 'second' }), NONE);
    writer.flush();
    writer.add(account('U2', { login: 'again', enabled: false }), NONE);
    writer.flush();
    recordSourceOutcomes(db, runId, [{ name: 'slack', type: 'slack', role: 'app', status: 'complete', error: null }]);
    expect(countRunAccounts(db, 'slack', runId)).toBe(2);
    const logins = db.prepare('SELECT id, login, enabled FROM accounts WHERE run_id = ? ORDER BY id').all(runId) as {
      id: string;
      login: string;
      enabled: number;
    }[];
    expect(logins).toEqual([
      { id: 'U1', login: 'second', enabled: 1 },
      { id: 'U2', login: 'again', enabled: 0 },
    ]);
  });
});

describe.each(ENGINES)('the accounts of a run evaluated again on %s', (engine) => {
  it('gives the accounts named and the owners’ accounts, chunk after chunk, and nothing of another run', () => {
    const { db, runId } = databaseWithRun(engine);
    const earlier = beginTestRun(db);
    const owned = (personId: string): Match => ({ ...NONE, method: 'employee-id', personId });
    const older = new AccountWriter(db, earlier);
    older.add(account('old-E1', {}), owned('E1'));
    older.flush();
    const writer = new AccountWriter(db, runId);
    for (let index = 0; index < 7; index++) {
      writer.add(account(`E1-${index}`, {}), owned('E1'));
      writer.add(account(`E2-${index}`, {}), owned('E2'));
      writer.add(account(`E3-${index}`, {}), owned('E3'));
    }
    writer.add(account('named', {}), NONE);
    writer.flush();

    const read = (chunkRows: number) =>
      [
        ...runAccountsToReevaluate(
          db,
          runId,
          { accounts: new Set([accountKey('slack', 'named'), accountKey('slack', 'missing')]), owners: ['E1', 'E3'] },
          chunkRows,
        ),
      ]
        .map(({ account: found, match }) => `${found.id}:${match.personId ?? '-'}`)
        // Stored order differs by engine (PostgreSQL's batches are sorted); each account comes once.
        .sort();
    const expected = [
      'named:-',
      ...Array.from({ length: 7 }, (_, index) => [`E1-${index}:E1`, `E3-${index}:E3`]).flat(),
    ].sort();
    // 14 owned accounts in chunks of 3 (the last one short), of 14 (then an empty read), and in one.
    expect(read(3)).toEqual(expected);
    expect(read(14)).toEqual(expected);
    expect(read(1_000)).toEqual(expected);
  });
});
