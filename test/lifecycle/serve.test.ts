import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ServeWiring } from '../../src/cli/commands/serve.js';
import type { SourceRemediator } from '../../src/contract/action.js';
import { signHrEvent } from '../../src/lifecycle/hr-events.js';
import { openDatabase } from '../../src/store/database.js';
import { verifyJournal } from '../../src/store/journal.js';
import { tempDir } from '../engine/helpers.js';
import { startSlackChatFake, type SlackChatFake } from '../fakes/slack-chat.js';
import { configYaml, ENV, runServeCli } from '../serve/helpers.js';

const HR_SECRET = 'hr-events-secret-7d2e91';
const LIFECYCLE = `timezone: America/New_York
lifecycle:
  leavers: { mode: apply, maxPerDay: 5 }
  hrEvents: { secret: "\${HR_EVENTS_SECRET}" }`;
const env = { ...ENV, HR_EVENTS_SECRET: HR_SECRET };

/** Accounts held in memory by id: enabled until disabled. */
function memorySystem(disabled: Map<string, string>): SourceRemediator {
  return {
    unsupportedReason: (action) => (action === 'disable' ? null : `the test system cannot ${action}`),
    read: async (ref) => ({ found: true, enabled: !disabled.has(ref.id), rawStatus: disabled.has(ref.id) ? 'x' : 'a' }),
    alreadyDone: (action, state) => action === 'disable' && !state.enabled,
    perform: async (_action, ref) => {
      disabled.set(ref.id, clock.toISOString());
      return { status: 'applied', reason: 'disabled in the test system' };
    },
  };
}

let clock = new Date('2026-11-26T20:00:00Z');

describe('serve: the leaver queue and POST /hooks/hr', () => {
  let slack: SlackChatFake;
  let dir: string;
  let config: string;
  let disabled: Map<string, string>;

  beforeEach(async () => {
    slack = await startSlackChatFake();
    dir = tempDir('zombiescan-lifecycle-');
    config = path.join(dir, 'zombiescan.yaml');
    disabled = new Map();
    writeFileSync(config, configYaml(slack.apiUrl, LIFECYCLE));
    writeFileSync(
      path.join(dir, 'hr.csv'),
      'employee_id,email,name,status,termination_date\n' +
        'E1,alice@acme.com,Alice,active,\nE2,bob@acme.com,Bob,terminated,2026-11-26\nE3,carol@acme.com,Carol,active,\n',
    );
    writeFileSync(
      path.join(dir, 'okta.csv'),
      'id,login,email,status\no1,alice,alice@acme.com,active\no2,bob,bob@acme.com,active\no3,carol,carol@acme.com,active\n',
    );
    writeFileSync(path.join(dir, 'app.csv'), 'id,login,email,status\na2,bob,bob@acme.com,active\n');
    clock = new Date('2026-11-26T20:00:00Z');
  });
  afterEach(async () => {
    await slack.close();
  });

  function wiring(shutdown: Promise<string>): ServeWiring {
    const system = memorySystem(disabled);
    return {
      shutdownSignal: () => ({ received: shutdown, dispose: () => {} }),
      remediation: { engine: () => ({ remediatorFor: () => system }) },
      lifecycleIntervalMs: 40,
    };
  }

  function startServe() {
    let stop!: (signal: string) => void;
    const shutdown = new Promise<string>((resolve) => (stop = resolve));
    let resolvePort!: (port: number) => void;
    const port = new Promise<number>((resolve) => (resolvePort = resolve));
    const done = runServeCli(['--config', config, '--log-format', 'json', 'serve', '--port', '0'], {
      env,
      wiring: wiring(shutdown),
      now: () => clock,
      onStderr: (text) => {
        const match = /"msg":"http server listening".*?"port":(\d+)/.exec(text);
        if (match) resolvePort(Number(match[1]));
      },
    });
    return { port, done, stop: () => stop('SIGTERM') };
  }

  async function until(check: () => boolean, ms = 5000): Promise<void> {
    const end = Date.now() + ms;
    while (!check()) {
      if (Date.now() > end) throw new Error('timed out');
      await sleep(20);
    }
  }

  function post(port: number, body: string, headers: Record<string, string>) {
    return fetch(`http://127.0.0.1:${port}/hooks/hr`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...headers },
    });
  }

  function signed(body: string, at: Date, secret = HR_SECRET): Record<string, string> {
    const timestamp = String(Math.floor(at.getTime() / 1000));
    return { 'x-zombiescan-timestamp': timestamp, 'x-zombiescan-signature': signHrEvent(secret, timestamp, body) };
  }

  it('offboards a leaver within a minute of the end of the last day, reports, posts, journals', async () => {
    const scan = await runServeCli(['--config', config, 'serve', '--once'], {
      env,
      wiring: wiring(new Promise(() => {})),
      now: () => clock,
    });
    expect(scan.code).toBe(0);
    clock = new Date('2026-11-27T04:59:00Z');
    const serve = startServe();
    await serve.port;
    await sleep(200);
    expect(disabled.size).toBe(0);

    clock = new Date('2026-11-27T05:00:00Z');
    await until(
      () =>
        disabled.has('o2') && disabled.has('a2') && slack.state.messages.some((m) => /Offboarded/.test(m.text ?? '')),
    );
    expect(disabled.get('o2')).toBe('2026-11-27T05:00:00.000Z');
    expect(disabled.has('o1')).toBe(false);
    const message = slack.state.messages.find((m) => /Offboarded/.test(m.text ?? ''))!;
    expect(message.text).toContain('Bob (E2)');
    expect(message.text).toContain('okta bob: disabled (verified)');
    serve.stop();
    expect((await serve.done).code).toBe(0);

    const db = openDatabase(path.join(dir, 'z.db'));
    try {
      expect(verifyJournal(db).ok).toBe(true);
      const reports = db.prepare('SELECT json FROM termination_reports').all() as { json: string }[];
      expect(reports).toHaveLength(1);
      expect(JSON.parse(reports[0]!.json)).toMatchObject({ complete: true, person: { employeeId: 'E2' } });
    } finally {
      db.close();
    }
  });

  it('takes signed HR events, refuses forged, stale and replayed ones (also after a restart)', async () => {
    await runServeCli(['--config', config, 'serve', '--once'], {
      env,
      wiring: wiring(new Promise(() => {})),
      now: () => clock,
    });
    let serve = startServe();
    let port = await serve.port;

    const queued = JSON.stringify({ employeeId: 'E1', terminationDate: '2026-11-30' });
    const headers = signed(queued, clock);
    const accepted = await post(port, queued, headers);
    expect(accepted.status).toBe(202);
    expect(await accepted.json()).toMatchObject({ queued: true, moment: '2026-12-01T05:00:00.000Z' });
    expect((await post(port, queued, headers)).status).toBe(409);

    const forged = await post(port, queued, signed(queued, clock, 'not-the-secret'));
    expect(forged.status).toBe(401);
    const tampered = await post(port, queued.replace('E1', 'E3'), headers);
    expect(tampered.status).toBe(401);
    const stale = await post(port, queued, signed(queued, new Date(clock.getTime() - 6 * 60_000)));
    expect(stale.status).toBe(401);
    const big = await post(port, 'x'.repeat(70_000), signed('x', clock));
    expect(big.status).toBe(413);

    const emergency = JSON.stringify({ employeeId: 'E3', emergency: true });
    const urgent = await post(port, emergency, signed(emergency, clock));
    expect(urgent.status).toBe(202);
    await until(() => disabled.has('o3'));
    expect(disabled.has('o1')).toBe(false);
    serve.stop();
    await serve.done;

    serve = startServe();
    port = await serve.port;
    expect((await post(port, queued, headers)).status).toBe(409);
    serve.stop();
    await serve.done;
    const db = openDatabase(path.join(dir, 'z.db'));
    try {
      const events = db
        .prepare(`SELECT person_id, status FROM audit_log WHERE action = 'hr-event' ORDER BY id`)
        .all() as { person_id: string; status: string }[];
      expect(events).toEqual([
        { person_id: 'E1', status: 'queued' },
        { person_id: 'E3', status: 'emergency' },
      ]);
    } finally {
      db.close();
    }
  });
});
