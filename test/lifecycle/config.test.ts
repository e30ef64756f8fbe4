import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/config.js';

const BASE = `roster: { path: ./hr.csv }\n`;

function parse(lifecycle: string, env: NodeJS.ProcessEnv = {}) {
  return parseConfig(BASE + lifecycle, '/etc/zombiescan.yaml', env);
}

describe('lifecycle config', () => {
  it('defaults to planning scheduled offboarding, at most 20 leavers at once, no decay', () => {
    expect(parse('').lifecycle).toEqual({ leavers: { mode: 'plan', maxPerDay: 20 }, decay: [] });
  });

  it('accepts the SPEC example', () => {
    const config = parse(
      `lifecycle:
  leavers: { mode: apply, maxPerDay: 5 }
  decay:
    - match: { workerType: contractor }
      steps:
        - { at: -14d, do: notify-owner }
        - { at: 0d,   do: [revoke-sessions, disable, revoke-credentials] }
        - { at: +30d, do: remove-licenses }
        - { at: +90d, do: delete }
  hrEvents: { secret: "\${HR_EVENTS_SECRET}" }
`,
      { HR_EVENTS_SECRET: 's3cret' },
    );
    expect(config.lifecycle.decay[0]!.steps).toHaveLength(4);
    expect(config.secrets).toContain('s3cret');
  });

  it.each([
    [
      'an unknown action',
      `lifecycle:\n  decay:\n    - match: { workerType: contractor }\n      steps:\n        - { at: 0d, do: [disable, nuke] }\n`,
      /:6: lifecycle\.decay\[0\]\.steps\[0\]\.do.*unknown action "nuke": one of notify-owner, revoke-sessions/,
    ],
    [
      'steps out of order',
      `lifecycle:\n  decay:\n    - match: { workerType: contractor }\n      steps:\n        - { at: +30d, do: disable }\n        - { at: 0d, do: revoke-sessions }\n`,
      /:7: lifecycle\.decay\[0\]\.steps\[1\]\.at: steps out of order: 0d is not after the previous step's \+30d/,
    ],
    [
      'delete before disable',
      `lifecycle:\n  decay:\n    - match: { workerType: contractor }\n      steps:\n        - { at: 0d, do: delete }\n        - { at: +1d, do: disable }\n`,
      /lifecycle\.decay\[0\]\.steps\[0\]\.do: `delete` must come after a grace period following a `disable` step/,
    ],
    [
      'delete with disable, no grace period',
      `lifecycle:\n  decay:\n    - match: { workerType: contractor }\n      steps:\n        - { at: 0d, do: [disable, delete] }\n`,
      /`delete` must come after a grace period/,
    ],
    [
      'a bad offset',
      `lifecycle:\n  decay:\n    - match: { workerType: contractor }\n      steps:\n        - { at: two weeks, do: disable }\n`,
      /steps\[0\]\.at: a day offset such as -14d, 0d or \+30d/,
    ],
    [
      'an empty match',
      `lifecycle:\n  decay:\n    - match: {}\n      steps:\n        - { at: 0d, do: disable }\n`,
      /decay\[0\]\.match: match at least one roster field/,
    ],
    [
      'a secret written in the file',
      `lifecycle:\n  hrEvents: { secret: plain-text }\n`,
      /lifecycle\.hrEvents\.secret: credentials are accepted only as an environment reference/,
    ],
  ])('refuses %s with file, line and field', (_name, yaml, message) => {
    expect(() => parse(yaml)).toThrow(message);
  });
});
