import { describe, expect, it } from 'vitest';
import credentialOutlivedOwner from '../../rules/credential-outlived-owner.js';
import ownerlessAppSecret from '../../rules/ownerless-app-secret.js';
import unusedCredential from '../../rules/unused-credential.js';
import type { CredentialSubject } from '../../src/contract/rule.js';
import { evaluateCredential, makeCredentialSubject, makeOwner, TERMINATED } from './credential-fixtures.js';
import { daysAgo, NOW } from './fixtures.js';

type Case = [name: string, subject: CredentialSubject, fires: boolean, options?: Record<string, unknown>];

const APP = { kind: 'app-secret' as const, accountId: null, expiresAt: '2027-01-01T00:00:00.000Z' };

describe('credential-outlived-owner', () => {
  const cases: Case[] = [
    ['owner terminated, account still enabled', makeCredentialSubject({}, [makeOwner({ person: TERMINATED })]), true],
    ['owner account disabled', makeCredentialSubject({}, [makeOwner({ enabled: false })]), true],
    ['owner account deleted', makeCredentialSubject({}, [makeOwner({ account: null })]), true],
    [
      'past end date, HR still says active',
      makeCredentialSubject({}, [makeOwner({ person: { terminationEffectiveAt: '2026-06-01T00:00:00.000Z' } })]),
      true,
    ],
    [
      'termination in the future',
      makeCredentialSubject({}, [
        makeOwner({ person: { ...TERMINATED, terminationEffectiveAt: '2026-07-01T00:00:00Z' } }),
      ]),
      false,
    ],
    ['active owner', makeCredentialSubject({}, [makeOwner()]), false],
    ['revoked credential', makeCredentialSubject({ enabled: false }, [makeOwner({ person: TERMINATED })]), false],
    ['unmatched owner, enabled account', makeCredentialSubject({}, [makeOwner({ person: null })]), false],
    ['app registrations are judged elsewhere', makeCredentialSubject(APP, [makeOwner({ person: TERMINATED })]), false],
    ['no owner account at all', makeCredentialSubject({ accountId: null }, []), false],
  ];
  it.each(cases)('%s', (_name, subject, fires) => {
    const hit = evaluateCredential(credentialOutlivedOwner, subject);
    expect(hit !== null).toBe(fires);
    if (hit) expect(hit.message).toContain('api-token ci-deploy in okta still works');
  });

  it('names every reason and keeps the evidence', () => {
    const hit = evaluateCredential(
      credentialOutlivedOwner,
      makeCredentialSubject({}, [makeOwner({ enabled: false, person: TERMINATED })]),
    )!;
    expect(hit.message).toMatch(/is disabled; alice@acme.com \(E1042\) was terminated \(2026-05-01\)/);
    expect(hit.evidence).toMatchObject({ kind: 'api-token', ownerAccountEnabled: false, hrStatus: 'terminated' });
  });
});

describe('ownerless-app-secret', () => {
  const cases: Case[] = [
    ['no owners', makeCredentialSubject(APP, []), true],
    ['only owner departed', makeCredentialSubject(APP, [makeOwner({ person: TERMINATED })]), true],
    ['only owner deleted', makeCredentialSubject(APP, [makeOwner({ account: null })]), true],
    [
      'every owner departed',
      makeCredentialSubject(APP, [makeOwner({ enabled: false }), makeOwner({ accountId: 'U2', person: TERMINATED })]),
      true,
    ],
    [
      'one owner still here',
      makeCredentialSubject(APP, [makeOwner({ enabled: false }), makeOwner({ accountId: 'U2' })]),
      false,
    ],
    ['secret already expired', makeCredentialSubject({ ...APP, expiresAt: daysAgo(1) }, []), false],
    ['no secret valid', makeCredentialSubject({ ...APP, enabled: false }, []), false],
    ['not an app registration', makeCredentialSubject({ accountId: null }, []), false],
  ];
  it.each(cases)('%s', (_name, subject, fires) => {
    expect(evaluateCredential(ownerlessAppSecret, subject) !== null).toBe(fires);
  });
});

describe('unused-credential', () => {
  const owner = [makeOwner()];
  const cases: Case[] = [
    ['unused 120 days', makeCredentialSubject({ lastUsedAt: daysAgo(120) }, owner), true],
    ['unused exactly 90 days', makeCredentialSubject({ lastUsedAt: daysAgo(90) }, owner), false],
    ['unused 90 days + 1 ms', makeCredentialSubject({ lastUsedAt: daysAgo(90, 1) }, owner), true],
    ['used yesterday', makeCredentialSubject({ lastUsedAt: daysAgo(1) }, owner), false],
    ['never used, created 200 days ago', makeCredentialSubject({ lastUsedAt: null }, owner), true],
    [
      'never used, created 10 days ago',
      makeCredentialSubject({ lastUsedAt: null, createdAt: daysAgo(10) }, owner),
      false,
    ],
    ['usage unknown', makeCredentialSubject({ lastUsedAt: null, usageKnown: false }, owner), false],
    ['disabled', makeCredentialSubject({ lastUsedAt: daysAgo(400), enabled: false }, owner), false],
    ['app registrations are judged elsewhere', makeCredentialSubject({ ...APP, lastUsedAt: daysAgo(400) }, []), false],
    ['option days: 10, 11 days', makeCredentialSubject({ lastUsedAt: daysAgo(11) }, owner), true, { days: 10 }],
  ];
  it.each(cases)('%s', (_name, subject, fires, options) => {
    expect(evaluateCredential(unusedCredential, subject, options) !== null).toBe(fires);
  });

  it('says how long', () => {
    const hit = evaluateCredential(
      unusedCredential,
      makeCredentialSubject({ lastUsedAt: daysAgo(120) }, owner),
      {},
      NOW,
    )!;
    expect(hit.message).toBe(
      'api-token ci-deploy in okta has not been used for 120 days (last 2026-02-15; threshold 90 days).',
    );
  });
});
