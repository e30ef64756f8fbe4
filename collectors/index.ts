import type { CollectorDeps, SourceCollector } from '../src/contract/collector.js';
import type { SourceConfig } from '../src/config/config.js';
import { createAwsCollector } from './aws/lazy.js';
import { createCsvCollector } from './csv/index.js';
import { createGoogleCollector } from './google/index.js';
import { createEntraCollector } from './entra/index.js';
import { createGitHubCollector } from './github/index.js';
import { createOktaCollector } from './okta/index.js';
import { createScimCollector } from './scim/index.js';
import { createSlackCollector } from './slack/index.js';

/** Every source type, listed explicitly: a config `type:` maps to exactly one collector. */
export function createCollector(source: SourceConfig, deps?: CollectorDeps): SourceCollector {
  switch (source.type) {
    case 'csv':
      return createCsvCollector(source, deps);
    case 'okta':
      return createOktaCollector(source, deps);
    case 'entra':
      return createEntraCollector(source, deps);
    case 'slack':
      return createSlackCollector(source, deps);
    case 'scim':
      return createScimCollector(source, deps);
    case 'google':
      return createGoogleCollector(source, deps);
    case 'github':
      return createGitHubCollector(source, deps);
    case 'aws':
      return createAwsCollector(source, deps);
  }
}
