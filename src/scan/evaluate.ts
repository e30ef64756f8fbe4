import { runAccountsToReevaluate } from '../store/accounts.js';
import { evaluableRunCredentials } from '../store/credentials.js';
import type { Db } from '../store/database.js';
import type { FindingDraft } from '../store/findings.js';
import { accountSignIns, accountsWithSignIns, sourcesWithSignInLog } from '../store/sign-ins.js';
import { globToRegExp, type IdentityIndex } from './matching.js';
import { bumpSeverity, type Account, type Match, type Person, type Severity } from '../contract/model.js';
import { SEVERITY_BEFORE_PRIVILEGE } from '../contract/finding-facts.js';
import type {
  AccountHistory,
  CredentialOwner,
  CredentialRule,
  CredentialSubject,
  Rule,
  RuleContext,
  RuleSubject,
} from '../contract/rule.js';
import { accountKey, splitAccountKey } from '../store/rows.js';

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
 * Evaluates every rule over the accounts this run collects. Everything rules share lives here, not in the rules: only
 * enabled, non-built-in accounts are evaluated; privileged accounts are bumped one severity level; an unexpired
 * exception turns a hit into a suppressed finding (kept for the audit trail), an expired one lets it open again.
 *
 * Accounts are evaluated as they arrive, so a run's million rows are never read back: every fact a rule sees is known
 * then, except what other sources and the sign-in logs say. Rules reading those (`usesIdpAccounts`, `usesSignIns`)
 * fire only on a few accounts (the owner has IdP accounts and none enabled; the account has sign-in events): after
 * collection, exactly those accounts, and any whose stored row changed after it arrived (last activity refined by a
 * sign-in log), are read back from the store and evaluated again in full, replacing what arrival decided.
 */
export class RunEvaluator {
  /**
   * What arrival decided, per source and account id, as the drafts' JSON: held until collection ends (a few percent
   * of a million accounts), they are smaller as text than as objects, and the store keeps their evidence as JSON.
   */
  private readonly arrived = new Map<string, Map<string, string>>();
  private readonly changedAfterArrival = new Map<string, Set<string>>();
  private readonly sources: SourceExceptions;
  /** Each rule's context: the same for every account of the run, so built once (a million accounts, ~15 rules). */
  private readonly ruleContexts: RuleContext<Record<string, unknown>>[];
  private readonly evidenceSources: Map<string, readonly string[]>;
  private readonly arrivalRules: boolean[];

  constructor(private readonly input: EvaluatorInput) {
    this.sources = new Map(
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
    this.ruleContexts = input.rules.rules.map((rule) =>
      Object.freeze({
        now: input.now,
        timezone: input.timezone,
        options: (input.rules.options.get(rule.id) ?? {}) as Record<string, unknown>,
      }),
    );
    // Which sources each rule's evidence came from, so remediation can refuse once any of them is no longer current.
    this.evidenceSources = new Map(
      input.rules.rules.map((rule) => [rule.id, rule.usesIdpAccounts ? (input.idpSources ?? []) : []]),
    );
    this.arrivalRules = input.rules.rules.map((rule) => !rule.usesIdpAccounts && !rule.usesSignIns);
  }

  /** An account as its source lists it (any account: a re-listed id replaces what its first listing decided). */
  arrive(account: Account, match: Match): void {
    const source = this.sources.get(account.source);
    if (!source) return;
    let decided = this.arrived.get(account.source);
    if (!decided) this.arrived.set(account.source, (decided = new Map()));
    const drafts =
      account.enabled && !account.builtIn
        ? this.evaluateAccount(
            new ArrivalSubject(account, source.role, match, this.owner(match), this.history(account)),
            ON_ARRIVAL,
          )
        : NO_DRAFTS;
    if (drafts.length > 0) decided.set(account.id, JSON.stringify(drafts));
    else decided.delete(account.id);
  }

  /** Accounts whose stored row was changed after they arrived: they are evaluated again from the store. */
  changed(source: string, accountIds: readonly string[]): void {
    if (accountIds.length === 0) return;
    let changed = this.changedAfterArrival.get(source);
    if (!changed) this.changedAfterArrival.set(source, (changed = new Set()));
    for (const id of accountIds) changed.add(id);
  }

  /**
   * Every draft of the sources collected completely (rows of a source that failed are never evaluated), credentials
   * included. Between two drafts no statement is open, so the caller may write them.
   */
  *drafts(db: Db, run: RunFacts): Generator<FindingDraft> {
    const complete = new Set(run.complete);
    const signInLogs = new Set([...sourcesWithSignInLog(db), ...(run.signInSources ?? [])]);
    const withSignIns = signInLogs.size > 0 ? accountsWithSignIns(db) : new Set<string>();
    const again = new Set<string>();
    for (const key of withSignIns) if (signInLogs.has(splitAccountKey(key)[0])) again.add(key);
    for (const [source, ids] of this.changedAfterArrival) for (const id of ids) again.add(accountKey(source, id));
    const ownersWithoutIdp = this.input.rules.rules.some((rule) => rule.usesIdpAccounts)
      ? [...run.ownerIdp].filter(([, idp]) => idp.total > 0 && idp.enabled === 0).map(([person]) => person)
      : [];

    const reevaluated = new Set<string>();
    for (const { account, match } of runAccountsToReevaluate(db, run.runId, {
      accounts: again,
      owners: ownersWithoutIdp,
    })) {
      if (!complete.has(account.source) || account.builtIn) continue;
      const key = accountKey(account.source, account.id);
      if (reevaluated.has(key)) continue;
      reevaluated.add(key);
      const hasSignIns = withSignIns.has(key);
      // Disabled accounts are evaluated only for their sign-in events (failed attempts on a disabled account).
      if (!account.enabled && !hasSignIns) continue;
      const source = this.sources.get(account.source)!;
      const subject: RuleSubject = {
        account,
        sourceRole: source.role,
        match,
        owner: this.owner(match),
        ownerIdpAccounts: match.personId ? (run.ownerIdp.get(match.personId) ?? { total: 0, enabled: 0 }) : null,
        history: this.history(account),
        // Sign-in events only for the few accounts that have any; a source whose log was never read gives null.
        signIns: !signInLogs.has(account.source)
          ? null
          : hasSignIns
            ? accountSignIns(db, account.source, account.id, { includeStaged: true })
            : [],
      };
      yield* this.evaluateAccount(subject, { disabled: !account.enabled, arrival: false });
    }
    for (const [source, decided] of this.arrived) {
      if (!complete.has(source)) continue;
      for (const [id, drafts] of decided) {
        if (!reevaluated.has(accountKey(source, id))) yield* JSON.parse(drafts) as FindingDraft[];
      }
    }
    yield* evaluateCredentials(db, this.input, run, this.sources);
  }

  private owner(match: Match): Person | null {
    return this.input.identity.person(match.personId);
  }

  private history(account: Account): AccountHistory {
    const disabled = this.input.disabledByZombiescan;
    // Most organisations have few such accounts: no key is built for the million that are not among them.
    if (!disabled || disabled.size === 0) return NO_HISTORY;
    return { disabledByZombiescan: disabled.get(accountKey(account.source, account.id)) ?? null };
  }

  private evaluateAccount(subject: RuleSubject, how: { disabled: boolean; arrival: boolean }): readonly FindingDraft[] {
    const { account, match } = subject;
    const source = this.sources.get(account.source)!;
    // Null until a rule fires: a million accounts, a few hundred findings.
    let drafts: FindingDraft[] | null = null;
    const rules = this.input.rules.rules;
    // Indexed: entries() would allocate a pair per rule and account.
    for (let index = 0; index < rules.length; index++) {
      const rule = rules[index]!;
      if (how.arrival && !this.arrivalRules[index]) continue;
      if (how.disabled && !rule.seesDisabledWithSignIns) continue;
      const hit = rule.evaluate(subject, this.ruleContexts[index]!);
      if (!hit) continue;
      const base = hit.severity ?? rule.severity;
      const exception = source.exceptions.find(
        (entry) =>
          entry.credential === undefined &&
          covers(entry.regex, account) &&
          (!entry.rules || entry.rules.includes(rule.id)),
      );
      (drafts ??= []).push({
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
          sources: [...new Set([account.source, ...this.evidenceSources.get(rule.id)!, ROSTER_EVIDENCE_SOURCE])],
          match: { method: match.method, matchedOn: match.matchedOn, candidates: match.candidates },
        },
        exception: exception ? standingException(exception) : null,
      });
    }
    return drafts ?? NO_DRAFTS;
  }
}

const NO_HISTORY: AccountHistory = Object.freeze({ disabledByZombiescan: null });
const NO_DRAFTS: readonly FindingDraft[] = Object.freeze([]);
const ON_ARRIVAL = Object.freeze({ disabled: false, arrival: true });

/** What the evaluator is given when the run starts. */
export interface EvaluatorInput {
  /** The sources being collected (only those collected completely are evaluated). */
  sources: readonly EvaluatedSource[];
  identity: IdentityIndex;
  /** The journal's last confirmed disable per account (accountKey); absent: none. */
  disabledByZombiescan?: ReadonlyMap<string, NonNullable<AccountHistory['disabledByZombiescan']>>;
  rules: RuleSet;
  exceptions: readonly ExceptionRule[];
  now: Date;
  /** Every configured `role: idp` source: what a rule with `usesIdpAccounts` read besides the account itself. */
  idpSources?: readonly string[];
  /** The config's timezone, for the days rules write in their messages. */
  timezone?: string;
}

/** What is known once collection is over. */
export interface RunFacts {
  runId: number;
  /** Sources collected completely: only their accounts and credentials are evaluated. */
  complete: readonly string[];
  /** Per person, their accounts in the IdP snapshots this evaluation uses. */
  ownerIdp: ReadonlyMap<string, { total: number; enabled: number }>;
  /** Sources whose sign-in log this run read completely (besides those read by earlier scans). */
  signInSources?: ReadonlySet<string>;
}

type SourceExceptions = Map<string, { role: 'idp' | 'app'; exceptions: (ExceptionRule & { regex: RegExp })[] }>;

/**
 * The subject of an account as it arrives: what other sources and the sign-in logs say is not known yet, and a rule
 * that reads it without declaring so (`usesIdpAccounts`, `usesSignIns`) fails loudly instead of deciding on nothing.
 */
class ArrivalSubject implements RuleSubject {
  constructor(
    readonly account: Account,
    readonly sourceRole: 'idp' | 'app',
    readonly match: Match,
    readonly owner: Person | null,
    readonly history: AccountHistory,
  ) {}

  get ownerIdpAccounts(): never {
    throw new Error('a rule read ownerIdpAccounts without declaring usesIdpAccounts');
  }

  get signIns(): never {
    throw new Error('a rule read signIns without declaring usesSignIns');
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
function* evaluateCredentials(
  db: Db,
  input: EvaluatorInput,
  run: RunFacts,
  sources: SourceExceptions,
): Generator<FindingDraft> {
  const rules = input.rules.credentialRules ?? [];
  if (rules.length === 0) return;
  const complete = new Set(run.complete);
  // One context per rule, as for accounts (evaluateAccount): the same for every credential of the run.
  const contexts = rules.map((rule) =>
    Object.freeze({ now: input.now, options: (input.rules.options.get(rule.id) ?? {}) as Record<string, unknown> }),
  );
  for (const { credential, owners: stored } of evaluableRunCredentials(db, run.runId)) {
    const source = sources.get(credential.source);
    if (!source || !complete.has(credential.source)) continue;
    const owners: CredentialOwner[] = stored.map((owner) => ({
      ...owner,
      person: owner.match ? input.identity.person(owner.match.personId) : null,
    }));
    const owner = credential.accountId !== null ? (owners[0] ?? null) : null;
    const subject: CredentialSubject = { credential, sourceRole: source.role, owner, owners };
    for (const [index, rule] of rules.entries()) {
      const hit = rule.evaluate(subject, contexts[index]!);
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
