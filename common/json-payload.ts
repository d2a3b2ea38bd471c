import { z } from 'zod';

/**
 * A Redis value, pub/sub message or file that is not JSON or not of its schema's shape. The message
 * names the payload and the first problem found, never the payload's contents (they may hold secrets).
 */
export class PayloadError extends Error {
  readonly code = 'payload_invalid';

  constructor(
    /** What the payload is, e.g. `room r_abc`. */
    readonly what: string,
    problem: string,
  ) {
    super(`invalid ${what}: ${problem}`);
  }
}

export type PayloadResult<T> = { success: true; data: T } | { success: false; error: PayloadError };

/** `value` as `schema` reads it; a PayloadError naming `what` when it does not fit. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = safeParseWith(schema, value, what);
  if (!result.success) throw result.error;
  return result.data;
}

/** The JSON `text` as `schema` reads it; a PayloadError naming `what` when it is not JSON or does not fit. */
export function parseJsonWith<S extends z.ZodType>(schema: S, text: string, what: string): z.output<S> {
  const result = safeParseJsonWith(schema, text, what);
  if (!result.success) throw result.error;
  return result.data;
}

/** parseWith for messages that are dropped rather than thrown: the error comes back as a value. */
export function safeParseWith<S extends z.ZodType>(schema: S, value: unknown, what: string): PayloadResult<z.output<S>> {
  const result = schema.safeParse(value);
  if (result.success) return { success: true, data: result.data };
  const issue = result.error.issues[0];
  const at = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  return { success: false, error: new PayloadError(what, `${at}${issue?.message ?? 'does not match its schema'}`) };
}

/** parseJsonWith for messages that are dropped rather than thrown: the error comes back as a value. */
export function safeParseJsonWith<S extends z.ZodType>(schema: S, text: string, what: string): PayloadResult<z.output<S>> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { success: false, error: new PayloadError(what, 'not JSON') };
  }
  return safeParseWith(schema, value, what);
}

/**
 * A schema for a value another library checks in depth when it is used (mediasoup checks its RTP
 * parameters): here only that it is an object, typed as that library's type.
 */
export function objectOutline<T extends object>(what: string): z.ZodType<T> {
  return z.custom<T>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), { message: `expected ${what}` });
}
