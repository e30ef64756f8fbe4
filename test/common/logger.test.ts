import { describe, expect, it } from 'vitest';
import { createLogger, Redactor } from '../../src/common/logger.js';
import { CliContext, type Io } from '../../src/cli/context.js';

function capture() {
  let text = '';
  const stream = { write: (chunk: string) => ((text += chunk), true), isTTY: false } as unknown as NodeJS.WriteStream;
  return { stream, text: () => text };
}

const SECRETS = ['pa"ss\\word-1', 'tab\there-secret', 'line\nbreak-secret', 'plain-secret-value'];

describe('the logger', () => {
  it('JSON lines: redacts secrets holding quotes, backslashes and control characters, in the message and fields', () => {
    const out = capture();
    const redactor = new Redactor(SECRETS);
    const log = createLogger({ stream: out.stream, format: 'json', redact: (text) => redactor.redact(text) });
    log.warn(`token ${SECRETS[0]} refused`, {
      error: `bad ${SECRETS[1]}`,
      nested: { list: [SECRETS[2], { deep: SECRETS[3] }] },
    });
    const line = out.text();
    for (const secret of SECRETS) {
      expect(line).not.toContain(secret);
      expect(line).not.toContain(JSON.stringify(secret).slice(1, -1));
    }
    const parsed = JSON.parse(line) as Record<string, unknown>;
    expect(parsed).toMatchObject({
      msg: 'token [redacted] refused',
      error: 'bad [redacted]',
      nested: { list: ['[redacted]', { deep: '[redacted]' }] },
    });
  });

  it('text lines: control characters and bidi overrides from sources are shown as escapes', () => {
    const out = capture();
    const log = createLogger({ stream: out.stream, format: 'human' });
    log.warn('account \u001b[2Jmallory\rOK', { displayName: 'gpj.\u202Eexe', login: 'bob\u0007' });
    const line = out.text();
    // eslint-disable-next-line no-control-regex
    expect(line.slice(0, -1)).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/);
    expect(line).toContain('account \\x1b[2Jmallory\\x0dOK');
    expect(line).toContain('gpj.<U+202E>exe');
    expect(line.endsWith('\n')).toBe(true);
  });
});

describe('--json output', () => {
  it('is redacted value by value, secrets with quotes and control characters included', () => {
    let stdout = '';
    const stream = {
      write: (chunk: string) => ((stdout += chunk), true),
      isTTY: false,
    } as unknown as NodeJS.WriteStream;
    const io: Io = { stdout: stream, stderr: stream, env: {}, now: () => new Date() };
    const ctx = new CliContext({ json: true }, io);
    ctx.useConfig({ secrets: SECRETS } as never);
    ctx.outJson([{ reason: `call failed: ${SECRETS[0]}`, detail: { body: SECRETS[2] }, at: new Date(0) }]);
    for (const secret of SECRETS) {
      expect(stdout).not.toContain(secret);
      expect(stdout).not.toContain(JSON.stringify(secret).slice(1, -1));
    }
    expect(JSON.parse(stdout)).toEqual([
      { reason: 'call failed: [redacted]', detail: { body: '[redacted]' }, at: '1970-01-01T00:00:00.000Z' },
    ]);
  });
});
