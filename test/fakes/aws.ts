import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback AWS speaking the real wire protocols, built from the API references rather than from collectors/aws:
 * - IAM (2010-05-08) and STS (2011-06-15): the Query protocol, a form POST with `Action` and `Version`, XML answers
 *   (`<ActionResponse><ActionResult>…</ActionResult><ResponseMetadata>`), XML errors (`<ErrorResponse><Error>
 *   <Type/><Code/><Message/></Error><RequestId/>`) with IAM's codes and statuses (Throttling 400, NoSuchEntity 404,
 *   ReportInProgress 404, ReportExpired/ReportNotPresent 410, AccessDenied/ExpiredToken/InvalidClientTokenId 403);
 * - the identity store: JSON 1.1, `X-Amz-Target: AWSIdentityStore.<Op>`, errors as `__type`;
 * - every request must carry a SigV4 `Authorization` header, and its signature is recomputed here with the known
 *   secret (and session token) exactly as AWS does; the signed service (`iam`, `sts`, `identitystore`) routes it;
 * - IAM lists page with `Marker`/`IsTruncated` (and return fewer than MaxItems, as IAM may), the identity store with
 *   `NextToken`; the credential report is generated asynchronously (STARTED, INPROGRESS, COMPLETE), cached, and can
 *   expire.
 * Everything is plain data, so the same fake can serve a demo organisation.
 */

export const FAKE_AWS_REGION = 'us-east-1';
export const FAKE_ACCESS_KEY_ID = 'AKIAZOMBIESCANTEST01';
export const FAKE_SECRET_ACCESS_KEY = 'fake/secret+key/for-zombiescan-tests-0001';
const IAM_NS = 'https://iam.amazonaws.com/doc/2010-05-08/';
const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const REPORT_TTL_MS = 4 * 3_600_000;
const MAX_SKEW_MS = 15 * 60_000;

export interface FakeAccessKey {
  id: string;
  status: 'Active' | 'Inactive';
  created: string;
  lastUsed?: string | null;
  lastUsedService?: string;
}

export interface FakeSideCredential {
  id: string;
  status: 'Active' | 'Inactive' | 'Expired';
  created?: string;
  /** Service-specific credentials: codecommit.amazonaws.com, bedrock.amazonaws.com… */
  service?: string;
}

export interface FakeIamUser {
  userName: string;
  /** AIDA… */
  userId: string;
  created: string;
  path?: string;
  tags?: Record<string, string>;
  groups?: string[];
  /** Managed policy ARNs attached to the user. */
  attachedPolicies?: string[];
  /** Inline policy name -> document. */
  inlinePolicies?: Record<string, unknown>;
  /** Console password; null or absent: none. */
  password?: { created: string; lastUsed?: string | null } | null;
  accessKeys?: FakeAccessKey[];
  sshKeys?: FakeSideCredential[];
  serviceCredentials?: FakeSideCredential[];
  mfa?: boolean;
}

export interface FakeGroup {
  name: string;
  attachedPolicies?: string[];
  inlinePolicies?: Record<string, unknown>;
}

export interface FakeRoot {
  created: string;
  passwordLastUsed?: string | null;
  accessKeys?: { active: boolean; lastRotated: string; lastUsed?: string | null }[];
  mfa?: boolean;
}

export interface FakeAwsAccount {
  accountId: string;
  users: FakeIamUser[];
  groups?: FakeGroup[];
  /** Customer-managed policies: ARN -> document. */
  managedPolicies?: Record<string, unknown>;
  root?: FakeRoot;
  /** IAM/STS actions (`iam:ListUserTags`) every caller in this account is denied. */
  denied?: string[];
}

export interface FakeCredential {
  accessKeyId: string;
  secretAccessKey: string;
  accountId: string;
  /** The IAM user these keys belong to (arn:aws:iam::ACCT:user/NAME); null for a role session. */
  userName?: string;
  /** Requests signed with it answer ExpiredToken. */
  expired?: boolean;
}

export interface FakeRole {
  arn: string;
  /** Access key ids allowed to assume it (the trust policy, simplified). */
  trusted: string[];
}

/** The identity store's User, as JSON (dates as epoch seconds, as the JSON 1.1 protocol sends them). */
export type FakeIdentityCenterUser = { UserId: string } & Record<string, unknown>;

export interface FakeAwsFailure {
  /** `iam:ListUserTags`, `identitystore:ListUsers`…; all calls when left out. */
  action?: string;
  code: 'Throttling' | 'ServiceFailure' | 'ThrottlingException';
  times: number;
}

export interface FakeAwsOptions {
  accounts: FakeAwsAccount[];
  /** Default: one credential (FAKE_ACCESS_KEY_ID) for the first account. */
  credentials?: FakeCredential[];
  roles?: FakeRole[];
  identityStores?: { id: string; users: FakeIdentityCenterUser[] }[];
  /** GenerateCredentialReport calls answering STARTED/INPROGRESS before the report is COMPLETE (default 1). */
  reportPolls?: number;
  /** The report is never COMPLETE. */
  reportNeverCompletes?: boolean;
  /** Largest page an IAM list returns whatever MaxItems asks (IAM may return fewer). Default 100. */
  iamPageCap?: number;
  failures?: FakeAwsFailure[];
  latencyMs?: number;
  /** Called before each IAM/STS action is answered (after auth): change the account mid-scan. */
  beforeAction?: (action: string, form: URLSearchParams, state: FakeAwsState) => void;
}

export interface FakeAwsRequest {
  service: string;
  action: string;
  accessKeyId: string | null;
  status: number;
  code: string | null;
}

interface ReportState {
  startedAt: number;
  pollsLeft: number;
  csv: string | null;
  generatedAt: number | null;
}

export interface FakeAwsState {
  accounts: Map<string, FakeAwsAccount>;
  credentials: Map<string, FakeCredential & { sessionToken?: string; roleArn?: string }>;
  identityStores: Map<string, FakeIdentityCenterUser[]>;
  requests: FakeAwsRequest[];
  failures: FakeAwsFailure[];
  /** Most requests in flight at once (the concurrency bound a client keeps). */
  maxInFlight: number;
  /** Signature problems seen (a correct client produces none). */
  signatureErrors: string[];
  reports: Map<string, ReportState>;
}

export interface FakeAws {
  endpoint: string;
  state: FakeAwsState;
  /** Environment for the SDK's default credential chain (static test keys, no profile or IMDS lookups). */
  env: Record<string, string>;
  /** Ages the cached report of an account past its 4 hours: GetCredentialReport answers ReportExpired. */
  expireReport(accountId: string): void;
  user(accountId: string, userName: string): FakeIamUser | undefined;
  close(): Promise<void>;
}

class AwsFault extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly type: 'Sender' | 'Receiver' = 'Sender',
  ) {
    super(message);
  }
}

const DAY_MS = 86_400_000;

/** An IAM user with a deterministic AIDA id; `now` anchors the relative dates of the overrides' callers. */
export function fakeIamUser(index: number, overrides: Partial<FakeIamUser> = {}): FakeIamUser {
  return {
    userName: `user${index}`,
    userId: `AIDA${String(index).padStart(17, '0')}`,
    created: new Date(Date.UTC(2024, 0, 1) + (index % 300) * DAY_MS).toISOString(),
    ...overrides,
  };
}

export async function startFakeAws(options: FakeAwsOptions): Promise<FakeAws> {
  const firstAccount = options.accounts[0]?.accountId ?? '000000000000';
  const state: FakeAwsState = {
    accounts: new Map(options.accounts.map((account) => [account.accountId, account])),
    credentials: new Map(
      (
        options.credentials ?? [
          {
            accessKeyId: FAKE_ACCESS_KEY_ID,
            secretAccessKey: FAKE_SECRET_ACCESS_KEY,
            accountId: firstAccount,
            userName: 'zombiescan-audit',
          },
        ]
      ).map((credential) => [credential.accessKeyId, credential]),
    ),
    identityStores: new Map((options.identityStores ?? []).map((store) => [store.id, store.users])),
    requests: [],
    failures: [...(options.failures ?? [])],
    maxInFlight: 0,
    signatureErrors: [],
    reports: new Map(),
  };
  const roles = options.roles ?? [];
  const pageCap = options.iamPageCap ?? 100;
  let inFlight = 0;

  const server = createServer((req, res) => {
    inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, inFlight);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const finish = () => {
        try {
          handle(req, res, body);
        } catch (error) {
          res.writeHead(500).end(String(error));
        } finally {
          inFlight--;
        }
      };
      if (options.latencyMs) setTimeout(finish, options.latencyMs);
      else finish();
    });
  });

  function handle(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const record: FakeAwsRequest = { service: '?', action: '?', accessKeyId: null, status: 200, code: null };
    state.requests.push(record);
    const target = header(req, 'x-amz-target');
    const json = target !== undefined;
    let service = '?';
    try {
      const auth = verifySignature(req, body);
      service = auth.service;
      record.service = service;
      record.accessKeyId = auth.credential.accessKeyId;
      if (json) {
        if (service !== 'identitystore')
          throw new AwsFault(400, 'UnknownOperationException', `no JSON service ${service}`);
        const operation = target.replace(/^AWSIdentityStore\./, '');
        record.action = `identitystore:${operation}`;
        injectFailure(record.action);
        const input = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
        const output = identityStore(operation, input);
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
        res.end(JSON.stringify(output));
        return;
      }
      const form = new URLSearchParams(body.toString('utf8'));
      const action = form.get('Action') ?? '';
      const version = form.get('Version');
      record.action = `${service}:${action}`;
      if (service === 'iam' && version !== '2010-05-08')
        throw new AwsFault(400, 'InvalidParameterValue', 'Version must be 2010-05-08');
      if (service === 'sts' && version !== '2011-06-15')
        throw new AwsFault(400, 'InvalidParameterValue', 'Version must be 2011-06-15');
      const account = state.accounts.get(auth.credential.accountId);
      if (!account)
        throw new AwsFault(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
      if (account.denied?.includes(record.action)) {
        throw new AwsFault(
          403,
          'AccessDenied',
          `User: ${callerArn(auth.credential)} is not authorized to perform: ${record.action} on resource: ` +
            `arn:aws:iam::${account.accountId}:user/* because no identity-based policy allows the ${record.action} action`,
        );
      }
      injectFailure(record.action);
      options.beforeAction?.(record.action, form, state);
      const result =
        service === 'sts' ? sts(action, form, auth.credential) : iam(action, form, account, auth.credential);
      const ns = service === 'sts' ? STS_NS : IAM_NS;
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(
        `<${action}Response xmlns="${ns}"><${action}Result>${result}</${action}Result>` +
          `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`,
      );
    } catch (error) {
      const fault = error instanceof AwsFault ? error : new AwsFault(500, 'ServiceFailure', String(error), 'Receiver');
      record.status = fault.status;
      record.code = fault.code;
      if (json) {
        res.writeHead(fault.status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': fault.code });
        res.end(JSON.stringify({ __type: `com.amazonaws.identitystore#${fault.code}`, Message: fault.message }));
      } else {
        const ns = service === 'sts' ? STS_NS : IAM_NS;
        res.writeHead(fault.status, { 'content-type': 'text/xml' });
        res.end(
          `<ErrorResponse xmlns="${ns}"><Error><Type>${fault.type}</Type><Code>${fault.code}</Code>` +
            `<Message>${xml(fault.message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
        );
      }
    }
  }

  function injectFailure(action: string): void {
    const failure = state.failures.find((entry) => entry.times > 0 && (!entry.action || entry.action === action));
    if (!failure) return;
    failure.times--;
    if (failure.code === 'ServiceFailure') throw new AwsFault(500, 'ServiceFailure', 'Internal failure', 'Receiver');
    if (failure.code === 'ThrottlingException') throw new AwsFault(429, 'ThrottlingException', 'Rate exceeded');
    throw new AwsFault(400, 'Throttling', 'Rate exceeded');
  }

  /** Recomputes the SigV4 signature (IAM User Guide, "Create a signed AWS API request"). */
  function verifySignature(req: IncomingMessage, body: Buffer) {
    const authorization = header(req, 'authorization');
    if (!authorization)
      throw new AwsFault(400, 'MissingAuthenticationToken', 'Request is missing Authentication Token');
    const match =
      /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(
        authorization,
      );
    if (!match) {
      state.signatureErrors.push(`malformed Authorization: ${authorization.slice(0, 60)}`);
      throw new AwsFault(
        400,
        'IncompleteSignature',
        'Authorization header requires Credential, SignedHeaders and Signature',
      );
    }
    const [, accessKeyId, day, region, service, signedHeaders, signature] = match as unknown as string[];
    const credential = state.credentials.get(accessKeyId!);
    if (!credential)
      throw new AwsFault(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
    const amzDate = header(req, 'x-amz-date') ?? '';
    if (!/^\d{8}T\d{6}Z$/.test(amzDate) || amzDate.slice(0, 8) !== day) {
      state.signatureErrors.push(`bad x-amz-date ${amzDate}`);
      throw new AwsFault(400, 'IncompleteSignature', 'X-Amz-Date missing or not matching the credential scope');
    }
    const when = Date.parse(
      `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
    );
    if (Math.abs(Date.now() - when) > MAX_SKEW_MS) throw new AwsFault(403, 'RequestExpired', 'Request has expired.');
    const names = signedHeaders!.split(';');
    if (!names.includes('host') || !names.includes('x-amz-date')) {
      state.signatureErrors.push(`SignedHeaders without host/x-amz-date: ${signedHeaders}`);
      throw new AwsFault(400, 'IncompleteSignature', 'SignedHeaders must include host and x-amz-date');
    }
    const payloadHash = header(req, 'x-amz-content-sha256') ?? sha256(body);
    if (payloadHash !== sha256(body) && payloadHash !== 'UNSIGNED-PAYLOAD') {
      state.signatureErrors.push('x-amz-content-sha256 does not match the body');
      throw new AwsFault(400, 'XAmzContentSHA256Mismatch', 'The provided x-amz-content-sha256 header does not match');
    }
    const url = new URL(req.url ?? '/', 'http://fake');
    const canonicalQuery = [...url.searchParams.entries()]
      .map(([key, value]) => [uriEncode(key), uriEncode(value)] as const)
      .sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1))
      .map(([key, value]) => `${key}=${value}`)
      .join('&');
    const canonicalHeaders = names
      .map((name) => `${name}:${(header(req, name) ?? '').trim().replace(/\s+/g, ' ')}\n`)
      .join('');
    const canonicalRequest = [
      req.method ?? 'POST',
      url.pathname.split('/').map(uriEncode).join('/') || '/',
      canonicalQuery,
      canonicalHeaders,
      signedHeaders,
      payloadHash,
    ].join('\n');
    const scope = `${day}/${region}/${service}/aws4_request`;
    const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
    let key: Buffer = hmac(`AWS4${credential.secretAccessKey}`, day!);
    for (const part of [region!, service!, 'aws4_request']) key = hmac(key, part);
    const expected = createHmac('sha256', key).update(stringToSign).digest();
    if (!timingSafeEqual(expected, Buffer.from(signature!, 'hex'))) {
      state.signatureErrors.push(`signature mismatch for ${service}`);
      throw new AwsFault(
        403,
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided.',
      );
    }
    if (credential.sessionToken !== undefined) {
      const token = header(req, 'x-amz-security-token');
      if (token !== credential.sessionToken || !names.includes('x-amz-security-token')) {
        throw new AwsFault(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
      }
    }
    if (credential.expired)
      throw new AwsFault(403, 'ExpiredToken', 'The security token included in the request is expired');
    return { service: service!, credential };
  }

  function sts(action: string, form: URLSearchParams, caller: FakeCredential & { roleArn?: string }): string {
    if (action === 'GetCallerIdentity') {
      return el('UserId', caller.accessKeyId) + el('Account', caller.accountId) + el('Arn', callerArn(caller));
    }
    if (action === 'AssumeRole') {
      const roleArn = form.get('RoleArn') ?? '';
      const sessionName = form.get('RoleSessionName') ?? '';
      const role = roles.find((entry) => entry.arn === roleArn);
      if (!role || !role.trusted.includes(caller.accessKeyId)) {
        throw new AwsFault(
          403,
          'AccessDenied',
          `User: ${callerArn(caller)} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
        );
      }
      const accountId = /^arn:aws:iam::(\d{12}):role\//.exec(roleArn)?.[1] ?? '';
      const issued = {
        accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
        secretAccessKey: randomBytes(30).toString('base64'),
        sessionToken: randomBytes(60).toString('base64'),
        accountId,
        roleArn: `arn:aws:sts::${accountId}:assumed-role/${roleArn.split('/').at(-1)}/${sessionName}`,
      };
      state.credentials.set(issued.accessKeyId, issued);
      const expiration = new Date(Date.now() + 3_600_000).toISOString();
      return (
        el(
          'Credentials',
          el('AccessKeyId', issued.accessKeyId) +
            el('SecretAccessKey', issued.secretAccessKey) +
            el('SessionToken', issued.sessionToken) +
            el('Expiration', expiration),
        ) +
        el(
          'AssumedRoleUser',
          el('AssumedRoleId', `AROA${issued.accessKeyId.slice(4)}:${sessionName}`) + el('Arn', issued.roleArn),
        )
      );
    }
    throw new AwsFault(400, 'InvalidAction', `Could not find operation ${action} for version 2011-06-15`);
  }

  function callerArn(caller: FakeCredential & { roleArn?: string }): string {
    return caller.roleArn ?? `arn:aws:iam::${caller.accountId}:user/${caller.userName ?? 'unknown'}`;
  }

  function iam(action: string, form: URLSearchParams, account: FakeAwsAccount, caller: FakeCredential): string {
    const userOf = (required = true): FakeIamUser => {
      const name = form.get('UserName') ?? (required ? null : (caller.userName ?? null));
      if (name === null) {
        throw new AwsFault(400, 'ValidationError', 'Must specify userName when calling with non-User credentials');
      }
      const user = account.users.find((entry) => entry.userName === name);
      if (!user) throw new AwsFault(404, 'NoSuchEntity', `The user with name ${name} cannot be found.`);
      return user;
    };
    const groupOf = (): FakeGroup => {
      const name = form.get('GroupName') ?? '';
      const group = account.groups?.find((entry) => entry.name === name);
      if (!group) throw new AwsFault(404, 'NoSuchEntity', `The group with name ${name} cannot be found.`);
      return group;
    };
    const paged = <T>(items: readonly T[], listName: string, render: (item: T) => string): string => {
      const maxItems = Number(form.get('MaxItems') ?? 100);
      if (!Number.isInteger(maxItems) || maxItems < 1 || maxItems > 1000) {
        throw new AwsFault(400, 'ValidationError', 'MaxItems must be between 1 and 1000');
      }
      const marker = form.get('Marker');
      const start =
        marker === null
          ? 0
          : Number(
              Buffer.from(marker, 'base64url')
                .toString('utf8')
                .replace(/^offset:/, ''),
            );
      if (!Number.isInteger(start) || start < 0) throw new AwsFault(400, 'ValidationError', 'Invalid Marker');
      const size = Math.min(maxItems, pageCap);
      const page = items.slice(start, start + size);
      const more = start + size < items.length;
      return (
        el(listName, page.map((item) => el('member', render(item))).join('')) +
        el('IsTruncated', String(more)) +
        (more ? el('Marker', Buffer.from(`offset:${start + size}`).toString('base64url')) : '')
      );
    };
    const userXml = (user: FakeIamUser) =>
      el('Path', user.path ?? '/') +
      el('UserName', user.userName) +
      el('UserId', user.userId) +
      el('Arn', `arn:aws:iam::${account.accountId}:user${user.path ?? '/'}${user.userName}`) +
      el('CreateDate', user.created) +
      (user.password?.lastUsed ? el('PasswordLastUsed', user.password.lastUsed) : '');
    const policyXml = (arn: string) => el('PolicyName', arn.split('/').at(-1) ?? arn) + el('PolicyArn', arn);
    const setStatus = <T extends { id: string; status: string }>(list: T[] | undefined, id: string, what: string) => {
      const status = form.get('Status');
      if (status !== 'Active' && status !== 'Inactive')
        throw new AwsFault(400, 'ValidationError', 'Status must be Active or Inactive');
      const item = list?.find((entry) => entry.id === id);
      if (!item) throw new AwsFault(404, 'NoSuchEntity', `The ${what} with id ${id} cannot be found.`);
      item.status = status;
      return '';
    };

    switch (action) {
      case 'ListUsers':
        return paged(account.users, 'Users', userXml);
      case 'GetUser':
        return el('User', userXml(userOf(false)));
      case 'ListUserTags':
        return paged(
          Object.entries(userOf().tags ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)),
          'Tags',
          ([key, value]) => el('Key', xml(key)) + el('Value', xml(value)),
        );
      case 'ListGroupsForUser':
        return paged(
          userOf().groups ?? [],
          'Groups',
          (name) =>
            el('Path', '/') +
            el('GroupName', name) +
            el('GroupId', `AGPA${createHash('sha1').update(name).digest('hex').slice(0, 16).toUpperCase()}`) +
            el('Arn', `arn:aws:iam::${account.accountId}:group/${name}`) +
            el('CreateDate', '2020-01-01T00:00:00Z'),
        );
      case 'ListAttachedUserPolicies':
        return paged(userOf().attachedPolicies ?? [], 'AttachedPolicies', policyXml);
      case 'ListUserPolicies':
        return paged(Object.keys(userOf().inlinePolicies ?? {}), 'PolicyNames', xml);
      case 'GetUserPolicy': {
        const user = userOf();
        const name = form.get('PolicyName') ?? '';
        const document = user.inlinePolicies?.[name];
        if (document === undefined)
          throw new AwsFault(404, 'NoSuchEntity', `The user policy with name ${name} cannot be found.`);
        return (
          el('UserName', user.userName) +
          el('PolicyName', name) +
          el('PolicyDocument', encodeURIComponent(JSON.stringify(document)))
        );
      }
      case 'ListAttachedGroupPolicies':
        return paged(groupOf().attachedPolicies ?? [], 'AttachedPolicies', policyXml);
      case 'ListGroupPolicies':
        return paged(Object.keys(groupOf().inlinePolicies ?? {}), 'PolicyNames', xml);
      case 'GetGroupPolicy': {
        const group = groupOf();
        const name = form.get('PolicyName') ?? '';
        const document = group.inlinePolicies?.[name];
        if (document === undefined)
          throw new AwsFault(404, 'NoSuchEntity', `The group policy with name ${name} cannot be found.`);
        return (
          el('GroupName', group.name) +
          el('PolicyName', name) +
          el('PolicyDocument', encodeURIComponent(JSON.stringify(document)))
        );
      }
      case 'GetPolicy': {
        const arn = form.get('PolicyArn') ?? '';
        if (!(arn in (account.managedPolicies ?? {})))
          throw new AwsFault(404, 'NoSuchEntity', `Policy ${arn} does not exist or is not attachable.`);
        return el(
          'Policy',
          el('PolicyName', arn.split('/').at(-1) ?? '') + el('Arn', arn) + el('DefaultVersionId', 'v1'),
        );
      }
      case 'GetPolicyVersion': {
        const arn = form.get('PolicyArn') ?? '';
        const document = account.managedPolicies?.[arn];
        if (document === undefined || form.get('VersionId') !== 'v1')
          throw new AwsFault(404, 'NoSuchEntity', `Policy ${arn} version not found.`);
        return el(
          'PolicyVersion',
          el('Document', encodeURIComponent(JSON.stringify(document))) +
            el('VersionId', 'v1') +
            el('IsDefaultVersion', 'true'),
        );
      }
      case 'GetLoginProfile': {
        const user = userOf();
        if (!user.password)
          throw new AwsFault(404, 'NoSuchEntity', `Login Profile for User ${user.userName} cannot be found.`);
        return el(
          'LoginProfile',
          el('UserName', user.userName) +
            el('CreateDate', user.password.created) +
            el('PasswordResetRequired', 'false'),
        );
      }
      case 'DeleteLoginProfile': {
        const user = userOf();
        if (!user.password)
          throw new AwsFault(404, 'NoSuchEntity', `Login Profile for User ${user.userName} cannot be found.`);
        user.password = null;
        return '';
      }
      case 'ListAccessKeys': {
        const user = userOf(false);
        return paged(
          user.accessKeys ?? [],
          'AccessKeyMetadata',
          (key) =>
            el('UserName', user.userName) +
            el('AccessKeyId', key.id) +
            el('Status', key.status) +
            el('CreateDate', key.created),
        );
      }
      case 'UpdateAccessKey':
        return setStatus(userOf(false).accessKeys, form.get('AccessKeyId') ?? '', 'Access Key');
      case 'GetAccessKeyLastUsed': {
        // Looked up by key id alone (the answer names the owner). A key with no recorded use has no LastUsedDate and
        // N/A for service and region. An unknown key id is not documented; answered like the other per-key calls.
        const id = form.get('AccessKeyId') ?? '';
        const owner = account.users.find((user) => user.accessKeys?.some((key) => key.id === id));
        const key = owner?.accessKeys?.find((entry) => entry.id === id);
        if (!owner || !key) throw new AwsFault(404, 'NoSuchEntity', `The Access Key with id ${id} cannot be found.`);
        return (
          el('UserName', owner.userName) +
          el(
            'AccessKeyLastUsed',
            (key.lastUsed ? el('LastUsedDate', key.lastUsed) : '') +
              el('ServiceName', key.lastUsed ? (key.lastUsedService ?? 'iam') : 'N/A') +
              el('Region', key.lastUsed ? 'us-east-1' : 'N/A'),
          )
        );
      }
      case 'ListSSHPublicKeys': {
        const user = userOf(false);
        return paged(
          user.sshKeys ?? [],
          'SSHPublicKeys',
          (key) =>
            el('UserName', user.userName) +
            el('SSHPublicKeyId', key.id) +
            el('Status', key.status) +
            el('UploadDate', key.created ?? user.created),
        );
      }
      case 'UpdateSSHPublicKey':
        return setStatus(userOf().sshKeys, form.get('SSHPublicKeyId') ?? '', 'Public Key');
      case 'ListServiceSpecificCredentials': {
        const user = userOf(false);
        // No MaxItems/Marker in older models; answered whole, as IAM does for its at most 2 per service.
        return (
          el(
            'ServiceSpecificCredentials',
            (user.serviceCredentials ?? [])
              .map((credential) =>
                el(
                  'member',
                  el('UserName', user.userName) +
                    el('Status', credential.status) +
                    el('ServiceUserName', `${user.userName}-at-${account.accountId}`) +
                    el('CreateDate', credential.created ?? user.created) +
                    el('ServiceSpecificCredentialId', credential.id) +
                    el('ServiceName', credential.service ?? 'codecommit.amazonaws.com'),
                ),
              )
              .join(''),
          ) + el('IsTruncated', 'false')
        );
      }
      case 'UpdateServiceSpecificCredential':
        return setStatus(
          userOf(false).serviceCredentials,
          form.get('ServiceSpecificCredentialId') ?? '',
          'Service Specific Credential',
        );
      case 'GenerateCredentialReport':
        return generateReport(account);
      case 'GetCredentialReport': {
        const report = state.reports.get(account.accountId);
        if (!report)
          throw new AwsFault(
            410,
            'ReportNotPresent',
            'Credential report does not exist. Use GenerateCredentialReport to generate a report.',
          );
        if (report.csv === null)
          throw new AwsFault(404, 'ReportInProgress', 'Credential report generation is in progress.');
        if (Date.now() - (report.generatedAt ?? 0) > REPORT_TTL_MS) {
          throw new AwsFault(410, 'ReportExpired', 'The credential report has expired. Use GenerateCredentialReport.');
        }
        return (
          el('Content', Buffer.from(report.csv).toString('base64')) +
          el('ReportFormat', 'text/csv') +
          el('GeneratedTime', new Date(report.generatedAt!).toISOString())
        );
      }
      default:
        throw new AwsFault(400, 'InvalidAction', `Could not find operation ${action} for version 2010-05-08`);
    }
  }

  function generateReport(account: FakeAwsAccount): string {
    let report = state.reports.get(account.accountId);
    const fresh = report?.generatedAt != null && Date.now() - report.generatedAt <= REPORT_TTL_MS;
    if (!report || (report.csv !== null && !fresh)) {
      report = { startedAt: Date.now(), pollsLeft: options.reportPolls ?? 1, csv: null, generatedAt: null };
      state.reports.set(account.accountId, report);
      if (report.pollsLeft <= 0 && !options.reportNeverCompletes) complete(account, report);
      else return el('State', 'STARTED') + el('Description', 'No report exists. Starting a new report generation task');
    }
    if (report.csv === null) {
      if (options.reportNeverCompletes || report.pollsLeft-- > 1) return el('State', 'INPROGRESS');
      complete(account, report);
    }
    return el('State', 'COMPLETE');
  }

  function complete(account: FakeAwsAccount, report: ReportState): void {
    report.csv = credentialReportCsv(account);
    report.generatedAt = Date.now();
  }

  function identityStore(operation: string, input: Record<string, unknown>): unknown {
    const storeId = String(input.IdentityStoreId ?? '');
    const users = state.identityStores.get(storeId);
    if (!users) throw new AwsFault(404, 'ResourceNotFoundException', `Identity store ${storeId} not found`);
    if (operation === 'ListUsers') {
      const max = input.MaxResults === undefined ? 100 : Number(input.MaxResults);
      if (!Number.isInteger(max) || max < 1 || max > 100) {
        throw new AwsFault(400, 'ValidationException', 'MaxResults must be between 1 and 100');
      }
      const start = input.NextToken
        ? Number(Buffer.from(String(input.NextToken), 'base64url').toString().replace(/^n:/, ''))
        : 0;
      if (!Number.isInteger(start) || start < 0) throw new AwsFault(400, 'ValidationException', 'Invalid NextToken');
      const page = users.slice(start, start + max).map((user) => ({ ...user, IdentityStoreId: storeId }));
      const next = start + max < users.length ? Buffer.from(`n:${start + max}`).toString('base64url') : undefined;
      return next ? { Users: page, NextToken: next } : { Users: page };
    }
    if (operation === 'DescribeUser') {
      const user = users.find((entry) => entry.UserId === input.UserId);
      if (!user) throw new AwsFault(404, 'ResourceNotFoundException', `User ${String(input.UserId)} not found`);
      return { ...user, IdentityStoreId: storeId };
    }
    throw new AwsFault(400, 'UnknownOperationException', `Unknown operation ${operation}`);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const defaultCredential = [...state.credentials.values()][0]!;
  return {
    endpoint,
    state,
    env: {
      AWS_ACCESS_KEY_ID: defaultCredential.accessKeyId,
      AWS_SECRET_ACCESS_KEY: defaultCredential.secretAccessKey,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: '/nonexistent/zombiescan-test-aws-config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/zombiescan-test-aws-credentials',
    },
    expireReport(accountId) {
      const report = state.reports.get(accountId);
      if (report?.generatedAt != null) report.generatedAt -= REPORT_TTL_MS + 1;
    },
    user(accountId, userName) {
      return state.accounts.get(accountId)?.users.find((entry) => entry.userName === userName);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** The report as IAM writes it (IAM User Guide, "Getting credential reports"): 22 columns, root row first. */
export function credentialReportCsv(account: FakeAwsAccount): string {
  const header = [
    'user',
    'arn',
    'user_creation_time',
    'password_enabled',
    'password_last_used',
    'password_last_changed',
    'password_next_rotation',
    'mfa_active',
    'access_key_1_active',
    'access_key_1_last_rotated',
    'access_key_1_last_used_date',
    'access_key_1_last_used_region',
    'access_key_1_last_used_service',
    'access_key_2_active',
    'access_key_2_last_rotated',
    'access_key_2_last_used_date',
    'access_key_2_last_used_region',
    'access_key_2_last_used_service',
    'cert_1_active',
    'cert_1_last_rotated',
    'cert_2_active',
    'cert_2_last_rotated',
  ];
  const t = (iso: string | null | undefined) => (iso ? new Date(iso).toISOString().replace('.000Z', '+00:00') : 'N/A');
  const keyColumns = (
    key: { active: boolean; rotated: string; lastUsed?: string | null; service?: string } | undefined,
  ) =>
    key
      ? [
          String(key.active),
          t(key.rotated),
          t(key.lastUsed),
          key.lastUsed ? 'us-east-1' : 'N/A',
          key.lastUsed ? (key.service ?? 'iam') : 'N/A',
        ]
      : ['false', 'N/A', 'N/A', 'N/A', 'N/A'];
  const lines = [header.join(',')];
  const root = account.root;
  if (root) {
    const keys = root.accessKeys ?? [];
    lines.push(
      [
        '<root_account>',
        `arn:aws:iam::${account.accountId}:root`,
        t(root.created),
        'not_supported',
        root.passwordLastUsed ? t(root.passwordLastUsed) : 'no_information',
        'not_supported',
        'not_supported',
        String(root.mfa ?? false),
        ...keyColumns(
          keys[0] && { active: keys[0].active, rotated: keys[0].lastRotated, lastUsed: keys[0].lastUsed ?? null },
        ),
        ...keyColumns(
          keys[1] && { active: keys[1].active, rotated: keys[1].lastRotated, lastUsed: keys[1].lastUsed ?? null },
        ),
        'false',
        'N/A',
        'false',
        'N/A',
      ].join(','),
    );
  }
  for (const user of account.users) {
    const keys = [...(user.accessKeys ?? [])].sort((a, b) => (a.created < b.created ? -1 : 1));
    const slot = (key: FakeAccessKey | undefined) =>
      keyColumns(
        key && {
          active: key.status === 'Active',
          rotated: key.created,
          lastUsed: key.lastUsed ?? null,
          ...(key.lastUsedService ? { service: key.lastUsedService } : {}),
        },
      );
    lines.push(
      [
        user.userName,
        `arn:aws:iam::${account.accountId}:user${user.path ?? '/'}${user.userName}`,
        t(user.created),
        String(!!user.password),
        user.password ? (user.password.lastUsed ? t(user.password.lastUsed) : 'no_information') : 'N/A',
        user.password ? t(user.password.created) : 'N/A',
        'N/A',
        String(user.mfa ?? false),
        ...slot(keys[0]),
        ...slot(keys[1]),
        'false',
        'N/A',
        'false',
        'N/A',
      ]
        .map(csvField)
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** RFC 4180: IAM user names may contain commas. */
function csvField(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(',') : value;
}

function el(name: string, content: string): string {
  return `<${name}>${content}</${name}>`;
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** RFC 3986 encoding as SigV4 wants it: unreserved characters kept, everything else %XX upper-case. */
function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export const ADMINISTRATOR_ACCESS = 'arn:aws:iam::aws:policy/AdministratorAccess';
const READ_ONLY_ACCESS = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const ALLOW_ALL = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

/** The customer-managed policy granting everything in a synthetic account. */
export function everythingPolicyArn(accountId: string): string {
  return `arn:aws:iam::${accountId}:policy/EverythingEverywhere`;
}

/**
 * A synthetic AWS account of `users` IAM users (user{i}, tags email user{i}@acme.com and employee_id E{i}, created
 * 500 days before `now`), with keys in every state by i % 6:
 * 0: active key + password, used 5 and 3 days ago (i % 12 == 6: both last used 120 days ago);
 * 1: active key never used; 2: inactive key only; 3: rotated (old key inactive, new one used yesterday);
 * 4: password never used; 5: nothing, except an active SSH key when i % 12 == 5.
 * Admins: i % 100 == 0 through the Admins group, i % 250 == 1 a customer policy, i % 333 == 2 an inline policy.
 * i % 50 == 7 is tagged type=service. The root user has an active key used 2 days ago and a password used 10 days ago.
 */
export function syntheticAwsAccount(users: number, now = Date.now(), accountId = '111122223333'): FakeAwsAccount {
  const ago = (days: number) => new Date(now - days * DAY_MS).toISOString();
  const everything = everythingPolicyArn(accountId);
  const list: FakeIamUser[] = [];
  for (let i = 0; i < users; i++) {
    const key = (n: number, status: 'Active' | 'Inactive', created: string, lastUsed: string | null = null) => ({
      id: `AKIA${String(i).padStart(12, '0')}K${n}`,
      status,
      created,
      lastUsed,
    });
    const user: FakeIamUser = fakeIamUser(i, {
      created: ago(500),
      tags: { email: `user${i}@acme.com`, employee_id: `E${i}`, ...(i % 50 === 7 ? { type: 'service' } : {}) },
      groups: i % 100 === 0 ? ['Admins', 'Developers'] : ['Developers'],
      attachedPolicies: i % 250 === 1 ? [everything] : [READ_ONLY_ACCESS],
      ...(i % 333 === 2 ? { inlinePolicies: { breakglass: ALLOW_ALL } } : {}),
    });
    switch (i % 6) {
      case 0: {
        const dormant = i % 12 === 6;
        user.accessKeys = [key(1, 'Active', ago(200), ago(dormant ? 120 : 5))];
        user.password = { created: ago(400), lastUsed: ago(dormant ? 120 : 3) };
        break;
      }
      case 1:
        user.accessKeys = [key(1, 'Active', ago(200))];
        break;
      case 2:
        user.accessKeys = [key(1, 'Inactive', ago(300), ago(250))];
        break;
      case 3:
        user.accessKeys = [key(1, 'Inactive', ago(400), ago(300)), key(2, 'Active', ago(20), ago(1))];
        break;
      case 4:
        user.password = { created: ago(100), lastUsed: null };
        break;
      case 5:
        if (i % 12 === 5) user.sshKeys = [{ id: `APKA${String(i).padStart(12, '0')}`, status: 'Active' }];
        break;
    }
    list.push(user);
  }
  return {
    accountId,
    users: list,
    groups: [
      { name: 'Admins', attachedPolicies: [ADMINISTRATOR_ACCESS] },
      { name: 'Developers', attachedPolicies: [READ_ONLY_ACCESS] },
    ],
    managedPolicies: { [everything]: ALLOW_ALL },
    root: {
      created: ago(2000),
      passwordLastUsed: ago(10),
      accessKeys: [{ active: true, lastRotated: ago(900), lastUsed: ago(2) }],
    },
  };
}

/**
 * `count` Identity Center users: person i has email user{i}@acme.com below `employees`, contractor{i}@partner.example
 * from there on. Every 10th is DISABLED; every 7th (i % 7 == 3) is answered without UserStatus, as older stores do.
 */
export function syntheticIdentityCenterUsers(count: number, now = Date.now(), employees = 0): FakeIdentityCenterUser[] {
  return Array.from({ length: count }, (_, i) => {
    const email = i < employees ? `user${i}@acme.com` : `contractor${i}@partner.example`;
    return {
      UserId: `9067${String(i).padStart(6, '0')}-a1b2-c3d4-e5f6-0123456789ab`,
      UserName: email,
      DisplayName: `Person ${i}`,
      Emails: [{ Value: email, Type: 'work', Primary: true }],
      ExternalIds: [{ Issuer: 'https://acme.okta.com', Id: `00u${i}` }],
      ...(i % 7 === 3 ? {} : { UserStatus: i % 10 === 0 ? 'DISABLED' : 'ENABLED' }),
      CreatedAt: Math.floor((now - 100 * DAY_MS) / 1000),
    };
  });
}
