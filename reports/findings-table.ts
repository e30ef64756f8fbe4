import type { Finding } from '../src/contract/model.js';
import { visible } from '../src/common/terminal-text.js';
import { colors, paintSeverity, shortDate, table } from './terminal.js';

/** `zombiescan findings`: one row per finding, most severe first, the why in the last column. */
export function renderFindingsTable(findings: readonly Finding[], options: { color: boolean; width: number }): string {
  const c = colors(options.color);
  if (findings.length === 0) return 'No findings match.\n';
  const fixed = [6, 10, 25, 10, 34, 8, 12];
  const why = Math.max(30, options.width - fixed.reduce((a, b) => a + b, 0) - 2);
  const view = table(['ID', 'SEVERITY', 'RULE', 'SOURCE', 'ACCOUNT', 'OWNER', 'FIRST SEEN', 'WHY'], [...fixed, why]);
  for (const finding of findings) {
    view.push([
      String(finding.id),
      paintSeverity(c, finding.severity),
      finding.rule,
      visible(finding.source),
      visible(finding.email ?? finding.login ?? finding.accountId),
      finding.personId === null ? c.dim('none') : visible(finding.personId),
      shortDate(finding.firstSeen),
      visible(finding.message),
    ]);
  }
  return `${view.toString()}\n${findings.length} finding${findings.length === 1 ? '' : 's'}\n`;
}
