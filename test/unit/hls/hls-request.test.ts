import { describe, expect, it } from 'vitest';
import { ProblemError } from '../../../common/problem.js';
import { parseDeliveryDirectives, parseHlsFile, parseRendition, parseRoomId } from '../../../src/hls/hls-request.js';

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof ProblemError ? err.code : 'not a problem';
  }
};

describe('origin request parsing', () => {
  it('accepts exactly the names the packager writes', () => {
    expect(parseHlsFile('init.mp4')).toEqual({ kind: 'init', name: 'init.mp4' });
    expect(parseHlsFile('init12.mp4')).toEqual({ kind: 'init', name: 'init12.mp4' });
    expect(parseHlsFile('part103.m4s')).toEqual({ kind: 'part', name: 'part103.m4s', number: 103 });
    expect(parseHlsFile('seg0.m4s')).toEqual({ kind: 'segment', name: 'seg0.m4s', msn: 0 });
    for (const bad of ['init0.mp4', '../init.mp4', 'seg01.m4s', 'part1.0.m4s', 'part01.m4s', 'part1234567890123.m4s', 'seg1.m4s/', 'index.m3u8', 'seg1.mp4', '', 'seg99999999999.m4s']) {
      expect(code(() => parseHlsFile(bad)), bad).toBe('invalid_file_name');
    }
  });

  it('validates room ids and renditions', () => {
    expect(parseRoomId('r_abc')).toBe('r_abc');
    expect(code(() => parseRoomId('abc'))).toBe('invalid_room_id');
    expect(code(() => parseRoomId('r_a/../b'))).toBe('invalid_room_id');
    expect(parseRendition('vlq3x9k2')).toBe('vlq3x9k2');
    expect(code(() => parseRendition('v1/..'))).toBe('invalid_rendition');
    expect(code(() => parseRendition('V1'))).toBe('invalid_rendition');
  });

  it('parses delivery directives', () => {
    expect(parseDeliveryDirectives({})).toEqual({ skip: false });
    expect(parseDeliveryDirectives({ _HLS_msn: '12', _HLS_part: '0', _HLS_skip: 'YES' })).toEqual({ msn: 12, part: 0, skip: true });
    expect(parseDeliveryDirectives({ _HLS_skip: 'v2' })).toEqual({ skip: true });
    for (const bad of [{ _HLS_part: '1' }, { _HLS_msn: '-1' }, { _HLS_msn: '01' }, { _HLS_msn: ['1', '2'] }, { _HLS_skip: 'yes' }, { _HLS_msn: '9999999999999999' }]) {
      expect(code(() => parseDeliveryDirectives(bad)), JSON.stringify(bad)).toBe('invalid_delivery_directive');
    }
  });
});
