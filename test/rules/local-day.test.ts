import { describe, expect, it } from 'vitest';
import dormant from '../../rules/dormant-account.js';
import neverLoggedIn from '../../rules/never-logged-in.js';
import staleGuest from '../../rules/stale-guest.js';
import { localDay } from '../../src/common/time.js';
import { NOW, makeSubject } from './fixtures.js';

// An export's "2025-11-20" read in Asia/Tokyo is 2025-11-19T15:00Z: the UTC day is the 19th.
const TOKYO_MIDNIGHT = '2025-11-19T15:00:00.000Z';

describe('rules show days in the config timezone', () => {
  it('localDay gives the calendar day in the zone', () => {
    expect(localDay(TOKYO_MIDNIGHT, 'Asia/Tokyo')).toBe('2025-11-20');
    expect(localDay(TOKYO_MIDNIGHT)).toBe('2025-11-19');
    expect(localDay('2026-11-20T07:59:59Z', 'America/Los_Angeles')).toBe('2026-11-19');
  });

  it.each([
    ['dormant-account', dormant, { lastActivityAt: TOKYO_MIDNIGHT }, 'last 2025-11-20'],
    ['never-logged-in', neverLoggedIn, { createdAt: TOKYO_MIDNIGHT, lastActivityAt: null }, 'on 2025-11-20'],
    ['stale-guest', staleGuest, { type: 'guest' as const, lastActivityAt: TOKYO_MIDNIGHT }, 'last 2025-11-20'],
  ])("%s writes the export's day, not the UTC one", (_id, rule, account, expected) => {
    const subject = makeSubject({ account });
    const hit = rule.evaluate(subject, { now: NOW, timezone: 'Asia/Tokyo', options: rule.options.parse({}) });
    expect(hit?.message).toContain(expected);
    const inUtc = rule.evaluate(subject, { now: NOW, options: rule.options.parse({}) });
    expect(inUtc?.message).toContain(expected.replace('2025-11-20', '2025-11-19'));
  });
});
