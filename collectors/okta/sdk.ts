import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as OktaSdk from '@okta/okta-sdk-nodejs';
import {
  BUNDLE_NAME,
  bundleBanner,
  CODE_CACHE_SUFFIX,
  compileCommonJsBundle,
  evaluateBundle,
  installedSdkVersion,
} from './sdk-loading.js';

/**
 * The Okta SDK, loaded fast. @okta/okta-sdk-nodejs is about 2,500 CommonJS files (its generated models), and
 * requiring it costs 1–2 s of CPU: most of `offboard`'s start, where every second counts. The build bundles the
 * same SDK into one minified file with a V8 code cache (sdk-bundle.ts), which loads in about a fifth of that. When
 * the bundle is absent (running from the TypeScript sources without a build) or was built from another SDK version,
 * the package itself is loaded: same code, only slower.
 */

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** dist/collectors/okta -> dist/vendor; collectors/okta (sources) -> dist/vendor of the last build. */
const BUNDLE_CANDIDATES = [
  path.resolve(HERE, '../../vendor', BUNDLE_NAME),
  path.resolve(HERE, '../../dist/vendor', BUNDLE_NAME),
];

function loadBundled(): typeof OktaSdk | null {
  const file = BUNDLE_CANDIDATES.find((candidate) => existsSync(candidate));
  if (!file) return null;
  const source = readFileSync(file, 'utf8');
  if (!source.startsWith(bundleBanner(installedSdkVersion()))) return null;
  const cacheFile = file + CODE_CACHE_SUFFIX;
  const cachedData = existsSync(cacheFile) ? readFileSync(cacheFile) : undefined;
  return evaluateBundle(compileCommonJsBundle(file, source, cachedData), file) as typeof OktaSdk;
}

const sdk: typeof OktaSdk =
  loadBundled() ?? (createRequire(import.meta.url)('@okta/okta-sdk-nodejs') as typeof OktaSdk);

export const Client: typeof OktaSdk.Client = sdk.Client;
export type Client = OktaSdk.Client;
export const RequestExecutor: typeof OktaSdk.RequestExecutor = sdk.RequestExecutor;
export type RequestExecutor = OktaSdk.RequestExecutor;
