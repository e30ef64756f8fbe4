import type { Finding } from '../src/contract/model.js';
import { findingToJson } from '../src/contract/finding-json.js';

export function renderFindingsJson(findings: readonly Finding[]): string {
  return JSON.stringify(findings.map(findingToJson), null, 2) + '\n';
}
