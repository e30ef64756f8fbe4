import { formatConfigPath, setRuleOptionsValidator } from '../src/config/config.js';
import { ConfigError } from '../src/contract/errors.js';
import type { CredentialRule, Rule } from '../src/contract/rule.js';
import { rule as credentialOutlivedOwner } from './credential-outlived-owner.js';
import { rule as ownerlessAppSecret } from './ownerless-app-secret.js';
import { rule as unusedCredential } from './unused-credential.js';
import { rule as accessAttemptOnDeparted } from './access-attempt-on-departed.js';
import { rule as ambiguousOwner } from './ambiguous-owner.js';
import { rule as dormantAccount } from './dormant-account.js';
import { rule as idpDisabledAppActive } from './idp-disabled-app-active.js';
import { rule as neverLoggedIn } from './never-logged-in.js';
import { rule as orphanAccount } from './orphan-account.js';
import { rule as pastEndDate } from './past-end-date.js';
import { rule as rootCredentialsInUse } from './root-credentials-in-use.js';
import { rule as reprovisionedAfterOffboarding } from './reprovisioned-after-offboarding.js';
import { rule as signInAfterTermination } from './sign-in-after-termination.js';
import { rule as staleGuest } from './stale-guest.js';
import { rule as terminatedStillActive } from './terminated-still-active.js';
import { rule as unownedServiceAccount } from './unowned-service-account.js';

/**
 * Every rule, listed explicitly (no directory scanning at run time): the registry test fails when a file under
 * rules/ is missing here. Ordered as SPEC lists them, most severe first.
 */
export const RULES: readonly Rule[] = [
  signInAfterTermination,
  terminatedStillActive,
  reprovisionedAfterOffboarding,
  accessAttemptOnDeparted,
  pastEndDate,
  orphanAccount,
  idpDisabledAppActive,
  rootCredentialsInUse,
  dormantAccount,
  neverLoggedIn,
  staleGuest,
  unownedServiceAccount,
  ambiguousOwner,
];

/** Rules about credentials (SPEC "Credentials that outlive accounts"), evaluated beside the account rules. */
export const CREDENTIAL_RULES: readonly CredentialRule[] = [
  credentialOutlivedOwner,
  ownerlessAppSecret,
  unusedCredential,
];

/** Every rule, account rules first: config options, titles and OCSF mapping look ids up here. */
export const ALL_RULES: readonly (Rule | CredentialRule)[] = [...RULES, ...CREDENTIAL_RULES];

const RULES_BY_ID = new Map(ALL_RULES.map((rule) => [rule.id, rule]));

export function ruleById(id: string): Rule | CredentialRule | undefined {
  return RULES_BY_ID.get(id);
}

/** Names a config field; the config loader passes one that prefixes file and line. */
export type FieldLocator = (fieldPath: readonly PropertyKey[]) => string;

/**
 * Parses the `rules:` section of the config: every rule gets its options with defaults applied, keyed by rule id.
 * Unknown rule ids and unknown option names are refused rather than ignored: a typo such as `dormant-acount` would
 * otherwise silently leave the 90-day default in force.
 */
export function resolveRuleOptions(
  configRules: Record<string, Record<string, unknown>>,
  where: FieldLocator = formatConfigPath,
): Map<string, unknown> {
  for (const id of Object.keys(configRules)) {
    if (!RULES_BY_ID.has(id)) {
      throw new ConfigError(`${where(['rules', id])}: unknown rule (known: ${[...RULES_BY_ID.keys()].join(', ')})`);
    }
  }
  const resolved = new Map<string, unknown>();
  for (const rule of ALL_RULES) {
    const given = configRules[rule.id] ?? {};
    const known = Object.keys(rule.options.shape);
    for (const key of Object.keys(given)) {
      if (!known.includes(key)) {
        const expected = known.length === 0 ? 'this rule has no options' : `known: ${known.join(', ')}`;
        throw new ConfigError(`${where(['rules', rule.id, key])}: unknown option (${expected})`);
      }
    }
    const parsed = rule.options.safeParse(given);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new ConfigError(`${where(['rules', rule.id, ...issue.path])}: ${issue.message}`);
    }
    resolved.set(rule.id, parsed.data);
  }
  return resolved;
}

// src/config.ts sits below the rules and does not import them; the registry hands it this check instead, so a bad rule
// option is reported with the config file and line like every other config mistake.
setRuleOptionsValidator((config, where) => {
  resolveRuleOptions(config.rules, where);
});
