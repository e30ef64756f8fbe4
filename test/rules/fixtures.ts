import { expect } from 'vitest';
import type { Account, Match, Person, SignInEvent } from '../../src/contract/model.js';
import type { Rule, RuleHit, RuleSubject } from '../../src/contract/rule.js';

/** The scan clock every rule test uses unless a case says otherwise. */
export const NOW = new Date('2026-06-15T12:00:00.000Z');
export const DAY_MS = 86_400_000;

/** `days` days (plus `extraMs`) before NOW, as an ISO instant. */
export function daysAgo(days: number, extraMs = 0): string {
  return new Date(NOW.getTime() - days * DAY_MS - extraMs).toISOString();
}

export function makeAccount(overrides: Partial<Account> = {}): Account {
  return {
    source: 'slack',
    id: 'U001',
    login: 'alice',
    email: 'alice@acme.com',
    emails: ['alice@acme.com'],
    employeeId: null,
    displayName: 'Alice Smith',
    enabled: true,
    rawStatus: 'active',
    type: 'human',
    createdAt: daysAgo(400),
    lastActivityAt: daysAgo(1),
    activityKnown: true,
    privileged: false,
    privilegeKnown: true,
    licenses: [],
    builtIn: false,
    attributes: {},
    ...overrides,
  };
}

export function makePerson(overrides: Partial<Person> = {}): Person {
  return {
    employeeId: 'E1042',
    email: 'alice@acme.com',
    name: 'Alice Smith',
    status: 'active',
    workerType: 'employee',
    hireDate: '2020-01-06',
    terminationDate: null,
    terminationEffectiveAt: null,
    managerId: 'E1001',
    department: 'Engineering',
    aliases: [],
    ...overrides,
  };
}

/** A terminated person whose termination took effect `days` days ago. */
export function terminatedPerson(days = 30, overrides: Partial<Person> = {}): Person {
  const effectiveAt = daysAgo(days);
  return makePerson({
    status: 'terminated',
    terminationDate: effectiveAt.slice(0, 10),
    terminationEffectiveAt: effectiveAt,
    ...overrides,
  });
}

export function makeMatch(overrides: Partial<Match> = {}): Match {
  return { method: 'email', personId: 'E1042', candidates: [], matchedOn: 'alice@acme.com', ...overrides };
}

export const NO_MATCH: Match = { method: 'none', personId: null, candidates: [], matchedOn: null };

export interface SubjectParts {
  account?: Partial<Account>;
  /** The matched owner; `null` for none. Defaults to an active employee matched by email. */
  owner?: Person | null;
  match?: Partial<Match>;
  sourceRole?: RuleSubject['sourceRole'];
  ownerIdpAccounts?: RuleSubject['ownerIdpAccounts'];
  history?: RuleSubject['history'];
}

/** A subject as the engine would build it: the match points at the owner unless the case says otherwise. */
export function makeSubject(parts: SubjectParts = {}): RuleSubject {
  const owner = parts.owner === undefined ? makePerson() : parts.owner;
  const baseMatch = owner === null ? NO_MATCH : makeMatch({ personId: owner.employeeId, matchedOn: owner.email });
  return {
    account: makeAccount(parts.account),
    sourceRole: parts.sourceRole ?? 'app',
    match: { ...baseMatch, ...parts.match },
    owner,
    ownerIdpAccounts:
      parts.ownerIdpAccounts === undefined
        ? owner === null
          ? null
          : { total: 1, enabled: 1 }
        : parts.ownerIdpAccounts,
    history: parts.history ?? { disabledByZombiescan: null },
  };
}

/**
 * Evaluates a rule the way the engine does: options parsed through the rule's schema so defaults apply, and the
 * engine's contract about what a rule reads (src/contract/rule.ts) checked on every case: a rule that does not declare
 * `usesIdpAccounts` / `usesSignIns` must not read `ownerIdpAccounts` / `signIns` (the engine decides it as the account
 * arrives, before they are known), and one that declares them fires only where the engine looks again after
 * collection (an owner with IdP accounts and none enabled; an account with sign-in events).
 */
export function evaluate(
  rule: Rule,
  subject: RuleSubject,
  options: Record<string, unknown> = {},
  now: Date = NOW,
): RuleHit | null {
  const seen: RuleSubject = { ...subject };
  const undeclared = (field: string, flag: string) => ({
    get(): never {
      throw new Error(`${rule.id} reads ${field} without declaring ${flag}`);
    },
  });
  if (!rule.usesIdpAccounts)
    Object.defineProperty(seen, 'ownerIdpAccounts', undeclared('ownerIdpAccounts', 'usesIdpAccounts'));
  if (!rule.usesSignIns) Object.defineProperty(seen, 'signIns', undeclared('signIns', 'usesSignIns'));
  const hit = rule.evaluate(seen, { now, options: rule.options.parse(options) });
  if (hit && rule.usesIdpAccounts) {
    expect(subject.ownerIdpAccounts?.total ?? 0, `${rule.id} fired for an owner without IdP accounts`).toBeGreaterThan(
      0,
    );
    expect(subject.ownerIdpAccounts?.enabled, `${rule.id} fired for an owner with an enabled IdP account`).toBe(0);
  }
  if (hit && rule.usesSignIns) {
    expect(subject.signIns?.length ?? 0, `${rule.id} fired for an account without sign-in events`).toBeGreaterThan(0);
  }
  return hit;
}

/** One row of a rule's table. `fires: false` rows must return null. */
export interface RuleCase {
  name: string;
  subject: RuleSubject;
  fires: boolean;
  /** Expected severity override on the hit; undefined = the rule default (no override). */
  severity?: RuleHit['severity'];
  options?: Record<string, unknown>;
  now?: Date;
}

/** The identifier a reader must find in the message: the same one rules show. */
export function accountIdentifier(subject: RuleSubject): string {
  const { account } = subject;
  return account.email ?? account.login ?? account.displayName ?? account.id;
}

/** Runs one table row: a firing row must carry the expected severity and name the account in its message. */
export function expectCase(rule: Rule, row: RuleCase): RuleHit | null {
  const hit = evaluate(rule, row.subject, row.options, row.now);
  if (!row.fires) {
    expect(hit).toBeNull();
    return null;
  }
  expect(hit).not.toBeNull();
  expect(hit!.severity).toBe(row.severity);
  expect(hit!.message).toContain(accountIdentifier(row.subject));
  expect(Object.keys(hit!.evidence).length).toBeGreaterThan(0);
  return hit;
}

/** One sign-in event of the fixture account (U001, alice@acme.com). */
export function signIn(at: string, result: SignInEvent['result'], extra: Partial<SignInEvent> = {}): SignInEvent {
  return {
    source: 'slack',
    id: `evt-${at}-${result}`,
    at,
    accountId: 'U001',
    login: 'alice@acme.com',
    result,
    reason: result === 'failure' ? 'INVALID_CREDENTIALS' : null,
    ip: '203.0.113.7',
    application: 'Okta Dashboard',
    ...extra,
  };
}
