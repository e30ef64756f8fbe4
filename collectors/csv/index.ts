import type { CollectContext, CollectorFactory, DoctorCheck, SourceCollector } from '../../src/contract/collector.js';
import type { CsvSourceConfig } from '../../src/config/config.js';
import { openCsv, type CsvFile } from '../../src/common/csv-input.js';
import { InputError, SourceError } from '../../src/contract/errors.js';
import type { Account } from '../../src/contract/model.js';
import { headerHint } from '../../src/common/header-hints.js';
import {
  ACTIVITY_COLUMN,
  CSV_COLUMNS,
  PRIVILEGED_COLUMN,
  csvReading,
  toAccount,
  type CsvReading,
} from './transform.js';
import { SeenIds } from './seen-ids.js';
import { csvWorkerPool, worthAWorker } from './worker-pool.js';

/**
 * `type: csv`: accounts from an app's CSV export (see transform.ts for the columns). The file is streamed in pages;
 * any bad row fails the whole source, so the scan keeps its previous snapshot instead of loading part of a file.
 */

export const CSV_PAGE_SIZE = 1000;

export const createCsvCollector: CollectorFactory<CsvSourceConfig> = (config) => new CsvCollector(config);

/** Collects on the calling thread, in pages: the accounts a worker would send (see collectCsvAccountsHere). */
export function collectCsvHere(config: CsvSourceConfig, context: CollectContext): AsyncGenerator<Account[]> {
  return new CsvCollector(config).collectHere(context);
}

/** What a CSV collection worker runs: collectCsvHere one account at a time, each put into a page's bytes. */
export function collectCsvAccountsHere(config: CsvSourceConfig, context: CollectContext): AsyncGenerator<Account> {
  return new CsvCollector(config).accountsHere(context);
}

class CsvCollector implements SourceCollector {
  private readonly reading: CsvReading;

  constructor(private readonly config: CsvSourceConfig) {
    this.reading = csvReading(config);
  }

  collect(context: CollectContext): AsyncIterable<Account[]> {
    // Parsing and mapping run on a worker thread when they can (see worker-pool.ts), with this very code.
    const pool = worthAWorker(this.config.path) ? csvWorkerPool() : null;
    return pool ? pool.collect(this.config, context) : this.collectHere(context);
  }

  async *collectHere(context: CollectContext): AsyncGenerator<Account[]> {
    let page: Account[] = [];
    for await (const account of this.accountsHere(context)) {
      page.push(account);
      if (page.length === CSV_PAGE_SIZE) {
        yield page;
        page = [];
        context.signal.throwIfAborted();
      }
    }
    if (page.length > 0) yield page;
  }

  /** The export's accounts one by one, after the checks and notices a collection starts with. */
  async *accountsHere(context: CollectContext): AsyncGenerator<Account> {
    const csv = await this.open();
    try {
      this.requireIdColumn(csv);
      const activityColumn = this.reading.headers[ACTIVITY_COLUMN];
      if (!csv.has(activityColumn)) {
        context.notice(`${this.config.path} has no ${activityColumn} column: sign-in activity unknown`);
      }
      yield* this.accounts(csv);
    } finally {
      await csv.close();
    }
  }

  async doctor(): Promise<DoctorCheck[]> {
    let csv: CsvFile;
    try {
      csv = await this.open();
    } catch (error) {
      return [{ check: 'file', ok: false, detail: describe(error) }];
    }
    try {
      const checks: DoctorCheck[] = [{ check: 'file', ok: true, detail: `${this.config.path} is readable CSV` }];
      const known = new Set(Object.values(this.reading.keys));
      const used = CSV_COLUMNS.filter((field) => csv.has(this.reading.headers[field])).map((field) =>
        this.reading.headers[field] === field ? field : `${field} (${this.reading.headers[field]})`,
      );
      const ignored = csv.header.names.filter((name) => name !== '' && !known.has(name.trim().toLowerCase()));
      const columns = `columns: ${used.join(', ')}${ignored.length > 0 ? `; ignored: ${ignored.join(', ')}` : ''}`;
      try {
        this.requireIdColumn(csv);
      } catch (error) {
        checks.push({ check: 'header', ok: false, detail: describe(error) });
        return checks;
      }
      checks.push({ check: 'header', ok: true, detail: columns });
      checks.push({
        check: 'sign-in activity',
        ok: true,
        detail: csv.has(this.reading.headers[ACTIVITY_COLUMN])
          ? `known: ${this.reading.headers[ACTIVITY_COLUMN]} column present (an empty cell means never signed in)`
          : `unknown: no ${this.reading.headers[ACTIVITY_COLUMN]} column, so inactivity rules will not fire for this source`,
      });
      checks.push(
        csv.has(PRIVILEGED_COLUMN)
          ? { check: 'admin roles', ok: true, detail: `known: ${PRIVILEGED_COLUMN} column present` }
          : {
              check: 'admin roles',
              ok: false,
              limitation: true,
              detail:
                `unknown: no ${PRIVILEGED_COLUMN} column, so remediation refuses to act on this source's accounts ` +
                'without --include-privileged',
            },
      );
      checks.push(await this.checkRows(csv));
      return checks;
    } finally {
      await csv.close();
    }
  }

  /** Reads every row as a scan would, so doctor finds a bad row before the nightly scan does. */
  private async checkRows(csv: CsvFile): Promise<DoctorCheck> {
    let count = 0;
    try {
      for await (const _ of this.accounts(csv)) count++;
      return { check: 'rows', ok: true, detail: `${count} accounts, every row valid` };
    } catch (error) {
      return { check: 'rows', ok: false, detail: describe(error) };
    }
  }

  /** Every row as an Account; throws SourceError (kind `data`) at the first bad row or repeated id. */
  private async *accounts(csv: CsvFile): AsyncGenerator<Account> {
    const seen = new SeenIds();
    try {
      for await (const row of csv) {
        const account = toAccount(this.config.name, row.values, row.line, this.config.path, this.reading);
        if (!seen.add(account.id)) {
          const earlier = await this.firstLineListing(account.id, row.line);
          if (earlier !== null) {
            throw this.dataError(row.line, 'id', `duplicate id "${account.id}" (first on line ${earlier})`);
          }
        }
        yield account;
      }
    } catch (error) {
      throw this.fromInputError(error);
    }
  }

  /** Where the export first lists `id` before line `before`, read again (see SeenIds); null when nowhere. */
  private async firstLineListing(id: string, before: number): Promise<number | null> {
    const csv = await this.open();
    try {
      for await (const row of csv) {
        if (row.line >= before) return null;
        if (toAccount(this.config.name, row.values, row.line, this.config.path, this.reading).id === id)
          return row.line;
      }
      return null;
    } finally {
      await csv.close();
    }
  }

  private async open(): Promise<CsvFile> {
    try {
      return await openCsv(this.config.path, { delimiter: this.config.delimiter });
    } catch (error) {
      throw this.fromInputError(error);
    }
  }

  private requireIdColumn(csv: CsvFile): void {
    const expected = this.reading.headers.id;
    if (csv.has(expected)) return;
    const found = csv.header.names.filter((name) => name !== '').join(', ');
    const hint = headerHint({
      names: csv.header.names,
      delimiter: this.config.delimiter,
      expected,
      field: 'id',
      mapWith: (header) => `columns: { id: ${JSON.stringify(header)} } on source ${this.config.name}`,
      delimiterSetting: `delimiter (source ${this.config.name})`,
    });
    const problem = `required column not found (the header has: ${found})${hint ? `; ${hint}` : ''}`;
    throw this.dataError(csv.header.line, expected, problem);
  }

  private fromInputError(error: unknown): unknown {
    if (!(error instanceof InputError)) return error;
    // A file-level problem (missing, unreadable, a directory) is a setup mistake; anything with a line is bad data.
    return new SourceError(this.config.name, error.message, error.line === null ? 'config' : 'data');
  }

  private dataError(line: number, column: string, problem: string): SourceError {
    return new SourceError(this.config.name, `${this.config.path}:${line}: ${column}: ${problem}`, 'data');
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
