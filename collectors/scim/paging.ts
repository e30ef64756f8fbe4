import { SourceError } from '../../src/contract/errors.js';
import type { Logger } from '../../src/common/logger.js';
import type { ScimClient } from '../../src/common/scim/client.js';
import { scimUserId } from './transform.js';
import type { ScimUser } from '../../src/common/scim/types.js';

export interface UserPagesOptions {
  source: string;
  /** What we ask for; servers cap it and some return short pages anyway. */
  pageSize: number;
  signal: AbortSignal;
  log: Logger;
}

/**
 * Every user once, page by page (RFC 7644 §3.4.2.4 index paging). The next startIndex follows what actually came
 * back, never the count asked for, and the end is judged by the latest page's totalResults so a listing that grows
 * or shrinks meanwhile still ends where the server says. Users shifted across a page boundary by concurrent
 * changes would be counted twice: ids seen in this run are skipped (one Set entry per user).
 */
export async function* scimUserPages(client: ScimClient, options: UserPagesOptions): AsyncGenerator<ScimUser[]> {
  const { source, pageSize, signal, log } = options;
  const seen = new Set<string>();
  let firstId: string | null = null;
  let startIndex = 1;
  let totalResults = 0;
  for (;;) {
    const page = await client.listUsers({ startIndex, count: pageSize }, signal);
    totalResults = page.totalResults;
    const received = page.Resources.length;
    if (received === 0) {
      // A server claiming more users while returning none would make us report a short list as complete.
      if (startIndex <= totalResults) {
        throw new SourceError(
          source,
          `GET /Users?startIndex=${startIndex} returned no users although totalResults is ${totalResults}; ` +
            'the listing would be incomplete',
          'data',
        );
      }
      break;
    }
    const fresh: ScimUser[] = [];
    for (const [offset, user] of page.Resources.entries()) {
      const id = scimUserId(user);
      if (id === null) {
        throw new SourceError(source, `the user at index ${startIndex + offset} has no id`, 'data');
      }
      firstId ??= id;
      if (seen.has(id)) continue;
      seen.add(id);
      fresh.push(user);
    }
    // A server that ignores startIndex serves its first page again and again: the run would look complete.
    if (fresh.length === 0 && startIndex > 1 && scimUserId(page.Resources[0]!) === firstId) {
      throw new SourceError(
        source,
        `GET /Users?startIndex=${startIndex} returned the first page again: the server does not honour startIndex`,
        'data',
      );
    }
    if (fresh.length > 0) yield fresh;
    const lastIndex = startIndex + received - 1;
    if (lastIndex >= totalResults) break;
    startIndex = lastIndex + 1;
  }
  if (seen.size !== totalResults) {
    log.warn(`${source}: listed ${seen.size} users but the server last reported ${totalResults}`, {
      hint: 'users were probably added or removed during the listing; the next scan will catch up',
    });
  }
}
