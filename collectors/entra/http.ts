import { rootCertificates } from 'node:tls';
import { SourceError } from '../../src/contract/errors.js';

/**
 * Extra fetch options shared by the token request and the Graph SDK (which calls the global fetch). Production uses
 * none: the global fetch trusts the system store and NODE_EXTRA_CA_CERTS. Only an injected CA (a loopback fake's
 * test certificate) needs a dispatcher; Node 20's fetch accepts one, but building it needs the `undici` package,
 * which is loaded on that path alone so a production install without it still works.
 */
export interface HttpOptions {
  dispatcher?: unknown;
}

export async function httpOptionsFor(source: string, caCertificate: string | undefined): Promise<HttpOptions> {
  if (caCertificate === undefined) return {};
  let undici: typeof import('undici');
  try {
    undici = await import('undici');
  } catch {
    throw new SourceError(
      source,
      'a custom CA certificate needs the "undici" package; install it, or trust the CA with NODE_EXTRA_CA_CERTS instead',
      'config',
    );
  }
  // `ca` replaces the default trust store, so keep the public roots next to the extra certificate.
  return { dispatcher: new undici.Agent({ connect: { ca: [...rootCertificates, caCertificate] } }) };
}

/** Why a request never got an HTTP answer ("ECONNREFUSED", "certificate has expired"), without any URL query. */
export function networkReason(error: unknown): string {
  const cause = error instanceof Error ? (error.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** Replaces each secret (client secret, access token) in a text that came from a server or an error. */
export function redact(text: string, secrets: readonly (string | null | undefined)[]): string {
  let result = text;
  for (const secret of secrets) if (secret && secret.length >= 4) result = result.split(secret).join('[redacted]');
  return result;
}
