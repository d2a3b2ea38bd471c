import { SIGNATURE_HEADER, verifyWebhookSignature } from '../../src/webhooks/signature.js';
import type { RoomEvent } from './types.js';

export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';
}

/** What frameworks hand a handler: fetch's `Headers` or node's `IncomingHttpHeaders`-like object. */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

/**
 * Checks a delivery's `LevelChat-Signature` against the raw body with the server's own verifier
 * (HMAC-SHA256, refused when older than 5 minutes) and returns the event. Pass the body exactly as
 * received: re-serialised JSON does not match the signature.
 */
export function verifyWebhook(body: string, headers: WebhookHeaders, secret: string): RoomEvent {
  const signature = signatureHeader(headers);
  if (!signature) throw new WebhookVerificationError(`missing ${SIGNATURE_HEADER} header`);
  if (!verifyWebhookSignature(secret, body, signature)) {
    throw new WebhookVerificationError(`${SIGNATURE_HEADER} does not match the body and secret, or is too old`);
  }
  try {
    return JSON.parse(body) as RoomEvent;
  } catch {
    throw new WebhookVerificationError('the body is not JSON');
  }
}

function signatureHeader(headers: WebhookHeaders): string | undefined {
  if (headers instanceof Headers) return headers.get(SIGNATURE_HEADER) ?? undefined;
  const name = SIGNATURE_HEADER.toLowerCase();
  const values = Object.entries(headers)
    .filter(([key]) => key.toLowerCase() === name)
    .flatMap(([, value]) => value ?? []);
  // Two signatures are ambiguous: refuse rather than pick one.
  return values.length === 1 ? values[0] : undefined;
}
