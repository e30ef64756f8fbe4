import { setTimeout as sleep } from 'node:timers/promises';
import { SourceError } from '../../src/contract/errors.js';
import { silentLogger, type Logger } from '../../src/common/logger.js';
import type { EngineDeps } from '../../src/remediation/engine.js';
import type {
  AccountRef,
  ActionOutcome,
  CredentialLiveState,
  CredentialRef,
  CredentialRemediator,
  LiveState,
  SourceRemediator,
  SystemAction,
} from '../../src/contract/action.js';
import type { CredentialKind } from '../../src/contract/model.js';
import type { TicketClient } from '../../src/remediation/tickets.js';
import type { OwnerNotifier, OwnerMessage } from '../../src/remediation/notify-owner.js';
import { account, Harness, person } from '../engine/helpers.js';

/** One call an in-memory system received, with when it started and ended (ms since the system was made). */
export interface SystemCall {
  kind: 'read' | 'perform';
  action?: SystemAction;
  accountId: string;
  startedMs: number;
  endedMs: number;
}

export interface MemoryAccount {
  found: boolean;
  enabled: boolean;
  rawStatus: string;
  sessionsRevoked: boolean;
}

/**
 * A system held in memory: accounts with live state, the actions it cannot do, optional latency per call, and
 * failures on demand. Every call is recorded, so tests can assert "not repeated" and ordering.
 */
export class MemorySystem implements SourceRemediator {
  readonly accounts = new Map<string, MemoryAccount>();
  readonly calls: SystemCall[] = [];
  unsupported: Partial<Record<SystemAction, string>> = {};
  latencyMs = 0;
  /** When set, reads throw this (the system cannot be reached). */
  readFailure: Error | null = null;
  /** Per action: perform throws this. */
  performFailures: Partial<Record<SystemAction, Error>> = {};
  /** Its credential hook, when a test gives it one. */
  credentials?: CredentialRemediator;

  constructor(
    readonly name: string,
    accounts: Record<string, Partial<MemoryAccount>> = {},
  ) {
    for (const [id, state] of Object.entries(accounts)) this.set(id, state);
  }

  set(id: string, state: Partial<MemoryAccount>): void {
    const current = this.accounts.get(id) ?? {
      found: true,
      enabled: true,
      rawStatus: 'ACTIVE',
      sessionsRevoked: false,
    };
    this.accounts.set(id, { ...current, ...state });
  }

  performed(action?: SystemAction): SystemCall[] {
    return this.calls.filter((call) => call.kind === 'perform' && (!action || call.action === action));
  }

  reads(): SystemCall[] {
    return this.calls.filter((call) => call.kind === 'read');
  }

  unsupportedReason(action: SystemAction): string | null {
    return this.unsupported[action] ?? null;
  }

  async read(ref: AccountRef, signal: AbortSignal): Promise<LiveState> {
    return this.call('read', ref.id, undefined, signal, () => {
      if (this.readFailure) throw this.readFailure;
      const state = this.accounts.get(ref.id);
      if (!state || !state.found) return { found: false, enabled: false, rawStatus: null };
      return { found: true, enabled: state.enabled, rawStatus: state.rawStatus };
    });
  }

  alreadyDone(action: SystemAction, state: LiveState): boolean {
    return (action === 'disable' || action === 'deactivate') && (!state.found || !state.enabled);
  }

  async perform(action: SystemAction, ref: AccountRef, _state: LiveState, signal: AbortSignal): Promise<ActionOutcome> {
    return this.call('perform', ref.id, action, signal, () => {
      const failure = this.performFailures[action];
      if (failure) throw failure;
      const state = this.accounts.get(ref.id);
      if (!state) throw new SourceError(this.name, `no account ${ref.id}`, 'data');
      if (action === 'disable' || action === 'deactivate') this.set(ref.id, { enabled: false, rawStatus: 'SUSPENDED' });
      if (action === 'revoke-sessions') this.set(ref.id, { sessionsRevoked: true });
      return { status: 'applied', reason: `${this.name} ${action} done` };
    });
  }

  private async call<T>(
    kind: SystemCall['kind'],
    accountId: string,
    action: SystemAction | undefined,
    signal: AbortSignal,
    body: () => T,
  ): Promise<T> {
    // Wall-clock times, so calls of different systems can be ordered against each other.
    const startedMs = Date.now();
    if (this.latencyMs > 0) await sleep(this.latencyMs, undefined, { signal });
    try {
      return body();
    } finally {
      this.calls.push({ kind, action, accountId, startedMs, endedMs: Date.now() });
    }
  }
}

/** In-memory credentials of a system: revoking one removes it; every call is recorded. */
export class MemoryCredentials implements CredentialRemediator {
  readonly live = new Map<string, boolean>();
  readonly revoked: string[] = [];
  readonly reads: string[] = [];
  unsupported: Partial<Record<CredentialKind, string>> = {};
  revokeFailure: Error | null = null;
  /** The source says it revoked, but the credential keeps working (what verification must catch). */
  revokeIneffective = false;

  constructor(ids: string[]) {
    for (const id of ids) this.live.set(id, true);
  }
  unsupportedKind(kind: CredentialKind): string | null {
    return this.unsupported[kind] ?? null;
  }
  /** When set, reads throw this (the system cannot be reached). */
  readFailure: Error | null = null;

  async readCredential(ref: CredentialRef): Promise<CredentialLiveState> {
    if (this.readFailure) throw this.readFailure;
    this.reads.push(ref.id);
    const enabled = this.live.get(ref.id);
    return enabled === undefined ? { found: false, enabled: false } : { found: true, enabled };
  }
  async revokeCredential(ref: CredentialRef): Promise<ActionOutcome> {
    if (this.revokeFailure) throw this.revokeFailure;
    this.revoked.push(ref.id);
    if (!this.revokeIneffective) this.live.delete(ref.id);
    return { status: 'applied', reason: `revoked ${ref.kind} ${ref.id}` };
  }
}

/** Records messages instead of sending them. */
export class MemoryNotifier implements OwnerNotifier {
  readonly sent: OwnerMessage[] = [];
  async send(message: OwnerMessage) {
    this.sent.push(message);
    return { userId: `U-${message.email}`, ts: '1.000001' };
  }
}

export function engineDeps(
  systems: Record<string, SourceRemediator>,
  extra: Partial<EngineDeps> = {},
  now = () => new Date('2026-11-26T13:00:00Z'),
): EngineDeps {
  return {
    now,
    log: silentLogger as Logger,
    actor: 'alice-secops',
    remediatorFor: (name) => systems[name] ?? null,
    tickets: null as TicketClient | null,
    notifier: null,
    ...extra,
  };
}

export const BASE_CONFIG = `
database: ./z.db
roster: { path: ./hr.csv }
sources:
  - { name: okta, type: csv, path: ./okta.csv, role: idp }
  - { name: slack, type: csv, path: ./slack.csv }
  - { name: zoom, type: csv, path: ./zoom.csv }
`;

/**
 * A small company scanned into a fresh database: bob left (terminated-still-active on okta, slack and zoom), carol's
 * contract ended (past-end-date on slack), dave left and is a Slack admin (privileged).
 */
export async function company(extraYaml = '', env: NodeJS.ProcessEnv = {}): Promise<Harness> {
  const h = new Harness(BASE_CONFIG + extraYaml, env);
  const left = { status: 'terminated' as const, terminationEffectiveAt: '2026-10-01T00:00:00.000Z' };
  h.people = [
    person('E1', 'alice@acme.com', { name: 'Alice' }),
    person('E2', 'bob@acme.com', { name: 'Bob', managerId: 'E1', aliases: ['robert@acme.com'], ...left }),
    person('E3', 'carol@acme.com', {
      terminationEffectiveAt: '2026-11-01T00:00:00.000Z',
      terminationDate: '2026-10-31',
    }),
    person('E4', 'dave@acme.com', left),
  ];
  h.accounts.set('okta', [
    account('okta', 'o1', { email: 'alice@acme.com', login: 'alice@acme.com' }),
    account('okta', 'o2', { email: 'bob@acme.com', login: 'bob@acme.com' }),
    account('okta', 'o3', { email: 'carol@acme.com', login: 'carol@acme.com' }),
  ]);
  h.accounts.set('slack', [
    account('slack', 's1', { email: 'alice@acme.com' }),
    account('slack', 's2', { email: 'robert@acme.com', login: 'bob' }),
    account('slack', 's3', { email: 'carol@acme.com' }),
    account('slack', 's4', { email: 'dave@acme.com', privileged: true }),
  ]);
  h.accounts.set('zoom', [account('zoom', 'z2', { email: 'bob+zoom@acme.com', login: 'bob.zoom' })]);
  await h.scan();
  return h;
}

export function findingId(h: Harness, rule: string, source: string, accountId: string): number {
  const row = h.db
    .prepare('SELECT id FROM findings WHERE rule = ? AND source = ? AND account_id = ?')
    .get(rule, source, accountId) as { id: number } | undefined;
  if (!row) throw new Error(`no ${rule} finding for ${source}/${accountId}`);
  return row.id;
}

/** The in-memory systems matching `company()`: okta does everything, slack cannot end sessions, zoom is a CSV. */
export function companySystems() {
  const okta = new MemorySystem('okta', { o1: {}, o2: {}, o3: {} });
  const slack = new MemorySystem('slack', { s1: {}, s2: {}, s3: {}, s4: {} });
  slack.unsupported = { 'revoke-sessions': 'admin.users.session.reset needs Enterprise Grid' };
  const zoom = new MemorySystem('zoom', { z2: {} });
  zoom.unsupported = {
    'revoke-sessions': 'csv exports have no API: a ticket is opened instead',
    disable: 'csv exports have no API: a ticket is opened instead',
  };
  return { okta, slack, zoom };
}

export function journalRows(h: Harness) {
  return h.db.prepare('SELECT * FROM audit_log ORDER BY id').all() as {
    id: number;
    kind: string;
    intent_id: number | null;
    actor: string;
    finding_id: number | null;
    person_id: string | null;
    source: string | null;
    account_id: string | null;
    action: string | null;
    status: string | null;
    reason: string | null;
    detail: string;
  }[];
}
