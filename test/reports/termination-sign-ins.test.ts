import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderTerminationHtml } from '../../reports/termination.js';
import { gatherTerminationData } from '../../src/reporting/termination.js';
import { commitSignInPoll, SignInStager } from '../../src/store/sign-ins.js';
import { buildCompany, TZ, type Harness } from './fixture.js';

let h: Harness;
const gather = (person: string) => gatherTerminationData(h.db, { person, now: h.now, timezone: TZ });

beforeAll(async () => {
  h = await buildCompany();
});
afterAll(() => h.db.close());

function readLog(source: string, events: { accountId: string; at: string; result: 'success' | 'failure' }[]) {
  const stager = new SignInStager(h.db, source);
  events.forEach((event, index) =>
    stager.addEvent({
      source,
      id: `${source}-evt-${event.at}-${index}`,
      at: event.at,
      accountId: event.accountId,
      login: null,
      result: event.result,
      reason: null,
      ip: '198.51.100.77',
      application: 'Okta Dashboard',
    }),
  );
  stager.flush();
  commitSignInPoll(h.db, [{ source, readUntil: '2026-11-26T12:00:00.000Z' }], new Date('2026-11-26T12:00:00.000Z'));
}

describe('termination report: sign-ins after termination', () => {
  it('says sign-ins are unknown while no log was read', () => {
    const data = gather('E2');
    const sources = [...new Set(data.current.map((account) => account.source))];
    expect(data.signInsAfterTermination).toEqual({ logs: [], unknown: sources, events: [] });
    expect(renderTerminationHtml(data)).toContain('no sign-in log was read');
  });

  it('"none" is evidence up to where the log was read; a sign-in after the effective moment is listed', () => {
    const bob = gather('E2');
    const account = bob.current[0]!;
    readLog(account.source, [
      { accountId: account.accountId, at: '2026-09-30T22:59:59.000Z', result: 'success' },
      { accountId: account.accountId, at: '2026-10-02T09:00:00.000Z', result: 'failure' },
    ]);
    const none = gather('E2');
    expect(none.signInsAfterTermination!.events).toEqual([]);
    expect(none.signInsAfterTermination!.logs).toEqual([
      { source: account.source, readUntil: '2026-11-26T12:00:00.000Z' },
    ]);
    expect(renderTerminationHtml(none)).toMatch(/Sign-ins after termination:\s+none \(/);

    readLog(account.source, [{ accountId: account.accountId, at: '2026-10-05T07:30:00.000Z', result: 'success' }]);
    const after = gather('E2');
    expect(after.signInsAfterTermination!.events).toEqual([
      {
        source: account.source,
        accountId: account.accountId,
        at: '2026-10-05T07:30:00.000Z',
        ip: '198.51.100.77',
        application: 'Okta Dashboard',
      },
    ]);
    const html = renderTerminationHtml(after);
    expect(html).toMatch(/successful\s+sign-in after the termination/);
    expect(html).toContain('198.51.100.77');
  });

  it('has no comparison without a termination moment', () => {
    const active = gather('E1');
    expect(active.signInsAfterTermination).toBeNull();
  });
});
