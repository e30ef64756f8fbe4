import type { Credential } from '../../src/contract/model.js';

/**
 * IAM access keys and SSH public keys -> Credential, pure (SPEC "Credentials that outlive accounts": kind
 * `personal-token`, id = AccessKeyId / SSHPublicKeyId, owner = the IAM user). Never a secret: IAM does not return one.
 */

/** IAM began recording access key use on this day: a key created before it and never seen used is unknown. */
const KEY_TRACKING_BEGAN = Date.parse('2015-04-22T00:00:00Z');

export type IamCredentialType = 'access-key' | 'ssh-key';

/** The IAM user a key belongs to, as the account phase of the same scan read it. */
export interface IamKeyOwner {
  userId: string;
  userName: string;
  /** The user is an administrator: a key acts with all of the user's rights. */
  privileged: boolean;
}

/** ListAccessKeys' AccessKeyMetadata, the fields we read. */
export interface AccessKeyInput {
  id: string;
  status: string;
  createdAt: string | null;
}

/**
 * GetAccessKeyLastUsed's AccessKeyLastUsed: `date` null with service `N/A` = not used since tracking began (or
 * never). Null as a whole = not read (the key is inactive, or the call was denied): usage unknown.
 */
export interface AccessKeyLastUse {
  date: string | null;
  service: string | null;
  region: string | null;
}

/** ListSSHPublicKeys' SSHPublicKeyMetadata, the fields we read. */
export interface SshKeyInput {
  id: string;
  status: string;
  uploadedAt: string | null;
}

function notApplicable(value: string | null | undefined): string | null {
  return value && value !== 'N/A' ? value : null;
}

export function accessKeyToCredential(
  key: AccessKeyInput,
  owner: IamKeyOwner,
  lastUse: AccessKeyLastUse | null,
  source: string,
): Credential {
  const lastUsedAt = lastUse?.date ?? null;
  // "N/A" also covers keys last used before IAM started tracking: only for younger keys does it mean "never".
  const createdBeforeTracking = key.createdAt !== null && Date.parse(key.createdAt) < KEY_TRACKING_BEGAN;
  const usageKnown = lastUse !== null && (lastUsedAt !== null || !createdBeforeTracking);
  return {
    source,
    id: key.id,
    kind: 'personal-token',
    accountId: owner.userId,
    ownerAccountIds: [],
    name: `access key ${key.id} of ${owner.userName}`,
    createdAt: key.createdAt,
    lastUsedAt: usageKnown ? lastUsedAt : null,
    usageKnown,
    // IAM access keys never expire; `Expired` is a status some newer key types report.
    expiresAt: null,
    enabled: key.status === 'Active',
    scopes: [],
    privileged: owner.privileged,
    attributes: {
      credentialType: 'access-key' satisfies IamCredentialType,
      userName: owner.userName,
      status: key.status,
      lastUsedService: notApplicable(lastUse?.service),
      lastUsedRegion: notApplicable(lastUse?.region),
    },
  };
}

/** An SSH public key for CodeCommit. IAM reports no use of SSH keys: usage unknown, never "unused". */
export function sshKeyToCredential(key: SshKeyInput, owner: IamKeyOwner, source: string): Credential {
  return {
    source,
    id: key.id,
    kind: 'personal-token',
    accountId: owner.userId,
    ownerAccountIds: [],
    name: `SSH key ${key.id} of ${owner.userName}`,
    createdAt: key.uploadedAt,
    lastUsedAt: null,
    usageKnown: false,
    expiresAt: null,
    enabled: key.status === 'Active',
    scopes: [],
    privileged: owner.privileged,
    attributes: {
      credentialType: 'ssh-key' satisfies IamCredentialType,
      userName: owner.userName,
      status: key.status,
    },
  };
}

/** Which IAM credential a stored one is: from collection's attribute, else from the id's prefix (APKA = SSH key). */
export function iamCredentialType(credential: { id: string; attributes: Record<string, unknown> }): IamCredentialType {
  const type = credential.attributes.credentialType;
  if (type === 'access-key' || type === 'ssh-key') return type;
  return credential.id.startsWith('APKA') ? 'ssh-key' : 'access-key';
}
