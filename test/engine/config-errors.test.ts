import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/config.js';
import { STARTER_CONFIG } from '../../src/config/init-template.js';
import { ConfigError } from '../../src/contract/errors.js';

const FILE = '/etc/zombiescan/zombiescan.yaml';

function refusal(yaml: string, env: NodeJS.ProcessEnv = {}): string {
  try {
    parseConfig(yaml, FILE, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message.replaceAll(FILE, 'z.yaml');
  }
  throw new Error('expected the config to be refused');
}

describe('config errors a user can act on', () => {
  it('points at the line of the offending key, not the first key of its map, and suggests the closest key', () => {
    const yaml = ['timezone: UTC', 'roster:', '  delimiter: ";"', '  paht: hr.csv', ''].join('\n');
    // roster.path is no longer required on its own (roster.url is the alternative): the typo is the one error.
    expect(refusal(yaml)).toBe('z.yaml:4: roster.paht: unknown setting paht (did you mean path?)');
  });

  it('lists every error at once, in file order, inside sources too', () => {
    const yaml = [
      'roster: { path: hr.csv }',
      'timezon: UTC',
      'sources:',
      '  - name: app',
      '    type: csv',
      '    path: app.csv',
      '    delimeter: ";"',
      '  - name: idp',
      '    type: okta',
      '    orgUrl: "https://a.okta.com"',
      '    token: "${T}"',
      '    roel: idp',
      'remediation:',
      '  maxActionsPerRun: lots',
      '',
    ].join('\n');
    expect(refusal(yaml, { T: 't' })).toBe(
      [
        'z.yaml:2: timezon: unknown setting timezon (did you mean timezone?)',
        'z.yaml:7: sources[0].delimeter: unknown setting delimeter (did you mean delimiter?)',
        'z.yaml:12: sources[1].roel: unknown setting roel (did you mean role?)',
        'z.yaml:14: remediation.maxActionsPerRun: expected a number',
      ].join('\n'),
    );
  });

  it('offers no suggestion when nothing is close, and names allowed values in plain words', () => {
    expect(refusal('roster: { path: hr.csv }\nfrobnicate: 3\n')).toBe(
      'z.yaml:2: frobnicate: unknown setting frobnicate',
    );
    expect(refusal('roster: { path: hr.csv }\nscan: { failOn: huge }\n')).toBe(
      'z.yaml:2: scan.failOn: must be one of low, medium, high, critical',
    );
  });

  it('collects the cross-checks too (duplicate names, unknown sources) with a suggestion', () => {
    const yaml = [
      'roster: { path: hr.csv }',
      'sources:',
      '  - { name: okta, type: csv, path: a.csv }',
      '  - { name: okta, type: csv, path: b.csv }',
      'exceptions:',
      '  - { source: otka, login: x, reason: r, owner: E1, expires: 2027-01-01 }',
      '',
    ].join('\n');
    expect(refusal(yaml)).toBe(
      [
        'z.yaml:4: sources[1].name: source name "okta" is used twice',
        'z.yaml:6: exceptions[0].source: no source named "otka" (did you mean okta?)',
      ].join('\n'),
    );
  });
});

describe('the starter config', () => {
  it('shows statusMap and an export mapping that parse once uncommented', () => {
    const uncommented = STARTER_CONFIG.replace(/^ {2}# (statusMap: .*)$/m, '  $1').replace(
      /^ {2}# (- name: salesforce)\n((?: {2}# {3}.*\n)+)/m,
      (_all, head: string, rest: string) => `  ${head}\n${rest.replace(/^ {2}# {3}/gm, '    ')}`,
    );
    const config = parseConfig(uncommented, FILE, {});
    expect(config.roster.statusMap).toEqual({ 'Garden Leave': 'leave', Resigned: 'terminated' });
    expect(config.sources.find((source) => source.name === 'salesforce')).toMatchObject({
      statusMap: { '1': 'active', '0': 'disabled' },
      columns: { id: 'User ID', last_login_at: 'Last Login' },
    });
  });
});
