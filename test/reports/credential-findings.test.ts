import { describe, expect, it } from 'vitest';
import { renderFindingsCsv } from '../../reports/findings-csv.js';
import { renderFindingsTable } from '../../reports/findings-table.js';
import { findingToOcsf } from '../../reports/ocsf.js';
import { renderSlackDigest, type DigestData } from '../../reports/slack-digest.js';
import type { Finding } from '../../src/contract/model.js';

const TOKEN_FINDING: Finding = {
  id: 7,
  rule: 'credential-outlived-owner',
  severity: 'critical',
  status: 'open',
  source: 'okta',
  accountId: '00u1bob',
  login: 'bob@acme.com',
  email: 'bob@acme.com',
  displayName: 'Bob',
  personId: 'E2',
  firstSeen: '2026-11-26T12:00:00.000Z',
  lastSeen: '2026-11-26T12:00:00.000Z',
  message: 'api-token deploy-bot in okta still works: bob@acme.com (E2) was terminated.',
  evidence: { kind: 'api-token' },
  suppressedUntil: null,
  suppressReason: null,
  suppressedBy: null,
  ticketKey: null,
  credentialId: '00T1',
  credential: { kind: 'api-token', name: 'deploy-bot', lastUsedAt: '2026-11-01T00:00:00.000Z', expiresAt: null },
};

const APP_FINDING: Finding = {
  ...TOKEN_FINDING,
  id: 8,
  rule: 'ownerless-app-secret',
  severity: 'high',
  source: 'entra',
  accountId: '',
  login: null,
  email: null,
  displayName: null,
  personId: null,
  credentialId: 'app-1',
  credential: { kind: 'app-secret', name: 'Reports', lastUsedAt: null, expiresAt: '2027-01-01T00:00:00.000Z' },
};

describe('credential findings read as keys, not accounts', () => {
  it('findings table: kind, name, owner and last use in the account column', () => {
    const text = renderFindingsTable([TOKEN_FINDING, APP_FINDING], { color: false, width: 200 });
    expect(text).toContain('[api-token] deploy-bot');
    expect(text).toContain('owner: bob@acme.com');
    expect(text).toContain('last used: 2026-11-01');
    expect(text).toContain('[app-secret] Reports');
    expect(text).toContain('owner: none');
  });

  it('CSV carries the credential columns (empty on account findings)', () => {
    const csv = renderFindingsCsv([TOKEN_FINDING, { ...TOKEN_FINDING, credentialId: null, credential: null }]);
    const [header, first, second] = csv.replace(/^\uFEFF/, '').split('\r\n');
    expect(header).toMatch(
      /credential_id,credential_kind,credential_name,credential_last_used_at,credential_expires_at,suppressed_until_as_typed,severity_before_privilege,used_after_termination$/,
    );
    expect(first).toMatch(/,00T1,api-token,deploy-bot,2026-11-01T00:00:00.000Z,,,,false$/);
    expect(second).toMatch(/,,,,,,,false$/);
  });

  it('OCSF: the credential is the first resource, its owner account after it', () => {
    const ocsf = findingToOcsf({ ...TOKEN_FINDING, statusChangedAt: null }, { version: '1' }) as {
      resources: { uid: string; type: string }[];
      unmapped: { zombiescan: { credentialId: string } };
    };
    expect(ocsf.resources.map((r) => [r.uid, r.type])).toEqual([
      ['00T1', 'Credential: api-token'],
      ['00u1bob', 'Account'],
    ]);
    expect(ocsf.unmapped.zombiescan.credentialId).toBe('00T1');
  });

  it('Slack digest: a key card with kind, name, owner account and last use', () => {
    const data: DigestData = {
      run: { id: 1, status: 'complete', startedAt: '2026-11-26T12:00:00.000Z', finishedAt: '2026-11-26T12:01:00.000Z' },
      failedSources: [],
      newBySeverity: { critical: 1, high: 1, medium: 0, low: 0 },
      openBySeverity: { critical: 1, high: 1, medium: 0, low: 0 },
      resolvedInRun: 0,
      urgent: [TOKEN_FINDING, APP_FINDING].map((f) => ({
        id: f.id,
        severity: f.severity,
        rule: f.rule,
        source: f.source,
        accountId: f.accountId,
        login: f.login,
        email: f.email,
        displayName: f.displayName,
        owner: f.personId ? { employeeId: f.personId, name: 'Bob', email: 'bob@acme.com' } : null,
        message: f.message,
        firstSeen: f.firstSeen,
        isNew: true,
        credential: {
          id: f.credentialId!,
          kind: f.credential!.kind,
          name: f.credential!.name,
          lastUsedAt: f.credential!.lastUsedAt,
        },
      })),
      reportsUrl: null,
    };
    const text = JSON.stringify(renderSlackDigest(data));
    expect(text).toContain(':key: *Credential:* `api-token` deploy-bot');
    expect(text).toContain('*Last used:* 2026-11-01');
    expect(text).toContain('`app-secret` Reports · *Owner account:* _none_');
  });
});
