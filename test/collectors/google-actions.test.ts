import { afterEach, describe, expect, it } from 'vitest';
import {
  createGoogleRemediator,
  DEACTIVATE_UNSUPPORTED,
  googleActionAlreadyDone,
  googleUnsupportedReason,
  liveStateOf,
  SIGN_OUT_APPLIED,
  SUSPEND_APPLIED,
} from '../../collectors/google/actions.js';
import { googleSourceSchema } from '../../src/config/config.js';
import { SourceError } from '../../src/contract/errors.js';
import type { AccountRef, SourceRemediator } from '../../src/contract/action.js';
import type { RetryPolicy } from '../../src/common/retry.js';
import { GOOGLE_SCOPE, startFakeGoogle, type GoogleFake, type GoogleFakeOptions } from '../fakes/google.js';

const FAST_RETRIES: Partial<RetryPolicy> = { baseDelayMs: 5, maxDelayMs: 50 };
const ADMIN = 'admin@example.com';
const signal = () => new AbortController().signal;

let fake: GoogleFake | undefined;
/** Every outcome reason and error message a test produced: none may contain the key or a token. */
let said: string[] = [];
afterEach(async () => {
  const closing = fake;
  const texts = said;
  fake = undefined;
  said = [];
  await closing?.close();
  if (closing) {
    expect(closing.state.serverErrors).toEqual([]);
    const keyLines = closing.serviceAccountKey.private_key.split('\n').filter((line) => line.length > 20);
    for (const text of texts) {
      for (const line of keyLines) expect(text).not.toContain(line);
      expect(text).not.toMatch(/ya29\./);
    }
  }
});

/** The admin (index 0), then: 1 active, 2 suspended, 3 archived, 4 super admin, 5 delegated admin. */
async function start(options: GoogleFakeOptions = {}): Promise<GoogleFake> {
  fake = await startFakeGoogle({
    users: [
      { primaryEmail: ADMIN, isAdmin: true },
      { primaryEmail: 'leaver@example.com', lastLoginTime: '2026-11-30T10:00:00.000Z' },
      { primaryEmail: 'gone@example.com', suspended: true },
      { primaryEmail: 'archived@example.com', archived: true },
      { primaryEmail: 'boss@example.com', isAdmin: true },
      { primaryEmail: 'helpdesk@example.com', isDelegatedAdmin: true },
    ],
    ...options,
  });
  return fake;
}

function remediatorFor(target: GoogleFake, overrides: Record<string, unknown> = {}): SourceRemediator {
  const config = googleSourceSchema.parse({
    name: 'gws',
    type: 'google',
    role: 'idp',
    timeoutSeconds: 30,
    key: target.keyJson,
    subject: ADMIN,
    apiUrl: target.apiUrl,
    tokenUrl: target.tokenUrl,
    ...overrides,
  });
  return createGoogleRemediator(config, { retryPolicy: FAST_RETRIES });
}

function ref(target: GoogleFake, email: string): AccountRef {
  const user = target.state.user(email);
  if (!user) throw new Error(`no user ${email}`);
  return { source: 'gws', id: user.id, login: email, email, displayName: null, attributes: {} };
}

async function act(remediator: SourceRemediator, action: 'disable' | 'revoke-sessions', account: AccountRef) {
  const state = await remediator.read(account, signal());
  const outcome = await remediator.perform(action, account, state, signal());
  said.push(outcome.reason);
  return outcome;
}

async function failure(promise: Promise<unknown>): Promise<SourceError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SourceError);
    said.push((error as Error).message);
    return error as SourceError;
  }
  throw new Error('did not fail');
}

describe('google remediation', () => {
  it('reads live state: active, suspended, archived, gone', async () => {
    const target = await start();
    const remediator = remediatorFor(target);
    expect(await remediator.read(ref(target, 'leaver@example.com'), signal())).toEqual({
      found: true,
      enabled: true,
      rawStatus: 'active',
    });
    expect(await remediator.read(ref(target, 'gone@example.com'), signal())).toEqual({
      found: true,
      enabled: false,
      rawStatus: 'suspended (ADMIN)',
    });
    expect(await remediator.read(ref(target, 'archived@example.com'), signal())).toMatchObject({
      enabled: false,
      rawStatus: 'archived',
    });
    const deleted = { ...ref(target, 'leaver@example.com'), id: '999999' };
    expect(await remediator.read(deleted, signal())).toEqual({ found: false, enabled: false, rawStatus: null });
    // Reads hold the read-only scope only.
    const reads = target.state.requests.filter((r) => r.method === 'GET');
    expect(reads.every((r) => r.scopes?.join() === GOOGLE_SCOPE.read)).toBe(true);
  });

  it('disable suspends with users.update and the re-read shows it', async () => {
    const target = await start();
    const remediator = remediatorFor(target);
    const leaver = ref(target, 'leaver@example.com');
    const outcome = await act(remediator, 'disable', leaver);
    expect(outcome).toEqual({ status: 'applied', reason: SUSPEND_APPLIED });
    expect(target.state.user('leaver@example.com')).toMatchObject({ suspended: true, suspensionReason: 'ADMIN' });
    const after = await remediator.read(leaver, signal());
    expect(after).toMatchObject({ enabled: false, rawStatus: 'suspended (ADMIN)' });
    expect(remediator.alreadyDone('disable', after)).toBe(true);
    const update = target.state.requests.find((r) => r.method === 'PUT');
    expect(update).toMatchObject({ path: `/admin/directory/v1/users/${leaver.id}`, scopes: [GOOGLE_SCOPE.act] });
  });

  it('revoke-sessions signs the user out with the security scope', async () => {
    const target = await start();
    const remediator = remediatorFor(target);
    const leaver = ref(target, 'leaver@example.com');
    expect(await act(remediator, 'revoke-sessions', leaver)).toEqual({ status: 'applied', reason: SIGN_OUT_APPLIED });
    expect(target.state.signOuts.map((s) => s.userId)).toEqual([leaver.id]);
    const signOut = target.state.requests.find((r) => r.method === 'POST' && r.path.endsWith('/signOut'));
    expect(signOut?.scopes).toEqual([GOOGLE_SCOPE.security]);
    // The user is still enabled: signing out is not disabling.
    expect(await remediator.read(leaver, signal())).toMatchObject({ enabled: true });
  });

  it('fetches one token per scope for a run, not one per call', async () => {
    const target = await start();
    const remediator = remediatorFor(target);
    for (const email of ['leaver@example.com', 'helpdesk@example.com']) {
      await act(remediator, 'disable', ref(target, email));
      await act(remediator, 'revoke-sessions', ref(target, email));
    }
    expect(target.state.tokenGrants.map((g) => g.scopes.join())).toEqual([
      GOOGLE_SCOPE.read,
      GOOGLE_SCOPE.act,
      GOOGLE_SCOPE.security,
    ]);
  });

  it('knows what is already done and what Google cannot do', () => {
    const active = liveStateOf({ id: '1', suspended: false, archived: false });
    const suspended = liveStateOf({ id: '1', suspended: true, suspensionReason: 'ADMIN' });
    expect(googleActionAlreadyDone('disable', active)).toBe(false);
    expect(googleActionAlreadyDone('disable', suspended)).toBe(true);
    expect(googleActionAlreadyDone('disable', liveStateOf({ id: '1', archived: true }))).toBe(true);
    expect(googleActionAlreadyDone('revoke-sessions', suspended)).toBe(false);
    expect(googleActionAlreadyDone('revoke-sessions', { found: false, enabled: false, rawStatus: null })).toBe(true);
    expect(googleUnsupportedReason('deactivate')).toBe(DEACTIVATE_UNSUPPORTED);
    expect(googleUnsupportedReason('remove-licenses')).toMatch(/License Manager/);
    expect(googleUnsupportedReason('disable')).toBeNull();
    expect(googleUnsupportedReason('revoke-sessions')).toBeNull();
  });

  it('a user deleted between read and act is already done', async () => {
    const target = await start();
    const remediator = remediatorFor(target);
    const leaver = ref(target, 'leaver@example.com');
    const state = await remediator.read(leaver, signal());
    const outcome = await remediator.perform('disable', { ...leaver, id: '424242' }, state, signal());
    expect(outcome.status).toBe('already-done');
  });

  it('a scope not authorised fails that action with the Admin console fix; the other action still works', async () => {
    const target = await start({ authorizedScopes: [GOOGLE_SCOPE.read, GOOGLE_SCOPE.act] });
    const remediator = remediatorFor(target);
    const leaver = ref(target, 'leaver@example.com');
    const signOut = await act(remediator, 'revoke-sessions', leaver);
    expect(signOut.status).toBe('failed');
    expect(signOut.reason).toContain('unauthorized_client');
    expect(signOut.reason).toContain('Domain-wide delegation');
    expect(signOut.reason).toContain(GOOGLE_SCOPE.security);
    expect(target.state.signOuts).toEqual([]);
    expect((await act(remediator, 'disable', leaver)).status).toBe('applied');
  });

  it('a delegated admin subject cannot suspend a super admin: failed, with the reason', async () => {
    const target = await start();
    const remediator = remediatorFor(target, { subject: 'helpdesk@example.com' });
    const outcome = await act(remediator, 'disable', ref(target, 'boss@example.com'));
    expect(outcome.status).toBe('failed');
    expect(outcome.reason).toContain('Not Authorized to access this resource/api');
    expect(outcome.reason).toContain('only a super admin may act on a super admin');
    expect(target.state.user('boss@example.com')).toMatchObject({ suspended: false });
  });

  it('quota errors are backed off and retried, for the POST signOut too', async () => {
    const target = await start();
    const remediator = remediatorFor(target);
    const leaver = ref(target, 'leaver@example.com');
    target.state.inject({ status: 403, reason: 'userRateLimitExceeded', times: 2, path: '/admin/directory/v1/users/' });
    target.state.inject({ status: 503, times: 1, method: 'POST' });
    expect((await act(remediator, 'revoke-sessions', leaver)).status).toBe('applied');
    expect(target.state.signOuts).toHaveLength(1);
  });

  it('a source that cannot be used throws: quota for good, a refused key, a broken key file', async () => {
    const target = await start();
    const leaver = ref(target, 'leaver@example.com');
    const remediator = createGoogleRemediator(
      googleSourceSchema.parse({
        name: 'gws',
        type: 'google',
        key: target.keyJson,
        subject: ADMIN,
        apiUrl: target.apiUrl,
        tokenUrl: target.tokenUrl,
      }),
      { retryPolicy: { ...FAST_RETRIES, rateLimitRetries: 2 } },
    );
    const state = await remediator.read(leaver, signal());
    target.state.inject({ status: 429, reason: 'rateLimitExceeded', times: 10 });
    const quota = await failure(remediator.perform('disable', leaver, state, signal()));
    expect(quota.kind).toBe('rate-limit');

    const untrusted = remediatorFor(target, { key: target.foreignKeyJson });
    const refused = await failure(untrusted.read(leaver, signal()));
    expect(refused.kind).toBe('auth');
    expect(refused.message).toContain('Invalid JWT Signature');

    const missing = remediatorFor(target, { key: undefined, keyFile: '/nonexistent/key.json' });
    const broken = await failure(missing.read(leaver, signal()));
    expect(broken.message).toContain('key file /nonexistent/key.json does not exist');
    expect(target.state.user('leaver@example.com')).toMatchObject({ suspended: false });
  });
});
