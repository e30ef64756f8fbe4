import { setTimeout as sleep } from 'node:timers/promises';
import {
  GenerateCredentialReportCommand,
  GetCredentialReportCommand,
  ListUsersCommand,
  type User as IamUser,
} from '@aws-sdk/client-iam';
import { ListUsersCommand as ListIdentityStoreUsersCommand } from '@aws-sdk/client-identitystore';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { AwsSourceConfig } from '../../src/config/config.js';
import type { CollectContext, CollectorDeps, CollectorFactory, DoctorCheck } from '../../src/contract/collector.js';
import { SourceError } from '../../src/contract/errors.js';
import type { Account, Credential } from '../../src/contract/model.js';
import {
  AwsCredentialsFailure,
  awsErrorCode,
  awsFailure,
  createAwsClients,
  destroyAwsClients,
  type AwsClients,
} from './client.js';
import {
  accessKeyToCredential,
  sshKeyToCredential,
  type AccessKeyLastUse,
  type IamKeyOwner,
} from './credentials-transform.js';
import {
  accessKeyLastUse,
  EntityGoneError,
  hasLoginProfile,
  IamAccessDeniedError,
  iamCall,
  listAccessKeys,
  listGroupsForUser,
  listServiceCredentials,
  listSshKeys,
  listUserTags,
  markerPages,
  PrivilegeResolver,
  type AccessKeyState,
  type IamContext,
} from './iam.js';
import {
  accountIdFromArn,
  credentialSummary,
  iamUserEnabled,
  iamUserToAccount,
  identityCenterUserToAccount,
  parseCredentialReport,
  ROOT_USER,
  rootRowToAccount,
  type CredentialReportRow,
  type SideCredential,
} from './transform.js';

/**
 * AWS collector (SPEC "AWS") over SDK v3. One scan of one AWS account:
 * 1. sts:GetCallerIdentity: which account the credentials (or the assumed role) land in;
 * 2. the credential report: GenerateCredentialReport until COMPLETE (IAM builds it asynchronously and serves a
 *    cached one for 4 hours), then GetCredentialReport (base64 CSV). Its root row becomes the root account, never
 *    matched to a person;
 * 3. ListUsers pages (Marker/IsTruncated), each user joined with its report row and enriched with per-user calls
 *    the report does not cover: tags (email, employee id, type), groups and policies (privilege), SSH keys and
 *    service-specific credentials. Calls go through a limiter: the IAM quota is per account and shared;
 * 4. with `identityStoreId`, the Identity Center users (JSON protocol, NextToken paging).
 */

const USERS_PAGE_SIZE = 1000;
const IDENTITY_STORE_PAGE_SIZE = 100;
/** First wait between report polls; doubles up to REPORT_POLL_MAX_MS. */
const REPORT_POLL_FIRST_MS = 2_000;
const REPORT_POLL_MAX_MS = 30_000;

/**
 * The keys the account phase listed, kept for the credential phase of the same scan: the per-user lists are read
 * once. Only users that hold a key are kept, so memory follows the number of keys, not of users.
 */
interface KeysSeen {
  owners: { owner: IamKeyOwner; accessKeys: AccessKeyState[]; sshKeys: SideCredential[] }[];
  /** iam:ListAccessKeys was refused: access keys are unknown (said once in the credential phase). */
  accessKeysDenied: IamAccessDeniedError | null;
}

export const createAwsCollector: CollectorFactory<AwsSourceConfig> = (config, deps = {}) => {
  let seen: KeysSeen | null = null;
  return {
    async *collect(context) {
      const keys: KeysSeen = { owners: [], accessKeysDenied: null };
      yield* collectAws(config, deps, context, keys);
      seen = keys;
    },
    doctor: (context) => doctorAws(config, context),
    collectCredentials: (context) => {
      if (seen === null) {
        throw new SourceError(config.name, 'credentials are read after the accounts of the same scan', 'data');
      }
      return collectAwsCredentials(config, context, seen);
    },
  };
};

/** Active access keys whose last use is read at once (each is one small call through the shared limiter). */
const LAST_USE_BATCH = 50;

/**
 * Credentials: every access key and SSH public key the account phase listed, as `personal-token`.
 *
 * Why these calls, and not the credential report's access_key_N columns (which cost nothing more): the report has no
 * AccessKeyId, so a key cannot be revoked or followed from it; its slots could be matched to keys only by creation
 * time (a guess), and it may be four hours old, so a key created or used since would be missed. ListAccessKeys per
 * user (one call each, on top of the six per-user calls accounts already make) is the exact list; GetAccessKeyLastUsed
 * is asked only for Active keys (one call per active key): an inactive key cannot be used, so its last use decides
 * nothing and its usage stays unknown. IAM reports no use of SSH keys at all.
 */
async function* collectAwsCredentials(
  config: AwsSourceConfig,
  context: CollectContext,
  seen: KeysSeen,
): AsyncGenerator<Credential[]> {
  if (seen.accessKeysDenied) {
    context.notice(
      `aws ${config.name}: access keys unreadable (${seen.accessKeysDenied.message.replace(`${config.name}: `, '')}), ` +
        'so they are unknown, not none',
    );
  }
  const clients = createAwsClients(config);
  const iam: IamContext = { source: config.name, iam: clients.iam, limit: clients.limit, signal: context.signal };
  let lastUseDenied = false;
  const lastUseOf = async (key: AccessKeyState): Promise<AccessKeyLastUse | null | 'gone'> => {
    if (key.status !== 'Active' || lastUseDenied) return null;
    try {
      return (await accessKeyLastUse(iam, key.id)) ?? 'gone';
    } catch (error) {
      if (!(error instanceof IamAccessDeniedError)) throw error;
      if (!lastUseDenied) {
        lastUseDenied = true;
        context.notice(
          `aws ${config.name}: access keys' last use unreadable (${error.message.replace(`${config.name}: `, '')}), ` +
            'so unused-credential cannot judge them',
        );
      }
      return null;
    }
  };
  try {
    const pending = seen.owners.flatMap(({ owner, accessKeys }) => accessKeys.map((key) => ({ owner, key })));
    for (let start = 0; start < pending.length; start += LAST_USE_BATCH) {
      const batch = pending.slice(start, start + LAST_USE_BATCH);
      const uses = await Promise.all(batch.map(({ key }) => lastUseOf(key)));
      const page: Credential[] = [];
      batch.forEach(({ owner, key }, index) => {
        const use = uses[index]!;
        // Deleted since the account phase listed it: nothing left to report.
        if (use === 'gone') return;
        page.push(
          accessKeyToCredential(
            { id: key.id, status: key.status, createdAt: key.createdAt ?? null },
            owner,
            use,
            config.name,
          ),
        );
      });
      if (page.length > 0) yield page;
    }
    const sshKeys = seen.owners.flatMap(({ owner, sshKeys: keys }) =>
      keys.map((key) =>
        sshKeyToCredential({ id: key.id, status: key.status, uploadedAt: key.created ?? null }, owner, config.name),
      ),
    );
    if (sshKeys.length > 0) yield sshKeys;
  } finally {
    destroyAwsClients(clients);
  }
}

async function* collectAws(
  config: AwsSourceConfig,
  deps: CollectorDeps,
  context: CollectContext,
  keys: KeysSeen,
): AsyncGenerator<Account[]> {
  const clients = createAwsClients(config);
  const iam: IamContext = { source: config.name, iam: clients.iam, limit: clients.limit, signal: context.signal };
  const started = Date.now();
  try {
    const identity = await callerIdentity(config, clients, context.signal);
    const report = await fetchCredentialReport(config, iam, context, deps);
    const rows = new Map(report.map((row) => [row.user, row]));
    const root = rows.get(ROOT_USER);
    if (root) yield [rootRowToAccount(root, config.name, config.days)];
    else context.notice(`aws ${config.name}: the credential report has no root row: root credentials not checked`);

    const privilege = new PrivilegeResolver(iam);
    let users = 0;
    const pages = markerPages((Marker) =>
      iamCall(iam, 'iam:ListUsers', (options) =>
        clients.iam.send(new ListUsersCommand({ MaxItems: USERS_PAGE_SIZE, Marker }), options),
      ),
    );
    for await (const page of pages) {
      const read = await Promise.all(
        (page.Users ?? []).map((user) =>
          iamUserAccount(config, iam, privilege, user, rows, identity.account, keys).catch((error: unknown) => {
            // Deleted between ListUsers and its own calls: it no longer exists, so there is nothing to report.
            if (error instanceof EntityGoneError) {
              context.log.info(`aws ${config.name}: IAM user ${user.UserName ?? '?'} deleted during the scan`);
              return null;
            }
            throw error;
          }),
        ),
      );
      const accounts = read.filter((account): account is Account => account !== null);
      users += accounts.length;
      context.log.debug(`aws ${config.name}: page of ${accounts.length} IAM users`, { total: users });
      if (accounts.length > 0) yield accounts;
    }

    let centerUsers = 0;
    if (clients.identityStore && config.identityStoreId) {
      for await (const accounts of identityCenterPages(config, clients, config.identityStoreId, context.signal)) {
        centerUsers += accounts.length;
        yield accounts;
      }
      context.notice(
        `aws ${config.name}: Identity Center has no sign-in data in its API (activity unknown) and permission sets ` +
          'are not read: roles unreadable, so Identity Center users have privilege unknown and remediation refuses to ' +
          'act on them without --include-privileged',
      );
    }
    context.log.info(`${config.name}: collected AWS account ${identity.account}`, {
      iamUsers: users,
      identityCenterUsers: centerUsers,
      seconds: Math.round((Date.now() - started) / 100) / 10,
    });
  } finally {
    destroyAwsClients(clients);
  }
}

async function callerIdentity(
  config: AwsSourceConfig,
  clients: AwsClients,
  signal: AbortSignal,
): Promise<{ account: string; arn: string }> {
  try {
    const answer = await clients.sts.send(new GetCallerIdentityCommand({}), { abortSignal: signal });
    const account = answer.Account ?? accountIdFromArn(answer.Arn);
    if (!account) throw new SourceError(config.name, 'sts:GetCallerIdentity returned no account id', 'data');
    return { account, arn: answer.Arn ?? '' };
  } catch (error) {
    throw awsFailure(config.name, 'sts:GetCallerIdentity', error);
  }
}

async function iamUserAccount(
  config: AwsSourceConfig,
  iam: IamContext,
  privilege: PrivilegeResolver,
  user: IamUser,
  rows: ReadonlyMap<string, CredentialReportRow>,
  awsAccountId: string,
  keysSeen: KeysSeen,
): Promise<Account> {
  const userName = user.UserName ?? '';
  const [tags, groups, sshKeys, serviceCredentials, listedKeys] = await Promise.all([
    listUserTags(iam, userName),
    listGroupsForUser(iam, userName),
    listSshKeys(iam, userName),
    listServiceCredentials(iam, userName),
    // For the credential phase; a refusal leaves access keys unknown there, said once (the report still says
    // whether the user has active keys, which is all the account needs).
    listAccessKeys(iam, userName).catch((error: unknown) => {
      if (error instanceof IamAccessDeniedError) return error;
      throw error;
    }),
  ]);
  const adminPolicies = await privilege.adminPoliciesOf(userName, groups);
  const accessKeys = listedKeys instanceof IamAccessDeniedError ? null : listedKeys;
  if (listedKeys instanceof IamAccessDeniedError) keysSeen.accessKeysDenied ??= listedKeys;
  if ((accessKeys?.length ?? 0) > 0 || sshKeys.length > 0) {
    keysSeen.owners.push({
      owner: { userId: user.UserId ?? '', userName, privileged: adminPolicies.length > 0 },
      accessKeys: accessKeys ?? [],
      sshKeys,
    });
  }
  const details = {
    userId: user.UserId ?? '',
    userName,
    arn: user.Arn ?? '',
    createDate: user.CreateDate ? user.CreateDate.toISOString() : null,
    tags,
    groups,
    adminPolicies,
    sshKeys,
    serviceCredentials,
  };
  const row = rows.get(userName) ?? null;
  const account = iamUserToAccount(row, details, config, awsAccountId);
  if (row) return account;
  // Created after the report was generated (it is cached for up to 4 hours): read its credentials directly.
  if (accessKeys === null) throw listedKeys as IamAccessDeniedError;
  const passwordEnabled = await hasLoginProfile(iam, userName);
  const keys = accessKeys;
  const credentials = {
    passwordEnabled,
    accessKeysActive: keys.filter((key) => key.status === 'Active').length,
    sshKeys,
    serviceCredentials,
  };
  return {
    ...account,
    enabled: iamUserEnabled(credentials),
    rawStatus: credentialSummary(credentials),
    attributes: { ...account.attributes, passwordEnabled, accessKeys: keys },
  };
}

async function* identityCenterPages(
  config: AwsSourceConfig,
  clients: AwsClients,
  identityStoreId: string,
  signal: AbortSignal,
): AsyncGenerator<Account[]> {
  let nextToken: string | undefined;
  for (;;) {
    let page;
    try {
      page = await clients.identityStore!.send(
        new ListIdentityStoreUsersCommand({
          IdentityStoreId: identityStoreId,
          MaxResults: IDENTITY_STORE_PAGE_SIZE,
          NextToken: nextToken,
        }),
        { abortSignal: signal },
      );
    } catch (error) {
      if (awsErrorCode(error) === 'ResourceNotFoundException') {
        throw new SourceError(
          config.name,
          `identity store ${identityStoreId} not found in ${config.identityStoreRegion ?? config.region}: check ` +
            'identityStoreId (d-…, Identity Center settings) and identityStoreRegion',
          'config',
        );
      }
      throw awsFailure(config.name, 'identitystore:ListUsers', error);
    }
    const accounts = (page.Users ?? [])
      .filter((user): user is typeof user & { UserId: string } => typeof user.UserId === 'string')
      .map((user) => identityCenterUserToAccount(user, config.name, identityStoreId));
    if (accounts.length > 0) yield accounts;
    if (!page.NextToken || page.NextToken === nextToken) return;
    nextToken = page.NextToken;
  }
}

/**
 * Generate until COMPLETE, then get; a report that is not ready, expired or missing starts the cycle again. Gives
 * up only when the source's timeout aborts the signal, with a message that says the report never completed.
 */
export async function fetchCredentialReport(
  config: AwsSourceConfig,
  iam: IamContext,
  context: Pick<CollectContext, 'signal' | 'log'>,
  deps: CollectorDeps = {},
): Promise<CredentialReportRow[]> {
  const firstWait = deps.retryPolicy?.baseDelayMs ?? REPORT_POLL_FIRST_MS;
  const maxWait = Math.min(deps.retryPolicy?.maxDelayMs ?? REPORT_POLL_MAX_MS, REPORT_POLL_MAX_MS);
  let wait = firstWait;
  let lastState = 'not requested';
  const started = Date.now();
  const notCompleted = () =>
    new SourceError(
      config.name,
      `the IAM credential report was not COMPLETE within ${config.timeoutSeconds}s (last state: ${lastState}): ` +
        'IAM is still generating it; raise timeoutSeconds for this source or scan again later',
      'timeout',
    );
  for (;;) {
    if (context.signal.aborted) throw notCompleted();
    let generated;
    try {
      generated = await iamCall(iam, 'iam:GenerateCredentialReport', (options) =>
        iam.iam.send(new GenerateCredentialReportCommand({}), options),
      );
    } catch (error) {
      if (context.signal.aborted) throw notCompleted();
      throw error;
    }
    lastState = generated.State ?? 'unknown';
    if (generated.State === 'COMPLETE') {
      try {
        const report = await iam.limit(() =>
          iam.iam.send(new GetCredentialReportCommand({}), { abortSignal: context.signal }),
        );
        if (!report.Content) throw new SourceError(config.name, 'GetCredentialReport returned no content', 'data');
        const csv = Buffer.from(report.Content).toString('utf8');
        try {
          return parseCredentialReport(csv);
        } catch (error) {
          throw new SourceError(
            config.name,
            `cannot read the credential report: ${error instanceof Error ? error.message : String(error)}`,
            'data',
          );
        }
      } catch (error) {
        if (error instanceof SourceError) throw error;
        if (context.signal.aborted) throw notCompleted();
        const code = awsErrorCode(error);
        // Not ready: still being written. Expired or absent (a 4-hour-old report, a race): generate again.
        if (code === 'ReportInProgress' || code === 'CredentialReportNotReadyException') lastState = 'not ready';
        else if (
          code === 'ReportExpired' ||
          code === 'CredentialReportExpiredException' ||
          code === 'ReportNotPresent' ||
          code === 'CredentialReportNotPresentException'
        ) {
          // Generated again after the wait below: never a tight loop if IAM keeps answering so.
          lastState = code.includes('Expired') ? 'expired' : 'not present';
        } else throw awsFailure(config.name, 'iam:GetCredentialReport', error);
      }
    }
    context.log.debug(`aws ${config.name}: credential report ${lastState}, polling again`, {
      waitMs: wait,
      seconds: Math.round((Date.now() - started) / 1000),
    });
    try {
      await sleep(wait, undefined, { signal: context.signal });
    } catch {
      throw notCompleted();
    }
    wait = Math.min(wait * 2, maxWait);
  }
}

async function doctorAws(config: AwsSourceConfig, context: CollectContext): Promise<DoctorCheck[]> {
  const clients = createAwsClients(config);
  const iam: IamContext = { source: config.name, iam: clients.iam, limit: clients.limit, signal: context.signal };
  const checks: DoctorCheck[] = [];
  // Errors from iamCall already name their action; the others are named here.
  const strip = (error: unknown, action = 'the call') =>
    awsFailure(config.name, action, error).message.replace(new RegExp(`^${config.name}: `), '');
  try {
    let identity;
    try {
      identity = await callerIdentity(config, clients, context.signal);
    } catch (error) {
      const failure = error instanceof SourceError ? error : awsFailure(config.name, 'sts:GetCallerIdentity', error);
      const message = failure.message.replace(new RegExp(`^${config.name}: `), '');
      if (failure.kind === 'network') {
        checks.push({ check: 'reachable', ok: false, detail: message });
      } else if (failure instanceof AwsCredentialsFailure && failure.credentialsKind === 'no-credentials') {
        checks.push({ check: 'reachable', ok: false, detail: 'not checked: no credentials to sign a request with' });
        checks.push({ check: 'authenticated', ok: false, detail: message });
      } else {
        checks.push({ check: 'reachable', ok: true, detail: 'AWS STS answered' });
        checks.push({ check: 'authenticated', ok: false, detail: message });
      }
      return checks;
    }
    checks.push({ check: 'reachable', ok: true, detail: 'AWS STS answered' });
    checks.push({
      check: 'authenticated',
      ok: true,
      detail: `as ${identity.arn} in account ${identity.account}` + (config.assumeRoleArn ? ' (assumed role)' : ''),
    });

    let firstUser: string | null = null;
    try {
      const page = await iamCall(iam, 'iam:ListUsers', (options) =>
        clients.iam.send(new ListUsersCommand({ MaxItems: 1 }), options),
      );
      firstUser = page.Users?.[0]?.UserName ?? null;
      checks.push({ check: 'users readable', ok: true, detail: 'iam:ListUsers allowed' });
    } catch (error) {
      checks.push({ check: 'users readable', ok: false, detail: strip(error) });
    }

    try {
      const generated = await iamCall(iam, 'iam:GenerateCredentialReport', (options) =>
        clients.iam.send(new GenerateCredentialReportCommand({}), options),
      );
      checks.push({
        check: 'credential report',
        ok: true,
        detail: `iam:GenerateCredentialReport allowed (report ${generated.State ?? 'state unknown'})`,
      });
      try {
        await clients.iam.send(new GetCredentialReportCommand({}), { abortSignal: context.signal });
        checks.push({ check: 'credential report readable', ok: true, detail: 'iam:GetCredentialReport allowed' });
      } catch (error) {
        const code = awsErrorCode(error) ?? '';
        // Not ready / expired / absent are answers IAM gives only to a caller it let in.
        const allowed = /ReportInProgress|NotReady|Expired|NotPresent/.test(code);
        checks.push({
          check: 'credential report readable',
          ok: allowed,
          detail: allowed ? `iam:GetCredentialReport allowed (${code})` : strip(error, 'iam:GetCredentialReport'),
        });
      }
    } catch (error) {
      checks.push({ check: 'credential report', ok: false, detail: strip(error) });
    }

    const perUser: [string, (user: string) => Promise<unknown>][] = [
      ['iam:ListUserTags', (user) => listUserTags(iam, user)],
      ['iam:ListGroupsForUser', (user) => listGroupsForUser(iam, user)],
      [
        'iam:ListAttachedUserPolicies + ListUserPolicies',
        (user) => new PrivilegeResolver(iam).adminPoliciesOf(user, []),
      ],
      ['iam:ListSSHPublicKeys', (user) => listSshKeys(iam, user)],
      ['iam:ListServiceSpecificCredentials', (user) => listServiceCredentials(iam, user)],
      ['iam:ListAccessKeys', (user) => listAccessKeys(iam, user)],
    ];
    for (const [action, run] of perUser) {
      if (firstUser === null) {
        checks.push({ check: action, ok: false, detail: 'not checked: no IAM user to try it on' });
        continue;
      }
      try {
        await run(firstUser);
        checks.push({ check: action, ok: true, detail: `allowed (tried on ${firstUser})` });
      } catch (error) {
        checks.push({ check: action, ok: false, detail: strip(error) });
      }
    }

    // Last use of access keys (unused-credential): tried on the first key of the first user that has one listed.
    try {
      const key = firstUser === null ? undefined : (await listAccessKeys(iam, firstUser))[0];
      if (key) await accessKeyLastUse(iam, key.id);
      checks.push({
        check: 'iam:GetAccessKeyLastUsed',
        ok: key !== undefined,
        ...(key === undefined ? { limitation: true } : {}),
        detail: key ? `allowed (tried on ${key.id})` : 'not checked: no access key to try it on',
      });
    } catch (error) {
      checks.push({ check: 'iam:GetAccessKeyLastUsed', ok: false, limitation: true, detail: strip(error) });
    }

    if (clients.identityStore && config.identityStoreId) {
      try {
        await clients.identityStore.send(
          new ListIdentityStoreUsersCommand({ IdentityStoreId: config.identityStoreId, MaxResults: 1 }),
          { abortSignal: context.signal },
        );
        checks.push({
          check: 'identity store',
          ok: true,
          detail: `identitystore:ListUsers allowed on ${config.identityStoreId}`,
        });
      } catch (error) {
        checks.push({ check: 'identity store', ok: false, detail: strip(error, 'identitystore:ListUsers') });
      }
    }
    return checks;
  } finally {
    destroyAwsClients(clients);
  }
}
