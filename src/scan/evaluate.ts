import { evaluableRunAccounts } from '../store/accounts.js';
import { evaluableRunCredentials } from '../store/credentials.js';
import type { Db } from '../store/database.js';
import type { FindingDraft } from '../store/findings.js';
import {
  accountSignIns,
  accountsWithSignIns,
  disabledRunAccountsWithSignIns,
  sourcesWithSignInLog,
} from '../store/sign-ins.js';
import { globToRegExp, type IdentityIndex } from './matching.js';
import { bumpSeverity, type Account, type Match, type Severity } from '../contract/model.js';
import { SEVERITY_BEFORE_PRIVILEGE } from '../contract/finding-facts.js';
import type {
  AccountHistory,
  CredentialOwner,
  CredentialRule,
  CredentialSubject,
  Rule,
  RuleSubject,
} from '../contract/rule.js';
import { accountHistoryKey } from '../store/account-history.js';

/** The rules in force and their resolved options. */
export interface RuleSet {
  rules: readonly Rule[];
  byId: ReadonlyMap<string, Rule>;
  options: ReadonlyMap<string, unknown>;
  /** Rules about credentials (absent = none): evaluated over every credential of a complete source. */
  credentialRules?: readonly CredentialRule[];
}

export interface ExceptionRule {
  source: string;
  login: string;
  reason: string;
  owner: string;
  expires: string;
  expiresAt: Date;
  /** The zone `expires` (a date) was read in: the expiry is shown back as typed, in it. */
  timezone: string;
  rules?: string[] | undefined;
  /** Covers this one credential (vendor id) rather than the account's findings. */
  credential?: string | undefined;
}

/**
 * How `evidence.sources` names the HR roster (`@` cannot start a source name): every rule reads the owner from it.
 */
export const ROSTER_EVIDENCE_SOURCE = '@roster';

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
    /** Sources whose sign-in log this run read completely (besides those read by earlier scans). */
    signInSources?: ReadonlySet<string>;
    identity: IdentityIndex;
    ownerIdp: ReadonlyMap<string, { total: number; enabled: number }>;
    /** The journal's last confirmed disable per account (accountHistoryKey); absent: none. */
    disabledByZombiescan?: ReadonlyMap<string, NonNullable<AccountHistory['disabledByZombiescan']>>;
    rules: RuleSet;
    exceptions: readonly ExceptionRule[];
    now: Date;
    /** Every configured `role: idp` source: what a rule with `usesIdpAccounts` read besides the account itself. */
    idpSources?: readonly string[];
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
  yield* evaluateAccounts(db, input, sources);
  yield* evaluateCredentials(db, input, sources);
}

type EvaluateInput = Parameters<typeof evaluateRun>[1];
type SourceExceptions = Map<string, { role: 'idp' | 'app'; exceptions: (ExceptionRule & { regex: RegExp })[] }>;

function* evaluateAccounts(db: Db, input: EvaluateInput, sources: SourceExceptions): Generator<FindingDraft> {
  // Which sources each rule's evidence came from, so remediation can refuse once any of them is no longer current.
  const evidenceSources = new Map(
    input.rules.rules.map((rule) => [rule.id, rule.usesIdpAccounts ? (input.idpSources ?? []) : []]),
  );
  const ruleOptions = input.rules.rules.map(
    (rule) => (input.rules.options.get(rule.id) ?? {}) as Record<string, unknown>,
  );
  // Sign-in events are read only for the few accounts that have any; a source whose log was never read gives null.
  const signInLogs = new Set([...sourcesWithSignInLog(db), ...(input.signInSources ?? [])]);
  const withSignIns = signInLogs.size > 0 ? accountsWithSignIns(db) : new Set<string>();
  const signInsOf = (account: Account) =>
    !signInLogs.has(account.source)
      ? null
      : withSignIns.has(`${account.source}\0${account.id}`)
        ? accountSignIns(db, account.source, account.id, { includeStaged: true })
        : [];
  const rulesSeeingDisabled = input.rules.rules.filter((rule) => rule.seesDisabledWithSignIns);
  const candidates: Iterable<{ account: Account; match: Match; disabled: boolean }> = (function* () {
    for (const entry of evaluableRunAccounts(db, input.runId)) yield { ...entry, disabled: false };
    if (rulesSeeingDisabled.length === 0 || withSignIns.size === 0) return;
    for (const entry of disabledRunAccountsWithSignIns(db, input.runId)) yield { ...entry, disabled: true };
  })();
  for (const { account, match, disabled } of candidates) {
    const source = sources.get(account.source);
    // Rows of a source that failed in this run are never evaluated.
    if (!source) continue;
    const subject: RuleSubject = {
      account,
      sourceRole: source.role,
      match,
      owner: input.identity.person(match.personId),
      ownerIdpAccounts: match.personId ? (input.ownerIdp.get(match.personId) ?? { total: 0, enabled: 0 }) : null,
      history: {
        disabledByZombiescan: input.disabledByZombiescan?.get(accountHistoryKey(account.source, account.id)) ?? null,
      },
      signIns: signInsOf(account),
    };
    for (const [index, rule] of input.rules.rules.entries()) {
      if (disabled && !rule.seesDisabledWithSignIns) continue;
      const hit = rule.evaluate(subject, { now: input.now, timezone: input.timezone, options: ruleOptions[index]! });
      if (!hit) continue;
      const base = hit.severity ?? rule.severity;
      const exception = source.exceptions.find(
        (entry) =>
          entry.credential === undefined &&
          covers(entry.regex, account) &&
          (!entry.rules || entry.rules.includes(rule.id)),
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
          privilegeKnown: account.privilegeKnown,
          ...privilegeBump(base, account.privileged),
          sources: [...new Set([account.source, ...evidenceSources.get(rule.id)!, ROSTER_EVIDENCE_SOURCE])],
          match: { method: match.method, matchedOn: match.matchedOn, candidates: match.candidates },
        },
        exception: exception ? standingException(exception) : null,
      };
    }
  }
}

/** Said wherever the severity is shown ("critical (admin)"): the rule's own severity before the privilege bump. */
function privilegeBump(base: Severity, privileged: boolean): Record<string, Severity> {
  return privileged && bumpSeverity(base) !== base ? { [SEVERITY_BEFORE_PRIVILEGE]: base } : {};
}

/** A standing exception as a draft carries it: the instant it ends, and the day as typed for showing back. */
function standingException(exception: ExceptionRule): FindingDraft['exception'] {
  return {
    reason: exception.reason,
    owner: exception.owner,
    expires: exception.expiresAt.toISOString(),
    expiresAsTyped: { value: exception.expires, timezone: exception.timezone },
  };
}

function covers(regex: RegExp, account: Account): boolean {
  return Boolean((account.login && regex.test(account.login)) || (account.email && regex.test(account.email)));
}

/**
 * Credential rules over every credential this run collected from a complete source. A credential's owner is resolved
 * through its owner account's match to a person. Exceptions: one naming the credential covers it; one on the owner
 * account (login/email glob, no `credential`) covers the account's credentials too.
 */
function* evaluateCredentials(db: Db, input: EvaluateInput, sources: SourceExceptions): Generator<FindingDraft> {
  const rules = input.rules.credentialRules ?? [];
  if (rules.length === 0) return;
  const ruleOptions = rules.map((rule) => (input.rules.options.get(rule.id) ?? {}) as Record<string, unknown>);
  for (const { credential, owners: stored } of evaluableRunCredentials(db, input.runId)) {
    const source = sources.get(credential.source);
    if (!source) continue;
    const owners: CredentialOwner[] = stored.map((owner) => ({
      ...owner,
      person: owner.match ? input.identity.person(owner.match.personId) : null,
    }));
    const owner = credential.accountId !== null ? (owners[0] ?? null) : null;
    const subject: CredentialSubject = { credential, sourceRole: source.role, owner, owners };
    for (const [index, rule] of rules.entries()) {
      const hit = rule.evaluate(subject, { now: input.now, options: ruleOptions[index]! });
      if (!hit) continue;
      const base = hit.severity ?? rule.severity;
      const exception = source.exceptions.find((entry) => {
        if (entry.rules && !entry.rules.includes(rule.id)) return false;
        if (entry.credential !== undefined) return entry.credential === credential.id;
        return owner?.account ? covers(entry.regex, owner.account) : false;
      });
      const person = owner?.match && owner.match.method !== 'ambiguous' ? owner.match.personId : null;
      yield {
        rule: rule.id,
        source: credential.source,
        // Credential findings are keyed by (rule, source, credential id).
        accountId: credential.id,
        severity: credential.privileged ? bumpSeverity(base) : base,
        personId: person,
        login: owner?.account?.login ?? null,
        email: owner?.account?.email ?? null,
        displayName: owner?.account?.displayName ?? null,
        message: hit.message,
        evidence: {
          ...hit.evidence,
          privileged: credential.privileged,
          ...privilegeBump(base, credential.privileged),
          credentialId: credential.id,
        },
        exception: exception ? standingException(exception) : null,
        credential: {
          id: credential.id,
          ownerAccountId: credential.accountId,
          summary: {
            kind: credential.kind,
            name: credential.name,
            lastUsedAt: credential.lastUsedAt,
            expiresAt: credential.expiresAt,
          },
        },
      };
    }
  }
}
