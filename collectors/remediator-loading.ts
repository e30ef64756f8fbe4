import type { CollectorDeps } from '../src/contract/collector.js';
import type { Config, SourceConfig } from '../src/config/config.js';
import type { SourceRemediator } from '../src/contract/action.js';

/**
 * The remediators registry (remediators.ts) with each system's module imported when it is first asked for, not when
 * this module loads. Importing a remediator compiles its vendor SDK (Slack, Graph, Octokit, Google: tens to hundreds
 * of milliseconds of CPU each); `offboard` must send the IdP's first request before the other systems' SDKs are in.
 */

/** Every source type, listed explicitly: a config `type:` maps to exactly one remediator module. */
export async function loadRemediator(source: SourceConfig, deps?: CollectorDeps): Promise<SourceRemediator> {
  switch (source.type) {
    case 'csv':
      return (await import('./csv/actions.js')).createCsvRemediator(source, deps);
    case 'okta':
      return (await import('./okta/actions.js')).createOktaRemediator(source, deps);
    case 'entra':
      return (await import('./entra/actions.js')).createEntraRemediator(source, deps);
    case 'slack':
      return (await import('./slack/actions.js')).createSlackRemediator(source, deps);
    case 'scim':
      return (await import('./scim/actions.js')).createScimRemediator(source, deps);
    case 'google':
      return (await import('./google/actions.js')).createGoogleRemediator(source, deps);
    case 'github':
      return (await import('./github/actions.js')).createGitHubRemediator(source, deps);
    case 'aws':
      return (await import('./aws/lazy.js')).createAwsRemediator(source, deps);
  }
}

export interface RemediatorLoading {
  /** Starts loading (once per source) and resolves to the remediator; null for a name the config does not have. */
  loadRemediator(name: string): Promise<SourceRemediator | null>;
  /**
   * The remediator once loadRemediator(name) has resolved (a failure to make it is thrown again); null for a name the
   * config does not have. Asking before it is loaded is a bug in the caller and throws.
   */
  remediatorFor(name: string): SourceRemediator | null;
}

/** One remediator per configured source for a run, each loaded on demand. `load` is the seam tests use. */
export function remediatorLoading(
  config: Config,
  deps?: CollectorDeps,
  load: (source: SourceConfig, deps?: CollectorDeps) => Promise<SourceRemediator> = loadRemediator,
): RemediatorLoading {
  const loads = new Map<string, Promise<SourceRemediator | null>>();
  const settled = new Map<string, { remediator: SourceRemediator } | { error: unknown }>();
  const sourceNamed = (name: string) => config.sources.find((entry) => entry.name === name);
  return {
    loadRemediator(name) {
      let loading = loads.get(name);
      if (!loading) {
        const source = sourceNamed(name);
        loading = source
          ? Promise.resolve()
              .then(() => load(source, deps))
              .then(
                (remediator) => {
                  settled.set(name, { remediator });
                  return remediator;
                },
                (error: unknown) => {
                  settled.set(name, { error });
                  throw error;
                },
              )
          : Promise.resolve(null);
        loads.set(name, loading);
      }
      return loading;
    },
    remediatorFor(name) {
      if (!sourceNamed(name)) return null;
      const done = settled.get(name);
      if (!done) throw new Error(`the ${name} remediator was asked for before it was loaded`);
      if ('error' in done) throw done.error;
      return done.remediator;
    },
  };
}
