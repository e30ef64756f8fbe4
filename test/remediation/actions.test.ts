import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CSV_UNSUPPORTED_REASON, createCsvRemediator } from '../../collectors/csv/actions.js';
import { createScimRemediator } from '../../collectors/scim/actions.js';
import { csvSourceSchema, scimSourceSchema } from '../../src/config/config.js';
import { createSlackOwnerNotifier } from '../../src/cli/remediation-deps.js';
import type { AccountRef } from '../../src/contract/action.js';
import { makeScimUser, startScimFake, type ScimFake } from '../fakes/scim.js';
import { tempDir } from '../engine/helpers.js';

const TOKEN = 'scim-remediation-token-77';
const signal = () => AbortSignal.timeout(10_000);

function ref(id: string): AccountRef {
  return { source: 'zoom', id, login: null, email: null, displayName: null, attributes: {} };
}

let scim: ScimFake | undefined;
let closeServer: (() => Promise<void>) | undefined;
afterEach(async () => {
  await scim?.close();
  await closeServer?.();
  scim = undefined;
  closeServer = undefined;
});

describe('SCIM remediator', () => {
  it('reads live state, disables with PATCH active=false, and knows when it is already done', async () => {
    scim = await startScimFake({ token: TOKEN, users: [makeScimUser(1), makeScimUser(2, { active: false })] });
    const config = scimSourceSchema.parse({ name: 'zoom', type: 'scim', baseUrl: scim.baseUrl, token: TOKEN });
    const remediator = createScimRemediator(config, { retryPolicy: { baseDelayMs: 1 } });
    const [first, second] = scim.state.users.map((user) => user.id);

    expect(remediator.unsupportedReason('disable')).toBeNull();
    expect(remediator.unsupportedReason('revoke-sessions')).toMatch(/SCIM has no way to end sessions/);
    expect(remediator.unsupportedReason('remove-licenses')).not.toBeNull();

    const before = await remediator.read(ref(first!), signal());
    expect(before).toEqual({ found: true, enabled: true, rawStatus: 'active' });
    expect(remediator.alreadyDone('disable', before)).toBe(false);
    const outcome = await remediator.perform('disable', ref(first!), before, signal());
    expect(outcome).toEqual({ status: 'applied', reason: `PATCH /Users/${first} replaced active with false` });
    const patch = scim.state.requests.find((request) => request.method === 'PATCH')!;
    expect(patch.body).toMatchObject({ Operations: [{ op: 'replace', path: 'active', value: false }] });
    expect(await remediator.read(ref(first!), signal())).toEqual({
      found: true,
      enabled: false,
      rawStatus: 'inactive',
    });

    expect(remediator.alreadyDone('disable', await remediator.read(ref(second!), signal()))).toBe(true);
    const gone = await remediator.read(ref('no-such-user'), signal());
    expect(gone).toEqual({ found: false, enabled: false, rawStatus: null });
    expect(remediator.alreadyDone('disable', gone)).toBe(true);
  });
});

describe('CSV remediator', () => {
  it('supports nothing, and re-reads the export for the account state', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'github.csv');
    writeFileSync(file, 'id,login,status\ng1,alice,active\ng2,bob,suspended\n');
    const remediator = createCsvRemediator(csvSourceSchema.parse({ name: 'github', type: 'csv', path: file }));
    for (const action of ['disable', 'revoke-sessions', 'deactivate', 'remove-licenses'] as const) {
      expect(remediator.unsupportedReason(action)).toBe(CSV_UNSUPPORTED_REASON);
    }
    expect(await remediator.read(ref('g1'), signal())).toMatchObject({ found: true, enabled: true });
    const bob = await remediator.read(ref('g2'), signal());
    expect(bob).toMatchObject({ found: true, enabled: false, rawStatus: 'suspended' });
    expect(remediator.alreadyDone('disable', bob)).toBe(true);
    expect(await remediator.read(ref('g3'), signal())).toMatchObject({ found: false });
    await expect(remediator.perform('disable', ref('g1'), bob, signal())).rejects.toThrow(CSV_UNSUPPORTED_REASON);
  });
});

describe('Slack owner notifier', () => {
  it('looks the recipient up by email and sends the DM to their user id', async () => {
    const calls: { method: string; params: Record<string, string>; auth: string | undefined }[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const method = (req.url ?? '').replace(/^\/api\//, '');
        const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
        calls.push({ method, params, auth: req.headers.authorization });
        res.writeHead(200, { 'Content-Type': 'application/json' });
        if (method === 'users.lookupByEmail') {
          res.end(
            JSON.stringify(
              params.email === 'carol@acme.com'
                ? { ok: true, user: { id: 'U0CAROL' } }
                : { ok: false, error: 'users_not_found' },
            ),
          );
        } else res.end(JSON.stringify({ ok: true, channel: 'D0CAROL', ts: '1764158400.000100' }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closeServer = () => new Promise((resolve) => server.close(() => resolve()));
    const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`;
    const notifier = createSlackOwnerNotifier(
      { token: 'xoxb-notify-token', channel: 'C1', reviewers: [], apiUrl },
      { retryPolicy: { baseDelayMs: 1 } },
    );

    expect(await notifier.send({ email: 'carol@acme.com', text: 'Is it still needed?' }, signal())).toEqual({
      userId: 'U0CAROL',
      ts: '1764158400.000100',
    });
    expect(calls.map((call) => call.method)).toEqual(['users.lookupByEmail', 'chat.postMessage']);
    expect(calls[1]!.params).toMatchObject({ channel: 'U0CAROL', text: 'Is it still needed?' });
    expect(calls[0]!.auth).toBe('Bearer xoxb-notify-token');

    await expect(notifier.send({ email: 'ghost@acme.com', text: 'x' }, signal())).rejects.toThrow(
      'slack: no Slack user has the email ghost@acme.com',
    );
  });
});
