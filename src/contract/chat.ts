/**
 * The Slack Web API as the engine, the digest and the review buttons use it: a method name and its arguments. The
 * composition root (src/cli) passes the real client (collectors/slack/client.ts), so nothing outside collectors
 * imports a Slack client, and tests can pass their own.
 *
 * An implementation rejects Slack's `{ok: false}` answers with an error whose `slackError` property is Slack's error
 * code ("users_not_found", "missing_scope"…): see `slackErrorCode`.
 */
export interface SlackChat {
  /** `retryTransient: false` for calls that must not run twice (posting a message). */
  call(method: string, args?: Record<string, unknown>, options?: { retryTransient?: boolean }): Promise<object>;
}

/** Slack's error code carried by a SlackChat rejection, or null for any other failure. */
export function slackErrorCode(error: unknown): string | null {
  if (error === null || typeof error !== 'object' || !('slackError' in error)) return null;
  return typeof error.slackError === 'string' ? error.slackError : null;
}
