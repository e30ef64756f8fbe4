import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sparticuz from '@sparticuz/chromium';

/**
 * Which Chromium the report browser tests open, so `npm test` passes on a bare machine through npm alone: the
 * system's Chromium when there is one (CHROMIUM_PATH, else /usr/bin/chromium), otherwise the headless Chromium that
 * the `@sparticuz/chromium` dev dependency ships inside its npm package, unpacked once per machine into the temp
 * folder. Never a skip: a machine where neither works fails the tests.
 */

/** The flags this project always runs Chromium with: headless, no network of its own (the tests run offline). */
export const PROJECT_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * @sparticuz/chromium's recommended flags that are NOT taken: they weaken what the tests check (that a hostile
 * value stays inert under the browser's normal security model), or are for AWS Lambda only. `--single-process`
 * also breaks Playwright's new context per page.
 */
const REFUSED_FLAGS = [
  '--disable-web-security',
  '--allow-running-insecure-content',
  '--disable-site-isolation-trials',
  '--single-process',
  '--enable-features=',
  // Playwright passes its own --headless; the bundled binary is headless_shell either way.
  '--headless=',
];

export interface ChromiumChoice {
  executablePath: string;
  args: string[];
  /** Where it came from, for the test log. */
  origin: 'CHROMIUM_PATH' | 'system' | '@sparticuz/chromium';
}

export async function chooseChromium(env: NodeJS.ProcessEnv = process.env): Promise<ChromiumChoice> {
  if (env.CHROMIUM_PATH) {
    // An explicit choice that does not exist is a mistake to report, not a reason to pick another browser.
    if (!existsSync(env.CHROMIUM_PATH)) throw new Error(`CHROMIUM_PATH=${env.CHROMIUM_PATH}: no such file`);
    return { executablePath: env.CHROMIUM_PATH, args: PROJECT_FLAGS, origin: 'CHROMIUM_PATH' };
  }
  if (existsSync('/usr/bin/chromium')) {
    return { executablePath: '/usr/bin/chromium', args: PROJECT_FLAGS, origin: 'system' };
  }
  return { executablePath: await unpackBundledChromium(), args: bundledChromiumArgs(), origin: '@sparticuz/chromium' };
}

/** The project's flags plus @sparticuz/chromium's own (it runs without a GPU, zygote or sandbox), minus the refused. */
export function bundledChromiumArgs(): string[] {
  // No WebGL: the reports draw SVG only, and WebGL would need the SwiftShader stack.
  sparticuz.setGraphicsMode = false;
  const theirs = sparticuz.args
    .map((flag) => (flag.startsWith('--disable-features=') ? withoutSiteIsolationChanges(flag) : flag))
    .filter((flag): flag is string => flag !== null)
    .filter((flag) => !REFUSED_FLAGS.some((refused) => flag === refused || flag.startsWith(refused)));
  return [...new Set([...PROJECT_FLAGS, ...theirs])];
}

/** Keeps site isolation (IsolateOrigins, site-per-process) on: their list turns it off for --single-process. */
function withoutSiteIsolationChanges(flag: string): string | null {
  const kept = flag
    .slice('--disable-features='.length)
    .split(',')
    .filter((feature) => feature !== 'IsolateOrigins' && feature !== 'site-per-process');
  return kept.length > 0 ? `--disable-features=${kept.join(',')}` : null;
}

/**
 * Unpacks the bundled Chromium (about 200 MB, 2 s) into `<tmp>/zombiescan-chromium-<version>/` once. The package
 * itself unpacks straight into `<tmp>/chromium` and trusts any file found there, so a run killed mid-unpack, or two
 * test runs at once, would leave a truncated binary for every later run; here each run unpacks into a fresh folder
 * of its own and renames it into place, which is atomic: a folder at the final path is always complete.
 */
async function unpackBundledChromium(): Promise<string> {
  const finalDir = path.join(tmpdir(), `zombiescan-chromium-${bundledVersion()}`);
  const binary = path.join(finalDir, 'chromium');
  if (existsSync(binary)) return binary;
  const staging = mkdtempSync(path.join(tmpdir(), 'zombiescan-chromium-unpacking-'));
  const previous = process.env.TMPDIR;
  // The package unpacks into os.tmpdir(), which follows TMPDIR at call time.
  process.env.TMPDIR = staging;
  try {
    const unpacked = await sparticuz.executablePath();
    if (path.dirname(unpacked) !== staging) throw new Error(`@sparticuz/chromium unpacked to ${unpacked}`);
  } finally {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
  }
  try {
    renameSync(staging, finalDir);
  } catch (error) {
    // Another run finished first: theirs is complete, use it.
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(binary)) throw error;
  }
  return binary;
}

/** The npm package's version (143.0.4): a new release unpacks into a folder of its own. */
function bundledVersion(): string {
  // The package's entry point is <package>/build/cjs/index.cjs.
  const dir = path.resolve(createRequire(import.meta.url).resolve('@sparticuz/chromium'), '../../..');
  return (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}
