import { rmSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../config/config.js';
import { listFindings } from '../../store/findings.js';
import { prepareDemo } from '../../demo/prepare.js';
import { startDemoTenants } from '../../demo/tenants.js';
import { renderFindingsCsv } from '../../../reports/findings-csv.js';
import type { CliContext } from '../context.js';
import { writeReport } from './report.js';
import { scanWithProgress, summaryText } from './scan.js';

/**
 * A full scan of the bundled sample company, no credentials: the data is copied to ./zombiescan-demo/data with its
 * dates moved to today, its Google, GitHub, AWS and Entra ID tenants are served on loopback for the real collectors,
 * everything is scanned into a fresh ./zombiescan-demo/zombiescan.db, and the findings CSV written beside it.
 */
export async function demoCommand(ctx: CliContext, options: { dir: string }): Promise<number> {
  const dir = path.resolve(options.dir);
  const database = path.join(dir, 'zombiescan.db');
  for (const suffix of ['', '-wal', '-shm']) rmSync(database + suffix, { force: true });
  const dataDir = path.join(dir, 'data');
  const { configPath } = prepareDemo(dataDir, ctx.io.now());
  const tenants = await startDemoTenants(dataDir);
  let result: Awaited<ReturnType<typeof scanWithProgress>>;
  try {
    // The throwaway GitHub token and Entra secret reach the config only, never this process's environment.
    const config = loadConfig(configPath, { ...ctx.io.env, ...tenants.env });
    ctx.useConfig({ ...config, database });
    if (!ctx.globals.db) ctx.globals.db = database;
    result = await scanWithProgress(ctx, {}, tenants.collectorDeps);
  } finally {
    await tenants.close();
  }
  const csv = writeReport(dir, 'findings.csv', renderFindingsCsv(listFindings(ctx.db(), { status: 'all' })));
  if (ctx.json) {
    ctx.outJson({ ...result, findingsCsv: csv, database });
  } else {
    const relative = (file: string) => path.relative(process.cwd(), file) || file;
    ctx.out(
      summaryText(ctx, result, [
        `Findings CSV: ${relative(csv)}`,
        `Explore: npx zombiescan findings --db ${relative(database)}   (add --json, --rule, --severity, --status all)`,
        `Config used: ${relative(configPath)}`,
      ]),
    );
  }
  return result.status === 'complete' ? 0 : 1;
}
