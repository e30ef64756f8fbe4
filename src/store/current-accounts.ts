import type { AccountRef } from '../contract/action.js';
import type { Account, Match } from '../contract/model.js';
import type { Db } from './database.js';
import { rowToAccount, rowToMatch, type AccountRow } from './rows.js';

/** Every source's accounts as of its latest successful collection (the `current_accounts` view), as remediation reads them. */

export interface CurrentAccount {
  ref: AccountRef;
  privileged: boolean;
}

export function currentAccount(db: Db, source: string, accountId: string): CurrentAccount | null {
  const row = db
    .prepare(
      'SELECT source, id, login, email, display_name, attributes, privileged FROM current_accounts WHERE source = ? AND id = ?',
    )
    .get(source, accountId) as
    | {
        source: string;
        id: string;
        login: string | null;
        email: string | null;
        display_name: string | null;
        attributes: string;
        privileged: number;
      }
    | undefined;
  if (!row) return null;
  return {
    ref: {
      source: row.source,
      id: row.id,
      login: row.login,
      email: row.email,
      displayName: row.display_name,
      attributes: JSON.parse(row.attributes) as Record<string, unknown>,
    },
    privileged: row.privileged === 1,
  };
}

/** Every account that is not built in, with its match, by source and id; read lazily (there can be many). */
export function* currentAccountsWithMatches(db: Db): Generator<{ account: Account; match: Match }> {
  for (const row of db
    .prepare<[], AccountRow>('SELECT * FROM current_accounts WHERE built_in = 0 ORDER BY source, id')
    .iterate()) {
    yield { account: rowToAccount(row), match: rowToMatch(row) };
  }
}
