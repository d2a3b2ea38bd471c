import type { ErrorRequestHandler, RequestHandler } from 'express';
import { fromDomainError } from './domain-errors.js';

/**
 * An error that becomes an RFC 9457 problem+json response. `code` is stable: clients and docs rely
 * on it; `detail` is for humans.
 */
export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? title);
  }
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
}

export function problemBody(p: ProblemError): ProblemBody {
  return {
    type: `https://levelchat.dev/problems/${p.code}`,
    title: p.title,
    status: p.status,
    code: p.code,
    ...(p.detail ? { detail: p.detail } : {}),
  };
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new ProblemError(404, 'not_found', 'Not found', `no route for ${req.method} ${req.path}`));
};

/** Maps body-parser's errors to stable codes; anything unknown is a 500 that never leaks internals. */
function toProblem(err: unknown): ProblemError {
  if (err instanceof ProblemError) return err;
  const domain = fromDomainError(err);
  if (domain) return domain;
  const e = err as { type?: string; status?: number; message?: string };
  switch (e.type) {
    case 'entity.too.large':
      return new ProblemError(413, 'body_too_large', 'Request body too large', e.message);
    case 'entity.parse.failed':
      return new ProblemError(400, 'invalid_json', 'Request body is not valid JSON', e.message);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new ProblemError(415, 'unsupported_encoding', 'Unsupported body encoding', e.message);
    default:
      if (e.status && e.status >= 400 && e.status < 500) {
        return new ProblemError(e.status, 'bad_request', 'Bad request', e.message);
      }
      return new ProblemError(500, 'internal', 'Internal server error');
  }
}

export function problemHandler(log: (err: unknown, status: number) => void): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    const problem = toProblem(err);
    log(err, problem.status);
    res.status(problem.status).set(problem.headers).type('application/problem+json').send(JSON.stringify(problemBody(problem)));
  };
}
