import type { RequestHandler, Response } from 'express';
import type { ApiKeyStore, CallerKey } from '../auth/api-key-store.js';
import { ProblemError } from '../../common/problem.js';
import type { ClientAddress } from '../../common/client-address.js';
import { limitFailedAuthentication, rateLimited, type RateLimiter } from './rate-limiter.js';

/**
 * Requires `Authorization: Bearer lc_pk_<id>.<secret>`; the key is then `callerKey(res)`. Each key
 * tree is rate-limited as one (the bucket of its root key): a flood from one tenant leaves the
 * others alone, and making more keys does not make more requests. Failed attempts are limited per
 * client address, so keys cannot be guessed at speed.
 */
export function authenticate(keys: ApiKeyStore, limits: { perTree: RateLimiter; failuresPerAddress: RateLimiter; addressOf: ClientAddress }): RequestHandler {
  return async (req, res, next) => {
    const refuse = (problem: ProblemError) => next(limitFailedAuthentication(limits.failuresPerAddress, limits.addressOf(req), problem));
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
      const wait = limits.perTree.take(key.tree);
      if (wait) throw rateLimited(wait, 'the keys of this key tree send requests faster than its rate limit');
      res.locals.apiKey = key;
      next();
    } catch (err) {
      next(err);
    }
  };
}

export function callerKey(res: Response): CallerKey {
  return res.locals.apiKey as CallerKey;
}
