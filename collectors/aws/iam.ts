import {
  GetLoginProfileCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetAccessKeyLastUsedCommand,
  GetGroupPolicyCommand,
  GetUserPolicyCommand,
  ListAccessKeysCommand,
  ListAttachedGroupPoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupPoliciesCommand,
  ListGroupsForUserCommand,
  ListServiceSpecificCredentialsCommand,
  ListSSHPublicKeysCommand,
  ListUserPoliciesCommand,
  ListUserTagsCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { SourceError } from '../../src/contract/errors.js';
import { awsFailure, isAccessDenied, isNoSuchEntity, type Limiter } from './client.js';
import type { AccessKeyLastUse } from './credentials-transform.js';
import type { SideCredential } from './transform.js';

/**
 * IAM reads shared by the collector and the remediator. Every call goes through the limiter (a bound on calls in
 * flight: the account's IAM quota is shared) and becomes a SourceError naming the IAM action it needed.
 */

export interface IamContext {
  source: string;
  iam: IAMClient;
  limit: Limiter;
  signal: AbortSignal;
}

/** The user (or group, policy) a call named is gone: deleted while the scan was reading it. */
export class EntityGoneError extends SourceError {
  constructor(source: string, action: string, detail: string) {
    super(source, `${action}: NoSuchEntity (${detail})`, 'data');
  }
}

/** The scanning identity may not make this call (AccessDenied): a kind it cannot read is unknown, not none. */
export class IamAccessDeniedError extends SourceError {
  constructor(
    source: string,
    message: string,
    readonly action: string,
  ) {
    super(source, message, 'auth');
  }
}

/** One IAM call; `action` is the permission it needs (for the error message). */
export async function iamCall<T>(
  context: IamContext,
  action: string,
  run: (options: { abortSignal: AbortSignal }) => Promise<T>,
): Promise<T> {
  try {
    return await context.limit(() => run({ abortSignal: context.signal }));
  } catch (error) {
    if (isNoSuchEntity(error)) {
      throw new EntityGoneError(context.source, action, error instanceof Error ? error.message : String(error));
    }
    if (isAccessDenied(error)) {
      const failure = awsFailure(context.source, action, error);
      throw new IamAccessDeniedError(context.source, failure.message.replace(`${context.source}: `, ''), action);
    }
    throw awsFailure(context.source, action, error);
  }
}

/** Like iamCall, but `NoSuchEntity` (the user, key or profile is not there) is null, not an error. */
export async function iamCallOrMissing<T>(
  context: IamContext,
  action: string,
  run: (options: { abortSignal: AbortSignal }) => Promise<T>,
): Promise<T | null> {
  try {
    return await context.limit(() => run({ abortSignal: context.signal }));
  } catch (error) {
    if (isNoSuchEntity(error)) return null;
    if (isAccessDenied(error)) {
      const failure = awsFailure(context.source, action, error);
      throw new IamAccessDeniedError(context.source, failure.message.replace(`${context.source}: `, ''), action);
    }
    throw awsFailure(context.source, action, error);
  }
}

interface MarkerPage {
  IsTruncated?: boolean | undefined;
  Marker?: string | undefined;
}

/** Follows IsTruncated/Marker to the end; IAM may return fewer than MaxItems even when more exist. */
export async function* markerPages<P extends MarkerPage>(
  fetch: (marker: string | undefined) => Promise<P>,
): AsyncGenerator<P> {
  let marker: string | undefined;
  for (;;) {
    const page = await fetch(marker);
    yield page;
    // A truncated page without a marker (or the same marker again) would loop forever: stop.
    if (!page.IsTruncated || !page.Marker || page.Marker === marker) return;
    marker = page.Marker;
  }
}

async function collectAll<P extends MarkerPage, T>(
  fetch: (marker: string | undefined) => Promise<P>,
  items: (page: P) => readonly T[] | undefined,
): Promise<T[]> {
  const all: T[] = [];
  for await (const page of markerPages(fetch)) all.push(...(items(page) ?? []));
  return all;
}

export async function listUserTags(context: IamContext, userName: string): Promise<Record<string, string>> {
  const tags = await collectAll(
    (Marker) =>
      iamCall(context, 'iam:ListUserTags', (options) =>
        context.iam.send(new ListUserTagsCommand({ UserName: userName, Marker }), options),
      ),
    (page) => page.Tags,
  );
  return Object.fromEntries(tags.map((tag) => [tag.Key ?? '', tag.Value ?? '']));
}

export async function listGroupsForUser(context: IamContext, userName: string): Promise<string[]> {
  const groups = await collectAll(
    (Marker) =>
      iamCall(context, 'iam:ListGroupsForUser', (options) =>
        context.iam.send(new ListGroupsForUserCommand({ UserName: userName, Marker }), options),
      ),
    (page) => page.Groups,
  );
  return groups.map((group) => group.GroupName ?? '').filter(Boolean);
}

/** SSH public keys (CodeCommit). Always with UserName: without it IAM lists the caller's own keys. */
export async function listSshKeys(context: IamContext, userName: string): Promise<SideCredential[]> {
  const keys = await collectAll(
    (Marker) =>
      iamCall(context, 'iam:ListSSHPublicKeys', (options) =>
        context.iam.send(new ListSSHPublicKeysCommand({ UserName: userName, Marker }), options),
      ),
    (page) => page.SSHPublicKeys,
  );
  return keys.map((key) => ({
    id: key.SSHPublicKeyId ?? '',
    status: key.Status ?? 'unknown',
    ...(key.UploadDate ? { created: key.UploadDate.toISOString() } : {}),
  }));
}

/** Git credentials, Keyspaces, Bedrock API keys… (not in the credential report). */
export async function listServiceCredentials(context: IamContext, userName: string): Promise<SideCredential[]> {
  const credentials = await collectAll(
    (Marker) =>
      iamCall(context, 'iam:ListServiceSpecificCredentials', (options) =>
        context.iam.send(new ListServiceSpecificCredentialsCommand({ UserName: userName, Marker }), options),
      ),
    (page) => page.ServiceSpecificCredentials,
  );
  return credentials.map((credential) => ({
    id: credential.ServiceSpecificCredentialId ?? '',
    status: credential.Status ?? 'unknown',
    ...(credential.ServiceName ? { service: credential.ServiceName } : {}),
  }));
}

export interface AccessKeyState {
  id: string;
  status: string;
  createdAt?: string;
}

export async function listAccessKeys(context: IamContext, userName: string): Promise<AccessKeyState[]> {
  const keys = await collectAll(
    (Marker) =>
      iamCall(context, 'iam:ListAccessKeys', (options) =>
        context.iam.send(new ListAccessKeysCommand({ UserName: userName, Marker }), options),
      ),
    (page) => page.AccessKeyMetadata,
  );
  return keys.map((key) => ({
    id: key.AccessKeyId ?? '',
    status: key.Status ?? 'unknown',
    ...(key.CreateDate ? { createdAt: key.CreateDate.toISOString() } : {}),
  }));
}

/** When IAM last saw the key used (LastUsedDate absent = not since tracking began); null when the key is gone. */
export async function accessKeyLastUse(context: IamContext, accessKeyId: string): Promise<AccessKeyLastUse | null> {
  const answer = await iamCallOrMissing(context, 'iam:GetAccessKeyLastUsed', (options) =>
    context.iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: accessKeyId }), options),
  );
  if (answer === null) return null;
  const used = answer.AccessKeyLastUsed;
  return {
    date: used?.LastUsedDate ? used.LastUsedDate.toISOString() : null,
    service: used?.ServiceName ?? null,
    region: used?.Region ?? null,
  };
}

/** Does the user have a console password? (GetLoginProfile answers NoSuchEntity when not.) */
export async function hasLoginProfile(context: IamContext, userName: string): Promise<boolean> {
  const profile = await iamCallOrMissing(context, 'iam:GetLoginProfile', (options) =>
    context.iam.send(new GetLoginProfileCommand({ UserName: userName }), options),
  );
  return profile !== null;
}

const AWS_MANAGED_ADMIN = /^arn:aws[a-z-]*:iam::aws:policy\/AdministratorAccess$/;
const AWS_MANAGED = /^arn:aws[a-z-]*:iam::aws:policy\//;

/** A policy document (IAM returns them URL-encoded) with an Allow of every action on every resource. */
export function allowsEverything(document: string | undefined): boolean {
  if (!document) return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(decodeURIComponent(document));
  } catch {
    return false;
  }
  const statements = (parsed as { Statement?: unknown }).Statement;
  const list = Array.isArray(statements) ? statements : statements ? [statements] : [];
  const includesStar = (value: unknown) => value === '*' || (Array.isArray(value) && value.includes('*'));
  return list.some((statement) => {
    const entry = statement as { Effect?: unknown; Action?: unknown; Resource?: unknown };
    return entry.Effect === 'Allow' && includesStar(entry.Action) && includesStar(entry.Resource);
  });
}

/**
 * Decides which policies grant everything, caching per policy and per group: a thousand users in one group cost
 * one lookup of that group.
 */
export class PrivilegeResolver {
  private readonly managed = new Map<string, Promise<boolean>>();
  private readonly groups = new Map<string, Promise<string[]>>();

  constructor(private readonly context: IamContext) {}

  /** The names of policies (attached, inline, or through a group) that make the user an administrator. */
  async adminPoliciesOf(userName: string, groups: readonly string[]): Promise<string[]> {
    const context = this.context;
    const attached = await collectAll(
      (Marker) =>
        iamCall(context, 'iam:ListAttachedUserPolicies', (options) =>
          context.iam.send(new ListAttachedUserPoliciesCommand({ UserName: userName, Marker }), options),
        ),
      (page) => page.AttachedPolicies,
    );
    const inline = await collectAll(
      (Marker) =>
        iamCall(context, 'iam:ListUserPolicies', (options) =>
          context.iam.send(new ListUserPoliciesCommand({ UserName: userName, Marker }), options),
        ),
      (page) => page.PolicyNames,
    );
    const found: string[] = [];
    for (const policy of attached) {
      if (policy.PolicyArn && (await this.managedGrantsAll(policy.PolicyArn))) found.push(policy.PolicyArn);
    }
    for (const name of inline) {
      const answer = await iamCallOrMissing(context, 'iam:GetUserPolicy', (options) =>
        context.iam.send(new GetUserPolicyCommand({ UserName: userName, PolicyName: name }), options),
      );
      if (allowsEverything(answer?.PolicyDocument)) found.push(`inline:${name}`);
    }
    for (const group of groups) {
      for (const policy of await this.groupAdminPolicies(group)) found.push(`group ${group}: ${policy}`);
    }
    return found;
  }

  private groupAdminPolicies(group: string): Promise<string[]> {
    let pending = this.groups.get(group);
    if (!pending) {
      pending = this.readGroup(group);
      this.groups.set(group, pending);
    }
    return pending;
  }

  private async readGroup(group: string): Promise<string[]> {
    try {
      return await this.readGroupPolicies(group);
    } catch (error) {
      // A group deleted mid-scan grants nothing any more; its members are still there.
      if (error instanceof EntityGoneError) return [];
      throw error;
    }
  }

  private async readGroupPolicies(group: string): Promise<string[]> {
    const context = this.context;
    const attached = await collectAll(
      (Marker) =>
        iamCall(context, 'iam:ListAttachedGroupPolicies', (options) =>
          context.iam.send(new ListAttachedGroupPoliciesCommand({ GroupName: group, Marker }), options),
        ),
      (page) => page.AttachedPolicies,
    );
    const inline = await collectAll(
      (Marker) =>
        iamCall(context, 'iam:ListGroupPolicies', (options) =>
          context.iam.send(new ListGroupPoliciesCommand({ GroupName: group, Marker }), options),
        ),
      (page) => page.PolicyNames,
    );
    const found: string[] = [];
    for (const policy of attached) {
      if (policy.PolicyArn && (await this.managedGrantsAll(policy.PolicyArn))) found.push(policy.PolicyArn);
    }
    for (const name of inline) {
      const answer = await iamCallOrMissing(context, 'iam:GetGroupPolicy', (options) =>
        context.iam.send(new GetGroupPolicyCommand({ GroupName: group, PolicyName: name }), options),
      );
      if (allowsEverything(answer?.PolicyDocument)) found.push(`inline:${name}`);
    }
    return found;
  }

  private managedGrantsAll(arn: string): Promise<boolean> {
    let pending = this.managed.get(arn);
    if (!pending) {
      pending = this.readManaged(arn);
      this.managed.set(arn, pending);
    }
    return pending;
  }

  /** AdministratorAccess by ARN (any partition); other AWS-managed policies are not `*` on `*`; customer ones are read. */
  private async readManaged(arn: string): Promise<boolean> {
    if (AWS_MANAGED_ADMIN.test(arn)) return true;
    if (AWS_MANAGED.test(arn)) return false;
    const context = this.context;
    const policy = await iamCallOrMissing(context, 'iam:GetPolicy', (options) =>
      context.iam.send(new GetPolicyCommand({ PolicyArn: arn }), options),
    );
    const versionId = policy?.Policy?.DefaultVersionId;
    if (!versionId) return false;
    const version = await iamCallOrMissing(context, 'iam:GetPolicyVersion', (options) =>
      context.iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: versionId }), options),
    );
    return allowsEverything(version?.PolicyVersion?.Document);
  }
}
