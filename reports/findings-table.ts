import { describeTypedTime, type Finding } from '../src/contract/model.js';
import { visible } from '../src/common/terminal-text.js';
import { accountSearchLabel, headlineMessage, severityLabel } from '../src/contract/finding-facts.js';
import { colors, displayWidth, fitColumns, paintSeverity, shortDate, table, type Colors } from './terminal.js';

/** The message column never gets narrower than this while another column could give way. */
const MIN_WHY = 30;

/**
 * `zombiescan findings`: one row per finding, most severe first, the why in the last column. Column widths come
 * from the content and the terminal width: the message column gives way first, so a source name or a login is cut
 * only when the message is already at its narrowest. A STATUS column appears when the list holds more than open
 * findings (`--status all`), and a suppressed finding says until when, by whom and why.
 */
export function renderFindingsTable(
  findings: readonly Finding[],
  options: { color: boolean; width: number; showStatus?: boolean },
): string {
  const c = colors(options.color);
  if (findings.length === 0) return 'No findings match.\n';
  const showStatus = options.showStatus === true || findings.some((finding) => finding.status !== 'open');
  const head = [
    'ID',
    'SEVERITY',
    ...(showStatus ? ['STATUS'] : []),
    'RULE',
    'SOURCE',
    'ACCOUNT / KEY',
    'OWNER',
    'FIRST SEEN',
    'WHY',
  ];
  const rows = findings.map((finding) => [
    String(finding.id),
    severityCell(c, finding),
    ...(showStatus ? [statusCell(c, finding)] : []),
    finding.rule,
    visible(finding.source),
    finding.credential ? credentialCell(c, finding) : accountCell(finding),
    finding.personId === null ? c.dim('none') : visible(finding.personId),
    shortDate(finding.firstSeen),
    whyCell(c, finding),
  ]);
  const whyColumn = head.length - 1;
  const accountColumn = head.indexOf('ACCOUNT / KEY');
  // The message wraps at words: never narrower than its longest word (within reason), so no word is cut.
  const longestWord = Math.max(
    0,
    ...rows.flatMap((row) => row[whyColumn]!.split(/\s+/).map((word) => displayWidth(word))),
  );
  // The login (first line of the account cell) is what an admin searches for: it gives way only after the message.
  const longestLogin = Math.max(0, ...rows.map((row) => displayWidth(row[accountColumn]!.split('\n')[0]!)));
  const widths = fitColumns(head, rows, options.width, {
    // Who gives way, first to last, and how narrow each may get: the message, then the account's email line, the
    // owner and the rule; the source name never.
    giveWay: [
      // cli-table3 cuts a word as long as the cell is wide: one more.
      { column: whyColumn, min: Math.min(Math.max(MIN_WHY, longestWord + 1), 45) },
      { column: accountColumn, min: Math.min(Math.max(16, longestLogin), 40) },
      { column: head.indexOf('OWNER'), min: 8 },
      { column: head.indexOf('RULE'), min: 14 },
      { column: whyColumn, min: 16 },
      { column: accountColumn, min: 16 },
    ],
  });
  const view = table(head, widths);
  for (const row of rows) view.push(row);
  return `${view.toString()}\n${findings.length} finding${findings.length === 1 ? '' : 's'}\n`;
}

/**
 * "critical (admin)": the severity was raised one level because the account or credential is privileged. "(admin)"
 * goes on the line below, so the column stays as narrow as a severity.
 */
export function severityCell(c: Colors, finding: Finding): string {
  const label = severityLabel(finding);
  return paintSeverity(c, finding.severity) + label.slice(finding.severity.length).replace(/^ /, '\n');
}

/** The login an admin searches for, the email on the line below when it differs. */
function accountCell(finding: Finding): string {
  const label = accountSearchLabel(finding);
  const login = finding.login;
  if (login && label !== login) return `${visible(login)}\n${visible(label.slice(login.length + 1))}`;
  return visible(label);
}

function statusCell(c: Colors, finding: Finding): string {
  return finding.status === 'open' ? finding.status : c.dim(finding.status);
}

function whyCell(c: Colors, finding: Finding): string {
  const lines = [visible(headlineMessage(finding))];
  if (finding.status === 'suppressed') lines.push(c.dim(visible(suppressionLine(finding))));
  return lines.join('\n');
}

/** "Suppressed until the end of 2027-01-31, America/New_York by alice: vendor contract ends in January". */
export function suppressionLine(finding: Finding): string {
  const until = finding.suppressedUntil
    ? describeTypedTime(finding.suppressedUntilAsTyped, finding.suppressedUntil)
    : 'further notice';
  return (
    `Suppressed until ${until} by ${finding.suppressedBy ?? 'unknown'}` +
    `: ${finding.suppressReason ?? 'no reason recorded'}`
  );
}

/**
 * A credential finding must read as a key, not an account: its kind (in colour), its name, whose it is and when it
 * was last used. "owner: none" for an ownerless app registration.
 */
export function credentialCell(c: ReturnType<typeof colors>, finding: Finding): string {
  const credential = finding.credential!;
  const owner = finding.login || finding.email ? accountSearchLabel(finding) : finding.accountId || null;
  return [
    `${c.cyan(`[${credential.kind}]`)} ${visible(credential.name ?? finding.credentialId ?? '')}`,
    `owner: ${owner === null ? 'none' : visible(owner)}`,
    `last used: ${credential.lastUsedAt ? shortDate(credential.lastUsedAt) : 'never/unknown'}`,
  ].join('\n');
}
