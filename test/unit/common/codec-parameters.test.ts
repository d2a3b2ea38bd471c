import { describe, expect, it } from 'vitest';
import { codecParametersProblem } from '../../../common/codec-parameters.js';

describe('codec parameters', () => {
  it('let through what browsers and encoders send', () => {
    for (const ok of [
      undefined,
      {},
      { 'packetization-mode': 1, 'profile-level-id': '42e01f', 'level-asymmetry-allowed': 1 },
      { 'sprop-parameter-sets': 'Z0LAHtkAUAW7ARAAAAMAEAAAAwPA8WLkgA==,aMuMsg==' },
      { minptime: 10, useinbandfec: 1, 'sprop-stereo': 0, usedtx: 0 },
      { 'x-google-start-bitrate': 1000, apt: 96, 'profile-id': 2 },
    ]) {
      expect(codecParametersProblem(ok)).toBeUndefined();
    }
  });

  it('refuse what could forge SDP lines or attributes (issue 17 row 10)', () => {
    for (const bad of [
      { 'profile-level-id': '42e01f\r\na=rtcp:9 IN IP4 10.0.0.1' },
      { 'packetization-mode': '1;x=y' },
      { 'bad key': 1 },
      { 'a\nb': 1 },
      { apt: Number.NaN },
      { nested: { a: 1 } },
      { list: [1, 2] },
      Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, i])),
      'packetization-mode=1',
      [1],
    ]) {
      expect(codecParametersProblem(bad)).toBeTypeOf('string');
    }
  });
});
