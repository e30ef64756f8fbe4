import type { CsvSourceConfig } from '../../src/config/config.js';
import { SourceError } from '../../src/contract/errors.js';
import { silentLogger } from '../../src/common/logger.js';
import type { LiveState, RemediatorFactory, SourceRemediator } from '../../src/contract/action.js';
import { createCsvCollector } from './index.js';

/**
 * A CSV export has no API: every system action becomes a ticket. "Re-reading" an account means reading the export
 * again, which is as live as this source gets: an account is verified disabled once a newer export says so.
 */

export const CSV_UNSUPPORTED_REASON = 'csv exports have no API: a ticket is opened instead';

export const createCsvRemediator: RemediatorFactory<CsvSourceConfig> = (config, deps): SourceRemediator => {
  const collector = createCsvCollector(config, deps);
  return {
    unsupportedReason: () => CSV_UNSUPPORTED_REASON,

    async read(account, signal): Promise<LiveState> {
      const context = { signal, log: silentLogger, notice: () => {}, now: new Date() };
      for await (const page of collector.collect(context)) {
        const found = page.find((row) => row.id === account.id);
        if (found) return { found: true, enabled: found.enabled, rawStatus: found.rawStatus, licenses: found.licenses };
      }
      return { found: false, enabled: false, rawStatus: null };
    },

    alreadyDone: (action, state) =>
      (action === 'disable' || action === 'deactivate') && (!state.found || !state.enabled),

    async perform(action) {
      throw new SourceError(config.name, `${action}: ${CSV_UNSUPPORTED_REASON}`, 'config');
    },
  };
};
