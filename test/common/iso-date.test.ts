import { describe, expect, it } from 'vitest';
import { parseDateCell, startInstant } from '../../src/common/date-cells.js';
import { fastIsoInstant } from '../../src/common/iso-date.js';

/** The fast path is only allowed to agree with the general rule (parseDateCell + startInstant), or to decline. */
function slow(text: string, timezone = 'UTC'): string | null {
  const parsed = parseDateCell(text, timezone, undefined);
  return parsed === null ? null : startInstant(parsed, timezone).toISOString();
}

const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata'];

describe('fastIsoInstant', () => {
  it('reads the shapes exports use, exactly as parseDateCell does', () => {
    for (const text of [
      '2026-03-31',
      '2024-02-29',
      '1900-01-01',
      '2026-03-31T17:00:00Z',
      '2026-12-31T23:59:59.999Z',
      '2026-03-31T17:00:00.291Z',
      '2026-03-31T17:00:00.5Z',
      '2026-03-31T17:00:00.123456789Z',
    ]) {
      expect({ text, fast: fastIsoInstant(text, 'UTC') }).toEqual({ text, fast: slow(text) });
      expect(fastIsoInstant(text, 'UTC')).not.toBeNull();
    }
  });

  it('reads a UTC date-time the same in every zone, and leaves a date-only value outside UTC to the general rule', () => {
    for (const timezone of ZONES) {
      const text = '2026-03-31T17:00:00.5Z';
      expect({ timezone, fast: fastIsoInstant(text, timezone) }).toEqual({ timezone, fast: slow(text, timezone) });
    }
    // Midnight in Berlin is not midnight UTC: the fast path must not answer for it.
    expect(fastIsoInstant('2026-03-31', 'Europe/Berlin')).toBeNull();
    expect(slow('2026-03-31', 'Europe/Berlin')).toBe('2026-03-30T22:00:00.000Z');
  });

  it('declines, never accepts, what parseIsoDate refuses or reads differently', () => {
    for (const timezone of ZONES) {
      for (const text of [
        '2026-03-31',
        '2026-02-29',
        '2026-02-30',
        '1899-12-31',
        '0001-01-01',
        '2026-13-01',
        '2026-3-31',
        '2026-03-31T24:00:00Z',
        '2026-03-31T17:60:00Z',
        '2026-03-31T17:00:60Z',
        '2026-03-31T17:00:00',
        '2026-03-31 17:00:00Z',
        '2026-03-31T17:00:00+02:00',
        '2026-03-31T17:00:00.Z',
        '2026-03-31T17:00:00.1234567890Z',
        '2026-03-31T17:00:0aZ',
        '2026-03-31T17:00:00z',
        'yesterday!',
      ]) {
        const fast = fastIsoInstant(text, timezone);
        expect({ text, timezone, ok: fast === null || fast === slow(text, timezone) }).toEqual({
          text,
          timezone,
          ok: true,
        });
      }
    }
  });

  it('agrees with parseIsoDate on every millisecond fraction and on random instants', () => {
    for (let ms = 0; ms < 1000; ms++) {
      const text = `2026-06-15T08:30:45.${String(ms).padStart(3, '0')}Z`;
      expect(fastIsoInstant(text, 'UTC')).toBe(slow(text));
    }
    let state = 7;
    for (let index = 0; index < 5000; index++) {
      state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
      const text = new Date(Date.UTC(1900, 0, 1) + (state / 2 ** 31) * 200 * 365 * 86_400_000).toISOString();
      expect(fastIsoInstant(text, 'UTC')).toBe(slow(text));
      expect(fastIsoInstant(text.slice(0, 10), 'UTC')).toBe(slow(text.slice(0, 10)));
    }
  });
});
