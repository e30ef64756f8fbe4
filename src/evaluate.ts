import type { Db } from './store/database.js';
import type { FindingDraft } from './findings.js';
import { globToRegExp, type IdentityIndex } from './matching.js';
import { bumpSeverity, type Account } from './model.js';
import type { Rule, RuleSubject } from './rule.js';
import { rowToAccount, rowToMatch, type AccountRow } from './store/rows.js';

/** The rules in force and their resolved options. */
export interface RuleSet {
  rules: readonly Rule[];
  byId: ReadonlyMap<string, Rule>;
  options: ReadonlyMap<string, unknown>;
}

export interface ExceptionRule {
  source: string;
  login: string;
  reason: string;
  owner: string;
  expires: string;
  expiresAt: Date;
  rules?: string[] | undefined;
}

/**
 * Runs every rule over one source's snapshot. Everything rules share lives here, not in the rules: only enabled,
 * non-built-in accounts are evaluated; privileged accounts are bumped one severity level; an unexpired exception
 * turns a hit into a suppressed finding (kept for the audit trail), an expired one lets it open again.
 */
export function* evaluateSource(
  db: Db,
  input: {
    source: string;
    role: 'idp' | 'app';
    runId: number;
    identity: IdentityIndex;
    ownerIdp: ReadonlyMap<string, { total: number; enabled: number }>;
    rules: RuleSet;
    exceptions: readonly ExceptionRule[];
    now: Date;
  },
): Generator<FindingDraft> {
  const exceptions = input.exceptions
    .filter((entry) => entry.source === input.source && entry.expiresAt.getTime() > input.now.getTime())
    .map((entry) => ({ ...entry, regex: globToRegExp(entry.login) }));
  // Streamed: a source may hold hundreds of thousands of accounts.
  const rows = db
    .prepare<[string, number], AccountRow>(
      'SELECT * FROM accounts WHERE source = ? AND run_id = ? AND enabled = 1 AND built_in = 0',
    )
    .iterate(input.source, input.runId);
  for (const row of rows) {
    const account = rowToAccount(row);
    const match = rowToMatch(row);
    const subject: RuleSubject = {
      account,
      sourceRole: input.role,
      match,
      owner: input.identity.person(match.personId),
      ownerIdpAccounts: match.personId ? (input.ownerIdp.get(match.personId) ?? { total: 0, enabled: 0 }) : null,
    };
    for (const rule of input.rules.rules) {
      const hit = rule.evaluate(subject, {
        now: input.now,
        options: (input.rules.options.get(rule.id) ?? {}) as Record<string, unknown>,
      });
      if (!hit) continue;
      const base = hit.severity ?? rule.severity;
      const exception = exceptions.find(
        (entry) => covers(entry.regex, account) && (!entry.rules || entry.rules.includes(rule.id)),
      );
      yield {
        rule: rule.id,
        source: account.source,
        accountId: account.id,
        severity: account.privileged ? bumpSeverity(base) : base,
        personId: match.method === 'ambiguous' ? null : match.personId,
        login: account.login,
        email: account.email,
        displayName: account.displayName,
        message: hit.message,
        evidence: {
          ...hit.evidence,
          privileged: account.privileged,
          match: { method: match.method, matchedOn: match.matchedOn, candidates: match.candidates },
        },
        exception: exception
          ? { reason: exception.reason, owner: exception.owner, expires: exception.expiresAt.toISOString() }
          : null,
      };
    }
  }
}

function covers(regex: RegExp, account: Account): boolean {
  return Boolean((account.login && regex.test(account.login)) || (account.email && regex.test(account.email)));
}
