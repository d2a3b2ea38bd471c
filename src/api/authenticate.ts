import type { RequestHandler, Response } from 'express';
import type { ApiKeyRecord, ApiKeyStore } from '../auth/api-key-store.js';
import { ProblemError } from './problem.js';

/** Requires `Authorization: Bearer lc_pk_<id>.<secret>`; the key is then `callerKey(res)`. */
export function authenticate(keys: ApiKeyStore): RequestHandler {
  return async (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) {
      next(new ProblemError(401, 'unauthorized', 'Missing API key', 'send Authorization: Bearer lc_pk_<id>.<secret>', { 'WWW-Authenticate': 'Bearer' }));
      return;
    }
    try {
      const key = await keys.authenticate(m[1]!);
      if (!key) throw new ProblemError(401, 'invalid_api_key', 'Invalid API key', 'the API key is unknown, deleted or wrong', { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
      res.locals.apiKey = key;
      next();
    } catch (err) {
      next(err);
    }
  };
}

export function callerKey(res: Response): ApiKeyRecord {
  return res.locals.apiKey as ApiKeyRecord;
}
