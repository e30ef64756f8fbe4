import { z } from 'zod';
import type { Account, Credential, Match, Person, Severity, SignInEvent } from './model.js';

/**
 * A rule is metadata plus one pure function. The engine does everything rules share: only enabled, non-built-in
 * accounts reach a rule; exceptions, the privileged severity bump and the findings lifecycle are applied around it.
 */

/** What a rule sees about one account. */
export interface RuleSubject {
  account: Account;
  /** The source's role: `idp` accounts are the front door. */
  sourceRole: 'idp' | 'app';
  match: Match;
  /** The matched person (for a declared service account: its declared owner), or null. */
  owner: Person | null;
  /**
   * The owner's accounts in `role: idp` sources (their latest complete snapshots): how many, and how many enabled.
   * Null when the account has no owner.
   */
  ownerIdpAccounts: { total: number; enabled: number } | null;
  /** What zombiescan's own journal records about this account (the engine reads it through the store). */
  history: AccountHistory;
  /**
   * The account's stored sign-in events (oldest first), read from the store for accounts of interest; undefined or
   * null when the source keeps no sign-in log or it was never read (unknown, not "no sign-ins").
   */
  signIns?: readonly SignInEvent[] | null;
}

/** Facts from the remediation journal about one account. */
export interface AccountHistory {
  /** The last time zombiescan disabled (or deactivated) the account and the source confirmed it; null: never. */
  disabledByZombiescan: { at: string; journalId: number; actor: string } | null;
}

export interface RuleContext<Options> {
  now: Date;
  /** The config's timezone: dates in messages are shown as days in it (default UTC). */
  timezone?: string;
  options: Options;
}

/** What a rule returns when it fires. */
export interface RuleHit {
  /** One sentence a security lead understands: who, where, why. */
  message: string;
  /** The facts used, for the report and for whoever double-checks. */
  evidence: Record<string, unknown>;
  /** Overrides the rule's default severity (before the privileged bump). */
  severity?: Severity;
}

export interface RuleMeta<Schema extends z.ZodObject> {
  /** Equals the file name under rules/. */
  id: string;
  title: string;
  severity: Severity;
  /** One paragraph: why this account is a risk. */
  risk: string;
  /** What to do about it. */
  remediation: string;
  /** Options with defaults; each field documented with `.describe()`. */
  options: Schema;
  /**
   * The rule reads accounts of `role: idp` sources besides the account itself (`ownerIdpAccounts`): its findings are
   * only opened or resolved when every idp source completed in the scan. Such a rule fires only for an owner who has
   * IdP accounts and none of them enabled: it is evaluated, after collection, for those owners' accounts alone.
   */
  usesIdpAccounts?: boolean;
  /**
   * The rule reads `signIns`. Such a rule fires only for an account with stored sign-in events: it is evaluated,
   * after the logs are read, for those accounts alone. Every other rule is evaluated as the account arrives, and
   * reading `signIns` or `ownerIdpAccounts` there throws.
   */
  usesSignIns?: boolean;
  /**
   * The rule also sees disabled accounts that have stored sign-in events (failed attempts on a disabled account are
   * evidence someone still holds its credentials). Every other rule sees only enabled accounts.
   */
  seesDisabledWithSignIns?: boolean;
}

export interface Rule<Schema extends z.ZodObject = z.ZodObject> extends RuleMeta<Schema> {
  evaluate(subject: RuleSubject, context: RuleContext<z.infer<Schema>>): RuleHit | null;
}

/**
 * One owner of a credential as this scan saw it. `account` is null when the source no longer lists the owner account
 * (deleted); `person` is the matched person (for a declared service account: its declared owner), or null.
 */
export interface CredentialOwner {
  accountId: string;
  account: Account | null;
  match: Match | null;
  person: Person | null;
}

/**
 * What a credential rule sees about one credential. A credential belongs to its owner account and through it to a
 * person; an app registration belongs to its owners (`owners`, empty = ownerless).
 */
export interface CredentialSubject {
  credential: Credential;
  sourceRole: 'idp' | 'app';
  /** The owner account (`credential.accountId`), or null when the credential has none (app registrations). */
  owner: CredentialOwner | null;
  /** App registrations: every owner; otherwise the one owner, or empty. */
  owners: CredentialOwner[];
}

/**
 * A rule about credentials: the same metadata, options and lifecycle as an account rule, its own subject. The engine
 * evaluates every credential of a completely collected source (enabled or not: a rule decides what matters), bumps
 * privileged credentials one severity level, and applies exceptions (an account's exception covers its credentials).
 */
export interface CredentialRule<Schema extends z.ZodObject = z.ZodObject> extends RuleMeta<Schema> {
  subject: 'credential';
  evaluate(subject: CredentialSubject, context: RuleContext<z.infer<Schema>>): RuleHit | null;
}

/** Typed factory for a credential rule. */
export function defineCredentialRule<Schema extends z.ZodObject>(
  rule: Omit<CredentialRule<Schema>, 'subject'>,
): CredentialRule<Schema> {
  return { ...rule, subject: 'credential' };
}

/** Typed factory so a rule's options are checked by the compiler. */
export function defineRule<Schema extends z.ZodObject>(rule: Rule<Schema>): Rule<Schema> {
  return rule;
}

/** A threshold in whole days, with a default and what it means (the inactivity rules' `days` option). */
export function daysOption(defaultDays: number, description: string) {
  return z
    .number({ error: 'expected a positive number' })
    .int({ error: 'expected a whole number of days' })
    .positive({ error: 'expected a positive number' })
    .default(defaultDays)
    .describe(description);
}
