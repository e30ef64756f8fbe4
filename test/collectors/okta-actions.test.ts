import { afterEach, describe, expect, it } from 'vitest';
import {
  createOktaRemediator,
  disableCalls,
  liveStateOf,
  oktaActionAlreadyDone,
  oktaUnsupportedReason,
} from '../../collectors/okta/actions.js';
import { rateLimitBucket } from '../../collectors/okta/http.js';
import type { OktaSourceConfig } from '../../src/config/config.js';
import { SourceError } from '../../src/contract/errors.js';
import type { AccountRef, ActionOutcome, LiveState, SourceRemediator } from '../../src/contract/action.js';
import type { RetryPolicy } from '../../src/common/retry.js';
import {
  endpointTemplate,
  makeOktaUser,
  OKTA_FAKE_TOKEN,
  startOktaFake,
  type OktaFake,
  type OktaFakeOptions,
} from '../fakes/okta.js';

/** Short backoff; rate-limit waits still follow the fake's X-Rate-Limit-Reset. */
const FAST_RETRIES: Partial<RetryPolicy> = { baseDelayMs: 5 };
const STATUSES = ['ACTIVE', 'LOCKED_OUT', 'STAGED', 'PROVISIONED', 'RECOVERY', 'PASSWORD_EXPIRED', 'SUSPENDED'];
const signal = () => new AbortController().signal;

let fake: OktaFake | undefined;
/** Every outcome reason and error message a test produced: none may contain the token. */
let said: string[] = [];
afterEach(async () => {
  const closing = fake;
  const texts = said;
  fake = undefined;
  said = [];
  // Close first, so a failed check here does not leave the server running into the next test.
  await closing?.close();
  if (closing) expect(closing.state.serverErrors).toEqual([]);
  for (const text of texts) expect(text).not.toContain(OKTA_FAKE_TOKEN);
});

/** One user per entry of STATUSES, plus one DEPROVISIONED; user N has status STATUSES[N]. */
async function start(options: OktaFakeOptions = {}): Promise<OktaFake> {
  fake = await startOktaFake({
    users: (orgUrl) => [...STATUSES, 'DEPROVISIONED'].map((status, index) => makeOktaUser(orgUrl, index, { status })),
    ...options,
  });
  return fake;
}

function remediatorFor(target: OktaFake, overrides: Partial<OktaSourceConfig> = {}): SourceRemediator {
  const config: OktaSourceConfig = {
    name: 'okta',
    type: 'okta',
    role: 'idp',
    timeoutSeconds: 30,
    orgUrl: target.orgUrl,
    token: OKTA_FAKE_TOKEN,
    ...overrides,
  };
  return createOktaRemediator(config, { retryPolicy: FAST_RETRIES });
}

function userWith(target: OktaFake, status: string): AccountRef {
  const user = target.state.users.find((candidate) => candidate.status === status);
  if (!user) throw new Error(`no ${status} user in the fake`);
  return {
    source: 'okta',
    id: user.id,
    login: user.profile.login ?? null,
    email: user.profile.email ?? null,
    displayName: null,
    attributes: {},
  };
}

async function perform(
  remediator: SourceRemediator,
  action: Parameters<SourceRemediator['perform']>[0],
  account: AccountRef,
  state?: LiveState,
): Promise<ActionOutcome> {
  const before = state ?? (await remediator.read(account, signal()));
  const outcome = await remediator.perform(action, account, before, signal());
  said.push(outcome.reason);
  return outcome;
}

async function failure(promise: Promise<unknown>): Promise<SourceError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SourceError);
    said.push((error as SourceError).message);
    return error as SourceError;
  }
  throw new Error('expected a SourceError');
}

/** "POST lifecycle/suspend"-style lines for every write the fake saw, in order. */
function writes(target: OktaFake): string[] {
  return target.state.requests
    .filter((request) => request.method !== 'GET')
    .map((request) => `${request.method} ${request.path.replace(/^\/api\/v1\/users\/[^/]+\//, '')} ${request.status}`);
}

describe('okta remediation: pure parts', () => {
  it.each([
    ['ACTIVE', true],
    ['LOCKED_OUT', true],
    ['PASSWORD_EXPIRED', true],
    ['RECOVERY', true],
    ['STAGED', true],
    ['PROVISIONED', true],
    ['SUSPENDED', false],
    ['DEPROVISIONED', false],
  ])('status %s -> enabled %s', (status, enabled) => {
    expect(liveStateOf({ status })).toEqual({ found: true, enabled, rawStatus: status });
  });

  it.each([
    ['ACTIVE', ['suspend']],
    ['LOCKED_OUT', ['unlock', 'suspend']],
    ['STAGED', ['deactivate']],
    ['PROVISIONED', ['deactivate']],
    ['RECOVERY', ['deactivate']],
    ['PASSWORD_EXPIRED', ['deactivate']],
    ['SUSPENDED', []],
    ['DEPROVISIONED', []],
    ['SOME_FUTURE_STATUS', null],
    [null, null],
  ])('disable on %s calls %j', (status, calls) => {
    expect(disableCalls(status)).toEqual(calls);
  });

  it('has no licences to remove; everything else is supported', () => {
    expect(oktaUnsupportedReason('remove-licenses')).toBe('Okta has no licences per user');
    for (const action of ['revoke-sessions', 'disable', 'deactivate'] as const) {
      expect(oktaUnsupportedReason(action)).toBeNull();
    }
  });

  it('knows when the live state already satisfies an action', () => {
    const state = (rawStatus: string) => liveStateOf({ status: rawStatus });
    expect(oktaActionAlreadyDone('disable', state('SUSPENDED'))).toBe(true);
    expect(oktaActionAlreadyDone('disable', state('DEPROVISIONED'))).toBe(true);
    expect(oktaActionAlreadyDone('disable', state('LOCKED_OUT'))).toBe(false);
    expect(oktaActionAlreadyDone('disable', state('SOME_FUTURE_STATUS'))).toBe(false);
    expect(oktaActionAlreadyDone('deactivate', state('SUSPENDED'))).toBe(false);
    expect(oktaActionAlreadyDone('deactivate', state('DEPROVISIONED'))).toBe(true);
    expect(oktaActionAlreadyDone('revoke-sessions', state('SUSPENDED'))).toBe(false);
    const gone = { found: false, enabled: false, rawStatus: null };
    for (const action of ['revoke-sessions', 'disable', 'deactivate'] as const) {
      expect(oktaActionAlreadyDone(action, gone)).toBe(true);
    }
  });

  it('buckets every user under one rate-limit endpoint, as Okta does', () => {
    expect(endpointTemplate('/api/v1/users/00u1/lifecycle/suspend')).toBe('/api/v1/users/{id}/lifecycle/suspend');
    expect(endpointTemplate('/api/v1/users')).toBe('/api/v1/users');
    expect(rateLimitBucket('/api/v1/users/00u1/lifecycle/suspend')).toBe('/api/v1/users/{id}/lifecycle/suspend');
    expect(rateLimitBucket('/api/v1/users/00u1')).toBe('/api/v1/users/{id}');
    expect(rateLimitBucket('/api/v1/users')).toBe('/api/v1/users');
  });
});

describe('okta remediation: read', () => {
  it('reads the live status with the SPEC mapping', async () => {
    const target = await start();
    const remediator = remediatorFor(target);
    for (const status of [...STATUSES, 'DEPROVISIONED']) {
      const state = await remediator.read(userWith(target, status), signal());
      expect(state).toEqual(liveStateOf({ status }));
    }
  });

  it('says found=false for a user Okta no longer has (404 E0000007)', async () => {
    const target = await start();
    const account = { ...userWith(target, 'ACTIVE'), id: '00uDELETEDUSER000000' };
    expect(await remediatorFor(target).read(account, signal())).toEqual({
      found: false,
      enabled: false,
      rawStatus: null,
    });
    expect(target.state.requests.at(-1)).toMatchObject({ status: 404 });
  });

  it('never serves a stale read: a re-read sees the change', async () => {
    const target = await start();
    const remediator = remediatorFor(target);
    const account = userWith(target, 'ACTIVE');
    expect((await remediator.read(account, signal())).rawStatus).toBe('ACTIVE');
    target.state.setStatus(account.id, 'SUSPENDED');
    expect(await remediator.read(account, signal())).toMatchObject({ enabled: false, rawStatus: 'SUSPENDED' });
    expect(target.state.requests.filter((request) => request.path === `/api/v1/users/${account.id}`)).toHaveLength(2);
  });

  it('throws an auth SourceError naming the role when the token may not read users', async () => {
    const target = await start();
    const account = userWith(target, 'ACTIVE');
    target.state.inject({ status: 403, path: `/api/v1/users/${account.id}` });
    const error = await failure(remediatorFor(target).read(account, signal()));
    expect(error.kind).toBe('auth');
    expect(error.message).toMatch(/403 E0000006.*Read-Only Administrator/);
  });

  it('throws the caller its own abort reason', async () => {
    const target = await start();
    const controller = new AbortController();
    controller.abort(new Error('operator pressed ctrl-c'));
    await expect(remediatorFor(target).read(userWith(target, 'ACTIVE'), controller.signal)).rejects.toThrow(
      'operator pressed ctrl-c',
    );
  });
});

describe('okta remediation: disable', () => {
  it('suspends an ACTIVE user', async () => {
    const target = await start();
    const account = userWith(target, 'ACTIVE');
    const outcome = await perform(remediatorFor(target), 'disable', account);
    expect(outcome.status).toBe('applied');
    expect(outcome.reason).toMatch(/^suspended \(POST \/users\/\{id\}\/lifecycle\/suspend\)/);
    expect(writes(target)).toEqual(['POST lifecycle/suspend 200']);
    expect(target.state.statusOf(account.id)).toBe('SUSPENDED');
  });

  it('unlocks, then suspends, a LOCKED_OUT user', async () => {
    const target = await start();
    const account = userWith(target, 'LOCKED_OUT');
    const outcome = await perform(remediatorFor(target), 'disable', account);
    expect(outcome.status).toBe('applied');
    expect(outcome.reason).toMatch(/^unlocked \(POST .*\/lifecycle\/unlock\) and suspended \(POST .*\/suspend\)/);
    expect(writes(target)).toEqual(['POST lifecycle/unlock 200', 'POST lifecycle/suspend 200']);
    expect(target.state.statusOf(account.id)).toBe('SUSPENDED');
  });

  it.each(['STAGED', 'PROVISIONED', 'RECOVERY', 'PASSWORD_EXPIRED'])(
    'deactivates a %s user, which Okta cannot suspend, and says so',
    async (status) => {
      const target = await start();
      const account = userWith(target, status);
      const outcome = await perform(remediatorFor(target), 'disable', account);
      expect(outcome.status).toBe('applied');
      expect(outcome.reason).toMatch(/^deactivated \(POST \/users\/\{id\}\/lifecycle\/deactivate\)/);
      expect(outcome.reason).toContain(`this one was ${status}`);
      expect(outcome.reason).toMatch(/deprovisions the user from every app/);
      expect(writes(target)).toEqual(['POST lifecycle/deactivate 200']);
      expect(target.state.statusOf(account.id)).toBe('DEPROVISIONED');
    },
  );

  it.each(['SUSPENDED', 'DEPROVISIONED'])('is already done on a %s user, with no call', async (status) => {
    const target = await start();
    const remediator = remediatorFor(target);
    const account = userWith(target, status);
    const state = await remediator.read(account, signal());
    expect(remediator.alreadyDone('disable', state)).toBe(true);
    expect(await perform(remediator, 'disable', account, state)).toMatchObject({ status: 'already-done' });
    expect(writes(target)).toEqual([]);
  });

  it('re-reads and follows the new status when Okta refuses because it changed since the read', async () => {
    const target = await start();
    const remediator = remediatorFor(target);
    const account = userWith(target, 'ACTIVE');
    const stale = await remediator.read(account, signal());
    target.state.setStatus(account.id, 'LOCKED_OUT');
    const outcome = await perform(remediator, 'disable', account, stale);
    expect(outcome.status).toBe('applied');
    expect(outcome.reason).toMatch(/Okta had the user as LOCKED_OUT, not ACTIVE: unlocked .* and suspended/);
    expect(writes(target)).toEqual([
      'POST lifecycle/suspend 400',
      'POST lifecycle/unlock 200',
      'POST lifecycle/suspend 200',
    ]);
    expect(target.state.statusOf(account.id)).toBe('SUSPENDED');
  });

  it('does not guess on a status it does not know', async () => {
    const target = await start();
    const account = userWith(target, 'ACTIVE');
    target.state.setStatus(account.id, 'SOME_FUTURE_STATUS');
    const outcome = await perform(remediatorFor(target), 'disable', account);
    expect(outcome).toMatchObject({ status: 'failed' });
    expect(outcome.reason).toMatch(/SOME_FUTURE_STATUS is not one zombiescan knows/);
    expect(writes(target)).toEqual([]);
  });

  it('says the user is ACTIVE when unlock worked but suspend was refused', async () => {
    const target = await start();
    const account = userWith(target, 'LOCKED_OUT');
    target.state.inject({ status: 403, path: `/api/v1/users/${account.id}/lifecycle/suspend` });
    const outcome = await perform(remediatorFor(target), 'disable', account);
    expect(outcome.status).toBe('failed');
    expect(outcome.reason).toMatch(/^unlocked \(POST .*\), but suspend: permission denied \(HTTP 403 E0000006/);
    expect(outcome.reason).toMatch(/the user is ACTIVE now and can sign in$/);
  });

  it('throws a SourceError saying what was done when suspend keeps failing after unlock', async () => {
    const target = await start();
    const account = userWith(target, 'LOCKED_OUT');
    target.state.inject({ status: 503, path: `/api/v1/users/${account.id}/lifecycle/suspend`, times: 10 });
    const error = await failure(perform(remediatorFor(target), 'disable', account));
    expect(error.kind).toBe('server');
    expect(error.message).toMatch(
      /^okta: unlocked \(POST .*\) \(the user is ACTIVE now.*failed after retries: HTTP 503/,
    );
    // 1 attempt + 3 retries (SPEC: retry 5xx 3 times).
    expect(writes(target).filter((line) => line.endsWith('suspend 503'))).toHaveLength(4);
  });
});

describe('okta remediation: revoke-sessions and deactivate', () => {
  it('clears sessions and OAuth tokens', async () => {
    const target = await start();
    const account = userWith(target, 'ACTIVE');
    const outcome = await perform(remediatorFor(target), 'revoke-sessions', account);
    expect(outcome).toEqual({
      status: 'applied',
      reason: 'cleared all sessions and OAuth tokens (DELETE /users/{id}/sessions?oauthTokens=true)',
    });
    expect(target.state.sessionRevocations).toEqual([
      expect.objectContaining({ userId: account.id, oauthTokens: 'true' }),
    ]);
    expect(target.state.statusOf(account.id)).toBe('ACTIVE');
  });

  it('deactivates (destructive) and says it cascades to apps', async () => {
    const target = await start();
    const remediator = remediatorFor(target);
    const account = userWith(target, 'SUSPENDED');
    const outcome = await perform(remediator, 'deactivate', account);
    expect(outcome.status).toBe('applied');
    expect(outcome.reason).toMatch(/^deactivated \(POST \/users\/\{id\}\/lifecycle\/deactivate\); .*every app/);
    expect(target.state.statusOf(account.id)).toBe('DEPROVISIONED');
    // No deactivation email to the org's admins for each remediated user.
    expect(target.state.requests.at(-1)?.query).toEqual({ sendEmail: 'false' });
    const after = await remediator.read(account, signal());
    expect(remediator.alreadyDone('deactivate', after)).toBe(true);
  });

  it('is already done on a user deleted between the read and the call (404)', async () => {
    const target = await start();
    const remediator = remediatorFor(target);
    const account = userWith(target, 'ACTIVE');
    const state = await remediator.read(account, signal());
    target.state.users = target.state.users.filter((user) => user.id !== account.id);
    for (const action of ['disable', 'deactivate', 'revoke-sessions'] as const) {
      const outcome = await perform(remediator, action, account, state);
      expect(outcome.status).toBe('already-done');
      expect(outcome.reason).toMatch(/no longer exists in Okta \(HTTP 404 E0000007/);
    }
  });
});

describe('okta remediation: permissions, limits, secrets', () => {
  it('fails every write with the admin role it needs when the token may only read (403 E0000006)', async () => {
    const target = await start({ writesForbidden: true });
    const remediator = remediatorFor(target);
    const cases = [
      ['disable', 'ACTIVE', /suspend: permission denied .*E0000006.*Group Admin .*Org Admin or Super Admin/],
      ['disable', 'STAGED', /deactivate: permission denied .*okta\.users\.lifecycle\.deactivate/],
      ['deactivate', 'SUSPENDED', /Help Desk Admin cannot/],
      ['revoke-sessions', 'ACTIVE', /Help Desk Admin, Org Admin or Super Admin .*clearSessions/],
    ] as const;
    for (const [action, status, reason] of cases) {
      const account = userWith(target, status);
      const outcome = await perform(remediator, action, account);
      expect(outcome.status).toBe('failed');
      expect(outcome.reason).toMatch(reason);
      expect(target.state.statusOf(account.id)).toBe(status);
    }
  });

  it('waits out a 429 on a write and retries', async () => {
    const target = await start();
    const account = userWith(target, 'ACTIVE');
    target.state.inject({ status: 429, path: `/api/v1/users/${account.id}/lifecycle/suspend`, resetInSeconds: 0 });
    const outcome = await perform(remediatorFor(target), 'disable', account);
    expect(outcome.status).toBe('applied');
    expect(writes(target)).toEqual(['POST lifecycle/suspend 429', 'POST lifecycle/suspend 200']);
  });

  it('retries a 5xx and then succeeds', async () => {
    const target = await start();
    const account = userWith(target, 'ACTIVE');
    target.state.inject({ status: 502, method: 'DELETE', times: 2 });
    const outcome = await perform(remediatorFor(target), 'revoke-sessions', account);
    expect(outcome.status).toBe('applied');
    expect(writes(target)).toEqual(['DELETE sessions 502', 'DELETE sessions 502', 'DELETE sessions 204']);
  });

  it('throws an auth SourceError for a rejected token, without the token', async () => {
    const target = await start({ token: 'another-token-entirely' });
    const error = await failure(remediatorFor(target).read(userWith(target, 'ACTIVE'), signal()));
    expect(error.kind).toBe('auth');
    expect(error.message).toMatch(/401 E0000011/);
  });

  it('never puts the token in a reason, even when Okta echoes it back', async () => {
    const target = await start();
    const account = userWith(target, 'ACTIVE');
    target.state.inject({
      status: 400,
      path: `/api/v1/users/${account.id}/sessions`,
      errorSummary: `Invalid request header: SSWS ${OKTA_FAKE_TOKEN}`,
    });
    const outcome = await perform(remediatorFor(target), 'revoke-sessions', account);
    expect(outcome.status).toBe('failed');
    expect(outcome.reason).toContain('SSWS [redacted]');
  });

  it('paces calls across users: one rate-limit bucket for every /users/{id}', async () => {
    // Limit 3 keeps one call in reserve: the third read waits for the window to reset instead of using it up.
    const target = await start({ rateLimit: { requests: 3, windowSeconds: 1 } });
    const remediator = remediatorFor(target);
    for (const status of STATUSES.slice(0, 4)) await remediator.read(userWith(target, status), signal());
    expect(target.state.requests.filter((request) => request.status === 429)).toEqual([]);
  });

  it('delays every answer by latencyMs', async () => {
    const target = await start({ latencyMs: 60 });
    const started = performance.now();
    await remediatorFor(target).read(userWith(target, 'ACTIVE'), signal());
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
  });
});
