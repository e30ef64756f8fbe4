import { afterEach, describe, expect, it } from 'vitest';
import {
  createEntraRemediator,
  DEACTIVATE_UNSUPPORTED,
  DISABLE_APPLIED,
  DISABLE_APPLIED_ON_PREMISES,
  entraActionAlreadyDone,
  GUEST_REVOKE_NOTE,
  liveStateOf,
  REVOKE_SESSIONS_APPLIED,
} from '../../collectors/entra/actions.js';
import type { CollectorDeps } from '../../src/contract/collector.js';
import type { EntraSourceConfig } from '../../src/config/config.js';
import { SourceError } from '../../src/contract/errors.js';
import type {
  AccountRef,
  ActionOutcome,
  LiveState,
  SourceRemediator,
  SystemAction,
} from '../../src/contract/action.js';
import {
  fakeUser,
  startGraphFake,
  type FakeGraphUser,
  type GraphFake,
  type GraphFakeOptions,
  type GraphPermission,
} from '../fakes/graph.js';

const FAST_RETRIES: CollectorDeps['retryPolicy'] = { baseDelayMs: 1, maxDelayMs: 20 };
const E3 = '05e9a617-0261-4cee-bb44-138d3ef5d965';
const E5 = '06ebc4ee-1bb5-47dd-8120-11324bc54e06';
const VISIO = 'c5928f49-12ba-48f7-ada3-0d743a3601d5';
const LICENSING_GROUP = '9f1c2d3e-0000-4000-8000-00000000aaaa';

let fake: GraphFake | null = null;
afterEach(async () => {
  await fake?.close();
  fake = null;
});

async function start(options: GraphFakeOptions = {}): Promise<GraphFake> {
  fake = await startGraphFake(options);
  return fake;
}

function remediatorFor(graph: GraphFake): SourceRemediator {
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
  return createEntraRemediator(config, { caCertificate: graph.caCertificate, retryPolicy: FAST_RETRIES });
}

function refOf(user: FakeGraphUser, attributes: Record<string, unknown> = {}): AccountRef {
  return {
    source: 'entra',
    id: user.id,
    login: user.userPrincipalName,
    email: user.mail,
    displayName: user.displayName,
    attributes,
  };
}

const signal = () => new AbortController().signal;

/** Re-read then act, as the engine does. */
async function readThenPerform(remediator: SourceRemediator, action: SystemAction, account: AccountRef) {
  const state = await remediator.read(account, signal());
  return { state, outcome: await remediator.perform(action, account, state, signal()) };
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

const writes = (graph: GraphFake) =>
  graph.state.requests.filter((request) => request.method !== 'GET' && request.target !== 'token');
const userOf = (graph: GraphFake, id: string) => graph.state.users.find((user) => user.id === id)!;
const without = (...missing: GraphPermission[]): GraphPermission[] =>
  (
    [
      'User.Read.All',
      'RoleManagement.Read.Directory',
      'User.EnableDisableAccount.All',
      'User.RevokeSessions.All',
      'LicenseAssignment.ReadWrite.All',
    ] as GraphPermission[]
  ).filter((permission) => !missing.includes(permission));

describe('entra remediation: pure parts', () => {
  it('maps a Graph user to the live state', () => {
    expect(liveStateOf({ id: 'u', accountEnabled: true, assignedLicenses: [{ skuId: E3 }, { skuId: null }] })).toEqual({
      found: true,
      enabled: true,
      rawStatus: 'enabled',
      licenses: [E3],
    });
    // Missing accountEnabled is never "enabled".
    expect(liveStateOf({ id: 'u', assignedLicenses: null })).toEqual({
      found: true,
      enabled: false,
      rawStatus: 'disabled',
      licenses: [],
    });
  });

  it.each<[SystemAction, LiveState, boolean]>([
    ['disable', { found: true, enabled: false, rawStatus: 'disabled', licenses: [E3] }, true],
    ['disable', { found: true, enabled: true, rawStatus: 'enabled', licenses: [] }, false],
    ['remove-licenses', { found: true, enabled: true, rawStatus: 'enabled', licenses: [] }, true],
    ['remove-licenses', { found: true, enabled: false, rawStatus: 'disabled', licenses: [E3] }, false],
    ['revoke-sessions', { found: true, enabled: false, rawStatus: 'disabled', licenses: [] }, false],
    ['disable', { found: false, enabled: false, rawStatus: null }, true],
  ])('alreadyDone(%s, %o) is %s', (action, state, expected) => {
    expect(entraActionAlreadyDone(action, state)).toBe(expected);
  });

  it('has no deactivate, and says what to do instead', async () => {
    const graph = await start();
    const remediator = remediatorFor(graph);
    expect(remediator.unsupportedReason('deactivate')).toBe(DEACTIVATE_UNSUPPORTED);
    for (const action of ['disable', 'revoke-sessions', 'remove-licenses'] as const) {
      expect(remediator.unsupportedReason(action)).toBeNull();
    }
  });
});

describe('entra remediation against the Graph fake (real SDK)', () => {
  it('re-reads one user with $select through the SDK', async () => {
    const enabled = fakeUser(1, { assignedLicenses: [{ disabledPlans: [], skuId: E3 }] });
    const disabled = fakeUser(2, { accountEnabled: false, assignedLicenses: [] });
    const graph = await start({ users: [enabled, disabled] });
    const remediator = remediatorFor(graph);

    expect(await remediator.read(refOf(enabled), signal())).toEqual({
      found: true,
      enabled: true,
      rawStatus: 'enabled',
      licenses: [E3],
    });
    expect(await remediator.read(refOf(disabled), signal())).toEqual({
      found: true,
      enabled: false,
      rawStatus: 'disabled',
      licenses: [],
    });
    const reads = graph.state.requests.filter((request) => request.target === 'user');
    expect(reads.map((request) => request.path)).toEqual([`/v1.0/users/${enabled.id}`, `/v1.0/users/${disabled.id}`]);
    expect(reads[0]!.query.$select?.split(',').sort()).toEqual(
      ['accountEnabled', 'assignedLicenses', 'id', 'onPremisesSyncEnabled', 'userType'].sort(),
    );
    expect(reads.every((request) => request.hadBearer && request.sdkVersion?.startsWith('graph-js/'))).toBe(true);
    // One token for the whole remediator.
    expect(graph.state.tokensIssued).toBe(1);
  });

  it('escapes the id in the path (a guest UPN carries #EXT#)', async () => {
    const guest = fakeUser(3, {
      userType: 'Guest',
      userPrincipalName: 'gus_partner.example#EXT#@contoso.onmicrosoft.com',
    });
    const graph = await start({ users: [guest] });
    const account = { ...refOf(guest), id: guest.userPrincipalName };
    expect(await remediatorFor(graph).read(account, signal())).toMatchObject({ found: true, enabled: true });
    expect(graph.state.requests.find((request) => request.target === 'user')?.path).toBe(
      '/v1.0/users/gus_partner.example%23EXT%23%40contoso.onmicrosoft.com',
    );
  });

  it('reads a deleted user as not found', async () => {
    const graph = await start({ users: [] });
    const remediator = remediatorFor(graph);
    expect(await remediator.read(refOf(fakeUser(9)), signal())).toEqual({
      found: false,
      enabled: false,
      rawStatus: null,
      licenses: [],
    });
  });

  it('disables an enabled user and reads it back as disabled', async () => {
    const user = fakeUser(1);
    const graph = await start({ users: [user] });
    const remediator = remediatorFor(graph);
    const account = refOf(user, { onPremisesSyncEnabled: null });

    const { state, outcome } = await readThenPerform(remediator, 'disable', account);
    expect(remediator.alreadyDone('disable', state)).toBe(false);
    expect(outcome).toEqual({ status: 'applied', reason: DISABLE_APPLIED });
    expect(userOf(graph, user.id).accountEnabled).toBe(false);
    expect(writes(graph)).toMatchObject([
      { method: 'PATCH', path: `/v1.0/users/${user.id}`, body: { accountEnabled: false }, status: 204 },
    ]);

    const after = await remediator.read(account, signal());
    expect(after).toMatchObject({ found: true, enabled: false, rawStatus: 'disabled' });
    expect(remediator.alreadyDone('disable', after)).toBe(true);
  });

  it('says on-premises AD must disable a synced user too, from the re-read or from the collected attributes', async () => {
    const synced = fakeUser(1, { onPremisesSyncEnabled: true });
    const graph = await start({ users: [synced, fakeUser(2, { onPremisesSyncEnabled: true })] });

    // The re-read knows it even when the snapshot's attributes do not.
    const { outcome } = await readThenPerform(remediatorFor(graph), 'disable', refOf(synced));
    expect(outcome).toEqual({ status: 'applied', reason: DISABLE_APPLIED_ON_PREMISES });

    // A remediator that did not read the user itself falls back to the collected attributes.
    const other = graph.state.users[1]!;
    const state = { found: true, enabled: true, rawStatus: 'enabled', licenses: [] };
    const fromAttributes = await remediatorFor(graph).perform(
      'disable',
      refOf(other, { onPremisesSyncEnabled: true }),
      state,
      signal(),
    );
    expect(fromAttributes).toEqual({ status: 'applied', reason: DISABLE_APPLIED_ON_PREMISES });
  });

  it('revokes sign-in sessions, and says a guest keeps the sessions of their home tenant', async () => {
    const member = fakeUser(1);
    const guest = fakeUser(2, { userType: 'Guest', externalUserState: 'Accepted' });
    const graph = await start({ users: [member, guest] });
    const remediator = remediatorFor(graph);

    const { state, outcome } = await readThenPerform(remediator, 'revoke-sessions', refOf(member));
    expect(remediator.alreadyDone('revoke-sessions', state)).toBe(false);
    expect(outcome).toEqual({ status: 'applied', reason: REVOKE_SESSIONS_APPLIED });
    expect(userOf(graph, member.id).signInSessionsValidFromDateTime).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(writes(graph)).toMatchObject([
      { method: 'POST', path: `/v1.0/users/${member.id}/revokeSignInSessions`, status: 200 },
    ]);

    const forGuest = await readThenPerform(remediator, 'revoke-sessions', refOf(guest));
    expect(forGuest.outcome).toEqual({ status: 'applied', reason: `${REVOKE_SESSIONS_APPLIED}; ${GUEST_REVOKE_NOTE}` });
  });

  it('removes every licence in one assignLicense call', async () => {
    const user = fakeUser(1, {
      assignedLicenses: [
        { disabledPlans: [], skuId: E3 },
        { disabledPlans: [], skuId: VISIO },
      ],
    });
    const graph = await start({ users: [user] });
    const remediator = remediatorFor(graph);

    const { outcome } = await readThenPerform(remediator, 'remove-licenses', refOf(user));
    expect(outcome).toEqual({ status: 'applied', reason: `removed 2 licences: ${E3}, ${VISIO}` });
    expect(writes(graph)).toMatchObject([
      {
        method: 'POST',
        path: `/v1.0/users/${user.id}/assignLicense`,
        body: { addLicenses: [], removeLicenses: [E3, VISIO] },
        status: 200,
      },
    ]);
    const after = await remediator.read(refOf(user), signal());
    expect(after.licenses).toEqual([]);
    expect(remediator.alreadyDone('remove-licenses', after)).toBe(true);
  });

  it('removes the direct licences and fails naming the group a licence is inherited from', async () => {
    const user = fakeUser(1, {
      assignedLicenses: [
        { disabledPlans: [], skuId: VISIO },
        { disabledPlans: [], skuId: E5 },
      ],
      groupLicenses: [{ skuId: E5, groupId: LICENSING_GROUP }],
    });
    const groupOnly = fakeUser(2, {
      assignedLicenses: [{ disabledPlans: [], skuId: E5 }],
      groupLicenses: [{ skuId: E5, groupId: LICENSING_GROUP }],
    });
    const graph = await start({ users: [user, groupOnly] });
    const remediator = remediatorFor(graph);

    const { outcome } = await readThenPerform(remediator, 'remove-licenses', refOf(user));
    expect(outcome.status).toBe('failed');
    expect(outcome.reason).toBe(
      `removed 1 licence: ${VISIO}; 1 licence is inherited through group-based licensing and cannot be removed from ` +
        `the user directly (${E5} via group ${LICENSING_GROUP}): remove the user from those groups, or the licence ` +
        'from the group',
    );
    expect(userOf(graph, user.id).assignedLicenses.map((license) => license.skuId)).toEqual([E5]);
    // Graph refused the first call whole (400), then the direct one went alone.
    expect(writes(graph).map((request) => [request.status, request.body])).toEqual([
      [400, { addLicenses: [], removeLicenses: [VISIO, E5] }],
      [200, { addLicenses: [], removeLicenses: [VISIO] }],
    ]);

    const onlyInherited = await readThenPerform(remediator, 'remove-licenses', refOf(groupOnly));
    expect(onlyInherited.outcome.status).toBe('failed');
    expect(onlyInherited.outcome.reason).toMatch(/^1 licence is inherited through group-based licensing/);
    expect(onlyInherited.outcome.reason).toContain(`via group ${LICENSING_GROUP}`);
  });

  it('removes what is left when a licence went away since the re-read', async () => {
    const user = fakeUser(1, { assignedLicenses: [{ disabledPlans: [], skuId: E3 }] });
    const graph = await start({ users: [user] });
    const stale = { found: true, enabled: true, rawStatus: 'enabled', licenses: [E3, VISIO] };

    const outcome = await remediatorFor(graph).perform('remove-licenses', refOf(user), stale, signal());
    expect(outcome).toEqual({ status: 'applied', reason: `removed 1 licence: ${E3}` });
    expect(userOf(graph, user.id).assignedLicenses).toEqual([]);
  });

  it('treats a user deleted between the re-read and the call as done', async () => {
    const user = fakeUser(1);
    const graph = await start({ users: [user] });
    const remediator = remediatorFor(graph);
    const state = await remediator.read(refOf(user), signal());
    graph.state.users = [];

    for (const action of ['disable', 'revoke-sessions', 'remove-licenses'] as const) {
      const outcome = await remediator.perform(action, refOf(user), state, signal());
      expect(outcome.status).toBe('already-done');
      expect(outcome.reason).toMatch(/^the user no longer exists in Entra ID \(HTTP 404 Request_ResourceNotFound/);
    }
  });

  it.each([
    ['disable', 'User.EnableDisableAccount.All', /User\.EnableDisableAccount\.All together with User\.Read\.All/],
    ['revoke-sessions', 'User.RevokeSessions.All', /User\.RevokeSessions\.All \(or User\.ReadWrite\.All\)/],
    ['remove-licenses', 'LicenseAssignment.ReadWrite.All', /LicenseAssignment\.ReadWrite\.All/],
  ] as const)('a 403 on %s names the permission %s', async (action, permission, hint) => {
    const user = fakeUser(1);
    const graph = await start({ users: [user], permissions: without(permission) });
    const { outcome } = await readThenPerform(remediatorFor(graph), action, refOf(user));
    expect(outcome.status).toBe('failed');
    expect(outcome.reason).toMatch(/permission denied \(HTTP 403 Authorization_RequestDenied: Insufficient privileges/);
    expect(outcome.reason).toMatch(hint);
    // The lookup found no directory role for this user: the admin case is only mentioned.
    if (action !== 'remove-licenses') expect(outcome.reason).toContain('for admins and members of role-assignable');
  });

  it('says disabling an admin needs a privileged role for the app, and succeeds once it holds one', async () => {
    const admin = fakeUser(1);
    const roleAssignments = [
      {
        id: 'ra-1',
        principalId: admin.id,
        roleDefinitionId: 'fe930be7-5e62-47db-91af-98c3a49a38b1',
        directoryScopeId: '/',
      },
    ];
    const graph = await start({ users: [admin], roleAssignments });

    for (const action of ['disable', 'revoke-sessions'] as const) {
      const { outcome } = await readThenPerform(remediatorFor(graph), action, refOf(admin));
      expect(outcome.status).toBe('failed');
      expect(outcome.reason).toContain('the user holds an Entra directory role');
      expect(outcome.reason).toContain('Privileged Authentication Administrator');
    }
    expect(userOf(graph, admin.id).accountEnabled).toBe(true);
    const lookup = graph.state.requests.find((request) => request.target === 'roleAssignments');
    expect(lookup?.query.$filter).toBe(`principalId eq '${admin.id}'`);

    graph.state.appRoles.add('Privileged Authentication Administrator');
    const { outcome } = await readThenPerform(remediatorFor(graph), 'disable', refOf(admin));
    expect(outcome).toEqual({ status: 'applied', reason: DISABLE_APPLIED });
  });

  it('cannot tell admin from missing permission without RoleManagement.Read.Directory, and says both', async () => {
    const user = fakeUser(1);
    const graph = await start({
      users: [user],
      permissions: without('User.RevokeSessions.All', 'RoleManagement.Read.Directory'),
    });
    const { outcome } = await readThenPerform(remediatorFor(graph), 'revoke-sessions', refOf(user));
    expect(outcome.status).toBe('failed');
    expect(outcome.reason).toContain('User.RevokeSessions.All');
    expect(outcome.reason).toContain(
      'if the user holds a directory role (not checked: role assignments need ' + 'RoleManagement.Read.Directory)',
    );
  });

  it('a refused re-read throws a SourceError naming User.Read.All', async () => {
    const user = fakeUser(1);
    const graph = await start({ users: [user], permissions: without('User.Read.All') });
    const error = await failureOf(remediatorFor(graph).read(refOf(user), signal()));
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).kind).toBe('auth');
    expect((error as SourceError).message).toContain('User.Read.All');
  });

  it('waits out a 429 and retries a 503, then applies', async () => {
    const user = fakeUser(1);
    const graph = await start({ users: [user] });
    graph.state.fail({ target: 'updateUser', status: 429, retryAfterSeconds: 0 });
    graph.state.fail({ target: 'updateUser', status: 503 });

    const { outcome } = await readThenPerform(remediatorFor(graph), 'disable', refOf(user));
    expect(outcome).toEqual({ status: 'applied', reason: DISABLE_APPLIED });
    expect(writes(graph).map((request) => request.status)).toEqual([429, 503, 204]);
  });

  it('throws a SourceError when Graph keeps failing', async () => {
    const user = fakeUser(1);
    const graph = await start({ users: [user] });
    const remediator = remediatorFor(graph);
    const state = await remediator.read(refOf(user), signal());
    graph.state.fail({ target: 'revokeSignInSessions', status: 500, times: 10 });

    const error = await failureOf(remediator.perform('revoke-sessions', refOf(user), state, signal()));
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).kind).toBe('server');
    expect((error as SourceError).message).toMatch(/HTTP 500 .*\(after 3 retries\)/);
  });

  it('never puts the client secret or a token in a reason', async () => {
    const user = fakeUser(1, { assignedLicenses: [{ disabledPlans: [], skuId: E3 }] });
    const graph = await start({ users: [user], permissions: without('LicenseAssignment.ReadWrite.All') });
    const remediator = remediatorFor(graph);
    const outcomes: ActionOutcome[] = [];
    const errors: unknown[] = [];
    const account = refOf(user);
    // A server that echoes the secret back (misbehaving proxy) must not get it into a reason.
    graph.state.fail({ target: 'updateUser', status: 400, message: `bad request for ${graph.clientSecret}` });
    for (const action of ['disable', 'revoke-sessions', 'remove-licenses', 'deactivate'] as const) {
      outcomes.push((await readThenPerform(remediator, action, account)).outcome);
    }
    graph.state.fail({ target: 'revokeSignInSessions', status: 503, times: 10, message: graph.clientSecret });
    errors.push(
      await failureOf(
        remediator.perform('revoke-sessions', account, { found: true, enabled: true, rawStatus: 'enabled' }, signal()),
      ),
    );

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['failed', 'applied', 'failed', 'failed']);
    expect(outcomes[0]!.reason).toContain('[redacted]');
    const texts = [...outcomes.map((outcome) => outcome.reason), ...errors.map((error) => (error as Error).message)];
    for (const text of texts) {
      expect(text).not.toContain(graph.clientSecret);
      expect(text).not.toMatch(/eyJ0eXAiOiJKV1QifQ\.\S{8,}/);
    }
  });

  it('delays every answer by latencyMs', async () => {
    const user = fakeUser(1);
    const graph = await start({ users: [user], latencyMs: 40 });
    const remediator = remediatorFor(graph);
    const started = performance.now();
    await remediator.read(refOf(user), signal()); // token + GET
    expect(performance.now() - started).toBeGreaterThanOrEqual(75);
  });
});
