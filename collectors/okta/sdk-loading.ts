import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';

/** What the build (sdk-bundle.ts) and the loader (sdk.ts) agree on: where the bundle is and how it is run. */

export const BUNDLE_NAME = 'okta-sdk.cjs';
export const CODE_CACHE_SUFFIX = '.v8-cache';

export function installedSdkVersion(): string {
  return (createRequire(import.meta.url)('@okta/okta-sdk-nodejs/package.json') as { version: string }).version;
}

/** The first line of the bundle names the SDK version it was built from. */
export function bundleBanner(version: string): string {
  return `/* @okta/okta-sdk-nodejs ${version} bundled by zombiescan */`;
}

/** Compiles a CommonJS bundle the way Node's loader wraps a module, with V8's code cache when it matches. */
export function compileCommonJsBundle(file: string, source: string, cachedData: Buffer | undefined): vm.Script {
  return new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    cachedData,
  });
}

export function evaluateBundle(script: vm.Script, file: string): unknown {
  const module = { exports: {} as unknown };
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  wrapper.call(module.exports, module.exports, createRequire(file), module, file, path.dirname(file));
  return module.exports;
}
