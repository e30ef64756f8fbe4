import { afterEach, describe, expect, it } from 'vitest';
import { createEntraRemediator } from '../../collectors/entra/actions.js';
import { createOktaRemediator } from '../../collectors/okta/actions.js';
import { createScimRemediator } from '../../collectors/scim/actions.js';
import { createSlackRemediator } from '../../collectors/slack/actions.js';
import { scimSourceSchema, type EntraSourceConfig, type OktaSourceConfig } from '../../src/config/config.js';
import type { AccountRef, SourceRemediator } from '../../src/contract/action.js';
import { fakeUser, startGraphFake, type GraphFake } from '../fakes/graph.js';
import { makeOktaUser, OKTA_FAKE_TOKEN, startOktaFake, type OktaFake } from '../fakes/okta.js';
import { makeScimUser, startScimFake, type ScimFake } from '../fakes/scim.js';

/** `delete` (graceful offboarding only) against each system's loopback fake: read, delete, read again, repeat. */

const signal = () => AbortSignal.timeout(10_000);
const ref = (source: string, id: string): AccountRef => ({
  source,
  id,
  login: null,
  email: null,
  displayName: null,
  attributes: {},
});

async function deleteTwice(remediator: SourceRemediator, account: AccountRef) {
  const before = await remediator.read(account, signal());
  const first = await remediator.perform('delete', account, before, signal());
  const after = await remediator.read(account, signal());
  return { before, first, after, doneAfter: remediator.alreadyDone('delete', after) };
}

let closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.map((close) => close()));
  closers = [];
});

describe('delete', () => {
  it('okta: deactivates first, then DELETE /api/v1/users/{id}; the user is gone', async () => {
    const okta: OktaFake = await startOktaFake({
      users: (orgUrl) => [
        makeOktaUser(orgUrl, 1, { status: 'SUSPENDED' }),
        makeOktaUser(orgUrl, 2, { status: 'DEPROVISIONED' }),
      ],
    });
    closers.push(() => okta.close());
    const config: OktaSourceConfig = {
      name: 'okta',
      type: 'okta',
      role: 'idp',
      timeoutSeconds: 30,
      orgUrl: okta.orgUrl,
      token: OKTA_FAKE_TOKEN,
    };
    const remediator = createOktaRemediator(config, { retryPolicy: { baseDelayMs: 5 } });
    expect(remediator.unsupportedReason('delete')).toBeNull();
    const [suspended, deprovisioned] = okta.state.users.map((user) => user.id);

    const result = await deleteTwice(remediator, ref('okta', suspended!));
    expect(result.first).toEqual({
      status: 'applied',
      reason: expect.stringMatching(
        /^deactivated \(POST .*deactivate\), then deleted \(DELETE \/api\/v1\/users\/\{id\}\)$/,
      ),
    });
    expect(result.after.found).toBe(false);
    expect(result.doneAfter).toBe(true);

    const direct = await deleteTwice(remediator, ref('okta', deprovisioned!));
    expect(direct.first).toEqual({ status: 'applied', reason: 'deleted (DELETE /api/v1/users/{id})' });
    expect(okta.state.users).toHaveLength(0);
  });

  it('entra: DELETE /users/{id} (to deleted items); refused for an admin without a privileged app role', async () => {
    const admin = fakeUser(2);
    const graph: GraphFake = await startGraphFake({
      users: [fakeUser(1, { accountEnabled: false }), admin],
      roleAssignments: [
        {
          id: 'ra1',
          principalId: admin.id,
          roleDefinitionId: '62e90394-69f5-4237-9190-012177145e10',
          directoryScopeId: '/',
        },
      ],
    });
    closers.push(() => graph.close());
    const config: EntraSourceConfig = {
      name: 'entra',
      type: 'entra',
      role: 'idp',
      timeoutSeconds: 30,
      tenantId: graph.tenantId,
      clientId: graph.clientId,
      clientSecret: graph.clientSecret,
      graphUrl: graph.url,
      authorityUrl: graph.authorityUrl,
    };
    const remediator = createEntraRemediator(config, {
      caCertificate: graph.caCertificate,
      retryPolicy: { baseDelayMs: 1, maxDelayMs: 20 },
    });
    expect(remediator.unsupportedReason('delete')).toBeNull();
    const [user] = graph.state.users;
    const result = await deleteTwice(remediator, ref('entra', user!.id));
    expect(result.first.status).toBe('applied');
    expect(result.first.reason).toContain('DELETE /users/{id}');
    expect(result.after.found).toBe(false);
    expect(result.doneAfter).toBe(true);
    expect(graph.state.deletedUsers.map((deleted) => deleted.id)).toEqual([user!.id]);

    const refused = await deleteTwice(remediator, ref('entra', admin.id));
    expect(refused.first.status).toBe('failed');
    expect(refused.first.reason).toMatch(/deleting an admin is a sensitive action/);
    expect(refused.after.found).toBe(true);
  });

  it('scim: DELETE /Users/{id}; a second delete finds it already gone', async () => {
    const TOKEN = 'scim-delete-token-1';
    const scim: ScimFake = await startScimFake({ token: TOKEN, users: [makeScimUser(1, { active: false })] });
    closers.push(() => scim.close());
    const config = scimSourceSchema.parse({ name: 'zoom', type: 'scim', baseUrl: scim.baseUrl, token: TOKEN });
    const remediator = createScimRemediator(config, { retryPolicy: { baseDelayMs: 1 } });
    expect(remediator.unsupportedReason('delete')).toBeNull();
    const id = scim.state.users[0]!.id;
    const result = await deleteTwice(remediator, ref('zoom', id));
    expect(result.first).toEqual({ status: 'applied', reason: `DELETE /Users/${id}: the user is removed` });
    expect(result.after.found).toBe(false);
    expect(result.doneAfter).toBe(true);
    expect(scim.state.requests.filter((request) => request.method === 'DELETE')).toHaveLength(1);
    const again = await remediator.perform('delete', ref('zoom', id), result.before, signal());
    expect(again.status).toBe('already-done');
  });

  it('slack cannot delete: the engine plans a ticket with the reason', () => {
    const remediator = createSlackRemediator({
      name: 'slack',
      type: 'slack',
      role: 'app',
      timeoutSeconds: 30,
      token: 'xoxb-test',
      apiUrl: 'http://127.0.0.1:9/api/',
      scimUrl: 'http://127.0.0.1:9/scim/v2/',
    });
    expect(remediator.unsupportedReason('delete')).toMatch(/Slack has no API to delete a member/);
  });
});
