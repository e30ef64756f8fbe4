import { randomUUID } from 'node:crypto';
import { readlinkSync } from 'node:fs';
import { hostname } from 'node:os';

/**
 * Who holds a lock (the remediation lock, a running scan): this process, identified by a random nonce, with its host
 * and pid namespace so that a pid is only ever compared within the namespace it belongs to. Two containers are both
 * pid 1, and two hosts on a shared volume have unrelated pids: a pid alone would let each take the other for itself
 * or for a dead process. A holder keeps a lease it renews (heartbeat); a lease that expired is a holder that is gone.
 */
export interface LockHolder {
  /** Random per process: the only test of "is this me". */
  nonce: string;
  pid: number;
  host: string;
  /** `/proc/self/ns/pid` (Linux), null elsewhere: pids are comparable only within one namespace on one host. */
  pidNamespace: string | null;
}

/** A holder as stored, with its lease. Rows written before leases existed have only `pid`. */
export interface StoredHolder {
  nonce?: string;
  pid: number | null;
  host?: string;
  pidNamespace?: string | null;
  /** ISO 8601: the holder is gone once this has passed without a renewal. */
  expiresAt?: string;
}

export const THIS_PROCESS: LockHolder = {
  nonce: randomUUID(),
  pid: process.pid,
  host: hostname(),
  pidNamespace: pidNamespace(),
};

function pidNamespace(): string | null {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return null;
  }
}

export function isSelf(stored: StoredHolder, self: LockHolder): boolean {
  return stored.nonce !== undefined && stored.nonce === self.nonce;
}

/**
 * Is another holder still there? Its lease expired: no. Same host and pid namespace: its pid says (a crash is seen at
 * once). Anywhere else: yes until the lease runs out. A row from before leases (pid only) is judged by its pid, as then.
 */
export function holderAlive(stored: StoredHolder, self: LockHolder, now: Date): boolean {
  // A pid-only row is never this process's (this one writes a nonce); its own pid there is an earlier life of ours.
  if (stored.nonce === undefined) return stored.pid !== self.pid && processAlive(stored.pid);
  if (stored.expiresAt !== undefined && Date.parse(stored.expiresAt) <= now.getTime()) return false;
  const samePidSpace =
    stored.host === self.host && self.pidNamespace !== null && stored.pidNamespace === self.pidNamespace;
  return samePidSpace ? processAlive(stored.pid) : true;
}

export function processAlive(pid: number | null): boolean {
  if (pid === null) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function holderJson(self: LockHolder, expiresAt: Date, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ ...extra, ...self, expiresAt: expiresAt.toISOString() });
}

/** "pid 12 on host-a": for messages. */
export function describeHolder(stored: StoredHolder): string {
  return `pid ${stored.pid ?? '?'}${stored.host ? ` on ${stored.host}` : ''}`;
}
