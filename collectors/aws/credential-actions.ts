import { UpdateAccessKeyCommand, UpdateSSHPublicKeyCommand } from '@aws-sdk/client-iam';
import type { AwsSourceConfig } from '../../src/config/config.js';
import type {
  ActionOutcome,
  CredentialLiveState,
  CredentialRef,
  CredentialRemediator,
} from '../../src/contract/action.js';
import { SourceError } from '../../src/contract/errors.js';
import type { AwsClients } from './client.js';
import { iamCredentialType } from './credentials-transform.js';
import { EntityGoneError, iamCall, listAccessKeys, listSshKeys, type IamContext } from './iam.js';
import { awsUnsupportedCredentialKind } from './policy.js';

/**
 * Revoking an IAM key: an access key with UpdateAccessKey Status=Inactive, an SSH public key with UpdateSSHPublicKey
 * Status=Inactive — reversible, like `disable` (which sets every key of the user Inactive too: whichever runs second
 * finds the key Inactive and has nothing to do). Read back with ListAccessKeys / ListSSHPublicKeys of the owner.
 * Permissions: iam:GetUser, iam:ListAccessKeys, iam:UpdateAccessKey, iam:ListSSHPublicKeys, iam:UpdateSSHPublicKey.
 */

export const STS_KEY_NOTE =
  'sessions already issued from this key (STS temporary credentials) are not revoked by deactivating it and keep ' +
  'working until they expire';

export function awsCredentialRemediator(
  config: AwsSourceConfig,
  withClients: <T>(run: (clients: AwsClients) => Promise<T>) => Promise<T>,
  resolveUserName: (context: IamContext, userName: string, userId: string) => Promise<string | null>,
): CredentialRemediator {
  const context = (clients: AwsClients, signal: AbortSignal): IamContext => ({
    source: config.name,
    iam: clients.iam,
    limit: clients.limit,
    signal,
  });
  /** The owner's current name, checked against its immutable id; null when the user is gone (and its keys). */
  const owner = (iam: IamContext, credential: CredentialRef): Promise<string | null> => {
    const userName = credential.attributes.userName;
    if (typeof userName !== 'string' || !credential.accountId) {
      throw new SourceError(config.name, `credential ${credential.id} names no IAM user`, 'data');
    }
    return resolveUserName(iam, userName, credential.accountId);
  };
  const read = async (iam: IamContext, credential: CredentialRef): Promise<CredentialLiveState> => {
    const userName = await owner(iam, credential);
    if (userName === null) return { found: false, enabled: false };
    try {
      const keys =
        iamCredentialType(credential) === 'access-key'
          ? await listAccessKeys(iam, userName)
          : await listSshKeys(iam, userName);
      const key = keys.find((entry) => entry.id === credential.id);
      return key ? { found: true, enabled: key.status === 'Active' } : { found: false, enabled: false };
    } catch (error) {
      // Deleted between GetUser and the list: its keys went with it.
      if (error instanceof EntityGoneError) return { found: false, enabled: false };
      throw error;
    }
  };

  return {
    unsupportedKind: awsUnsupportedCredentialKind,

    readCredential: (credential, signal) => withClients((clients) => read(context(clients, signal), credential)),

    revokeCredential: (credential, signal) =>
      withClients(async (clients): Promise<ActionOutcome> => {
        const iam = context(clients, signal);
        const userName = await owner(iam, credential);
        if (userName === null) return { status: 'already-done', reason: 'the IAM user no longer exists' };
        const accessKey = iamCredentialType(credential) === 'access-key';
        const call = accessKey ? 'iam:UpdateAccessKey' : 'iam:UpdateSSHPublicKey';
        try {
          await iamCall(iam, call, (options) =>
            accessKey
              ? clients.iam.send(
                  new UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: credential.id, Status: 'Inactive' }),
                  options,
                )
              : clients.iam.send(
                  new UpdateSSHPublicKeyCommand({
                    UserName: userName,
                    SSHPublicKeyId: credential.id,
                    Status: 'Inactive',
                  }),
                  options,
                ),
          );
        } catch (error) {
          if (error instanceof EntityGoneError) {
            return { status: 'already-done', reason: `IAM no longer has it (${call}: NoSuchEntity)` };
          }
          throw error;
        }
        const what = accessKey ? 'access key' : 'SSH key';
        return {
          status: 'applied',
          reason: `set ${what} ${credential.id} of ${userName} Inactive (${call})${accessKey ? `; ${STS_KEY_NOTE}` : ''}`,
        };
      }),
  };
}
