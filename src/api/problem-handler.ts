import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ProblemError, problemBody } from '../../common/problem.js';
import { fromDomainError } from './domain-errors.js';

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new ProblemError('not_found', `no route for ${req.method} ${req.path}`));
};

/** Maps body-parser's errors to stable codes; anything unknown is a 500 that never leaks internals. */
function toProblem(err: unknown): ProblemError {
  if (err instanceof ProblemError) return err;
  const domain = fromDomainError(err);
  if (domain) return domain;
  const e = err as { type?: string; status?: number; message?: string };
  switch (e.type) {
    case 'entity.too.large':
      return new ProblemError('body_too_large', e.message);
    case 'entity.parse.failed':
      return new ProblemError('invalid_json', e.message);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new ProblemError('unsupported_encoding', e.message);
    default:
      if (e.status && e.status >= 400 && e.status < 500) return new ProblemError('bad_request', e.message, { status: e.status });
      return new ProblemError('internal');
  }
}

export function problemHandler(log: (err: unknown, status: number) => void): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    const problem = toProblem(err);
    log(err, problem.status);
    res.status(problem.status).set(problem.headers).type('application/problem+json').send(JSON.stringify(problemBody(problem)));
  };
}
