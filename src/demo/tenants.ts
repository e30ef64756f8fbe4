import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
// The demo serves its tenants with the very fakes the tests use (tsconfig.build.json compiles these four into
// dist/test/fakes), so there is one loopback Google, GitHub, AWS and Graph to keep faithful to the vendor docs, not a
// test copy and a demo copy drifting apart. They import nothing but Node built-ins.
import { startFakeAws, type FakeAws } from '../../test/fakes/aws.js';
import { startFakeGitHub } from '../../test/fakes/github.js';
import { startFakeGoogle } from '../../test/fakes/google.js';
import { startGraphFake } from '../../test/fakes/graph.js';
import type { CollectorDeps } from '../contract/collector.js';
import {
  DEMO_AWS_FILE,
  DEMO_ENTRA_FILE,
  DEMO_GITHUB_FILE,
  DEMO_GOOGLE_FILE,
  DEMO_GOOGLE_KEY_FILE,
  DEMO_TENANT_ENV,
  type DemoAwsAccount,
  type DemoEntraTenant,
  type DemoGitHubOrg,
  type DemoGoogleTenant,
} from './tenant-data.js';
import { DEMO_CONFIG_FILE } from './prepare.js';

/**
 * The demo company's Google Workspace, GitHub organization, AWS account and Entra ID tenant, served on 127.0.0.1 from
 * the demo's data files for the length of one scan, so `zombiescan demo` runs the real collectors and SDKs with no
 * network and no credentials of the user's. What the collectors need is made here, fresh each run: the fake's
 * service-account key is written into the demo's own data folder (it is only trusted by this process's fake), a random
 * read-only GitHub token and Entra client secret live only in the environment handed to the demo's config, and random
 * AWS keys sit in this process's environment while the tenants are up (see `useAwsChain`).
 */
export interface DemoTenants {
  /** The throwaway GitHub token and Entra client secret the demo config references; for the config loader only. */
  env: Record<string, string>;
  /**
   * For the demo's scan: Graph is https only (the SDK attaches tokens to https hosts alone), so the Entra collector
   * trusts the fake's test certificate through its own connection pool. Nothing else in the process trusts it.
   */
  collectorDeps: CollectorDeps;
  close(): Promise<void>;
}

export async function startDemoTenants(dataDir: string): Promise<DemoTenants> {
  const read = <T>(name: string) => JSON.parse(readFileSync(path.join(dataDir, name), 'utf8')) as T;
  const googleTenant = read<DemoGoogleTenant>(DEMO_GOOGLE_FILE);
  const { scanner, ...githubOrg } = read<DemoGitHubOrg>(DEMO_GITHUB_FILE);
  const awsAccount = read<DemoAwsAccount>(DEMO_AWS_FILE);
  const entraTenant = read<DemoEntraTenant>(DEMO_ENTRA_FILE);
  if (!scanner) throw new Error(`${DEMO_GITHUB_FILE}: no scanner (the owner whose token the demo uses)`);

  const started: { close(): Promise<void> }[] = [];
  try {
    const google = await startFakeGoogle(googleTenant);
    started.push(google);
    // Classic token format (ghp_ + 36 characters); it only opens this process's fake.
    const token = `ghp_${randomBytes(18).toString('hex')}`;
    const github = await startFakeGitHub({
      ...githubOrg,
      tokens: { [token]: { login: scanner, scopes: ['read:org'] } },
    });
    started.push(github);
    const awsKeys = {
      accessKeyId: `AKIA${randomBytes(10).toString('hex').toUpperCase().slice(0, 16)}`,
      secretAccessKey: randomBytes(30).toString('base64'),
    };
    const aws: FakeAws = await startFakeAws({
      accounts: [awsAccount],
      credentials: [{ ...awsKeys, accountId: awsAccount.accountId, userName: 'zombiescan-demo' }],
      // As when a report was generated in the last four hours (IAM then reuses it): COMPLETE on the first call, so
      // the demo does not sit through the collector's poll back-off. Tests cover the STARTED/INPROGRESS path.
      reportPolls: 0,
    });
    started.push(aws);
    const entraSecret = `${randomBytes(3).toString('hex')}~${randomBytes(24).toString('base64url')}`;
    const graph = await startGraphFake({
      tenantId: entraTenant.tenantId,
      clientId: entraTenant.clientId,
      clientSecret: entraSecret,
      users: entraTenant.users,
      applications: entraTenant.applications,
      // Read-only application permissions: the demo's scan can list users, roles, sign-ins and apps, and change nothing.
      permissions: [
        'User.Read.All',
        'AuditLog.Read.All',
        'RoleManagement.Read.Directory',
        'GroupMember.Read.All',
        'Directory.Read.All',
        'Application.Read.All',
      ],
    });
    started.push(graph);
    const restoreEnv = useAwsChain(awsKeys);
    started.push({ close: async () => restoreEnv() });
    writeFileSync(path.join(dataDir, DEMO_GOOGLE_KEY_FILE), google.keyJson, { mode: 0o600 });
    pointConfigAt(path.join(dataDir, DEMO_CONFIG_FILE), {
      [DEMO_TENANT_ENV.googleApiUrl]: google.apiUrl,
      [DEMO_TENANT_ENV.googleTokenUrl]: google.tokenUrl,
      [DEMO_TENANT_ENV.githubApiUrl]: github.apiUrl,
      [DEMO_TENANT_ENV.awsEndpoint]: aws.endpoint,
      [DEMO_TENANT_ENV.entraGraphUrl]: graph.url,
      [DEMO_TENANT_ENV.entraAuthorityUrl]: graph.authorityUrl,
    });
    return {
      env: { [DEMO_TENANT_ENV.githubToken]: token, [DEMO_TENANT_ENV.entraClientSecret]: entraSecret },
      collectorDeps: { caCertificate: graph.caCertificate },
      close: async () => {
        await Promise.all(started.map((tenant) => tenant.close()));
      },
    };
  } catch (error) {
    await Promise.all(started.map((tenant) => tenant.close()));
    throw error;
  }
}

/**
 * Writes the loopback addresses into the demo's copy of the config, so that copy loads on its own after the demo
 * (reports, `findings`); only the token and secret stay `${VAR}` references, as credentials must.
 */
function pointConfigAt(configFile: string, urls: Record<string, string>): void {
  let text = readFileSync(configFile, 'utf8');
  for (const [name, url] of Object.entries(urls)) {
    const reference = '${' + name + '}';
    if (!text.includes(reference)) throw new Error(`${configFile}: no ${reference} to point at the demo tenant`);
    text = text.replaceAll(reference, url);
  }
  writeFileSync(configFile, text);
}

/** Variables of the AWS SDK's default chain the demo sets, and those it clears so nothing else outranks them. */
const AWS_CHAIN_SET = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_EC2_METADATA_DISABLED'] as const;
const AWS_CHAIN_CLEARED = [
  'AWS_SESSION_TOKEN',
  'AWS_CREDENTIAL_EXPIRATION',
  // A profile makes the chain skip the environment keys.
  'AWS_PROFILE',
] as const;

/**
 * The aws collector takes credentials only from the SDK's standard chain, never from its config (SPEC "AWS"), so
 * the demo's throwaway keys go where the chain looks first: this process's environment, for as long as the tenants
 * are up. Returns the undo; nothing is written to disk and no child process inherits them.
 */
function useAwsChain(keys: { accessKeyId: string; secretAccessKey: string }): () => void {
  const saved = new Map([...AWS_CHAIN_SET, ...AWS_CHAIN_CLEARED].map((name) => [name, process.env[name]]));
  for (const name of AWS_CHAIN_CLEARED) delete process.env[name];
  process.env.AWS_ACCESS_KEY_ID = keys.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = keys.secretAccessKey;
  // Never ask an instance metadata service: the keys above are all there is.
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  return () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}
