import express, { type RequestHandler } from 'express';
import { ProblemError } from '../../common/problem.js';

export const MAX_BODY_BYTES = 64 * 1024;

const parseJson = express.json({ limit: MAX_BODY_BYTES, strict: true, type: () => true });

/**
 * Request bodies are JSON objects of at most 64 KB. A body with another content type is a 415, an
 * empty body reads as `{}`.
 */
export const jsonBody: RequestHandler = (req, res, next) => {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (!hasBody) {
    req.body = {};
    next();
    return;
  }
  if (!req.is('application/json')) {
    next(new ProblemError('unsupported_media_type', 'send the body as application/json'));
    return;
  }
  parseJson(req, res, (err?: unknown) => {
    if (err) {
      next(err);
      return;
    }
    if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body)) {
      next(new ProblemError('invalid_request', 'the body must be a JSON object'));
      return;
    }
    next();
  });
};
