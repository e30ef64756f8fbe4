import type { CollectorDeps } from '../src/contract/collector.js';
import type { Config, SourceConfig } from '../src/config/config.js';
import type { SourceRemediator } from '../src/contract/action.js';
import { createAwsRemediator } from './aws/lazy.js';
import { createCsvRemediator } from './csv/actions.js';
import { createGoogleRemediator } from './google/actions.js';
import { createEntraRemediator } from './entra/actions.js';
import { createGitHubRemediator } from './github/actions.js';
import { createOktaRemediator } from './okta/actions.js';
import { createScimRemediator } from './scim/actions.js';
import { createSlackRemediator } from './slack/actions.js';

/** Every source type, listed explicitly: a config `type:` maps to exactly one remediator. */
export function createRemediator(source: SourceConfig, deps?: CollectorDeps): SourceRemediator {
  switch (source.type) {
    case 'csv':
      return createCsvRemediator(source, deps);
    case 'okta':
      return createOktaRemediator(source, deps);
    case 'entra':
      return createEntraRemediator(source, deps);
    case 'slack':
      return createSlackRemediator(source, deps);
    case 'scim':
      return createScimRemediator(source, deps);
    case 'google':
      return createGoogleRemediator(source, deps);
    case 'github':
      return createGitHubRemediator(source, deps);
    case 'aws':
      return createAwsRemediator(source, deps);
  }
}

/**
 * One remediator per configured source for a run (made on first use), null for a name the config does not have.
 * `create` is the seam tests use to put in-memory remediators in place of real systems.
 */
export function remediatorLookup(
  config: Config,
  create: (source: SourceConfig, deps?: CollectorDeps) => SourceRemediator = createRemediator,
  deps?: CollectorDeps,
): (name: string) => SourceRemediator | null {
  const made = new Map<string, SourceRemediator>();
  return (name) => {
    const existing = made.get(name);
    if (existing) return existing;
    const source = config.sources.find((entry) => entry.name === name);
    if (!source) return null;
    const remediator = create(source, deps);
    made.set(name, remediator);
    return remediator;
  };
}
