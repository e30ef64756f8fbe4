import type { CollectContext, CollectorDeps, CollectorFactory, DoctorCheck } from '../../src/contract/collector.js';
import type { ScimSourceConfig } from '../../src/config/config.js';
import { SourceError } from '../../src/contract/errors.js';
import { ScimClient, ScimRequestError } from '../../src/common/scim/client.js';
import { scimUserPages } from './paging.js';
import { scimUserId, toAccount } from './transform.js';
import type { ScimListResponse, ScimServiceProviderConfig, ScimUser } from '../../src/common/scim/types.js';

/**
 * Any SaaS app with a SCIM 2.0 service provider (RFC 7643/7644): GET /Users, paged by startIndex. SCIM has no
 * last-login, so every account has activity unknown and the inactivity rules stay silent for this source.
 */

export const NO_ACTIVITY_NOTICE = 'SCIM exposes no last-login: inactivity rules will not run for this source';

/** Users read by doctor to tell which fields the app fills in: one user is not a fair sample. */
const DOCTOR_SAMPLE_SIZE = 25;

export const createScimCollector: CollectorFactory<ScimSourceConfig> = (config, deps = {}) => ({
  async *collect(context) {
    const { signal, timedOut } = sourceSignal(context.signal, config.timeoutSeconds);
    const client = scimClient(config, deps, context);
    try {
      for await (const users of scimUserPages(client, {
        source: config.name,
        pageSize: config.pageSize,
        signal,
        log: context.log,
      })) {
        yield users.map((user) => toAccount(config.name, user));
      }
    } catch (error) {
      throw timedOut() ? timeoutError(config) : error;
    }
    context.notice(NO_ACTIVITY_NOTICE);
  },

  async doctor(context) {
    const { signal, timedOut } = sourceSignal(context.signal, config.timeoutSeconds);
    const client = scimClient(config, deps, context);
    try {
      return await runDoctor(client, config, signal, context);
    } catch (error) {
      throw timedOut() ? timeoutError(config) : error;
    }
  },
});

async function runDoctor(
  client: ScimClient,
  config: ScimSourceConfig,
  signal: AbortSignal,
  context: CollectContext,
): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  try {
    const serviceProvider = await client.getServiceProviderConfig(signal);
    checks.push({ check: 'reachable', ok: true, detail: describeServiceProvider(serviceProvider) });
  } catch (error) {
    if (!(error instanceof ScimRequestError)) throw error;
    if (error.status === null) {
      checks.push({ check: 'reachable', ok: false, detail: error.message });
      return checks;
    }
    // Any HTTP answer proves the host is there; /ServiceProviderConfig is sometimes missing or behind other auth.
    checks.push({
      check: 'reachable',
      ok: true,
      detail: `${config.baseUrl} answered (GET /ServiceProviderConfig: HTTP ${error.status})`,
    });
  }

  let sample: ScimListResponse;
  try {
    sample = await client.listUsers({ startIndex: 1, count: Math.min(config.pageSize, DOCTOR_SAMPLE_SIZE) }, signal);
  } catch (error) {
    if (!(error instanceof ScimRequestError)) throw error;
    checks.push(
      error.kind === 'auth'
        ? { check: 'authenticated', ok: false, detail: error.message }
        : { check: 'users readable', ok: false, detail: error.message },
    );
    return checks;
  }
  checks.push({ check: 'authenticated', ok: true, detail: 'the bearer token was accepted' });
  checks.push({
    check: 'users readable',
    ok: true,
    detail: `GET /Users reports ${sample.totalResults} users`,
  });
  checks.push(fieldsCheck(config.name, sample.Resources));
  context.notice(NO_ACTIVITY_NOTICE);
  return checks;
}

/** Which matching fields the app fills in: without emails or employee numbers every account would be an orphan. */
function fieldsCheck(source: string, users: ScimUser[]): DoctorCheck {
  const accounts = users.filter((user) => scimUserId(user) !== null).map((user) => toAccount(source, user));
  const total = accounts.length;
  if (total === 0) return { check: 'fields', ok: true, detail: 'no users to sample yet' };
  const withEmail = accounts.filter((account) => account.emails.length > 0).length;
  const withEmployeeNumber = accounts.filter((account) => account.employeeId !== null).length;
  const withActive = accounts.filter((account) => account.rawStatus !== null).length;
  const withEmailLogin = accounts.filter((account) => account.login?.includes('@') === true).length;
  const matchable = withEmail + withEmployeeNumber + withEmailLogin > 0;
  const detail =
    `of ${total} sampled users: emails on ${withEmail}, enterprise employeeNumber on ${withEmployeeNumber}, ` +
    `active on ${withActive}` +
    (withEmployeeNumber === 0 && matchable ? '; owners will be matched by email only' : '') +
    (matchable ? '' : '; no email or employeeNumber to match owners by, every account would be an orphan');
  return { check: 'fields', ok: matchable, detail };
}

function describeServiceProvider(config: ScimServiceProviderConfig): string {
  const supported = (feature: { supported?: unknown } | null | undefined) => feature?.supported === true;
  const maxResults = config.filter?.maxResults;
  return (
    `ServiceProviderConfig read: PATCH ${supported(config.patch) ? 'supported' : 'not supported'}, ` +
    `filter ${supported(config.filter) ? 'supported' : 'not supported'}` +
    (typeof maxResults === 'number' ? ` (maxResults ${maxResults})` : '')
  );
}

function scimClient(config: ScimSourceConfig, deps: CollectorDeps, context: CollectContext): ScimClient {
  if (deps.caCertificate !== undefined) {
    // Node's global fetch takes no per-call CA without undici as a runtime dependency; say so instead of ignoring it.
    context.log.warn(`${config.name}: caCertificate is not applied to SCIM calls; use NODE_EXTRA_CA_CERTS instead`);
  }
  return new ScimClient({
    source: config.name,
    baseUrl: config.baseUrl,
    token: config.token,
    retryPolicy: deps.retryPolicy,
    log: context.log,
  });
}

/** The caller's signal plus the source's own timeoutSeconds, with a way to tell which one fired. */
function sourceSignal(outer: AbortSignal, timeoutSeconds: number): { signal: AbortSignal; timedOut(): boolean } {
  const timeout = AbortSignal.timeout(timeoutSeconds * 1000);
  return { signal: AbortSignal.any([outer, timeout]), timedOut: () => timeout.aborted && !outer.aborted };
}

function timeoutError(config: ScimSourceConfig): SourceError {
  return new SourceError(config.name, `gave up after timeoutSeconds (${config.timeoutSeconds}s)`, 'timeout');
}
