import type { Credential } from '../../src/contract/model.js';

/**
 * Slack apps (and legacy custom integrations) a member installed, from team.integrationLogs: each log row is one
 * change (added, removed, enabled, disabled, updated; "expanded" seen for added scopes) by one member. A member's
 * user tokens die with the member, but bot users, slash commands and incoming webhooks they installed keep working
 * (Slack Help, "Manage deactivated members' apps and integrations"): such an install is a credential owned by the
 * installing member's account.
 */

/** One team.integrationLogs row, as Slack sends it (dates are unix seconds as strings). */
export interface SlackIntegrationLogRow {
  app_id?: string;
  app_type?: string;
  service_id?: string | number;
  service_type?: string;
  user_id?: string;
  user_name?: string;
  channel?: string;
  date?: string | number;
  change_type?: string;
  reason?: string;
  scope?: string;
}

/** Change types after which the integration is installed and working. */
const WORKING = new Set(['added', 'enabled', 'updated', 'expanded']);
const STOPPED = new Set(['removed', 'disabled']);

interface Folded {
  id: string;
  kind: 'app' | 'service';
  name: string | null;
  /** The latest change with a known effect (working or stopped). */
  latest: SlackIntegrationLogRow | null;
  latestAt: number;
  /** The latest `added` row: who installed it and when. */
  installed: SlackIntegrationLogRow | null;
  installedAt: number;
  first: SlackIntegrationLogRow;
  firstAt: number;
  /** Scopes from the latest row that carries any. */
  scope: string | null;
  scopeAt: number;
}

/** Per integration id, what the log says so far; rows may arrive in any order and across pages. */
export class IntegrationFold {
  private readonly byId = new Map<string, Folded>();

  add(rows: readonly SlackIntegrationLogRow[]): void {
    for (const row of rows) {
      const kind = row.app_id ? 'app' : row.service_id !== undefined && row.service_id !== '' ? 'service' : null;
      if (kind === null) continue;
      const id = kind === 'app' ? String(row.app_id) : String(row.service_id);
      const at = Number(row.date ?? 0) || 0;
      const change = row.change_type ?? '';
      let entry = this.byId.get(id);
      if (!entry) {
        entry = {
          id,
          kind,
          name: null,
          latest: null,
          latestAt: -1,
          installed: null,
          installedAt: -1,
          first: row,
          firstAt: at,
          scope: null,
          scopeAt: -1,
        };
        this.byId.set(id, entry);
      }
      const name = kind === 'app' ? row.app_type : row.service_type;
      if (name) entry.name = name;
      if (at < entry.firstAt) {
        entry.first = row;
        entry.firstAt = at;
      }
      if ((WORKING.has(change) || STOPPED.has(change)) && at >= entry.latestAt) {
        entry.latest = row;
        entry.latestAt = at;
      }
      if (change === 'added' && at >= entry.installedAt) {
        entry.installed = row;
        entry.installedAt = at;
      }
      if (row.scope && at >= entry.scopeAt) {
        entry.scope = row.scope;
        entry.scopeAt = at;
      }
    }
  }

  credentials(source: string): Credential[] {
    return [...this.byId.values()].map((entry) => integrationToCredential(entry, source));
  }
}

function iso(seconds: number): string | null {
  return seconds > 0 ? new Date(seconds * 1000).toISOString() : null;
}

function integrationToCredential(entry: Folded, source: string): Credential {
  const installer = entry.installed ?? entry.first;
  const installedAt = entry.installed ? entry.installedAt : entry.firstAt;
  const scopes = (entry.scope ?? '')
    .split(',')
    .map((scope) => scope.trim())
    .filter((scope) => scope !== '');
  return {
    source,
    id: entry.id,
    kind: 'oauth-grant',
    accountId: installer.user_id ?? null,
    ownerAccountIds: [],
    name: entry.name,
    createdAt: iso(installedAt),
    // The log records changes, never use.
    lastUsedAt: null,
    usageKnown: false,
    expiresAt: null,
    // The latest change decides; an integration whose log has no effective change yet counts as working.
    enabled: entry.latest === null || WORKING.has(entry.latest.change_type ?? ''),
    scopes,
    privileged: scopes.some((scope) => scope === 'admin' || scope.startsWith('admin.')),
    attributes: {
      integration: entry.kind,
      installedBy: installer.user_name ?? null,
      lastChange: entry.latest?.change_type ?? null,
      lastChangeAt: iso(entry.latestAt),
      ...(entry.latest?.reason ? { reason: entry.latest.reason } : {}),
      ...(installer.channel ? { channel: installer.channel } : {}),
    },
  };
}
