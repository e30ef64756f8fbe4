import { colors, formatDuration, table } from './terminal.js';

/** One scan as the runs table shows it (the run summaries `listRuns` returns fit it). */
export interface RunsTableRow {
  id: number;
  startedAt: string;
  finishedAt: string | null;
  status: string;
  sources: Record<string, { status: string; accounts: number; error: string | null }>;
  findingsOpen: number | null;
  findingsOpened: number | null;
  findingsResolved: number | null;
}

/** `zombiescan runs`: when, whether every source was complete, and what changed. */
export function renderRunsTable(runs: readonly RunsTableRow[], options: { color: boolean }): string {
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
          ? `${name} ${source.accounts}`
          : `${name} ${c.red(source.status)}${source.error ? `: ${source.error}` : ''}`,
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
