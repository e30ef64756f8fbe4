import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ALL_RULES, CREDENTIAL_RULES, RULES, resolveRuleOptions, ruleById } from '../../rules/index.js';
import { parseConfig } from '../../src/config/config.js';
import { ConfigError } from '../../src/contract/errors.js';
import type { Severity } from '../../src/contract/model.js';
import { defineRule, type Rule } from '../../src/contract/rule.js';

const RULES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../rules');

/** SPEC "Rules": every id with its default severity. */
const SPEC_RULES: Record<string, Severity> = {
  'terminated-still-active': 'critical',
  'reprovisioned-after-offboarding': 'critical',
  'past-end-date': 'high',
  'orphan-account': 'high',
  'idp-disabled-app-active': 'high',
  'root-credentials-in-use': 'high',
  'dormant-account': 'medium',
  'never-logged-in': 'low',
  'stale-guest': 'medium',
  'unowned-service-account': 'medium',
  'ambiguous-owner': 'low',
  'sign-in-after-termination': 'critical',
  'access-attempt-on-departed': 'high',
};

/** SPEC "Credentials that outlive accounts": the credential rules with their default severities. */
const SPEC_CREDENTIAL_RULES: Record<string, Severity> = {
  'credential-outlived-owner': 'critical',
  'ownerless-app-secret': 'high',
  'unused-credential': 'medium',
};

/** Everything that makes the registry disagree with the rule files; empty when consistent. */
function registryProblems(
  files: Record<string, Record<string, unknown>>,
  registry: readonly Pick<Rule, 'id' | 'title' | 'risk' | 'remediation' | 'options'>[],
): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const rule of registry) {
    if (seen.has(rule.id)) problems.push(`${rule.id}: registered twice`);
    seen.add(rule.id);
    for (const field of ['title', 'risk', 'remediation'] as const) {
      if (rule[field].trim() === '') problems.push(`${rule.id}: empty ${field}`);
    }
    for (const [name, option] of Object.entries(rule.options.shape)) {
      if (!(option instanceof z.ZodDefault)) problems.push(`${rule.id}: option ${name} has no default`);
      if (!(option as z.ZodType).description) problems.push(`${rule.id}: option ${name} has no description`);
    }
  }
  for (const [fileId, module] of Object.entries(files)) {
    const exported = (module.rule ?? module.default) as (typeof registry)[number] | undefined;
    if (exported === undefined) {
      problems.push(`rules/${fileId}.ts: exports no rule`);
      continue;
    }
    if (exported.id !== fileId) problems.push(`rules/${fileId}.ts: id "${exported.id}" differs from the file name`);
    if (!registry.includes(exported)) problems.push(`rules/${fileId}.ts: not listed in RULES`);
  }
  for (const rule of registry) {
    if (!(rule.id in files)) problems.push(`${rule.id}: registered but has no file rules/${rule.id}.ts`);
  }
  return problems;
}

async function loadRuleFiles(): Promise<Record<string, Record<string, unknown>>> {
  const ids = readdirSync(RULES_DIR)
    .filter((file) => file.endsWith('.ts') && file !== 'index.ts')
    .map((file) => file.slice(0, -'.ts'.length));
  const modules = await Promise.all(
    ids.map(
      async (id) =>
        [id, (await import(pathToFileURL(path.join(RULES_DIR, `${id}.ts`)).href)) as Record<string, unknown>] as const,
    ),
  );
  return Object.fromEntries(modules);
}

const fakeRule = (overrides: Partial<Rule> = {}): Rule =>
  defineRule({
    id: 'fake-rule',
    title: 'Fake',
    severity: 'low',
    risk: 'A risk.',
    remediation: 'A fix.',
    options: z.object({}),
    evaluate: () => null,
    ...overrides,
  });

describe('rule registry', () => {
  it('agrees with the files under rules/', async () => {
    const files = await loadRuleFiles();
    expect(Object.keys(files).sort()).toEqual(Object.keys({ ...SPEC_RULES, ...SPEC_CREDENTIAL_RULES }).sort());
    expect(registryProblems(files, ALL_RULES)).toEqual([]);
  });

  it('lists the credential rules SPEC names, as credential rules', () => {
    expect(Object.fromEntries(CREDENTIAL_RULES.map((rule) => [rule.id, rule.severity]))).toEqual(SPEC_CREDENTIAL_RULES);
    expect(CREDENTIAL_RULES.every((rule) => rule.subject === 'credential')).toBe(true);
    expect(ruleById('unused-credential')?.severity).toBe('medium');
  });

  it('has exactly the rules and default severities SPEC lists', () => {
    expect(Object.fromEntries(RULES.map((rule) => [rule.id, rule.severity]))).toEqual(SPEC_RULES);
  });

  it('finds rules by id', () => {
    expect(ruleById('dormant-account')?.severity).toBe('medium');
    expect(ruleById('no-such-rule')).toBeUndefined();
  });

  it('gives every option a default, so an empty config is valid', () => {
    for (const rule of ALL_RULES) expect(() => rule.options.parse({})).not.toThrow();
  });

  describe('the consistency check itself', () => {
    const good = fakeRule();
    it('reports a rule file missing from RULES', () => {
      expect(registryProblems({ 'fake-rule': { rule: good } }, [])).toEqual([
        'rules/fake-rule.ts: not listed in RULES',
      ]);
    });
    it('reports an id that differs from its file name', () => {
      expect(registryProblems({ 'fake-rul': { default: good } }, [good])).toContain(
        'rules/fake-rul.ts: id "fake-rule" differs from the file name',
      );
    });
    it('reports duplicated ids', () => {
      expect(registryProblems({ 'fake-rule': { rule: good } }, [good, fakeRule()])).toContain(
        'fake-rule: registered twice',
      );
    });
    it('reports empty title, risk and remediation', () => {
      const empty = fakeRule({ title: '', risk: ' ', remediation: '' });
      expect(registryProblems({ 'fake-rule': { rule: empty } }, [empty])).toEqual([
        'fake-rule: empty title',
        'fake-rule: empty risk',
        'fake-rule: empty remediation',
      ]);
    });
    it('reports an option without a default or description', () => {
      const noDefault = fakeRule({
        options: z.object({ days: z.number().describe('Days.'), other: z.number().default(1) }),
      });
      expect(registryProblems({ 'fake-rule': { rule: noDefault } }, [noDefault])).toEqual([
        'fake-rule: option days has no default',
        'fake-rule: option other has no description',
      ]);
    });
    it('reports a file that exports no rule', () => {
      expect(registryProblems({ 'fake-rule': {} }, [])).toEqual(['rules/fake-rule.ts: exports no rule']);
    });
  });
});

describe('resolveRuleOptions', () => {
  it('applies defaults for every rule, configured or not', () => {
    const options = resolveRuleOptions({});
    expect([...options.keys()]).toEqual(ALL_RULES.map((rule) => rule.id));
    expect(options.get('unused-credential')).toEqual({ days: 90 });
    expect(options.get('dormant-account')).toEqual({ days: 90 });
    expect(options.get('never-logged-in')).toEqual({ days: 30 });
    expect(options.get('stale-guest')).toEqual({ days: 60 });
    expect(options.get('orphan-account')).toEqual({});
  });

  it('takes overrides', () => {
    const options = resolveRuleOptions({ 'dormant-account': { days: 10 }, 'stale-guest': {} });
    expect(options.get('dormant-account')).toEqual({ days: 10 });
    expect(options.get('stale-guest')).toEqual({ days: 60 });
  });

  it.each([
    [{ 'dormant-account': { days: -5 } }, 'rules.dormant-account.days: expected a positive number'],
    [{ 'dormant-account': { days: 0 } }, 'rules.dormant-account.days: expected a positive number'],
    [{ 'never-logged-in': { days: '30' } }, 'rules.never-logged-in.days: expected a positive number'],
    [{ 'stale-guest': { days: 1.5 } }, 'rules.stale-guest.days: expected a whole number of days'],
    [{ 'dormant-account': { dayz: 30 } }, 'rules.dormant-account.dayz: unknown option (known: days)'],
    [{ 'orphan-account': { days: 30 } }, 'rules.orphan-account.days: unknown option (this rule has no options)'],
  ])('refuses %j', (configRules, message) => {
    expect(() => resolveRuleOptions(configRules)).toThrow(new ConfigError(message));
  });

  it('refuses an unknown rule id and lists the known ones', () => {
    expect(() => resolveRuleOptions({ 'no-such-rule': {} })).toThrow(ConfigError);
    expect(() => resolveRuleOptions({ 'no-such-rule': {} })).toThrow(
      `rules.no-such-rule: unknown rule (known: ${ALL_RULES.map((rule) => rule.id).join(', ')})`,
    );
  });

  it('is wired into the config loader, which names the file and line', () => {
    const text = ['roster:', '  path: ./hr.csv', 'rules:', '  dormant-account:', '    days: -1', ''].join('\n');
    expect(() => parseConfig(text, '/etc/zombiescan.yaml', {})).toThrow(
      new ConfigError('/etc/zombiescan.yaml:5: rules.dormant-account.days: expected a positive number'),
    );
    const typo = ['roster:', '  path: ./hr.csv', 'rules:', '  dormant-acount: { days: 30 }', ''].join('\n');
    expect(() => parseConfig(typo, '/etc/zombiescan.yaml', {})).toThrow(
      /zombiescan\.yaml:4: rules\.dormant-acount: unknown rule/,
    );
    expect(() =>
      parseConfig('roster: { path: ./hr.csv }\nrules: { stale-guest: { days: 14 } }\n', '/x.yaml', {}),
    ).not.toThrow();
  });
});
