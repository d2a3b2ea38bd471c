import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../common/logger.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, logger: createLogger('info', stream) };
}

describe('logger', () => {
  it('writes one JSON line per event with context fields', () => {
    const { lines, logger } = capture();
    logger.info({ room_id: 'r_x', participant_id: 'p_1' }, 'participant joined');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 30, msg: 'participant joined', room_id: 'r_x', participant_id: 'p_1', service: 'levelchat' });
  });

  it('never writes tokens, secrets or Authorization headers', () => {
    const { lines, logger } = capture();
    logger.info({ token: 'eyJhbGciOi.secret.sig', secret: 'whsec_abc', authorization: 'Bearer lc_pk_a.b', req: { headers: { authorization: 'Bearer lc_pk_a.b' } }, data: { token: 'eyJx' } }, 'x');
    const line = lines.join('');
    for (const leaked of ['eyJhbGciOi', 'whsec_abc', 'lc_pk_a.b', 'eyJx']) expect(line).not.toContain(leaked);
    expect(line).toContain('[redacted]');
  });
});
