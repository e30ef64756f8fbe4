import type { Credential, Person } from '../../src/contract/model.js';
import type { CredentialOwner, CredentialRule, CredentialSubject, RuleHit } from '../../src/contract/rule.js';
import { daysAgo, makeAccount, makePerson, NOW } from './fixtures.js';

export function makeCredential(overrides: Partial<Credential> = {}): Credential {
  return {
    source: 'okta',
    id: '00T1',
    kind: 'api-token',
    accountId: 'U001',
    ownerAccountIds: [],
    name: 'ci-deploy',
    createdAt: daysAgo(300),
    lastUsedAt: daysAgo(1),
    usageKnown: true,
    expiresAt: null,
    enabled: true,
    scopes: [],
    privileged: false,
    attributes: {},
    ...overrides,
  };
}

/** An owner: an enabled account of an active person unless told otherwise; `account: null` = deleted. */
export function makeOwner(
  overrides: { accountId?: string; enabled?: boolean; account?: null; person?: Partial<Person> | null } = {},
): CredentialOwner {
  const accountId = overrides.accountId ?? 'U001';
  return {
    accountId,
    account: overrides.account === null ? null : makeAccount({ id: accountId, enabled: overrides.enabled ?? true }),
    match: { method: 'email', personId: 'E1042', candidates: [], matchedOn: 'alice@acme.com' },
    person: overrides.person === null ? null : makePerson(overrides.person ?? {}),
  };
}

export function makeCredentialSubject(credential: Partial<Credential>, owners: CredentialOwner[]): CredentialSubject {
  const made = makeCredential(credential);
  return {
    credential: made,
    sourceRole: 'idp',
    owner: made.accountId !== null ? (owners[0] ?? null) : null,
    owners,
  };
}

export function evaluateCredential(
  rule: CredentialRule,
  subject: CredentialSubject,
  options: Record<string, unknown> = {},
  now = NOW,
): RuleHit | null {
  return rule.evaluate(subject, { now, options: rule.options.parse(options) });
}

export const TERMINATED: Partial<Person> = {
  status: 'terminated',
  terminationDate: '2026-05-01',
  terminationEffectiveAt: '2026-05-02T00:00:00.000Z',
};
