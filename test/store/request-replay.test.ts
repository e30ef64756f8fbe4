import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.js';
import { rememberRequest } from '../../src/store/request-replay.js';

describe('the request replay cache', () => {
  const now = new Date('2026-11-26T12:00:00Z');
  const later = (seconds: number) => new Date(now.getTime() + seconds * 1000);

  it('takes a signature once per scope until it expires, then forgets it', () => {
    const db = openDatabase(':memory:');
    expect(rememberRequest(db, 'slack-actions', 'aa', later(300), now)).toBe(true);
    expect(rememberRequest(db, 'slack-actions', 'aa', later(300), later(10))).toBe(false);
    expect(rememberRequest(db, 'hr-events', 'aa', later(300), later(10))).toBe(true);
    expect(rememberRequest(db, 'slack-actions', 'bb', later(300), later(10))).toBe(true);
    // Past its expiry the row is pruned (the signature window has closed, so the request is refused anyway).
    expect(rememberRequest(db, 'slack-actions', 'cc', later(900), later(301))).toBe(true);
    expect(db.prepare('SELECT signature_hash FROM request_replay ORDER BY 1').pluck().all()).toEqual(['cc']);
  });
});
