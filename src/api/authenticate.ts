import type { RequestHandler, Response } from 'express';
import type { ApiKeyRecord, ApiKeyStore } from '../auth/api-key-store.js';
import { ProblemError } from '../../common/problem.js';
import type { RateLimiter } from './rate-limiter.js';

function tooMany(retryAfterS: number, detail: string): ProblemError {
  return new ProblemError('rate_limited', detail, { headers: { 'Retry-After': String(retryAfterS) } });
}

/**
 * Requires `Authorization: Bearer lc_pk_<id>.<secret>`; the key is then `callerKey(res)`. Each key
 * is rate-limited on its own (a flood from one key leaves the others alone); failed attempts are
 * limited per client address, so keys cannot be guessed at speed.
 */
export function authenticate(keys: ApiKeyStore, limits: { perKey: RateLimiter; failuresPerAddress: RateLimiter }): RequestHandler {
  return async (req, res, next) => {
    const address = req.socket.remoteAddress ?? 'unknown';
    const refuse = (problem: ProblemError) => {
      const wait = limits.failuresPerAddress.take(address);
      next(wait ? tooMany(wait, 'too many failed authentications from this address') : problem);
    };
    const header = req.get('authorization') ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) {
      refuse(new ProblemError('unauthorized', 'send Authorization: Bearer lc_pk_<id>.<secret>', { headers: { 'WWW-Authenticate': 'Bearer' } }));
      return;
    }
    try {
      const key = await keys.authenticate(m[1]!);
      if (!key) {
        refuse(new ProblemError('invalid_api_key', 'the API key is unknown, deleted or wrong', { headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } }));
        return;
      }
      const wait = limits.perKey.take(key.id);
      if (wait) throw tooMany(wait, 'this API key sends requests faster than its rate limit');
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
