import type { Config } from '../config/config.js';
import type { Account, Match, Person } from '../contract/model.js';
import { isCloudRoot } from '../contract/people.js';

/**
 * Ties accounts to people, in SPEC order, first hit wins: (1) a configured service account (owner from config),
 * (2) employee id, (3) any email of the account (or its login when it is an email) against every person's email and
 * aliases, all normalised the same way. Several people: prefer those not terminated; still several -> ambiguous.
 */

export interface IdentityOptions {
  domainAliases: Record<string, string>;
  stripPlusTags: boolean;
}

/** trim, lowercase, plus-tag stripping, domain aliases. Returns null for anything that is not an email. */
export function normaliseEmail(value: string | null | undefined, options: IdentityOptions): string | null {
  if (!value) return null;
  const trimmed = value.trim().toLowerCase();
  const at = trimmed.lastIndexOf('@');
  if (at <= 0 || at === trimmed.length - 1) return null;
  const plus = options.stripPlusTags ? trimmed.indexOf('+') : -1;
  const domain = trimmed.slice(at + 1);
  const alias = Object.hasOwn(options.domainAliases, domain) ? options.domainAliases[domain] : undefined;
  // Most addresses need nothing more: the string itself (trim and toLowerCase return it unchanged), not a copy
  // pieced together (a million accounts, a roster index that lives through the scan).
  if ((plus <= 0 || plus > at) && alias === undefined) return trimmed;
  const local = plus > 0 && plus < at ? trimmed.slice(0, plus) : trimmed.slice(0, at);
  return `${local}@${alias ?? domain}`;
}

/** `*` matches any run of characters; everything else is literal; case-insensitive. */
export function globToRegExp(pattern: string): RegExp {
  const escaped = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${escaped}$`, 'i');
}

interface ServicePattern {
  source: string;
  pattern: string;
  regex: RegExp;
  owner: string;
}

export class IdentityIndex {
  private readonly byEmployeeId = new Map<string, Person>();
  /** One person per address, or the several sharing it (rehires, shared aliases): no array for the usual one. */
  private readonly byEmail = new Map<string, Person | Person[]>();
  private readonly servicePatterns: ServicePattern[];
  private readonly options: IdentityOptions;

  constructor(people: readonly Person[], serviceAccounts: Config['serviceAccounts'], options: IdentityOptions) {
    this.options = {
      stripPlusTags: options.stripPlusTags,
      domainAliases: Object.fromEntries(
        Object.entries(options.domainAliases).map(([alias, domain]) => [alias.toLowerCase(), domain.toLowerCase()]),
      ),
    };
    for (const person of people) {
      this.byEmployeeId.set(employeeKey(person.employeeId), person);
      const emails = new Set(
        [person.email, ...person.aliases].map((email) => normaliseEmail(email, this.options)).filter(isString),
      );
      for (const email of emails) {
        const known = this.byEmail.get(email);
        if (known === undefined) this.byEmail.set(email, person);
        else if (Array.isArray(known)) known.push(person);
        else this.byEmail.set(email, [known, person]);
      }
    }
    this.servicePatterns = serviceAccounts.map((entry) => ({
      source: entry.source,
      pattern: entry.login,
      regex: globToRegExp(entry.login),
      owner: entry.owner,
    }));
  }

  person(employeeId: string | null | undefined): Person | null {
    return employeeId ? (this.byEmployee(employeeId) ?? null) : null;
  }

  /** Most ids arrive already in key form (they came from the roster): look them up before normalising a copy. */
  private byEmployee(employeeId: string): Person | undefined {
    return this.byEmployeeId.get(employeeId) ?? this.byEmployeeId.get(employeeKey(employeeId));
  }

  match(account: Account): Match {
    // A cloud account's root user is nobody's, whatever its email or a serviceAccounts glob says.
    if (isCloudRoot(account)) return { method: 'none', personId: null, candidates: [], matchedOn: null };
    for (const service of this.servicePatterns) {
      if (service.source !== account.source) continue;
      if (
        (account.login && service.regex.test(account.login)) ||
        (account.email && service.regex.test(account.email))
      ) {
        return { method: 'service-account', personId: service.owner, candidates: [], matchedOn: service.pattern };
      }
    }

    if (account.employeeId) {
      const person = this.byEmployee(account.employeeId);
      if (person) {
        return { method: 'employee-id', personId: person.employeeId, candidates: [], matchedOn: account.employeeId };
      }
    }

    // Most accounts name one person through one or two values: no Map or arrays unless a second person shows up.
    let first: Person | null = null;
    let candidates: Map<string, Person> | null = null;
    let matchedOn: string | null = null;
    const values =
      account.emails.length === 0 ? [account.email, account.login] : [account.email, ...account.emails, account.login];
    for (let index = 0; index < values.length; index++) {
      const raw = values[index] ?? null;
      // The primary email is usually repeated in emails, and often is the login too: normalise each value once.
      if (values.indexOf(raw) !== index) continue;
      const email = normaliseEmail(raw, this.options);
      if (!email) continue;
      const known = this.byEmail.get(email);
      if (known === undefined) continue;
      matchedOn ??= email;
      const count = Array.isArray(known) ? known.length : 1;
      for (let at = 0; at < count; at++) {
        const person = Array.isArray(known) ? known[at]! : known;
        if (first === null) first = person;
        else if (candidates !== null || person.employeeId !== first.employeeId) {
          candidates ??= new Map([[first.employeeId, first]]);
          candidates.set(person.employeeId, person);
        }
      }
    }
    if (first === null) return { method: 'none', personId: null, candidates: [], matchedOn: null };
    if (candidates === null) return { method: 'email', personId: first.employeeId, candidates: [], matchedOn };
    const chosen = pickOwner([...candidates.values()]);
    if (chosen) {
      return {
        method: 'email',
        personId: chosen.employeeId,
        candidates: candidates.size > 1 ? [...candidates.keys()].sort() : [],
        matchedOn,
      };
    }
    const contenders = [...candidates.values()].filter((person) => person.status !== 'terminated');
    return {
      method: 'ambiguous',
      personId: null,
      candidates: contenders.map((person) => person.employeeId).sort(),
      matchedOn,
    };
  }
}

/**
 * Rehire tie-break: prefer the one record not terminated. When every candidate is terminated the owner has left
 * whichever record it is, so the most recent departure stands for them rather than hiding a departed owner behind
 * a low-severity "ambiguous" finding.
 */
function pickOwner(candidates: Person[]): Person | null {
  if (candidates.length === 1) return candidates[0]!;
  const notTerminated = candidates.filter((person) => person.status !== 'terminated');
  if (notTerminated.length === 1) return notTerminated[0]!;
  if (notTerminated.length > 1) return null;
  return [...candidates].sort((a, b) =>
    (b.terminationEffectiveAt ?? '9999').localeCompare(a.terminationEffectiveAt ?? '9999'),
  )[0]!;
}

function employeeKey(id: string): string {
  return id.trim().toUpperCase();
}

function isString(value: string | null): value is string {
  return value !== null;
}
