import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { listFindings, type FindingFilter } from '../../findings.js';
import { renderFindingsCsv } from '../../../reports/findings-csv.js';
import { renderFindingsJson } from '../../../reports/findings-json.js';
import type { CliContext } from '../context.js';

export type FindingsFormat = 'csv' | 'json';

/** Renders, then delivers: to stdout, or to a file in --out (written whole, then renamed: never half a report). */
export function reportFindingsCommand(
  ctx: CliContext,
  options: FindingFilter & { format: FindingsFormat; out?: string },
): number {
  const findings = listFindings(ctx.db(), options);
  const text = options.format === 'csv' ? renderFindingsCsv(findings) : renderFindingsJson(findings);
  if (!options.out) {
    ctx.out(text);
    return 0;
  }
  const file = writeReport(options.out, `findings.${options.format}`, text);
  ctx.log.info(`wrote ${findings.length} findings to ${file}`);
  if (ctx.json) ctx.outJson({ file, findings: findings.length });
  return 0;
}

export function writeReport(dir: string, name: string, content: string): string {
  mkdirSync(dir, { recursive: true });
  const file = path.resolve(dir, name);
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, content, { mode: 0o600 });
  renameSync(temporary, file);
  return file;
}
