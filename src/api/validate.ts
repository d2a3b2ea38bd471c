import type { z } from 'zod';
import { ProblemError } from '../../common/problem.js';

/** Parses request input with a zod schema; a mismatch is a 400 naming every bad field. */
export function validate<S extends z.ZodType>(schema: S, input: unknown, where: 'body' | 'query' | 'path'): z.infer<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const detail = result.error.issues
    .slice(0, 10)
    .map((i) => `${[where, ...i.path.map(String)].join('.')}: ${i.message}`)
    .join('; ');
  const code = where === 'path' ? 'invalid_id' : 'invalid_request';
  throw new ProblemError(code, detail);
}
