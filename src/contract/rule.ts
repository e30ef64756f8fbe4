import { z } from 'zod';
import type { Account, Match, Person, Severity } from './model.js';

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
   * The rule reads accounts of `role: idp` sources besides the account itself: its findings are only opened or
   * resolved when every idp source completed in the scan.
   */
  usesIdpAccounts?: boolean;
}

export interface Rule<Schema extends z.ZodObject = z.ZodObject> extends RuleMeta<Schema> {
  evaluate(subject: RuleSubject, context: RuleContext<z.infer<Schema>>): RuleHit | null;
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
