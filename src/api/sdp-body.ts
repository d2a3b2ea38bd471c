import express, { type RequestHandler } from 'express';
import { ProblemError } from '../../common/problem.js';
import { MAX_BODY_BYTES } from './json-body.js';

const readText = express.text({ limit: MAX_BODY_BYTES, type: () => true });

/**
 * The SDP body of a WHIP/WHEP request (`application/sdp` offers, `application/trickle-ice-sdpfrag`
 * patches) as a string in `req.body`: of that type (else 415, naming the type), at most 64 KB (413
 * body_too_large) and not empty (400 sdp_malformed).
 */
export function sdpBody(type: 'application/sdp' | 'application/trickle-ice-sdpfrag', acceptHeader: 'Accept-Post' | 'Accept-Patch'): RequestHandler {
  return (req, res, next) => {
    const declared = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (declared !== type) {
      next(new ProblemError('unsupported_media_type', `send the body as ${type}`, { headers: { [acceptHeader]: type } }));
      return;
    }
    readText(req, res, (err?: unknown) => {
      if (err) next(err);
      else if (typeof req.body !== 'string' || req.body.trim().length === 0) next(new ProblemError('sdp_malformed', `the body must be ${type}`));
      else next();
    });
  };
}
