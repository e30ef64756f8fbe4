import type { CollectContext, SourceCollector } from '../src/contract/collector.js';
import type { CollectorDeps } from '../src/contract/collector.js';
import type { SourceConfig } from '../src/config/config.js';
import { openCsv } from '../src/common/csv-input.js';
import type { Credential, CredentialKind } from '../src/contract/model.js';

/**
 * Bench only. CSV exports carry no credentials (SPEC: credentials come from the systems' APIs), yet the apps the
 * benchmark's CSV sources stand for have the most of them (GitHub PATs and SSH keys, AWS access keys, Google OAuth
 * grants). So that the scan measures about one credential per ten accounts, the scanner's CSV sources get a
 * `collectCredentials` that reads what the generator wrote for them (generate.ts, CREDENTIAL_HEADER) in pages, as
 * an API collector's org-wide list arrives: the engine stores, matches and judges them like any other credentials.
 */

const PAGE_SIZE = 1000;

type CreateCollector = (source: SourceConfig, deps?: CollectorDeps) => SourceCollector;

export function withCredentialFeed(create: CreateCollector, files: Readonly<Record<string, string>>): CreateCollector {
  return (source, deps) => {
    const collector = create(source, deps);
    const file = files[source.name];
    if (file === undefined) return collector;
    return {
      validateInput: collector.validateInput?.bind(collector),
      collect: (context) => collector.collect(context),
      doctor: (context) => collector.doctor(context),
      collectCredentials: (context) => readCredentials(source.name, file, context),
    };
  };
}

/** The same collectors with no credentials to collect. */
export function withoutCredentials(create: CreateCollector): CreateCollector {
  return (source, deps) => {
    const collector = create(source, deps);
    return {
      validateInput: collector.validateInput?.bind(collector),
      collect: (context) => collector.collect(context),
      doctor: (context) => collector.doctor(context),
    };
  };
}

async function* readCredentials(source: string, file: string, context: CollectContext): AsyncGenerator<Credential[]> {
  const csv = await openCsv(file);
  try {
    let page: Credential[] = [];
    for await (const { values } of csv) {
      page.push({
        source,
        id: values.id!,
        kind: values.kind as CredentialKind,
        accountId: values.account_id!,
        ownerAccountIds: [],
        name: values.name || null,
        createdAt: values.created_at || null,
        lastUsedAt: values.last_used_at || null,
        usageKnown: true,
        expiresAt: null,
        enabled: values.enabled === 'true',
        scopes: [],
        privileged: false,
        attributes: {},
      });
      if (page.length === PAGE_SIZE) {
        yield page;
        page = [];
        context.signal.throwIfAborted();
      }
    }
    if (page.length > 0) yield page;
  } finally {
    await csv.close();
  }
}
