import { describe, expect, it } from 'vitest';
import { rememberRequest } from '../../src/store/request-replay.js';
import { ENGINES, freshDatabase, useEngines } from './engines.js';

useEngines();

describe.each(ENGINES)('the request replay cache (%s)', (engine) => {
  const now = new Date('2026-11-26T12:00:00Z');
  const later = (seconds: number) => new Date(now.getTime() + seconds * 1000);

  it('takes a signature once per scope until it expires, then forgets it', () => {
    const db = freshDatabase(engine);
    expect(rememberRequest(db, 'slack-actions', 'aa', later(300), now)).toBe(true);
    expect(rememberRequest(db, 'slack-actions', 'aa', later(300), later(10))).toBe(false);
    expect(rememberRequest(db, 'hr-events', 'aa', later(300), later(10))).toBe(true);
    expect(rememberRequest(db, 'slack-actions', 'bb', later(300), later(10))).toBe(true);
    // Past its expiry the row is pruned (the signature window has closed, so the request is refused anyway).
    expect(rememberRequest(db, 'slack-actions', 'cc', later(900), later(301))).toBe(true);
    expect(db.prepare('SELECT signature_hash FROM request_replay ORDER BY 1').pluck().all()).toEqual(['cc']);
    db.close();
  });
});
