import { afterEach, describe, expect, it } from 'vitest';
import { createGitHubRemediator } from '../../collectors/github/actions.js';
import type { GitHubSourceConfig } from '../../src/config/config.js';
import type { AccountRef } from '../../src/contract/action.js';
import { SourceError } from '../../src/contract/errors.js';
import { FAKE_OWNER_TOKEN, type FakeGitHub, type FakeGitHubData, startFakeGitHub } from '../fakes/github.js';

const DEPS = { waitScale: 0.01, retryPolicy: { baseDelayMs: 1, maxDelayMs: 20 } };
const signal = new AbortController().signal;

let fake: FakeGitHub | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

function org(extra: Partial<FakeGitHubData> = {}): FakeGitHubData {
  return {
    org: 'acme',
    members: [
      { user: { id: 1, login: 'alice-gh' }, role: 'admin' },
      { user: { id: 2, login: 'bob-gh' }, role: 'member' },
      { user: { id: 3, login: 'carol-gh' }, role: 'admin' },
    ],
    outsideCollaborators: [{ id: 50, login: 'vendor-jo' }],
    invitations: [
      { id: 900, login: null, email: 'erin@acme.com', role: 'direct_member', created_at: '2026-11-20T10:00:00Z' },
      {
        id: 902,
        login: null,
        email: 'old@acme.com',
        role: 'direct_member',
        created_at: '2026-10-01T10:00:00Z',
        failed_at: '2026-10-08T10:00:00Z',
      },
    ],
    tokens: {
      [FAKE_OWNER_TOKEN]: { login: 'alice-gh', scopes: ['admin:org'] },
      ghp_reader: { login: 'alice-gh', scopes: ['read:org'] },
    },
    ...extra,
  };
}

function config(extra: Partial<GitHubSourceConfig> = {}): GitHubSourceConfig {
  return {
    name: 'github',
    type: 'github',
    role: 'app',
    timeoutSeconds: 30,
    org: 'acme',
    token: FAKE_OWNER_TOKEN,
    apiUrl: fake!.apiUrl,
    ...extra,
  } as GitHubSourceConfig;
}

const member = (id: string, login: string): AccountRef => ({
  source: 'github',
  id,
  login,
  email: null,
  displayName: null,
  attributes: { kind: 'member' },
});
const collaborator: AccountRef = { ...member('50', 'vendor-jo'), attributes: { kind: 'outside-collaborator' } };
const invitation = (id: number): AccountRef => ({
  ...member(`invitation:${id}`, 'erin@acme.com'),
  attributes: { kind: 'invitation', invitationId: id },
});

describe('github remediation: disable = remove from the org', () => {
  it('removes a member (DELETE memberships) and the re-read finds no membership', async () => {
    fake = await startFakeGitHub(org());
    const remediator = createGitHubRemediator(config(), DEPS);
    const before = await remediator.read(member('2', 'bob-gh'), signal);
    expect(before).toEqual({ found: true, enabled: true, rawStatus: 'member' });
    expect(remediator.alreadyDone('disable', before)).toBe(false);

    const outcome = await remediator.perform('disable', member('2', 'bob-gh'), before, signal);
    expect(outcome.status).toBe('applied');
    expect(outcome.reason).toContain('DELETE /orgs/acme/memberships/bob-gh');
    expect(
      fake.requests.some(
        (r) => r.method === 'DELETE' && r.path === '/orgs/acme/memberships/bob-gh' && r.status === 204,
      ),
    ).toBe(true);

    const after = await remediator.read(member('2', 'bob-gh'), signal);
    expect(after.found).toBe(false);
    expect(remediator.alreadyDone('disable', after)).toBe(true);
    expect(fake.requests.at(-1)).toMatchObject({ path: '/orgs/acme/memberships/bob-gh', status: 404 });
  });

  it('finds a member renamed since the scan by numeric id', async () => {
    fake = await startFakeGitHub(org());
    fake.data.members[1]!.user.login = 'bob-renamed';
    const remediator = createGitHubRemediator(config(), DEPS);
    const before = await remediator.read(member('2', 'bob-gh'), signal);
    expect(before.found).toBe(true);
    const outcome = await remediator.perform('disable', member('2', 'bob-gh'), before, signal);
    expect(outcome.reason).toContain('/memberships/bob-renamed');
    expect((await remediator.read(member('2', 'bob-gh'), signal)).found).toBe(false);
  });

  it('removes an outside collaborator and cancels an invitation, each verified by re-reading', async () => {
    fake = await startFakeGitHub(org());
    const remediator = createGitHubRemediator(config(), DEPS);
    expect(await remediator.read(collaborator, signal)).toMatchObject({
      found: true,
      rawStatus: 'outside collaborator',
    });
    expect(
      (await remediator.perform('disable', collaborator, await remediator.read(collaborator, signal), signal)).status,
    ).toBe('applied');
    expect((await remediator.read(collaborator, signal)).found).toBe(false);

    expect(await remediator.read(invitation(900), signal)).toMatchObject({ found: true, rawStatus: 'invited' });
    const cancelled = await remediator.perform(
      'disable',
      invitation(900),
      await remediator.read(invitation(900), signal),
      signal,
    );
    expect(cancelled).toMatchObject({
      status: 'applied',
      reason: expect.stringContaining('DELETE /orgs/acme/invitations/900'),
    });
    expect((await remediator.read(invitation(900), signal)).found).toBe(false);
  });

  it('refuses to remove the last owner with GitHub’s own reason', async () => {
    fake = await startFakeGitHub(org({ members: [{ user: { id: 1, login: 'alice-gh' }, role: 'admin' }] }));
    const remediator = createGitHubRemediator(config(), DEPS);
    const outcome = await remediator.perform(
      'disable',
      member('1', 'alice-gh'),
      await remediator.read(member('1', 'alice-gh'), signal),
      signal,
    );
    expect(outcome.status).toBe('failed');
    expect(outcome.reason).toContain('HTTP 403 You cannot remove the last owner of an organization.');
    expect((await remediator.read(member('1', 'alice-gh'), signal)).found).toBe(true);
  });

  it('a read:org token cannot remove: a failed outcome naming admin:org', async () => {
    fake = await startFakeGitHub(org());
    const remediator = createGitHubRemediator(config({ token: 'ghp_reader' }), DEPS);
    const outcome = await remediator.perform(
      'disable',
      member('2', 'bob-gh'),
      { found: true, enabled: true, rawStatus: 'member' },
      signal,
    );
    expect(outcome.status).toBe('failed');
    expect(outcome.reason).toContain('admin:org');
  });

  it('422 cases are failed outcomes: a member is not an outside collaborator; a failed invitation', async () => {
    fake = await startFakeGitHub(org());
    const remediator = createGitHubRemediator(config(), DEPS);
    const asCollaborator = { ...member('2', 'bob-gh'), attributes: { kind: 'outside-collaborator' } };
    const outcome = await remediator.perform(
      'disable',
      asCollaborator,
      { found: true, enabled: true, rawStatus: null },
      signal,
    );
    expect(outcome).toMatchObject({
      status: 'failed',
      reason: expect.stringContaining('HTTP 422 You cannot specify an organization member'),
    });
    const failedInvitation = await remediator.perform(
      'disable',
      invitation(902),
      { found: true, enabled: true, rawStatus: null },
      signal,
    );
    expect(failedInvitation).toMatchObject({ status: 'failed', reason: expect.stringContaining('HTTP 422') });
  });

  it('something already gone is already done (404), and a vanished user too', async () => {
    fake = await startFakeGitHub(org());
    const remediator = createGitHubRemediator(config(), DEPS);
    expect(
      (await remediator.perform('disable', invitation(12345), { found: true, enabled: true, rawStatus: null }, signal))
        .status,
    ).toBe('already-done');
    expect(await remediator.read(member('777', 'ghost'), signal)).toEqual({
      found: false,
      enabled: false,
      rawStatus: null,
    });
  });

  it('a 5xx that does not stop is a SourceError, not an outcome', async () => {
    fake = await startFakeGitHub(org());
    fake.failures.push({ status: 500, times: 10, path: '/orgs/acme/memberships' });
    const remediator = createGitHubRemediator(config(), DEPS);
    const error = await remediator.read(member('2', 'bob-gh'), signal).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).kind).toBe('server');
  });

  it('names what GitHub cannot do, so the engine plans a ticket', async () => {
    fake = await startFakeGitHub(org());
    const remediator = createGitHubRemediator(config(), DEPS);
    expect(remediator.unsupportedReason('disable')).toBeNull();
    expect(remediator.unsupportedReason('revoke-sessions')).toContain('no API');
    expect(remediator.unsupportedReason('deactivate')).toContain('personal');
    expect(remediator.unsupportedReason('remove-licenses')).not.toBeNull();
  });
});
