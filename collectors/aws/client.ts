import { IAMClient } from '@aws-sdk/client-iam';
import { IdentitystoreClient } from '@aws-sdk/client-identitystore';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { AwsSourceConfig } from '../../src/config/config.js';
import { SourceError } from '../../src/contract/errors.js';

/**
 * AWS SDK v3 clients for one `aws` source. Credentials come only from the standard provider chain (environment,
 * `profile` / SSO, container and instance roles), optionally exchanged for a role in the scanned account with
 * sts:AssumeRole. Every client retries in adaptive mode: throttling slows the client itself down, because IAM's
 * quota is per account, shared with everything the customer runs, and cannot be raised.
 */

/** The SDK's credential shape (structurally; the types package is not a direct dependency). */
interface AwsCredentialIdentity {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}
type AwsCredentialIdentityProvider = () => Promise<AwsCredentialIdentity>;

export const ROLE_SESSION_NAME = 'zombiescan';
/** Assumed-role credentials are refreshed this long before they expire. */
const REFRESH_MARGIN_MS = 5 * 60_000;

/** The credential chain or AssumeRole failed: the message says what to fix. */
export class AwsCredentialsError extends Error {
  constructor(
    message: string,
    readonly kind: 'no-credentials' | 'assume-role',
  ) {
    super(message);
    this.name = 'AwsCredentialsError';
  }
}

/** A SourceError that came from the credential chain or AssumeRole, not from a service call. */
export class AwsCredentialsFailure extends SourceError {
  constructor(
    source: string,
    message: string,
    readonly credentialsKind: AwsCredentialsError['kind'],
  ) {
    super(source, message, 'auth');
  }
}

export interface AwsClients {
  iam: IAMClient;
  sts: STSClient;
  /** Null when no `identityStoreId` is configured. */
  identityStore: IdentitystoreClient | null;
  /** Runs a task with a bounded number in flight (per-user IAM calls). */
  limit: Limiter;
  /** Closes the STS client behind AssumeRole, if any. */
  destroyCredentials(): void;
}

export type Limiter = <T>(task: () => Promise<T>) => Promise<T>;

export function createAwsClients(config: AwsSourceConfig): AwsClients {
  // zombiescan pins Node 20 on purpose (DEPENDENCIES.md); the SDK's "future versions need Node 22" warning would
  // otherwise interrupt every scan's output. Its documented opt-out, unless the operator set it either way.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { credentials, destroy } = credentialsFor(config);
  const common = {
    credentials,
    maxAttempts: config.maxAttempts,
    retryMode: 'adaptive' as const,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
  };
  return {
    iam: new IAMClient({ ...common, region: config.region }),
    sts: new STSClient({ ...common, region: config.region }),
    identityStore: config.identityStoreId
      ? new IdentitystoreClient({ ...common, region: config.identityStoreRegion ?? config.region })
      : null,
    limit: createLimiter(config.concurrency),
    destroyCredentials: destroy,
  };
}

/** Closes every client's sockets (keep-alive agents would otherwise hold the process open). */
export function destroyAwsClients(clients: AwsClients): void {
  clients.iam.destroy();
  clients.sts.destroy();
  clients.identityStore?.destroy();
  clients.destroyCredentials();
}

function credentialsFor(config: AwsSourceConfig): {
  credentials: AwsCredentialIdentityProvider;
  destroy(): void;
} {
  const chain = fromNodeProviderChain(config.profile ? { profile: config.profile } : {});
  const where = config.profile ? `profile "${config.profile}"` : 'the default AWS credential chain';
  const base: AwsCredentialIdentityProvider = async () => {
    try {
      return await chain();
    } catch (error) {
      throw new AwsCredentialsError(
        `no AWS credentials from ${where} (${errorText(error)}): set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or ` +
          'AWS_PROFILE, run `aws sso login`' +
          (config.profile ? ` --profile ${config.profile}` : '') +
          ', or run on a machine with an instance or task role',
        'no-credentials',
      );
    }
  };
  const roleArn = config.assumeRoleArn;
  if (!roleArn) return { credentials: base, destroy: () => undefined };

  const sts = new STSClient({
    region: config.region,
    credentials: base,
    maxAttempts: config.maxAttempts,
    retryMode: 'adaptive',
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
  });
  let cached: AwsCredentialIdentity | null = null;
  const assumed: AwsCredentialIdentityProvider = async () => {
    if (cached?.expiration && cached.expiration.getTime() - Date.now() > REFRESH_MARGIN_MS) return cached;
    let answer;
    try {
      answer = await sts.send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: ROLE_SESSION_NAME,
          ...(config.externalId ? { ExternalId: config.externalId } : {}),
        }),
      );
    } catch (error) {
      if (error instanceof AwsCredentialsError) throw error;
      throw new AwsCredentialsError(
        `cannot assume ${roleArn} (${errorText(error)}): the caller needs sts:AssumeRole on it, and the role's trust ` +
          'policy must trust the caller' +
          (config.externalId ? ' with this externalId' : ''),
        'assume-role',
      );
    }
    const issued = answer.Credentials;
    if (!issued?.AccessKeyId || !issued.SecretAccessKey) {
      throw new AwsCredentialsError(`AssumeRole on ${roleArn} returned no credentials`, 'assume-role');
    }
    cached = {
      accessKeyId: issued.AccessKeyId,
      secretAccessKey: issued.SecretAccessKey,
      ...(issued.SessionToken ? { sessionToken: issued.SessionToken } : {}),
      ...(issued.Expiration ? { expiration: issued.Expiration } : {}),
    };
    return cached;
  };
  return { credentials: assumed, destroy: () => sts.destroy() };
}

/**
 * At most `max` tasks in flight. A finishing task hands its slot straight to the next waiter, so a caller arriving
 * in between cannot slip past the bound.
 */
export function createLimiter(max: number): Limiter {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (active < max) active++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  };
}

/** The service's error code (`Throttling`, `NoSuchEntity`, `AccessDenied`…), or the SDK exception name. */
export function awsErrorCode(error: unknown): string | null {
  if (typeof error !== 'object' || error === null) return null;
  const record = error as { Code?: unknown; name?: unknown };
  if (typeof record.Code === 'string') return record.Code;
  return typeof record.name === 'string' ? record.name : null;
}

export function httpStatusOf(error: unknown): number | null {
  const status = (error as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : null;
}

export function isAccessDenied(error: unknown): boolean {
  const code = awsErrorCode(error);
  return code !== null && DENIED.has(code);
}

export function isNoSuchEntity(error: unknown): boolean {
  const code = awsErrorCode(error);
  return code === 'NoSuchEntity' || code === 'NoSuchEntityException' || code === 'ResourceNotFoundException';
}

function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = awsErrorCode(error);
  return code && code !== 'Error' && !error.message.startsWith(code) ? `${code}: ${error.message}` : error.message;
}

const EXPIRED = new Set(['ExpiredToken', 'ExpiredTokenException', 'RequestExpired', 'TokenRefreshRequired']);
const BAD_CREDENTIALS = new Set([
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'MissingAuthenticationToken',
  'InvalidAccessKeyId',
]);
const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation']);
const THROTTLED = new Set(['Throttling', 'ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded']);
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EAI_AGAIN', 'EPIPE']);

/**
 * One failed call as a SourceError that names the source, the IAM action and the fix. `action` is the IAM
 * permission the call needs (`iam:ListUsers`).
 */
export function awsFailure(source: string, action: string, error: unknown): SourceError {
  if (error instanceof SourceError) return error;
  if (error instanceof AwsCredentialsError) return new AwsCredentialsFailure(source, error.message, error.kind);
  const code = awsErrorCode(error);
  const text = errorText(error);
  if (code && EXPIRED.has(code)) {
    return new SourceError(
      source,
      `the AWS session has expired (${text}): refresh it (\`aws sso login\`, or new temporary credentials) and scan again`,
      'auth',
    );
  }
  if (code && BAD_CREDENTIALS.has(code)) {
    return new SourceError(
      source,
      `AWS rejected the credentials (${text}): check the access key, profile or role`,
      'auth',
    );
  }
  if (code && DENIED.has(code)) {
    return new SourceError(
      source,
      `permission denied for ${action} (${text}): grant ${action} to the scanning identity (README: AWS IAM policy)`,
      'auth',
    );
  }
  if (code && THROTTLED.has(code)) {
    return new SourceError(
      source,
      `${action} still throttled after retries (${text}): IAM's quota is per account and shared; lower concurrency`,
      'rate-limit',
    );
  }
  const cause = (error as { code?: unknown; cause?: { code?: unknown } } | null) ?? null;
  const netCode = typeof cause?.code === 'string' ? cause.code : cause?.cause?.code;
  if (typeof netCode === 'string' && NETWORK.has(netCode)) {
    return new SourceError(source, `cannot reach AWS for ${action} (${netCode})`, 'network');
  }
  if (code === 'AbortError' || (error instanceof Error && error.name === 'AbortError')) {
    return new SourceError(source, `${action} aborted (timeoutSeconds reached)`, 'timeout');
  }
  const status = httpStatusOf(error);
  if (status !== null && status >= 500) return new SourceError(source, `${action} failed: ${text}`, 'server');
  return new SourceError(source, `${action} failed: ${text}`, status === null ? 'data' : 'server');
}
