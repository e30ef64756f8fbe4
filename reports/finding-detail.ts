import { describeTypedTime, type Finding } from '../src/contract/model.js';
import { visible } from '../src/common/terminal-text.js';
import {
  accountSearchLabel,
  headlineMessage,
  severityBeforePrivilege,
  severityLabel,
} from '../src/contract/finding-facts.js';

/** What the rule says about itself, shown beside the finding so a reviewer knows why it matters and what to do. */
export interface RuleExplanation {
  title: string;
  risk: string;
  remediation: string;
}

/** `zombiescan findings show ID`: one finding, its evidence, and the rule's risk and remediation. */
export function renderFindingDetail(finding: Finding, rule: RuleExplanation | null): string {
  const account = accountSearchLabel(finding);
  const before = severityBeforePrivilege(finding);
  const lines = [
    `Finding ${finding.id}: ${finding.rule}${rule ? ` — ${rule.title}` : ''}`,
    `  severity     ${severityLabel(finding)}${before ? `: raised from ${before} because the ${finding.credential ? 'credential' : 'account'} is privileged` : ''}`,
    `  status       ${finding.status}${finding.suppressedUntil ? ` until ${describeTypedTime(finding.suppressedUntilAsTyped, finding.suppressedUntil)} (${finding.suppressReason ?? ''}, by ${finding.suppressedBy ?? '?'})` : ''}`,
    `  source       ${finding.source}`,
    `  account      ${account} (id ${finding.accountId})${finding.displayName ? `, ${finding.displayName}` : ''}`,
    `  owner        ${finding.personId ?? 'none'}`,
    `  first seen   ${finding.firstSeen}`,
    `  last seen    ${finding.lastSeen}`,
    ...(finding.ticketKey ? [`  ticket       ${finding.ticketKey}`] : []),
    '',
    `Why: ${headlineMessage(finding)}`,
    '',
    'Evidence:',
    ...Object.entries(finding.evidence).map(([key, value]) => `  ${key}: ${JSON.stringify(value)}`),
  ];
  if (rule) lines.push('', `Risk: ${rule.risk}`, '', `Remediation: ${rule.remediation}`);
  return lines.map(visible).join('\n') + '\n';
}
