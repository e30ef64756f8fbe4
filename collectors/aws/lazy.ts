import type { AwsSourceConfig } from '../../src/config/config.js';
import type { RemediatorFactory, SourceRemediator } from '../../src/contract/action.js';
import type { CollectorFactory } from '../../src/contract/collector.js';
import { awsActionAlreadyDone, awsUnsupportedReason } from './policy.js';

/**
 * The registries' entry points for AWS. The SDK (four packages, about half a second to load on a busy machine) is
 * imported on first use, so commands that never talk to AWS (findings, runs, reports) do not pay for it.
 */

export const createAwsCollector: CollectorFactory<AwsSourceConfig> = (config, deps) => ({
  async *collect(context) {
    const { createAwsCollector: create } = await import('./index.js');
    yield* create(config, deps).collect(context);
  },
  async doctor(context) {
    const { createAwsCollector: create } = await import('./index.js');
    return create(config, deps).doctor(context);
  },
});

export const createAwsRemediator: RemediatorFactory<AwsSourceConfig> = (config, deps) => {
  let loaded: Promise<SourceRemediator> | undefined;
  const remediator = () =>
    (loaded ??= import('./actions.js').then((module) => module.createAwsRemediator(config, deps)));
  return {
    unsupportedReason: awsUnsupportedReason,
    alreadyDone: awsActionAlreadyDone,
    read: async (account, signal) => (await remediator()).read(account, signal),
    perform: async (action, account, state, signal) => (await remediator()).perform(action, account, state, signal),
  };
};
