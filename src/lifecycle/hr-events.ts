import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { endOfLocalDay } from '../common/time.js';
import type { Config } from '../config/config.js';
import type { Logger } from '../contract/logger.js';
import { describe } from '../remediation/engine.js';
import type { OffboardResult } from '../remediation/offboard.js';
import type { Db } from '../store/database.js';
import { appendEntry } from '../store/journal.js';
import { recordHrRequest, saveHrLeaverEvent } from '../store/lifecycle.js';
import { personById } from '../store/people.js';

/**
 * POST /hooks/hr: leaver events signed by the HR system. The signature is HMAC-SHA256 under `lifecycle.hrEvents.secret`
 * over `timestamp.body` (the raw bytes), sent as `X-Zombiescan-Signature: sha256=<hex>` with the unix time in
 * `X-Zombiescan-Timestamp`; a request older or newer than 5 minutes is refused (a captured request cannot be sent
 * later), and one seen before is refused with 409 — remembered in the store, so a restart does not reopen it.
 * Forged, stale or replayed requests are logged and never acted on.
 */

export const HR_TIMESTAMP_HEADER = 'x-zombiescan-timestamp';
export const HR_SIGNATURE_HEADER = 'x-zombiescan-signature';
export const HR_SIGNATURE_WINDOW_SECONDS = 5 * 60;

export const hrEventSchema = z.strictObject({
  employeeId: z.string().min(1).max(200),
  /** The last day (YYYY-MM-DD, ends at midnight in `timezone`) or an ISO date-time; absent: effective now. */
  terminationDate: z
    .string()
    .refine((value) => /^\d{4}-\d{2}-\d{2}$/.test(value) || !Number.isNaN(Date.parse(value)), 'a date or date-time')
    .optional(),
  /** Offboard at once (whatever lifecycle.leavers.mode says: the signed event is the confirmation). */
  emergency: z.boolean().optional(),
});
export type HrEvent = z.infer<typeof hrEventSchema>;

/** HMAC-SHA256 over `timestamp.body`, as the sender computes it (also for tests and senders' examples). */
export function signHrEvent(secret: string, timestamp: string, rawBody: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex')}`;
}

/** Null when the request is authentic and fresh; otherwise why it is refused (safe to log: no secret in it). */
export function verifyHrSignature(input: {
  secret: string;
  timestamp: string | undefined;
  signature: string | undefined;
  rawBody: Buffer;
  now: Date;
}): string | null {
  if (!input.timestamp || !/^\d{1,12}$/.test(input.timestamp)) return `missing or malformed ${HR_TIMESTAMP_HEADER}`;
  const age = Math.abs(input.now.getTime() / 1000 - Number(input.timestamp));
  if (age > HR_SIGNATURE_WINDOW_SECONDS)
    return `timestamp outside the ${HR_SIGNATURE_WINDOW_SECONDS / 60}-minute window`;
  if (!input.signature || !/^sha256=[0-9a-f]{64}$/i.test(input.signature)) {
    return `missing or malformed ${HR_SIGNATURE_HEADER}`;
  }
  const expected = Buffer.from(signHrEvent(input.secret, input.timestamp, input.rawBody).slice(7), 'hex');
  const given = Buffer.from(input.signature.slice(7), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected) ? null : 'signature does not match';
}

export interface HrHookRequest {
  rawBody: Buffer;
  header(name: string): string | undefined;
  remote: string | undefined;
}

export interface HrHookResponse {
  status: number;
  body: Record<string, unknown>;
}

export interface HrEventHandlerDeps {
  db: Db;
  config: Config;
  secret: string;
  log: Logger;
  now: () => Date;
  /** `offboard PERSON --apply` as serve runs it (actor: the HR system). */
  offboard(employeeId: string, reason: string, signal: AbortSignal): Promise<OffboardResult>;
}

export class HrEventHandler {
  private readonly running = new Set<Promise<unknown>>();
  /** Never aborted: an emergency offboarding, once started, is seen through even when serve is asked to stop. */
  private readonly signal = new AbortController().signal;

  constructor(private readonly deps: HrEventHandlerDeps) {}

  async handle(request: HrHookRequest): Promise<HrHookResponse> {
    const { db, log } = this.deps;
    const now = this.deps.now();
    const signature = request.header(HR_SIGNATURE_HEADER);
    const refusal = verifyHrSignature({
      secret: this.deps.secret,
      timestamp: request.header(HR_TIMESTAMP_HEADER),
      signature,
      rawBody: request.rawBody,
      now,
    });
    if (refusal !== null) {
      log.warn('HR event refused', { reason: refusal, remote: request.remote });
      return { status: 401, body: { error: 'invalid signature' } };
    }
    // The signature names the request exactly (it covers its timestamp and body).
    const requestId = createHash('sha256').update(signature!.toLowerCase()).digest('hex');
    if (!recordHrRequest(db, requestId, now)) {
      log.warn('HR event refused: replayed', { remote: request.remote });
      return { status: 409, body: { error: 'request already received' } };
    }
    let event: HrEvent;
    try {
      event = hrEventSchema.parse(JSON.parse(request.rawBody.toString('utf8')));
    } catch (error) {
      log.warn('HR event not understood', {
        reason: error instanceof z.ZodError ? error.issues[0]?.message : describe(error),
      });
      return { status: 400, body: { error: 'expected {employeeId, terminationDate?, emergency?}' } };
    }
    const person = personById(db, event.employeeId);
    if (!person) {
      log.warn('HR event for someone not on the roster of the last scan', { employeeId: event.employeeId });
      return { status: 422, body: { error: 'employeeId is not on the roster (as of the last scan)' } };
    }
    const effective = event.terminationDate
      ? /^\d{4}-\d{2}-\d{2}$/.test(event.terminationDate)
        ? endOfLocalDay(event.terminationDate, this.deps.config.timezone)
        : new Date(event.terminationDate)
      : now;
    appendEntry(db, {
      at: now,
      kind: 'decision',
      actor: 'hr-event',
      personId: person.employeeId,
      action: 'hr-event',
      status: event.emergency ? 'emergency' : 'queued',
      reason: event.emergency ? 'signed HR event: emergency offboarding' : 'signed HR event: leaver queued',
      detail: { terminationDate: event.terminationDate ?? null, effectiveAt: effective.toISOString() },
    });
    if (event.emergency) {
      const run = this.deps
        .offboard(person.employeeId, 'signed HR event: emergency', this.signal)
        .then((result) => {
          log.info('emergency offboarding from an HR event finished', {
            person: person.employeeId,
            complete: result.report.complete,
            reportId: result.reportId,
          });
        })
        .catch((error: unknown) => {
          log.error('emergency offboarding from an HR event failed', {
            person: person.employeeId,
            error: describe(error),
          });
        })
        .finally(() => this.running.delete(run));
      this.running.add(run);
      return { status: 202, body: { accepted: true, emergency: true, employeeId: person.employeeId } };
    }
    saveHrLeaverEvent(db, {
      employeeId: person.employeeId,
      terminationDate: event.terminationDate ?? null,
      terminationEffectiveAt: effective.toISOString(),
      receivedAt: now.toISOString(),
    });
    log.info('leaver queued from an HR event', { person: person.employeeId, moment: effective.toISOString() });
    return {
      status: 202,
      body: { accepted: true, queued: true, employeeId: person.employeeId, moment: effective.toISOString() },
    };
  }

  /** Waits for the emergency offboardings started by events (shutdown, tests). */
  async settle(): Promise<void> {
    await Promise.all([...this.running]);
  }
}
