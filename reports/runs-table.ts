import type { RunSummary } from '../src/contract/run.js';
import { visible } from '../src/common/terminal-text.js';
import { colors, formatDuration, table } from './terminal.js';

/** `zombiescan runs`: when, whether every source was complete, and what changed. */
export function renderRunsTable(runs: readonly RunSummary[], options: { color: boolean }): string {
  const c = colors(options.color);
  if (runs.length === 0) return 'No scans yet: run `zombiescan scan`.\n';
  const view = table(['RUN', 'STARTED (UTC)', 'TOOK', 'STATUS', 'SOURCES', 'OPEN', 'NEW', 'RESOLVED']);
  for (const run of runs) {
    const took = run.finishedAt ? formatDuration(Date.parse(run.finishedAt) - Date.parse(run.startedAt)) : '';
    const status =
      run.status === 'complete' ? c.green(run.status) : run.status === 'running' ? run.status : c.red(run.status);
    const sources = Object.entries(run.sources)
      .map(([name, source]) =>
        source.status === 'complete'
          ? `${visible(name)} ${source.accounts}`
          : `${visible(name)} ${c.red(source.status)}${source.error ? `: ${visible(source.error)}` : ''}`,
      )
      .join('\n');
    view.push([
      String(run.id),
      run.startedAt.replace('T', ' ').slice(0, 19),
      took,
      status,
      sources,
      run.findingsOpen ?? '',
      run.findingsOpened ?? '',
      run.findingsResolved ?? '',
    ]);
  }
  return view.toString() + '\n';
}
