import { afterEach, describe, expect, it } from 'vitest';
import { SourceError } from '../../src/contract/errors.js';
import { RECONCILED_APPLIED, RECONCILED_NOT_APPLIED, runRemediation } from '../../src/remediation/apply.js';
import { appendEntry, pendingIntents, verifyJournal } from '../../src/store/journal.js';
import { currentAccount } from '../../src/store/accounts.js';
import { createTicketClient, findingLabel } from '../../src/remediation/tickets.js';
import type { Harness } from '../engine/helpers.js';
import { startJiraFake, type JiraFake } from '../fakes/jira.js';
import { company, companySystems, engineDeps, findingId, journalRows } from './helpers.js';

/**
 * A process killed between an intent and its result leaves the intent alone in the journal. These tests put the
 * journal in exactly that state (an intent appended through the journal API, no result) and check that the next run
 * settles it by re-reading the account: no action lost, none applied twice.
 */

let jira: JiraFake | undefined;
afterEach(async () => {
  await jira?.close();
  jira = undefined;
});

function interruptedIntent(
  h: Harness,
  findingId: number,
  source: string,
  accountId: string,
  action: string,
  detail = {},
) {
  return appendEntry(h.db, {
    at: new Date('2026-11-26T12:59:00Z'),
    kind: 'intent',
    actor: 'alice-secops',
    findingId,
    personId: 'E2',
    source,
    accountId,
    action,
    detail: { account: currentAccount(h.db, source, accountId)!.ref, mode: 'remediate', ...detail },
  });
}

describe('crash between intent and result', () => {
  it('confirms an action whose effect is there, without calling it again', async () => {
    const h = await company();
    const systems = companySystems();
    const id = findingId(h, 'terminated-still-active', 'okta', 'o2');
    const intent = interruptedIntent(h, id, 'okta', 'o2', 'disable');
    // The killed process got the suspend through before it died.
    systems.okta.set('o2', { enabled: false, rawStatus: 'SUSPENDED' });

    const run = await runRemediation(h.db, h.config, { apply: true, findingIds: [id] }, engineDeps(systems));

    expect(run.reconciled).toHaveLength(1);
    expect(run.reconciled[0]).toMatchObject({
      kind: 'result',
      intentId: intent.id,
      status: 'applied',
      reason: RECONCILED_APPLIED,
    });
    expect(systems.okta.performed('disable')).toEqual([]);
    expect(run.records.find((r) => r.action === 'disable')).toMatchObject({ status: 'already-done' });
    expect(journalRows(h).filter((row) => row.kind === 'intent' && row.action === 'disable')).toHaveLength(1);
    expect(pendingIntents(h.db)).toEqual([]);
    expect(h.findings(`id = ${id}`)[0]!.status).toBe('remediated');
    expect(verifyJournal(h.db).ok).toBe(true);
  });

  it('records an action whose effect is missing as failed, and plans it again', async () => {
    const h = await company();
    const systems = companySystems();
    const id = findingId(h, 'terminated-still-active', 'okta', 'o2');
    const intent = interruptedIntent(h, id, 'okta', 'o2', 'disable');

    const run = await runRemediation(h.db, h.config, { apply: true, findingIds: [id] }, engineDeps(systems));

    expect(run.reconciled[0]).toMatchObject({ intentId: intent.id, status: 'failed', reason: RECONCILED_NOT_APPLIED });
    expect(systems.okta.performed('disable')).toHaveLength(1);
    expect(run.records.find((r) => r.action === 'disable')).toMatchObject({ status: 'applied' });
    expect(systems.okta.accounts.get('o2')!.enabled).toBe(false);
    expect(pendingIntents(h.db)).toEqual([]);
    expect(run.exitCode).toBe(0);
  });

  it('leaves an intent open and does not act while the source cannot confirm it', async () => {
    const h = await company();
    const systems = companySystems();
    const id = findingId(h, 'terminated-still-active', 'okta', 'o2');
    const intent = interruptedIntent(h, id, 'okta', 'o2', 'disable');
    systems.okta.readFailure = new SourceError('okta', 'GET /api/v1/users/o2: HTTP 503 after 3 retries', 'server');

    const blocked = await runRemediation(h.db, h.config, { apply: true, findingIds: [id] }, engineDeps(systems));
    const disable = blocked.records.find((r) => r.action === 'disable')!;
    expect(disable.status).toBe('refused');
    expect(disable.reason).toMatch(
      new RegExp(`interrupted earlier disable \\(journal #${intent.id}\\) could not be confirmed`),
    );
    expect(systems.okta.performed('disable')).toEqual([]);
    expect(pendingIntents(h.db).map((row) => row.id)).toEqual([intent.id]);

    // Once the source answers, the intent is settled and the action runs (once).
    systems.okta.readFailure = null;
    const next = await runRemediation(h.db, h.config, { apply: true, findingIds: [id] }, engineDeps(systems));
    expect(next.reconciled[0]).toMatchObject({ intentId: intent.id, status: 'failed' });
    expect(systems.okta.performed('disable')).toHaveLength(1);
  });

  it('only points interrupted intents out in a dry run', async () => {
    const h = await company();
    const id = findingId(h, 'terminated-still-active', 'okta', 'o2');
    interruptedIntent(h, id, 'okta', 'o2', 'disable');
    const before = journalRows(h).length;
    const plan = await runRemediation(h.db, h.config, { apply: false, findingIds: [id] }, engineDeps(companySystems()));
    expect(plan.records.find((r) => r.action === 'disable')).toMatchObject({
      status: 'planned',
      reason: expect.stringMatching(/interrupted \(journal #1\); --apply re-reads the account/),
    });
    expect(journalRows(h)).toHaveLength(before);
  });

  it('finds the Jira issue an interrupted run created, and opens no second one', async () => {
    jira = await startJiraFake();
    const h = await company(
      'tickets: { type: jira, baseUrl: "${JIRA_URL}", email: secops@acme.test, apiToken: "${JIRA_TOKEN}", project: SEC }\n',
      { JIRA_URL: jira.baseUrl, JIRA_TOKEN: jira.apiToken },
    );
    const tickets = createTicketClient(h.config.tickets!, { retryPolicy: { baseDelayMs: 1 } });
    const id = findingId(h, 'past-end-date', 'slack', 's3');
    const label = findingLabel(id);
    interruptedIntent(h, id, 'slack', 's3', 'ticket', { label });
    // The create reached Jira; the process died before the answer was journaled.
    await tickets.open(
      { label, idempotencyKey: 'k', summary: 'created before the crash', description: ['x'], payload: {} },
      AbortSignal.timeout(5000),
    );

    const run = await runRemediation(
      h.db,
      h.config,
      { apply: true, findingIds: [id] },
      engineDeps(companySystems(), { tickets }),
    );
    expect(run.reconciled[0]).toMatchObject({
      status: 'applied',
      detail: expect.objectContaining({ ticketKey: 'SEC-1' }),
    });
    expect(run.records).toEqual([
      expect.objectContaining({ action: 'ticket', status: 'already-done', ticketKey: 'SEC-1' }),
    ]);
    expect(jira.creates()).toHaveLength(1);
    expect(h.db.prepare('SELECT ticket_key FROM findings WHERE id = ?').get(id)).toEqual({ ticket_key: 'SEC-1' });
  });

  it('opens the ticket when the interrupted create never reached Jira', async () => {
    jira = await startJiraFake();
    const h = await company(
      'tickets: { type: jira, baseUrl: "${JIRA_URL}", email: secops@acme.test, apiToken: "${JIRA_TOKEN}", project: SEC }\n',
      { JIRA_URL: jira.baseUrl, JIRA_TOKEN: jira.apiToken },
    );
    const tickets = createTicketClient(h.config.tickets!, { retryPolicy: { baseDelayMs: 1 } });
    const id = findingId(h, 'past-end-date', 'slack', 's3');
    interruptedIntent(h, id, 'slack', 's3', 'ticket', { label: findingLabel(id) });

    const run = await runRemediation(
      h.db,
      h.config,
      { apply: true, findingIds: [id] },
      engineDeps(companySystems(), { tickets }),
    );
    expect(run.reconciled[0]).toMatchObject({ status: 'failed', reason: RECONCILED_NOT_APPLIED });
    expect(run.records).toEqual([expect.objectContaining({ status: 'applied', ticketKey: 'SEC-1' })]);
    expect(jira.creates()).toHaveLength(1);
  });
});
