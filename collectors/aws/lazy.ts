import type { AwsSourceConfig } from '../../src/config/config.js';
import type { CredentialRemediator, RemediatorFactory, SourceRemediator } from '../../src/contract/action.js';
import type { CollectorFactory, SourceCollector } from '../../src/contract/collector.js';
import { awsActionAlreadyDone, awsUnsupportedCredentialKind, awsUnsupportedReason } from './policy.js';

/**
 * The registries' entry points for AWS. The SDK (four packages, about half a second to load on a busy machine) is
 * imported on first use, so commands that never talk to AWS (findings, runs, reports) do not pay for it.
 */

export const createAwsCollector: CollectorFactory<AwsSourceConfig> = (config, deps) => {
  // One collector for the whole scan: its credential phase reuses the keys its account phase listed.
  let loaded: Promise<SourceCollector> | undefined;
  const collector = () => (loaded ??= import('./index.js').then((module) => module.createAwsCollector(config, deps)));
  return {
    async *collect(context) {
      yield* (await collector()).collect(context);
    },
    async doctor(context) {
      return (await collector()).doctor(context);
    },
    async *collectCredentials(context, atRisk) {
      const inner = await collector();
      if (inner.collectCredentials) yield* inner.collectCredentials(context, atRisk);
    },
  };
};

export const createAwsRemediator: RemediatorFactory<AwsSourceConfig> = (config, deps) => {
  let loaded: Promise<SourceRemediator> | undefined;
  const remediator = () =>
    (loaded ??= import('./actions.js').then((module) => module.createAwsRemediator(config, deps)));
  const credentials = async (): Promise<CredentialRemediator> => {
    const hook = (await remediator()).credentials;
    if (!hook) throw new Error('the AWS remediator has no credential hook');
    return hook;
  };
  return {
    unsupportedReason: awsUnsupportedReason,
    alreadyDone: awsActionAlreadyDone,
    read: async (account, signal) => (await remediator()).read(account, signal),
    perform: async (action, account, state, signal) => (await remediator()).perform(action, account, state, signal),
    credentials: {
      unsupportedKind: awsUnsupportedCredentialKind,
      readCredential: async (credential, signal) => (await credentials()).readCredential(credential, signal),
      revokeCredential: async (credential, signal) => (await credentials()).revokeCredential(credential, signal),
    },
  };
};
