import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import {
  BUNDLE_NAME,
  bundleBanner,
  CODE_CACHE_SUFFIX,
  evaluateBundle,
  installedSdkVersion,
  compileCommonJsBundle,
} from './sdk-loading.js';

/**
 * Build step (`npm run build`): bundles @okta/okta-sdk-nodejs into dist/vendor/okta-sdk.cjs and writes the V8 code
 * cache of it, produced after one evaluation so the functions run at load time are cached compiled. Names are kept
 * (keepNames) so anything that reads a class or function name sees the SDK's own.
 */
export async function bundleOktaSdk(outDir: string): Promise<{ file: string; bytes: number; cacheBytes: number }> {
  const file = path.join(outDir, BUNDLE_NAME);
  mkdirSync(outDir, { recursive: true });
  const version = installedSdkVersion();
  await build({
    entryPoints: [createRequire(import.meta.url).resolve('@okta/okta-sdk-nodejs')],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    keepNames: true,
    legalComments: 'eof',
    banner: { js: bundleBanner(version) },
    logLevel: 'warning',
  });
  const source = readFileSync(file, 'utf8');
  const script = compileCommonJsBundle(file, source, undefined);
  evaluateBundle(script, file);
  const cache = script.createCachedData();
  writeFileSync(file + CODE_CACHE_SUFFIX, cache);
  return { file, bytes: Buffer.byteLength(source), cacheBytes: cache.length };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../vendor');
  await bundleOktaSdk(outDir);
}
