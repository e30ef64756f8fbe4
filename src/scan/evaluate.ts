import { evaluableRunAccounts } from '../store/accounts.js';
import type { Db } from '../store/database.js';
import type { FindingDraft } from '../store/findings.js';
import { globToRegExp, type IdentityIndex } from './matching.js';
import { bumpSeverity, type Account } from '../contract/model.js';
import type { Rule, RuleSubject } from '../contract/rule.js';

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

/** A source whose snapshot of this run is evaluated (it was collected completely). */
export interface EvaluatedSource {
  name: string;
  role: 'idp' | 'app';
}

/**
 * Runs every rule over the accounts this run collected from `sources`. Everything rules share lives here, not in the
 * rules: only enabled, non-built-in accounts are evaluated; privileged accounts are bumped one severity level; an
 * unexpired exception turns a hit into a suppressed finding (kept for the audit trail), an expired one lets it open
 * again. Drafts come out in storage order; between two drafts no statement is open, so the caller may write them.
 */
export function* evaluateRun(
  db: Db,
  input: {
    runId: number;
    sources: readonly EvaluatedSource[];
    identity: IdentityIndex;
    ownerIdp: ReadonlyMap<string, { total: number; enabled: number }>;
    rules: RuleSet;
    exceptions: readonly ExceptionRule[];
    now: Date;
    /** The config's timezone, for the days rules write in their messages. */
    timezone?: string;
  },
): Generator<FindingDraft> {
  const sources = new Map(
    input.sources.map((source) => [
      source.name,
      {
        role: source.role,
        exceptions: input.exceptions
          .filter((entry) => entry.source === source.name && entry.expiresAt.getTime() > input.now.getTime())
          .map((entry) => ({ ...entry, regex: globToRegExp(entry.login) })),
      },
    ]),
  );
  const ruleOptions = input.rules.rules.map(
    (rule) => (input.rules.options.get(rule.id) ?? {}) as Record<string, unknown>,
  );
  for (const { account, match } of evaluableRunAccounts(db, input.runId)) {
    const source = sources.get(account.source);
    // Rows of a source that failed in this run are never evaluated.
    if (!source) continue;
    const subject: RuleSubject = {
      account,
      sourceRole: source.role,
      match,
      owner: input.identity.person(match.personId),
      ownerIdpAccounts: match.personId ? (input.ownerIdp.get(match.personId) ?? { total: 0, enabled: 0 }) : null,
    };
    for (const [index, rule] of input.rules.rules.entries()) {
      const hit = rule.evaluate(subject, { now: input.now, timezone: input.timezone, options: ruleOptions[index]! });
      if (!hit) continue;
      const base = hit.severity ?? rule.severity;
      const exception = source.exceptions.find(
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
