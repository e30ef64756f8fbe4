import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Client, RequestExecutor } from '../../../collectors/okta/sdk.js';
import {
  BUNDLE_NAME,
  bundleBanner,
  CODE_CACHE_SUFFIX,
  compileCommonJsBundle,
  installedSdkVersion,
} from '../../../collectors/okta/sdk-loading.js';

// `npm test` builds first, so the bundle the CLI loads is there; these tests check it is the SDK, whole and current.
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const BUNDLE = path.join(ROOT, 'dist', 'vendor', BUNDLE_NAME);
const packageSdk = createRequire(import.meta.url)('@okta/okta-sdk-nodejs') as Record<string, unknown>;

describe('the bundled Okta SDK', () => {
  it('is built from the installed SDK version, and its code cache is accepted by this Node', () => {
    expect(existsSync(BUNDLE), 'run `npm run build` first').toBe(true);
    const source = readFileSync(BUNDLE, 'utf8');
    expect(source.startsWith(bundleBanner(installedSdkVersion()))).toBe(true);
    const script = compileCommonJsBundle(BUNDLE, source, readFileSync(BUNDLE + CODE_CACHE_SUFFIX));
    expect(script.cachedDataRejected).toBe(false);
  });

  it('is what the collector loads, and exports everything the package does', () => {
    expect(Client).not.toBe(packageSdk.Client);
    expect(RequestExecutor).not.toBe(packageSdk.RequestExecutor);
    const bundled = createRequire(import.meta.url)(BUNDLE) as Record<string, unknown>;
    expect(Object.keys(bundled).sort()).toEqual(Object.keys(packageSdk).sort());
    expect(Client.name).toBe('Client');
  });

  it('builds a client that speaks to an org like the package does', () => {
    const client = new Client({ orgUrl: 'https://example.okta.com', token: 'x', cacheMiddleware: null });
    expect(typeof client.userApi.listUsers).toBe('function');
    expect(client.requestExecutor).toBeInstanceOf(RequestExecutor);
  });
});
