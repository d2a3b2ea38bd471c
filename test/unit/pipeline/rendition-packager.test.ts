// Two renditions of the same real fMP4 packaged side by side, as a pipeline run packages its ladder:
// each published playlist state reports the other, and each describes itself as a variant.
import { cadenceOf } from '../../../pipeline/llhls/cadence.js';
import type { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Fmp4Item } from '../../../pipeline/fmp4/fragment-reader.js';
import type { RenditionReport } from '../../../pipeline/llhls/media-playlist.js';
import { MediaCache } from '../../../pipeline/publish/media-cache.js';
import { stateOf, type HlsStateMessage, type RenditionState } from '../../../pipeline/publish/playlist-state.js';
import { RenditionPackager } from '../../../pipeline/rendition-packager.js';
import { createLogger } from '../../../common/logger.js';
import type { ObjectStore } from '../../../storage/object-store.js';
import { encodePerFrameMp4, readAll } from './ffmpeg-fixture.js';
import { parsePlaylist, urisOf } from './m3u8.js';
import { assertConforming } from '../../helpers/llhls-conformance.js';

/** The one Redis call HlsPublisher makes (MULTI SET PUBLISH EXEC, on database 0), recording each published state as an origin composes it. */
function recordingRedis(states: RenditionState[]): Redis {
  const heads = new Map<string, string>();
  const multi = {
    set: () => multi,
    publish: (_channel: string, json: string) => {
      const message = JSON.parse(json) as HlsStateMessage;
      if (message.type !== 'rendition') return multi;
      const { rendition, head } = message.state;
      if (head.text !== undefined) heads.set(rendition, head.text);
      states.push(stateOf(message.state, heads.get(rendition)!));
      return multi;
    },
    exec: async () => [[null, 'OK']],
  };
  return { options: { db: 0 }, multi: () => multi } as unknown as Redis;
}

let items: Fmp4Item[];
beforeAll(() => {
  items = readAll(encodePerFrameMp4(3));
});

describe('RenditionPackager', () => {
  it('publishes states whose rendition reports name the sibling where it is', async () => {
    const states: RenditionState[] = [];
    const store = { put: async () => {} } as unknown as ObjectStore;
    const common = { roomId: 'r_ladder', store, redis: recordingRedis(states), cache: new MediaCache(), logger: createLogger('silent') };
    const packagers: RenditionPackager[] = [];
    const reportsFor = (index: number) => (): RenditionReport[] => packagers.flatMap((p, i) => (i === index ? [] : (p.report() ?? [])));
    for (const [index, name] of ['v1', 'v1360p'].entries()) {
      packagers.push(new RenditionPackager({ ...common, name, cadence: cadenceOf(), nominalBandwidth: 800_000, renditionReports: reportsFor(index) }));
    }
    for (const item of items) await Promise.all(packagers.map((p) => p.push(item, Date.UTC(2024, 0, 1)).published));
    await Promise.all(packagers.map((p) => p.finish()));

    const [source, sd] = packagers as [RenditionPackager, RenditionPackager];
    expect(source.segments.map((s) => s.msn)).toEqual(sd.segments.map((s) => s.msn));
    const last = (name: string) => states.filter((s) => s.rendition === name).at(-1)!;
    expect(parsePlaylist(last('v1').full).renditionReports).toEqual([{ URI: '../v1360p/index.m3u8', 'LAST-MSN': String(sd.playlist.lastMsn), 'LAST-PART': String(sd.playlist.lastPart) }]);
    expect(parsePlaylist(last('v1360p').full).renditionReports).toEqual([{ URI: '../v1/index.m3u8', 'LAST-MSN': String(source.playlist.lastMsn), 'LAST-PART': String(source.playlist.lastPart) }]);
    // The first states, published before the sibling had a part, report nothing.
    expect(states[0]!.full).not.toContain('EXT-X-RENDITION-REPORT');
  });

  it('describes itself as a variant once its init segment is published', async () => {
    const packager = new RenditionPackager({
      roomId: 'r_ladder', store: { put: async () => {} } as unknown as ObjectStore, redis: recordingRedis([]), cache: new MediaCache(), logger: createLogger('silent'),
      name: 'v2360p', cadence: cadenceOf(), nominalBandwidth: 50_000,
    });
    expect(packager.variant()).toBeUndefined();
    for (const item of items) await packager.push(item, 0).published;
    const variant = packager.variant()!;
    expect(variant).toMatchObject({ uri: 'v2360p/index.m3u8', codecs: [expect.stringMatching(/^avc1\./), 'mp4a.40.2'], resolution: { width: 320, height: 240 } });
    expect(variant.frameRate).toBeCloseTo(30, 1);
    expect(variant.bandwidth).toBe(packager.publisher.peakBitrate);
    expect(variant.averageBandwidth).toBeGreaterThan(0);
    expect(variant.averageBandwidth).toBeLessThanOrEqual(variant.bandwidth);
  });

  it('ends its playlist where it is published when storage fails for good (abandon)', async () => {
    const states: RenditionState[] = [];
    const stored = new Set<string>();
    let failing = false;
    const store = {
      put: async (key: string) => {
        if (failing) throw new Error('storage is gone');
        stored.add(key);
      },
    } as unknown as ObjectStore;
    const cadence = cadenceOf();
    const packager = new RenditionPackager({ roomId: 'r_failing', store, redis: recordingRedis(states), cache: new MediaCache(), logger: createLogger('silent'), name: 'v3', cadence, nominalBandwidth: 50_000 });
    const results: unknown[] = [];
    for (const [i, item] of items.entries()) {
      // In the middle of a segment: its parts so far are stored and listed, the segment never is.
      failing ||= i > items.length / 2 && packager.playlist.lastPart! >= 1;
      results.push(await packager.push(item, Date.UTC(2024, 0, 1)).published.catch(() => 'failed'));
    }
    expect(results).toContain('failed');
    await expect(packager.finish()).rejects.toThrow('storage is gone');
    const live = states.at(-1)!;
    expect(live.ended).toBe(false);

    await packager.abandon();
    const ended = states.at(-1)!;
    expect(ended).toMatchObject({ ended: true, lastMsn: live.lastMsn, lastPart: live.lastPart, nextPart: live.nextPart });
    for (const text of [ended.full, ended.delta]) {
      assertConforming(text, cadence);
      const playlist = parsePlaylist(text);
      expect(playlist.ended).toBe(true);
      expect(playlist.preloadHint).toBeUndefined();
      expect(playlist.open?.parts.length).toBeGreaterThan(0);
      // Only what storage took is named.
      for (const uri of urisOf(playlist)) expect(stored.has(`hls/r_failing/v3/${uri}`), uri).toBe(true);
    }
    expect(urisOf(parsePlaylist(ended.full))).toEqual(urisOf(parsePlaylist(live.full)));
    // Once is enough.
    await packager.abandon();
    expect(states.at(-1)).toBe(ended);
  });
});
