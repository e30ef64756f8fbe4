import { listRuns } from '../../store/runs.js';
import { renderRunsTable } from '../../../reports/runs-table.js';
import type { CliContext } from '../context.js';

export function runsCommand(ctx: CliContext, options: { limit: number }): number {
  const runs = listRuns(ctx.db(), options.limit);
  if (ctx.json) ctx.outJson(runs);
  else ctx.out(renderRunsTable(runs, { color: ctx.color }));
  return 0;
}
