import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LlHlsError } from '../../../pipeline/llhls/errors.js';
import { formatDateTime, formatSeconds, quoted } from '../../../pipeline/llhls/format.js';

describe('playlist value formatting', () => {
  it.each([
    [0.2, '0.200'],
    [1, '1.000'],
    [1 / 30, '0.03333'],
    [0.1234, '0.1234'],
    [1.0000000000000002, '1.000'],
    [1e-7, '0.000'],
    [12345.678901, '12345.6789'],
    [0.999996, '1.000'],
  ])('formats %s seconds as %s', (seconds, text) => {
    expect(formatSeconds(seconds)).toBe(text);
  });

  it('always writes 3 to 5 decimals without exponent, within 5 µs of the value', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e6, noNaN: true }), (seconds) => {
        const text = formatSeconds(seconds);
        expect(text).toMatch(/^\d+\.\d{3,5}$/);
        expect(Math.abs(Number(text) - seconds)).toBeLessThanOrEqual(5e-6 + seconds * 1e-15);
      }),
    );
  });

  it('refuses values a playlist cannot carry', () => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, 1e21]) expect(() => formatSeconds(bad)).toThrow(LlHlsError);
    expect(() => quoted('a"b')).toThrow(LlHlsError);
    expect(() => quoted('a\nb')).toThrow(LlHlsError);
    expect(() => formatDateTime(Number.NaN)).toThrow(LlHlsError);
  });

  it('writes program date times as ISO 8601 UTC with milliseconds', () => {
    expect(formatDateTime(Date.UTC(2024, 1, 29, 23, 59, 59, 7))).toBe('2024-02-29T23:59:59.007Z');
  });
});
