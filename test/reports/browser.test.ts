import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderAuditHtml } from '../../reports/audit.js';
import { renderTerminationHtml } from '../../reports/termination.js';
import { gatherAuditData } from '../../src/reporting/audit.js';
import { gatherTerminationData } from '../../src/reporting/termination.js';
import { bundledChromiumArgs, chooseChromium, PROJECT_FLAGS } from './chromium.js';
import { buildCompany, runCli, TZ, XSS, XSS_SCRIPT, type Harness } from './fixture.js';

/**
 * The HTML reports in a real browser: what an auditor sees (the key numbers are on the page), that hostile values
 * from the sources stay text (no dialog, no script, no request), and screenshots for review. The browser is the
 * system's Chromium, or else the one the @sparticuz/chromium dev dependency ships (./chromium.ts), so a bare machine
 * needs nothing but `npm ci`; a browser that cannot start fails these tests, it never skips them.
 */

const ROOT = path.resolve(import.meta.dirname, '../..');
const OUTPUT = path.join(ROOT, 'test-output');
/** Committed, shown in the README; rewritten when missing or with ZOMBIESCAN_UPDATE_SCREENSHOTS=1. */
const README_SCREENSHOT = path.join(ROOT, 'test', 'screenshots', 'audit-report.png');

let browser: Browser;
let h: Harness;
let auditFile: string;
let terminationFile: string;

beforeAll(async () => {
  const chromiumChoice = await chooseChromium();
  mkdirSync(OUTPUT, { recursive: true });
  h = await buildCompany();
  auditFile = path.join(OUTPUT, 'audit-report.html');
  writeFileSync(
    auditFile,
    renderAuditHtml(
      gatherAuditData(h.db, {
        now: h.now,
        timezone: TZ,
        configFile: h.config.file,
        since: null,
        licensePrices: h.config.licenses.prices,
        currency: h.config.licenses.currency,
        configuredSources: h.config.sources,
      }),
    ),
  );
  terminationFile = path.join(OUTPUT, 'termination-report.html');
  writeFileSync(
    terminationFile,
    renderTerminationHtml(gatherTerminationData(h.db, { person: 'E2', now: h.now, timezone: TZ })),
  );
  browser = await chromium.launch({ executablePath: chromiumChoice.executablePath, args: chromiumChoice.args });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  h?.db.close();
});

interface Opened {
  page: Page;
  dialogs: string[];
  requests: string[];
  consoleErrors: string[];
}

/** Opens a report file, recording every dialog, every request beyond the file itself, and console errors. */
async function open(file: string): Promise<Opened> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const opened: Opened = { page, dialogs: [], requests: [], consoleErrors: [] };
  page.on('dialog', (dialog) => {
    opened.dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('console', (message) => {
    if (message.type() === 'error') opened.consoleErrors.push(message.text());
  });
  const url = pathToFileURL(file).href;
  await page.route('**/*', (route) => {
    if (route.request().url() !== url) opened.requests.push(route.request().url());
    return route.request().url() === url ? route.continue() : route.abort();
  });
  await page.goto(url, { waitUntil: 'load' });
  return opened;
}

async function expectInert(opened: Opened, file: string): Promise<void> {
  expect(opened.dialogs).toEqual([]);
  expect(opened.requests).toEqual([]);
  expect(await opened.page.evaluate(() => (globalThis as { __xss?: unknown }).__xss)).toBeUndefined();
  expect(await opened.page.locator('script, img, iframe, object, embed').count()).toBe(0);
  expect(readFileSync(file, 'utf8')).not.toMatch(/<script/i);
}

describe('audit report in Chromium', () => {
  it('shows the key numbers an auditor looks for', async () => {
    const { page } = await open(auditFile);
    const tiles = (await page.locator('.tile').allInnerTexts()).map((text) => text.replace(/\s+/g, ' ').trim());
    expect(tiles).toEqual([
      '1 Accounts used after their owner’s termination',
      '2 Unresolved findings',
      '1 Critical',
      '1 Departed people with access still open',
      '1 Sources not complete',
      '2 (€29.75/mo) Licences held by zombie accounts',
    ]);
    const coverage = await page.locator('#coverage').innerText();
    expect(coverage).toContain('HTTP 503 from upstream');
    expect(coverage).toMatch(/github \(failed\)/);
    const terminations = await page.locator('#terminations').innerText();
    expect(terminations).toContain('40 d 3 h');
    expect(terminations).toContain('STILL OPEN');
    expect(terminations).toContain('All access removed within 16 d 3 h');
    expect(await page.locator('#suppressions').innerText()).toContain('secops-lead');
    expect(await page.locator('#remediation').innerText()).toContain('Journal hash chain verified: 2 entries, intact.');
    expect(await page.locator('#trend svg rect').count()).toBeGreaterThanOrEqual(8);
    expect(await page.locator('#licenses tfoot').innerText()).toContain('€29.75');
    await page.screenshot({ path: path.join(OUTPUT, 'audit-report.png'), fullPage: true });
    await page.close();
  });

  it('renders hostile display names as text: no dialog, no script, no request', async () => {
    const opened = await open(auditFile);
    const body = await opened.page.locator('body').innerText();
    expect(body).toContain(XSS);
    expect(body).toContain(XSS_SCRIPT);
    await expectInert(opened, auditFile);
    await opened.page.close();
  });

  it('prints with a page break before every section after the first', async () => {
    const { page } = await open(auditFile);
    await page.emulateMedia({ media: 'print' });
    // Runs in the page (no DOM types in this project's lib): getComputedStyle is the browser's.
    const breaks = await page.$$eval('section', (sections) =>
      sections.map(
        (section) =>
          (globalThis as unknown as { getComputedStyle(node: unknown): { breakBefore: string } }).getComputedStyle(
            section,
          ).breakBefore,
      ),
    );
    expect(breaks[0]).toBe('auto');
    expect(new Set(breaks.slice(1))).toEqual(new Set(['page']));
    const pdf = await page.pdf({ format: 'A4' });
    expect(pdf.subarray(0, 4).toString()).toBe('%PDF');
    await page.close();
  });
});

describe('termination report in Chromium', () => {
  it('shows every account, its actions and verification, and the gaps; hostile values stay text', async () => {
    const opened = await open(terminationFile);
    const { page } = opened;
    expect(await page.locator('h1').innerText()).toBe(`Termination evidence: Bob ${XSS}`);
    const gaps = await page.locator('#gaps tr.gap').allInnerTexts();
    expect(gaps).toHaveLength(2);
    expect(gaps.join('\n')).toContain('removal not verified');
    const offboarding = await page.locator('#offboarding').innerText();
    expect(offboarding).toContain('NOT VERIFIED');
    expect(offboarding).toContain('revoke-sessions');
    expect(offboarding).toContain(XSS);
    expect(await page.locator('#offboarding tbody tr').count()).toBe(3);
    await expectInert(opened, terminationFile);
    await page.screenshot({ path: path.join(OUTPUT, 'termination-report.png'), fullPage: true });
    await page.close();
  });
});

describe('the bundled Chromium', () => {
  it('runs with the project flags (offline, headless) and keeps the browser security model', () => {
    const args = bundledChromiumArgs();
    expect(args).toEqual(expect.arrayContaining([...PROJECT_FLAGS, '--no-zygote', '--no-pings', '--disable-webgl']));
    for (const weakening of ['--disable-web-security', '--allow-running-insecure-content', '--single-process']) {
      expect(args).not.toContain(weakening);
    }
    expect(args.join(' ')).not.toMatch(/IsolateOrigins|site-per-process|disable-site-isolation/);
  });
});

describe('README screenshot', () => {
  it('renders the demo organisation audit report', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'zombiescan-demo-report-'));
    const now = new Date('2026-11-26T12:00:00Z');
    expect((await runCli(['demo', '--dir', dir], now)).code).toBe(0);
    const report = await runCli(
      ['--config', path.join(dir, 'data', 'zombiescan.yaml'), '--db', path.join(dir, 'zombiescan.db'), '--json'].concat(
        ['report', 'audit', '--out', dir],
      ),
      now,
    );
    expect(report.code).toBe(0);
    const file = (JSON.parse(report.stdout) as { file: string }).file;
    const opened = await open(file);
    await expectInert(opened, file);
    expect(await opened.page.locator('.tile').count()).toBe(6);
    const shot = path.join(OUTPUT, 'demo-audit-report.png');
    await opened.page.screenshot({ path: shot, fullPage: true, clip: { x: 0, y: 0, width: 1200, height: 1500 } });
    await opened.page.screenshot({ path: path.join(OUTPUT, 'demo-audit-report-full.png'), fullPage: true });
    await opened.page.close();
    if (!existsSync(README_SCREENSHOT) || process.env.ZOMBIESCAN_UPDATE_SCREENSHOTS === '1') {
      mkdirSync(path.dirname(README_SCREENSHOT), { recursive: true });
      copyFileSync(shot, README_SCREENSHOT);
    }
    rmSync(dir, { recursive: true, force: true });
    // The demo runs the real Google, GitHub and AWS collectors against its loopback tenants, then Chromium renders.
  }, 90_000);
});
