import { describe, expect, it } from 'vitest';
import '../../rules/index.js';
import { parseConfig } from '../../src/config/config.js';
import { ConfigError } from '../../src/contract/errors.js';

const FILE = '/etc/zombiescan/zombiescan.yaml';

function load(yaml: string, env: NodeJS.ProcessEnv = {}) {
  return parseConfig(yaml, FILE, env);
}

describe('config', () => {
  it('applies defaults and resolves paths against the config folder', () => {
    const config = load('roster: { path: hr.csv }\nsources:\n  - { name: gh, type: csv, path: exports/gh.csv }\n');
    expect(config.database).toBe('/etc/zombiescan/zombiescan.db');
    expect(config.roster.path).toBe('/etc/zombiescan/hr.csv');
    expect(config.sources[0]).toMatchObject({
      path: '/etc/zombiescan/exports/gh.csv',
      role: 'app',
      timeoutSeconds: 300,
    });
    expect(config.timezone).toBe('UTC');
    expect(config.identity).toEqual({ domainAliases: {}, stripPlusTags: true });
  });

  it('refuses a user or password inside a URL, and plain http except to loopback', () => {
    const okta = (orgUrl: string) =>
      `roster: { path: hr.csv }\nsources:\n  - { name: okta, type: okta, orgUrl: "${orgUrl}", token: "\${T}" }\n`;
    expect(() => load(okta('https://admin:hunter2@acme.okta.com'), { T: 'tok-123456' })).toThrow(
      /sources\[0\]\.orgUrl: no user or password inside a URL/,
    );
    expect(() => load(okta('http://acme.okta.com'), { T: 'tok-123456' })).toThrow(/orgUrl: https is required/);
    for (const loopback of ['http://127.0.0.1:8080', 'http://localhost:9', 'http://[::1]:1']) {
      expect(load(okta(loopback), { T: 'tok-123456' }).sources[0]).toMatchObject({ orgUrl: loopback });
    }
  });

  it('treats a webhook URL and a URL given as ${VAR} as secret-capable: path and query are redacted', () => {
    const config = load(
      'roster: { path: hr.csv }\ntickets: { type: webhook, url: "https://hooks.example.com/T1/B2/sekrit" }\n' +
        'serve: { reportsUrl: "${REPORTS_URL}" }\n',
      { REPORTS_URL: 'https://reports.example.com/share?key=abcdef123' },
    );
    expect(config.secrets).toEqual(expect.arrayContaining(['/T1/B2/sekrit', '/share?key=abcdef123']));
    expect(config.secrets).not.toContain('https://reports.example.com');
  });

  it('interpolates ${VAR} and registers secrets for redaction', () => {
    const config = load(
      'roster: { path: hr.csv }\nsources:\n  - { name: okta, type: okta, orgUrl: "https://${ORG}.okta.com", token: "${OKTA_TOKEN}" }\n',
      { ORG: 'acme', OKTA_TOKEN: '00abcSECRET' },
    );
    expect(config.sources[0]).toMatchObject({ orgUrl: 'https://acme.okta.com', token: '00abcSECRET' });
    expect(config.secrets).toEqual(['00abcSECRET']);
  });

  it.each([
    [
      'a missing environment variable',
      'roster: { path: hr.csv }\nsources:\n  - name: okta\n    type: okta\n    orgUrl: "https://a.okta.com"\n    token: "${NOPE}"\n',
      /zombiescan\.yaml:6: sources\[0\]\.token: environment variable NOPE is not set/,
    ],
    [
      'a literal secret',
      'roster: { path: hr.csv }\nsources:\n  - name: okta\n    type: okta\n    orgUrl: "https://a.okta.com"\n    token: "00abc"\n',
      /:6: sources\[0\]\.token: credentials are accepted only as an environment reference/,
    ],
    [
      'an unknown source type',
      'roster: { path: hr.csv }\nsources:\n  - { name: x, type: ldap }\n',
      /:3: sources\[0\]\.type: type must be one of csv, okta, entra, slack, scim/,
    ],
    [
      'an unknown setting (typo)',
      'roster: { path: hr.csv }\nrule:\n  dormant-account: { days: 5 }\n',
      /:2: rule: unknown setting rule \(did you mean rules\?\)/,
    ],
    ['a missing roster', 'database: x.db\n', /:1: roster: /],
    ['a bad time zone', 'timezone: Mars/Olympus\nroster: { path: hr.csv }\n', /:1: timezone: an IANA time zone/],
    [
      'duplicate source names',
      'roster: { path: hr.csv }\nsources:\n  - { name: a, type: csv, path: a.csv }\n  - { name: a, type: csv, path: b.csv }\n',
      /:4: sources\[1\]\.name: source name "a" is used twice/,
    ],
    [
      'an exception on an unknown source',
      'roster: { path: hr.csv }\nexceptions:\n  - { source: nope, login: x, reason: r, owner: E1, expires: 2027-01-01 }\n',
      /:3: exceptions\[0\]\.source: no source named "nope"/,
    ],
    [
      'a bad rule option',
      'roster: { path: hr.csv }\nrules:\n  dormant-account:\n    days: -3\n',
      /:4: rules\.dormant-account\.days: expected a positive number/,
    ],
    [
      'an unknown rule',
      'roster: { path: hr.csv }\nrules:\n  dormant-acount: { days: 3 }\n',
      /:3: rules\.dormant-acount: unknown rule/,
    ],
    ['invalid YAML', 'roster: { path: hr.csv\n', /zombiescan\.yaml:\d+: not valid YAML/],
    ['a list at top level', '- a\n- b\n', /:1: the config must be a mapping/],
  ])('refuses %s, naming file, line and field', (_name, yaml, message) => {
    expect(() => load(yaml)).toThrow(ConfigError);
    expect(() => load(yaml)).toThrow(message);
  });

  it('never puts a secret value in an error message', () => {
    const yaml =
      'roster: { path: hr.csv }\nsources:\n  - { name: z, type: scim, baseUrl: "not a url", token: "${T}" }\n';
    try {
      load(yaml, { T: 'supersecret' });
      expect.unreachable();
    } catch (error) {
      expect(String(error)).not.toContain('supersecret');
      expect(String(error)).toMatch(/:3: sources\[0\]\.baseUrl/);
    }
  });
});
