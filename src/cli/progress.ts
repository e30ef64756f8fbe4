import type { ScanProgress } from '../scan/scan.js';

/**
 * One self-rewriting status line on a terminal ("collecting okta 12,400 · slack 3,000"); silent when stderr is not a
 * TTY, where logs say what happens instead.
 */
export function createProgress(stream: NodeJS.WriteStream = process.stderr): ScanProgress & { done(): void } {
  const enabled = Boolean(stream.isTTY) && !process.env.CI;
  const counts = new Map<string, number>();
  let phase = '';
  let lastDraw = 0;
  const draw = (force = false) => {
    if (!enabled) return;
    const now = Date.now();
    if (!force && now - lastDraw < 100) return;
    lastDraw = now;
    const sources = [...counts].map(([name, n]) => `${name} ${n.toLocaleString('en-US')}`).join(' · ');
    const text = phase === 'collecting' ? `collecting ${sources}` : phase;
    stream.write(`\r\x1b[2K${text.slice(0, (stream.columns ?? 100) - 1)}`);
  };
  return {
    source(name, accounts) {
      phase = 'collecting';
      counts.set(name, accounts);
      draw();
    },
    phase(text) {
      phase = text;
      draw(true);
    },
    done() {
      if (enabled) stream.write('\r\x1b[2K');
    },
  };
}
