// Real mediasoup + an ffmpeg publisher → BroadcastPipeline (one ffmpeg, Segmenter,
// real S3, Redis state) → the LL-HLS origin over HTTP on loopback, read by us and by ffmpeg.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { hlsKey } from '../../../pipeline/publish/hls-objects.js';
import { ObjectStore, type PutOptions } from '../../../storage/object-store.js';
import { cadenceOf } from '../../../pipeline/llhls/cadence.js';
import { assertConforming } from '../../helpers/llhls-conformance.js';
import { testStore } from '../hls/origin-harness.js';
import { parsePlaylist, urisOf, type ParsedPlaylist } from '../../unit/pipeline/m3u8.js';
import { waitFor } from '../../../bench/lib/wait.js';
import { useLivePipeline } from './live-pipeline.js';

const run = promisify(execFile);

/** Records when each object's PUT completed, to compare with when a playlist naming it arrived. */
class TimedStore extends ObjectStore {
  readonly storedAt = new Map<string, number>();
  override async put(key: string, body: Buffer, options: PutOptions): Promise<void> {
    await super.put(key, body, options);
    this.storedAt.set(key, Date.now());
  }
}

const roomId = `r_pipeline-${Date.now()}`;
let store: TimedStore;
const live = useLivePipeline({
  roomId,
  seconds: 40,
  store: async () => (store = await testStore(TimedStore)),
});

const playlistUrl = () => `${live.origin.url}/hls/${roomId}/${live.pipeline.rendition}/index.m3u8`;

async function getPlaylist(query = ''): Promise<{ playlist: ParsedPlaylist; text: string; receivedAt: number; res: Response }> {
  const res = await fetch(`${playlistUrl()}${query}`);
  const text = await res.text();
  const receivedAt = Date.now();
  expect(res.status, text).toBe(200);
  // Every response, full, delta or blocking, on the cadence declared up front.
  const { partTarget, targetDuration } = cadenceOf();
  assertConforming(text, { partTarget, targetDuration });
  return { playlist: parsePlaylist(text), text, receivedAt, res };
}

/**
 * The part EXT-X-PRELOAD-HINT names, and the blocking request a player makes for it: the part after
 * the last one listed (in the open segment, or part 0 of the next when none is open yet).
 */
function hinted(playlist: ParsedPlaylist): { msn: number; part: number; uri: string } {
  const uri = playlist.preloadHint?.URI ?? '';
  if (!/^part\d+\.m4s$/.test(uri)) throw new Error(`no part hint in playlist (${uri})`);
  const msn = Number(playlist.tags.get('EXT-X-MEDIA-SEQUENCE')) + playlist.skipped + playlist.segments.length;
  return { msn, part: playlist.open?.parts.length ?? 0, uri };
}


describe('broadcast pipeline → LL-HLS origin', () => {
  it('serves a multivariant and an LL-HLS media playlist for an H.264 passthrough', async () => {
    expect(live.pipeline.state.videoPassthrough).toBe(true);
    const deadline = Date.now() + 10_000;
    let master = await fetch(`${live.origin.url}/hls/${roomId}/master.m3u8`);
    while (master.status === 404 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      master = await fetch(`${live.origin.url}/hls/${roomId}/master.m3u8`);
    }
    expect(master.status).toBe(200);
    expect(master.headers.get('content-type')).toMatch(/^application\/vnd\.apple\.mpegurl/);
    const masterText = await master.text();
    expect(masterText).toMatch(/^#EXTM3U\n#EXT-X-VERSION:9\n/);
    expect(masterText).toMatch(/#EXT-X-STREAM-INF:BANDWIDTH=\d+,(AVERAGE-BANDWIDTH=\d+,)?CODECS="avc1\.42[0-9a-f]{4},mp4a\.40\.2",RESOLUTION=640x360/);
    expect(masterText).toContain(`\n${live.pipeline.rendition}/index.m3u8\n`);

    // Block until two segments are closed, then check the tags a LL-HLS client needs.
    const { playlist, res, text } = await getPlaylist('?_HLS_msn=1');
    expect(res.headers.get('cache-control')).toBe('public, max-age=6');
    expect(playlist.tags.get('EXT-X-VERSION')).toBe('9');
    expect(playlist.tags.get('EXT-X-PART-INF')).toBe('PART-TARGET=0.220');
    expect(playlist.tags.get('EXT-X-TARGETDURATION')).toBe('2');
    expect(playlist.tags.get('EXT-X-SERVER-CONTROL')).toMatch(/CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=[\d.]+,CAN-SKIP-UNTIL=[\d.]+/);
    expect(playlist.segments.length).toBeGreaterThanOrEqual(2);
    expect(playlist.segments[0]!.map).toBe('init.mp4');
    expect(playlist.segments.flatMap((s) => s.parts).length).toBeGreaterThan(5);
    expect(playlist.preloadHint?.TYPE).toBe('PART');
    // The ffmpeg publisher keys every second: every segment starts with a keyframe, 1 s apart.
    const { partTarget, targetDuration } = cadenceOf();
    assertConforming(text, { partTarget, targetDuration, keyedSegments: true });
    // (give or take the AAC frame a keyframe waits for, so a part's audio starts with its video)
    for (const s of playlist.segments.slice(0, -1)) expect(Math.abs(s.duration! - 1)).toBeLessThan(1024 / 48000);
  });

  it('answers a blocking request for the next part within a part duration of its upload', async () => {
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      const { playlist } = await getPlaylist();
      const next = hinted(playlist);
      const asked = Date.now();
      const { playlist: after, receivedAt } = await getPlaylist(`?_HLS_msn=${next.msn}&_HLS_part=${next.part}`);
      // The hinted part, whether or not a segment closed first (RFC 8216bis 6.2.5.2: then the request means part 0 of the next).
      const uri = next.uri;
      expect(urisOf(after)).toContain(uri);
      const storedAt = store.storedAt.get(hlsKey(roomId, live.pipeline.rendition, uri));
      expect(storedAt, `${uri} stored`).toBeDefined();
      expect(receivedAt - asked).toBeLessThan(1000); // held, but only until the part came (parts are 0.2 s)
      delays.push(receivedAt - storedAt!);
    }
    console.log(`blocking reload: answered ${delays.join(', ')} ms after the part's upload completed`);
    expect(Math.max(...delays)).toBeLessThan(200);
  });

  it('never names an object before it is in storage, and serves every object it names', async () => {
    const checked = new Set<string>();
    const until = Date.now() + 4000;
    let playlists = 0;
    while (Date.now() < until) {
      const { playlist } = await getPlaylist();
      const { playlist: next, receivedAt } = await getPlaylist(`?_HLS_msn=${hinted(playlist).msn}&_HLS_part=${hinted(playlist).part}`);
      playlists++;
      const fresh = urisOf(next).filter((u) => !checked.has(u));
      for (const uri of fresh) {
        const storedAt = store.storedAt.get(hlsKey(roomId, live.pipeline.rendition, uri));
        expect(storedAt !== undefined && storedAt <= receivedAt, `${uri} in storage before the playlist naming it`).toBe(true);
      }
      await Promise.all(
        fresh.map(async (uri) => {
          const stat = await store.stat(hlsKey(roomId, live.pipeline.rendition, uri));
          expect(stat.contentType).toBe('video/mp4');
          expect(stat.cacheControl).toBe('public, max-age=31536000, immutable');
          const res = await fetch(`${live.origin.url}/hls/${roomId}/${live.pipeline.rendition}/${uri}`);
          expect(res.status, uri).toBe(200);
          expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
          expect((await res.arrayBuffer()).byteLength).toBe(stat.size);
          checked.add(uri);
        }),
      );
    }
    expect(playlists).toBeGreaterThan(10);
    expect([...checked].some((u) => u.startsWith('seg'))).toBe(true);
  });

  it('is played back by ffmpeg through the origin (H.264 + AAC)', async () => {
    const master = `${live.origin.url}/hls/${roomId}/master.m3u8`;
    const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name', '-of', 'json', master], { timeout: 15_000 });
    const streams = (JSON.parse(stdout) as { streams: { codec_name: string }[] }).streams;
    expect(new Set(streams.map((s) => s.codec_name))).toEqual(new Set(['aac', 'h264']));
    const { stderr } = await run('ffmpeg', ['-v', 'error', '-i', master, '-t', '2', '-f', 'null', '-'], { timeout: 15_000 });
    expect(stderr).toBe('');
  });

  it('restarts a crashed ffmpeg: a new init segment behind a discontinuity, in the same playlist', async () => {
    const pid = live.pipeline.state.ffmpegPid;
    expect(pid).toBeDefined();
    const { playlist: before } = await getPlaylist();
    const killedAt = Date.now();
    process.kill(pid!, 'SIGKILL'); // the ffmpeg this test's pipeline started
    // The stream is back (a part of the new run is listed) within 3 s of the crash.
    for (;;) {
      const { playlist: now } = await getPlaylist();
      const back = [...now.segments, ...(now.open ? [now.open] : [])].some((s) => s.map === 'init1.mp4' && s.parts.length > 0);
      if (back) break;
      expect(Date.now() - killedAt).toBeLessThan(3000);
      await new Promise((r) => setTimeout(r, 50));
    }
    // Held until the segment after the one the crash cut short is closed (within 3 target durations).
    const { playlist } = await getPlaylist(`?_HLS_msn=${hinted(before).msn + 1}`);
    const resumed = [...playlist.segments, ...(playlist.open ? [playlist.open] : [])].find((s) => s.map === 'init1.mp4');
    expect(resumed?.discontinuity).toBe(true);
    expect(live.pipeline.state.restarts).toBe(1);
    // What a recording is made of keeps the segments from both sides of the crash.
    expect(live.pipeline.segments.some((seg) => seg.mapUri === 'init.mp4')).toBe(true);
    // (recorded right after the playlist update that listed it is published)
    await waitFor(() => live.pipeline.segments.some((seg) => seg.mapUri === 'init1.mp4' && seg.discontinuity), { timeoutMs: 2000, what: 'the post-crash segment recorded' });
    expect(live.pipeline.state.ffmpegPid).not.toBe(pid);
    expect((await fetch(`${live.origin.url}/hls/${roomId}/${live.pipeline.rendition}/init1.mp4`)).status).toBe(200);
  });

  it('ends the playlist when stopped, in the origin and in storage', async () => {
    await live.pipeline.stop();
    const { playlist, text } = await getPlaylist('?_HLS_msn=100000'); // an ended stream answers any msn at once
    expect(playlist.ended).toBe(true);
    expect(playlist.preloadHint).toBeUndefined();
    const stored = await store.get(hlsKey(roomId, live.pipeline.rendition, 'index.m3u8'));
    expect(stored.toString()).toBe(text);
    expect(live.pipeline.state.ended).toBe(true);
  });
});
