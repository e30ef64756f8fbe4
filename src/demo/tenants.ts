import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
// The demo serves its tenants with the very fakes the tests use (tsconfig.build.json compiles these two into
// dist/test/fakes), so there is one loopback Google and one loopback GitHub to keep faithful to the vendor docs, not a
// test copy and a demo copy drifting apart. They import nothing but Node built-ins.
import { startFakeGitHub, type FakeGitHub } from '../../test/fakes/github.js';
import { startFakeGoogle, type GoogleFake } from '../../test/fakes/google.js';
import {
  DEMO_GITHUB_FILE,
  DEMO_GOOGLE_FILE,
  DEMO_GOOGLE_KEY_FILE,
  DEMO_TENANT_ENV,
  type DemoGitHubOrg,
  type DemoGoogleTenant,
} from './tenant-data.js';

/**
 * The demo company's Google Workspace and GitHub organization, served on 127.0.0.1 from the demo's data files for the
 * length of one scan, so `zombiescan demo` runs the real collectors and SDKs with no network and no credentials of
 * the user's. What the collectors need is made here, fresh each run: the fake's service-account key is written into
 * the demo's own data folder (it is only trusted by this process's fake), and a random read-only GitHub token lives
 * only in the environment handed to the demo's config.
 */
export interface DemoTenants {
  /** Variables the demo config references (`${ZOMBIESCAN_DEMO_...}`); pass them to the config loader only. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startDemoTenants(dataDir: string): Promise<DemoTenants> {
  const read = <T>(name: string) => JSON.parse(readFileSync(path.join(dataDir, name), 'utf8')) as T;
  const googleTenant = read<DemoGoogleTenant>(DEMO_GOOGLE_FILE);
  const { scanner, ...githubOrg } = read<DemoGitHubOrg>(DEMO_GITHUB_FILE);
  if (!scanner) throw new Error(`${DEMO_GITHUB_FILE}: no scanner (the owner whose token the demo uses)`);

  const started: (GoogleFake | FakeGitHub)[] = [];
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
    writeFileSync(path.join(dataDir, DEMO_GOOGLE_KEY_FILE), google.keyJson, { mode: 0o600 });
    return {
      env: {
        [DEMO_TENANT_ENV.googleApiUrl]: google.apiUrl,
        [DEMO_TENANT_ENV.googleTokenUrl]: google.tokenUrl,
        [DEMO_TENANT_ENV.githubApiUrl]: github.apiUrl,
        [DEMO_TENANT_ENV.githubToken]: token,
      },
      close: async () => {
        await Promise.all(started.map((tenant) => tenant.close()));
      },
    };
  } catch (error) {
    await Promise.all(started.map((tenant) => tenant.close()));
    throw error;
  }
}
