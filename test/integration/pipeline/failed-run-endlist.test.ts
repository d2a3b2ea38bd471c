// A run whose storage fails for good (every PUT refused, no spool): the pipeline gives up, and its
// playlist ends where it is published (EXT-X-ENDLIST, no hint) instead of keeping a hint that never
// resolves until the state expires. A blocking request held at the origin for a part past the end,
// and a request for that part itself, are answered as soon as it ends; a late player sees ENDLIST.
// Real mediasoup, ffmpeg, S3 and Redis.
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { createLogger } from '../../../common/logger.js';
import { BroadcastPipeline, type BroadcastEndReason } from '../../../pipeline/broadcast-pipeline.js';
import { cadenceOf } from '../../../pipeline/llhls/cadence.js';
import { MediaCache } from '../../../pipeline/publish/media-cache.js';
import { ObjectStore, type PutOptions } from '../../../storage/object-store.js';
import { waitFor } from '../../../bench/lib/wait.js';
import { assertConforming } from '../../helpers/llhls-conformance.js';
import { parsePlaylist, urisOf } from '../../unit/pipeline/m3u8.js';
import { startLiveSourceRig, type LiveSourceRig } from './live-pipeline.js';

/** Object storage that refuses every PUT once `failing` is set (reads still work). */
class FailingStore extends ObjectStore {
  failing = false;
  override async put(key: string, body: Buffer, options: PutOptions): Promise<void> {
    if (this.failing) throw new Error('storage refuses writes');
    await super.put(key, body, options);
  }
}

const roomId = `r_failed-run-${Date.now()}`;
const { partTarget, targetDuration } = cadenceOf();
let rig: LiveSourceRig;
let store: FailingStore;
let pipeline: BroadcastPipeline | undefined;

beforeAll(async () => {
  rig = await startLiveSourceRig(
    {
      roomId,
      seconds: 30,
      origin: async () => {
        store = new FailingStore({ ...inject('s3'), bucket: 'test-hls', region: 'us-east-1' });
        await store.ensureBucket();
        return { store, cache: new MediaCache() };
      },
    },
    createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
  );
});

afterAll(async () => {
  await pipeline?.stop();
  await rig?.stop();
});

it('ends the playlist where it is when storage fails for good, answering held requests with it', async () => {
  pipeline = await BroadcastPipeline.start(rig.options);
  const ended = new Promise<{ reason: BroadcastEndReason; error: Error | undefined }>((resolve) => pipeline!.once('ended', (reason, error) => resolve({ reason, error })));
  const url = `${rig.origin.url}/hls/${roomId}/${pipeline.rendition}/index.m3u8`;
  const get = async (query = '') => {
    const res = await fetch(`${url}${query}`);
    const text = await res.text();
    expect(res.status, text).toBe(200);
    assertConforming(text, { partTarget, targetDuration });
    return { text, playlist: parsePlaylist(text), res };
  };
  await waitFor(async () => {
    const res = await fetch(url);
    return (res.ok && parsePlaylist(await res.text()).segments.length >= 2) || undefined;
  }, { timeoutMs: 20_000, what: 'two segments' });

  store.failing = true;
  const failedAt = Date.now();
  // The newest state after the flip (a PUT under way may still have landed one more part).
  const { playlist: live } = await get();
  const hint = live.preloadHint?.URI;
  expect(hint).toMatch(/^part\d+\.m4s$/);
  const beyond = `part${Number(/\d+/.exec(hint!)![0]) + 1}.m4s`;
  const msn = Number(live.tags.get('EXT-X-MEDIA-SEQUENCE')) + live.segments.length;
  const nextPart = (live.open?.parts.length ?? 0) + 1;
  // Held at the origin: the part after the hinted one, as a blocking reload and as the part itself.
  const held = fetch(`${url}?_HLS_msn=${msn}&_HLS_part=${nextPart}`);
  const heldPart = fetch(url.replace('index.m3u8', beyond));

  const { reason, error } = await ended;
  expect(reason).toBe('failed');
  expect(error?.message).toMatch(/storage refuses writes/);

  const answer = await held;
  const answeredAfterMs = Date.now() - failedAt;
  const text = await answer.text();
  expect(answer.status, text).toBe(200);
  assertConforming(text, { partTarget, targetDuration });
  const endedPlaylist = parsePlaylist(text);
  expect(endedPlaylist.ended).toBe(true);
  expect(endedPlaylist.preloadHint).toBeUndefined();
  expect(urisOf(endedPlaylist)).not.toContain(beyond);
  // Well within the origin's hold (three target durations), which would have ended in a 503.
  expect(answeredAfterMs).toBeLessThan(3 * targetDuration * 1000);
  // The part that will never exist: not held any more, and not there.
  expect((await heldPart).status).toBe(404);
  console.log(`storage failed: the held blocking request was answered with the ended playlist ${answeredAfterMs} ms later`);

  // A late player: the same ended playlist, full, delta and blocking past its end (not a 400 too-far).
  const late = await get();
  expect(late.playlist.ended).toBe(true);
  expect(late.playlist.preloadHint).toBeUndefined();
  expect(urisOf(late.playlist)).toEqual(urisOf(endedPlaylist));
  expect((await get('?_HLS_skip=YES')).playlist.ended).toBe(true);
  const lastMsn = Number(late.playlist.tags.get('EXT-X-MEDIA-SEQUENCE')) + late.playlist.segments.length;
  expect((await get(`?_HLS_msn=${lastMsn + 5}`)).playlist.ended).toBe(true);
  // Everything it still lists was stored before the failure and is served.
  const base = url.replace('index.m3u8', '');
  for (const uri of urisOf(late.playlist).slice(-6)) expect((await fetch(`${base}${uri}`)).status, uri).toBe(200);
  expect(pipeline.state.ended).toBe(true);
}, 60_000);
