import { UsageError } from '../../contract/errors.js';

/**
 * The `findings` options the command tree declares when the CLI starts: kept apart from findings-more.ts, whose
 * store, Slack and report imports only the finding commands need.
 */

/** `findings --sort`: most severe first by default (then oldest), or one of these. */
export const FINDING_SORTS = ['severity', 'first-seen', 'last-seen', 'rule', 'source', 'id'] as const;
export type FindingSort = (typeof FINDING_SORTS)[number];

export function parseLimit(text: string): number {
  const limit = Number(text);
  if (!Number.isInteger(limit) || limit <= 0) throw new UsageError(`--limit ${text}: expected a positive whole number`);
  return limit;
}
