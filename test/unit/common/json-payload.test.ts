import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { objectOutline, parseJsonWith, parseWith, PayloadError, safeParseJsonWith } from '../../../common/json-payload.js';

const point = z.object({ x: z.number(), y: z.number() });

describe('parseJsonWith', () => {
  it('returns the value its schema reads, unknown keys left out', () => {
    expect(parseJsonWith(point, '{"x":1,"y":2,"z":3}', 'point')).toEqual({ x: 1, y: 2 });
  });

  it('throws a payload_invalid PayloadError naming the payload and the field', () => {
    const err = (() => {
      try {
        parseJsonWith(point, '{"x":1,"y":"two"}', 'point p1');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(PayloadError);
    expect(err).toMatchObject({ code: 'payload_invalid', what: 'point p1' });
    expect((err as Error).message).toMatch(/^invalid point p1: y: /);
  });

  it('says "not JSON" without quoting the text (it may hold secrets)', () => {
    expect(() => parseJsonWith(point, '{"secret":"hunter2"', 'key k')).toThrow('invalid key k: not JSON');
    const result = safeParseJsonWith(z.object({ d: z.number() }), '{"d":"hunter2"}', 'key k');
    expect(result.success).toBe(false);
    expect(!result.success && result.error.message).not.toContain('hunter2');
  });
});

describe('safeParseJsonWith', () => {
  it('returns the error as a value instead of throwing', () => {
    const bad = safeParseJsonWith(point, 'null', 'point');
    expect(bad.success).toBe(false);
    expect(!bad.success && bad.error).toBeInstanceOf(PayloadError);
    expect(safeParseJsonWith(point, '{"x":0,"y":0}', 'point')).toEqual({ success: true, data: { x: 0, y: 0 } });
  });
});

describe('parseWith', () => {
  it('checks a value that is already parsed (a Redis hash, a bus body)', () => {
    expect(parseWith(point, { x: 1, y: 2 }, 'point')).toEqual({ x: 1, y: 2 });
    expect(() => parseWith(point, { x: 1 }, 'point')).toThrow(PayloadError);
  });
});

describe('objectOutline', () => {
  it('accepts any object, typed as the given type, and nothing else', () => {
    const outline = objectOutline<{ codecs: unknown[] }>('RTP parameters');
    const value = { codecs: [], extra: true };
    expect(outline.parse(value)).toBe(value);
    for (const bad of [null, [], 'x', 1]) expect(() => parseWith(outline, bad, 'p')).toThrow('expected RTP parameters');
  });
});
