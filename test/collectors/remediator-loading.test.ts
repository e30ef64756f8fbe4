import { describe, expect, it } from 'vitest';
import { parseConfig, type SourceConfig } from '../../src/config/config.js';
import type { SourceRemediator } from '../../src/contract/action.js';
import { createRemediator } from '../../collectors/remediators.js';
import { loadRemediator, remediatorLoading } from '../../collectors/remediator-loading.js';
import { MemorySystem } from '../remediation/helpers.js';

const CONFIG = parseConfig(
  `
database: ./z.db
roster: { path: ./hr.csv }
sources:
  - { name: okta, type: okta, orgUrl: "https://acme.okta.com", token: "\${OKTA_TOKEN}", role: idp }
  - { name: zoom, type: csv, path: ./zoom.csv }
`,
  '/tmp/zombiescan.yaml',
  { OKTA_TOKEN: 'test-okta-token' },
);

describe('remediators loaded on demand', () => {
  it('loads each source once, and hands it out synchronously only once loaded', async () => {
    const asked: string[] = [];
    const made = new Map<string, SourceRemediator>();
    const loading = remediatorLoading(CONFIG, undefined, async (source: SourceConfig) => {
      asked.push(source.name);
      const system = new MemorySystem(source.name);
      made.set(source.name, system);
      return system;
    });

    expect(() => loading.remediatorFor('okta')).toThrow('the okta remediator was asked for before it was loaded');
    const [first, second] = await Promise.all([loading.loadRemediator('okta'), loading.loadRemediator('okta')]);
    expect(first).toBe(made.get('okta'));
    expect(second).toBe(first);
    expect(loading.remediatorFor('okta')).toBe(first);
    expect(asked).toEqual(['okta']);
    expect(() => loading.remediatorFor('zoom')).toThrow('before it was loaded');

    // A name the config does not have is no source, loaded or not.
    expect(await loading.loadRemediator('jira')).toBeNull();
    expect(loading.remediatorFor('jira')).toBeNull();
    expect(asked).toEqual(['okta']);
  });

  it('a remediator that cannot be made fails its loading and every later ask, with the same error', async () => {
    const failure = new Error('the SDK did not load');
    const loading = remediatorLoading(CONFIG, undefined, async () => {
      throw failure;
    });
    await expect(loading.loadRemediator('zoom')).rejects.toBe(failure);
    expect(() => loading.remediatorFor('zoom')).toThrow(failure);
  });

  it('makes the same remediators as the registry that imports every system up front', async () => {
    for (const source of CONFIG.sources) {
      const loaded = await loadRemediator(source);
      const created = createRemediator(source);
      for (const action of ['disable', 'revoke-sessions', 'remove-licenses', 'deactivate', 'delete'] as const) {
        expect(loaded.unsupportedReason(action, 'u1')).toBe(created.unsupportedReason(action, 'u1'));
      }
      expect(Boolean(loaded.credentials)).toBe(Boolean(created.credentials));
    }
  });
});
