import {
  DeleteLoginProfileCommand,
  GetUserCommand,
  UpdateAccessKeyCommand,
  UpdateServiceSpecificCredentialCommand,
  UpdateSSHPublicKeyCommand,
} from '@aws-sdk/client-iam';
import { DescribeUserCommand } from '@aws-sdk/client-identitystore';
import type { AwsSourceConfig } from '../../src/config/config.js';
import type { AccountRef, ActionOutcome, LiveState, RemediatorFactory } from '../../src/contract/action.js';
import { SourceError } from '../../src/contract/errors.js';
import { awsCredentialRemediator } from './credential-actions.js';
import { awsFailure, createAwsClients, destroyAwsClients, isNoSuchEntity, type AwsClients } from './client.js';
import {
  hasLoginProfile,
  iamCall,
  iamCallOrMissing,
  listAccessKeys,
  listServiceCredentials,
  listSshKeys,
  type AccessKeyState,
  type IamContext,
} from './iam.js';
import { awsActionAlreadyDone, awsUnsupportedReason } from './policy.js';
import { awsAccountKind, credentialSummary, iamUserEnabled, isActive, type SideCredential } from './transform.js';

/**
 * AWS remediation (SPEC "Remediation"). IAM has no "disable user" switch, so `disable` on an IAM user removes what
 * it authenticates with: DeleteLoginProfile (console password), then every access key, SSH public key and
 * service-specific credential set Inactive (reversible, unlike deleting them), then re-reads the user to verify.
 * Deactivating a key does not revoke STS sessions already issued from it: those live until they expire (at most
 * 12 hours for a role session, 36 for a federation token), and the result says so.
 * Identity Center users cannot be disabled through any API; the root user cannot be managed through IAM at all:
 * both become tickets with the reason.
 *
 * Permissions to act: iam:GetUser, iam:GetLoginProfile, iam:DeleteLoginProfile, iam:ListAccessKeys,
 * iam:UpdateAccessKey, iam:ListSSHPublicKeys, iam:UpdateSSHPublicKey, iam:ListServiceSpecificCredentials,
 * iam:UpdateServiceSpecificCredential (and identitystore:DescribeUser to re-read Identity Center users).
 */

export const STS_SESSIONS_NOTE =
  'sessions already issued from these keys (STS temporary credentials) are not revoked by deactivating them and ' +
  'keep working until they expire';
const NOT_FOUND: LiveState = { found: false, enabled: false, rawStatus: null };

/** Everything an IAM user authenticates with, read live. */
export interface IamCredentialsState {
  passwordEnabled: boolean;
  accessKeys: AccessKeyState[];
  sshKeys: SideCredential[];
  serviceCredentials: SideCredential[];
}

export function iamLiveState(state: IamCredentialsState): LiveState {
  const summary = {
    passwordEnabled: state.passwordEnabled,
    accessKeysActive: state.accessKeys.filter(isActive).length,
    sshKeys: state.sshKeys,
    serviceCredentials: state.serviceCredentials,
  };
  return { found: true, enabled: iamUserEnabled(summary), rawStatus: credentialSummary(summary) };
}

export const createAwsRemediator: RemediatorFactory<AwsSourceConfig> = (config) => {
  // Clients per call: the signal differs per action, the limiter is shared within one action.
  const withClients = async <T>(run: (clients: AwsClients) => Promise<T>): Promise<T> => {
    const clients = createAwsClients(config);
    try {
      return await run(clients);
    } finally {
      destroyAwsClients(clients);
    }
  };

  return {
    unsupportedReason: awsUnsupportedReason,
    alreadyDone: awsActionAlreadyDone,

    read(account, signal) {
      return withClients(async (clients) => {
        const kind = awsAccountKind(account.id);
        if (kind === 'identity-center-user') return readIdentityCenterUser(config, clients, account, signal);
        if (kind === 'aws-root') {
          throw new SourceError(config.name, 'the root user cannot be read through IAM actions', 'config');
        }
        const context: IamContext = { source: config.name, iam: clients.iam, limit: clients.limit, signal };
        const userName = await resolveUserName(context, account);
        if (userName === null) return NOT_FOUND;
        return iamLiveState(await readIamCredentials(context, userName));
      });
    },

    perform(action, account, _state, signal) {
      if (action !== 'disable' || awsAccountKind(account.id) !== 'iam-user') {
        const reason = awsUnsupportedReason(action, account.id) ?? `${action} is not supported`;
        return Promise.resolve<ActionOutcome>({ status: 'failed', reason });
      }
      return withClients(async (clients) => {
        const context: IamContext = { source: config.name, iam: clients.iam, limit: clients.limit, signal };
        return disableIamUser(context, account);
      });
    },

    credentials: awsCredentialRemediator(config, withClients, currentUserName),
  };
};

/**
 * The user's current name, checked against its immutable id: a user renamed since the scan is found under its old
 * name no more, and a different user who took the old name is never touched.
 */
async function resolveUserName(context: IamContext, account: AccountRef): Promise<string | null> {
  const userName = account.login;
  if (!userName) throw new SourceError(context.source, `account ${account.id} has no IAM user name`, 'data');
  return currentUserName(context, userName, account.id);
}

/** `userName` if it still names the user with id `userId`; null when no user has that name any more. */
export async function currentUserName(context: IamContext, userName: string, userId: string): Promise<string | null> {
  const answer = await iamCallOrMissing(context, 'iam:GetUser', (options) =>
    context.iam.send(new GetUserCommand({ UserName: userName }), options),
  );
  if (!answer?.User) return null;
  if (answer.User.UserId !== userId) {
    throw new SourceError(
      context.source,
      `IAM user ${userName} now has id ${answer.User.UserId}, not ${userId}: the user was replaced; scan again`,
      'data',
    );
  }
  return userName;
}

export async function readIamCredentials(context: IamContext, userName: string): Promise<IamCredentialsState> {
  const [passwordEnabled, accessKeys, sshKeys, serviceCredentials] = await Promise.all([
    hasLoginProfile(context, userName),
    listAccessKeys(context, userName),
    listSshKeys(context, userName),
    listServiceCredentials(context, userName),
  ]);
  return { passwordEnabled, accessKeys, sshKeys, serviceCredentials };
}

async function disableIamUser(context: IamContext, account: AccountRef): Promise<ActionOutcome> {
  const userName = await resolveUserName(context, account);
  if (userName === null) return { status: 'already-done', reason: 'the IAM user no longer exists' };
  const before = await readIamCredentials(context, userName);
  const done: string[] = [];
  try {
    if (before.passwordEnabled) {
      const deleted = await iamCallOrMissing(context, 'iam:DeleteLoginProfile', (options) =>
        context.iam.send(new DeleteLoginProfileCommand({ UserName: userName }), options),
      );
      if (deleted !== null) done.push('deleted the console password (DeleteLoginProfile)');
    }
    const keys = before.accessKeys.filter(isActive);
    for (const key of keys) {
      await iamCall(context, 'iam:UpdateAccessKey', (options) =>
        context.iam.send(
          new UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: key.id, Status: 'Inactive' }),
          options,
        ),
      );
    }
    if (keys.length > 0)
      done.push(`set access key${keys.length === 1 ? '' : 's'} ${keys.map((k) => k.id).join(', ')} Inactive`);
    const sshKeys = before.sshKeys.filter(isActive);
    for (const key of sshKeys) {
      await iamCall(context, 'iam:UpdateSSHPublicKey', (options) =>
        context.iam.send(
          new UpdateSSHPublicKeyCommand({ UserName: userName, SSHPublicKeyId: key.id, Status: 'Inactive' }),
          options,
        ),
      );
    }
    if (sshKeys.length > 0) done.push(`set ${sshKeys.length} SSH key${sshKeys.length === 1 ? '' : 's'} Inactive`);
    const serviceCredentials = before.serviceCredentials.filter(isActive);
    for (const credential of serviceCredentials) {
      await iamCall(context, 'iam:UpdateServiceSpecificCredential', (options) =>
        context.iam.send(
          new UpdateServiceSpecificCredentialCommand({
            UserName: userName,
            ServiceSpecificCredentialId: credential.id,
            Status: 'Inactive',
          }),
          options,
        ),
      );
    }
    if (serviceCredentials.length > 0) {
      done.push(
        `set ${serviceCredentials.length} service-specific credential${serviceCredentials.length === 1 ? '' : 's'} ` +
          `(${[...new Set(serviceCredentials.map((c) => c.service ?? 'unknown service'))].join(', ')}) Inactive`,
      );
    }
  } catch (error) {
    const failure = error instanceof SourceError ? error : awsFailure(context.source, 'iam:UpdateAccessKey', error);
    const partial = done.length > 0 ? ` after it ${done.join('; ')}` : '';
    return { status: 'failed', reason: `${failure.message.replace(`${context.source}: `, '')}${partial}` };
  }

  // Verify: IAM is eventually consistent on reads, but these writes are visible to the caller at once.
  const after = iamLiveState(await readIamCredentials(context, userName));
  if (after.enabled) {
    return {
      status: 'failed',
      reason: `re-read after disabling ${userName} still shows ${after.rawStatus}${done.length > 0 ? ` (it ${done.join('; ')})` : ''}`,
    };
  }
  if (done.length === 0) return { status: 'already-done', reason: `${userName} had no active credentials` };
  const sessionsNote = before.accessKeys.some(isActive) ? `; ${STS_SESSIONS_NOTE}` : '';
  return { status: 'applied', reason: `${done.join('; ')}; verified by re-reading ${userName}${sessionsNote}` };
}

async function readIdentityCenterUser(
  config: AwsSourceConfig,
  clients: AwsClients,
  account: AccountRef,
  signal: AbortSignal,
): Promise<LiveState> {
  if (!clients.identityStore || !config.identityStoreId) {
    throw new SourceError(
      config.name,
      `account ${account.id} is an Identity Center user but no identityStoreId is configured`,
      'config',
    );
  }
  try {
    const user = await clients.identityStore.send(
      new DescribeUserCommand({ IdentityStoreId: config.identityStoreId, UserId: account.id }),
      { abortSignal: signal },
    );
    const status = user.UserStatus ?? null;
    return {
      found: true,
      enabled: status !== 'DISABLED',
      rawStatus: status ?? 'ENABLED (no UserStatus in the answer)',
    };
  } catch (error) {
    if (isNoSuchEntity(error)) return NOT_FOUND;
    throw awsFailure(config.name, 'identitystore:DescribeUser', error);
  }
}

export { awsActionAlreadyDone, awsUnsupportedReason };
