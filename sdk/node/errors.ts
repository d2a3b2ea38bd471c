/**
 * Any answer but 2xx. `code` is the API's stable error code (`room_not_found`, `invalid_request`,
 * ...) from its problem+json body; when there is no such body the SDK supplies one: `network_error`
 * (no answer at all, `status` 0), `http_<status>` (an answer that is not problem+json, e.g. from a
 * proxy) or `invalid_response` (a 2xx that is not JSON).
 */
export class LevelChatApiError extends Error {
  override readonly name = 'LevelChatApiError';

  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail?: string,
  ) {
    super(`${code}: ${detail ?? title}`);
  }
}

/** The error for a non-2xx answer with body `text`. */
export function errorFromResponse(status: number, statusText: string, text: string): LevelChatApiError {
  const problem = parseProblem(text);
  if (problem) return new LevelChatApiError(status, problem.code, problem.title, problem.detail);
  return new LevelChatApiError(status, `http_${status}`, statusText || 'HTTP error', text.slice(0, 200) || undefined);
}

/** The error for a request that got no answer: refused, reset, DNS, aborted... */
export function networkError(err: unknown): LevelChatApiError {
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  // fetch reports every failure as "fetch failed"; the useful part is the cause.
  return new LevelChatApiError(0, 'network_error', 'Network error', e.cause?.code ?? e.cause?.message ?? e.message ?? String(err));
}

function parseProblem(text: string): { code: string; title: string; detail?: string } | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  const p = body as { code?: unknown; title?: unknown; detail?: unknown } | null;
  if (typeof p?.code !== 'string' || typeof p.title !== 'string') return undefined;
  return { code: p.code, title: p.title, ...(typeof p.detail === 'string' ? { detail: p.detail } : {}) };
}
