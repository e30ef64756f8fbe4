import type { Finding } from '../src/contract/model.js';
import { visible } from '../src/common/terminal-text.js';
import { colors, paintSeverity, shortDate, table } from './terminal.js';

/** `zombiescan findings`: one row per finding, most severe first, the why in the last column. */
export function renderFindingsTable(findings: readonly Finding[], options: { color: boolean; width: number }): string {
  const c = colors(options.color);
  if (findings.length === 0) return 'No findings match.\n';
  const fixed = [6, 10, 25, 10, 34, 8, 12];
  const why = Math.max(30, options.width - fixed.reduce((a, b) => a + b, 0) - 2);
  const view = table(
    ['ID', 'SEVERITY', 'RULE', 'SOURCE', 'ACCOUNT / KEY', 'OWNER', 'FIRST SEEN', 'WHY'],
    [...fixed, why],
  );
  for (const finding of findings) {
    view.push([
      String(finding.id),
      paintSeverity(c, finding.severity),
      finding.rule,
      visible(finding.source),
      finding.credential ? credentialCell(c, finding) : visible(finding.email ?? finding.login ?? finding.accountId),
      finding.personId === null ? c.dim('none') : visible(finding.personId),
      shortDate(finding.firstSeen),
      visible(finding.message),
    ]);
  }
  return `${view.toString()}\n${findings.length} finding${findings.length === 1 ? '' : 's'}\n`;
}

/**
 * A credential finding must read as a key, not an account: its kind (in colour), its name, whose it is and when it
 * was last used. "owner: none" for an ownerless app registration.
 */
export function credentialCell(c: ReturnType<typeof colors>, finding: Finding): string {
  const credential = finding.credential!;
  const owner = finding.email ?? finding.login ?? (finding.accountId === '' ? null : finding.accountId);
  return [
    `${c.cyan(`[${credential.kind}]`)} ${visible(credential.name ?? finding.credentialId ?? '')}`,
    `owner: ${owner === null ? 'none' : visible(owner)}`,
    `last used: ${credential.lastUsedAt ? shortDate(credential.lastUsedAt) : 'never/unknown'}`,
  ].join('\n');
}
