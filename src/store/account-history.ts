import type { AccountHistory } from '../contract/rule.js';
import type { Db } from './database.js';
import { accountKey } from './rows.js';

/**
 * Journal facts per account for rule evaluation: the last applied disable or deactivate zombiescan journaled for each
 * account (a reconciled interrupted action counts once confirmed). Keyed by `accountKey`.
 */

export function accountsDisabledByZombiescan(db: Db): Map<string, NonNullable<AccountHistory['disabledByZombiescan']>> {
  const rows = db
    .prepare(
      `SELECT source, account_id, id, at, actor FROM audit_log
       WHERE kind = 'result' AND status = 'applied' AND action IN ('disable', 'deactivate')
         AND source IS NOT NULL AND account_id IS NOT NULL
       ORDER BY id`,
    )
    .all() as { source: string; account_id: string; id: number; at: string; actor: string }[];
  const result = new Map<string, NonNullable<AccountHistory['disabledByZombiescan']>>();
  for (const row of rows) {
    result.set(accountKey(row.source, row.account_id), { at: row.at, journalId: row.id, actor: row.actor });
  }
  return result;
}
