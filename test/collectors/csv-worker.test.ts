import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CollectContext } from '../../src/contract/collector.js';
import { loadConfig, type CsvSourceConfig } from '../../src/config/config.js';
import { silentLogger } from '../../src/common/logger.js';
import type { Account } from '../../src/contract/model.js';

/**
 * CSV collection on worker threads (collectors/csv/worker-pool.ts) runs only from the compiled tree (`npm run build`
 * first, as for the e2e tests): the compiled collector, which hands the work to a worker, must give exactly what the
 * same collection on the calling thread gives: pages, notices, errors (class, kind, message), and stop when aborted.
 */

const DIST = path.resolve(import.meta.dirname, '../../dist/collectors/csv');
const compiled = (await import(`${DIST}/index.js`)) as typeof import('../../collectors/csv/index.js');
const workers = (await import(`${DIST}/worker-pool.js`)) as typeof import('../../collectors/csv/worker-pool.js');
const pool = workers.csvWorkerPool()!;
const { SourceError } = (await import(
  path.resolve(import.meta.dirname, '../../dist/src/contract/errors.js')
)) as typeof import('../../src/contract/errors.js');

const dir = mkdtempSync(path.join(tmpdir(), 'zombiescan-csv-worker-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileCount = 0;
function source(content: string, mapping: Partial<CsvSourceConfig> = {}): CsvSourceConfig {
  const file = path.join(dir, `export-${++fileCount}.csv`);
  writeFileSync(file, content);
  return { name: 'app', type: 'csv', role: 'app', timeoutSeconds: 300, path: file, delimiter: ',', ...mapping };
}

function context(signal = new AbortController().signal): CollectContext & { notices: string[] } {
  const notices: string[] = [];
  return { signal, log: silentLogger, notice: (message) => notices.push(message), now: new Date(0), notices };
}

type Outcome = {
  pages: Account[][];
  notices: string[];
  error: { name: string; kind?: string; message: string } | null;
};

async function outcome(pages: AsyncIterable<Account[]>, ctx: { notices: string[] }): Promise<Outcome> {
  const result: Outcome = { pages: [], notices: ctx.notices, error: null };
  try {
    for await (const page of pages) result.pages.push(page);
  } catch (error) {
    const { name, message } = error as Error;
    result.error = { name, message, ...(error instanceof SourceError ? { kind: error.kind } : {}) };
  }
  return result;
}

function rows(count: number, bad?: (index: number) => string | null): string {
  const lines = ['id,email,status,created_at'];
  for (let index = 0; index < count; index++) {
    lines.push(bad?.(index) ?? `u${index},person${index}@example.com,active,2026-01-0${1 + (index % 9)}T10:00:00.5Z`);
  }
  return lines.join('\n') + '\n';
}

describe('CSV collection on a worker thread', () => {
  it('gives the same pages, notices and errors as collecting on the calling thread', async () => {
    for (const content of [
      rows(2_500),
      rows(1_500, (index) => (index === 1_200 ? 'u7,dup@example.com,active,' : null)),
      rows(10, (index) => (index === 4 ? 'u4,x@example.com,active,2026-02-30' : null)),
      'id,name\n1,"unterminated\n',
      'email\nx@example.com\n',
    ]) {
      const config = source(content);
      const [inWorker, here] = [context(), context()];
      const viaWorker = await outcome(pool.collect(config, inWorker), inWorker);
      const onThisThread = await outcome(compiled.collectCsvHere(config, here), here);
      expect(viaWorker).toEqual(onThisThread);
    }
  });

  it('applies the same input mapping: columns, statusMap, dateFormat, timezone, delimiter, BOM and CRLF', async () => {
    const mapped = (count: number, edit?: (index: number) => string | null) => {
      const lines = ['\uFEFFUser ID;Mail;Active;Last Login;Created;Admin'];
      for (let index = 0; index < count; index++) {
        lines.push(
          edit?.(index) ??
            `U${index};"p${index}@example.com";${index % 3 === 0 ? 'No' : 'Yes'};` +
              `${1 + (index % 12)}/${1 + (index % 28)}/2026, ${1 + (index % 12)}:05 ${index % 2 ? 'PM' : 'AM'};` +
              `${1 + (index % 12)}/3/2025;${index % 5 === 0 ? 'yes' : 'no'}`,
        );
      }
      return lines.join('\r\n') + '\r\n';
    };
    const mapping: Partial<CsvSourceConfig> = {
      delimiter: ';',
      columns: { id: 'User ID', email: 'Mail', status: 'Active', last_login_at: 'Last Login', created_at: 'Created' },
      statusMap: { yes: 'active', no: 'disabled' },
      dateFormat: ['M/d/yyyy, h:mm a', 'M/d/yyyy'],
      timezone: 'America/New_York',
    };
    const isoInBerlin: Partial<CsvSourceConfig> = { timezone: 'Europe/Berlin' };
    const cases: CsvSourceConfig[] = [
      source(mapped(300), mapping),
      source(
        mapped(250, (index) => (index === 200 ? 'U200;x@example.com;Maybe;1/1/2026;1/1/2026;no' : null)),
        mapping,
      ),
      source(
        mapped(300, (index) => (index === 250 ? 'U250;x@example.com;Yes;2026-01-01;1/1/2026;no' : null)),
        mapping,
      ),
      // ISO dates outside UTC: a date-only value is local midnight, a Z date-time is what it says.
      source(
        rows(1_500, (index) =>
          index % 2 ? `u${index},p${index}@example.com,active,2026-03-${10 + (index % 18)}` : null,
        ),
        isoInBerlin,
      ),
      // The worked mappings of README "From your exports", through the real config loader.
      ...loadConfig(path.resolve(import.meta.dirname, '../fixtures/csv/exports.yaml'), {}).sources.map(
        (config) => config as CsvSourceConfig,
      ),
    ];
    for (const config of cases) {
      const [inWorker, here] = [context(), context()];
      const viaWorker = await outcome(pool.collect(config, inWorker), inWorker);
      const onThisThread = await outcome(compiled.collectCsvHere(config, here), here);
      expect(viaWorker).toEqual(onThisThread);
      expect(viaWorker.pages.length + (viaWorker.error ? 1 : 0)).toBeGreaterThan(0);
    }
  });

  it('is used for large exports only', () => {
    expect(pool).not.toBeNull();
    expect(workers.worthAWorker(source(rows(10)).path)).toBe(false);
    expect(workers.worthAWorker(source(rows(30_000)).path)).toBe(true);
    expect(workers.worthAWorker(path.join(dir, 'missing.csv'))).toBe(false);
  });

  it('collects several sources at once, and stops when aborted', async () => {
    const configs = [source(rows(3_000)), source(rows(2_000)), source(rows(1_000))];
    const counts = await Promise.all(
      configs.map(async (config) => {
        let count = 0;
        for await (const page of pool.collect(config, context())) count += page.length;
        return count;
      }),
    );
    expect(counts).toEqual([3_000, 2_000, 1_000]);

    const controller = new AbortController();
    const ctx = context(controller.signal);
    const pages = pool.collect(source(rows(20_000)), ctx);
    await pages.next();
    controller.abort(new Error('stop now'));
    await expect(pages.next()).rejects.toThrow('stop now');
  });
});
