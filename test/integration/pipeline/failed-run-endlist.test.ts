// A run that fails for good — its storage refuses every PUT (no spool), or its ffmpeg dies and may not
// be restarted — gives up, and its playlist ends where it is published (EXT-X-ENDLIST, no hint)
// instead of keeping a hint that never resolves until the state expires. A blocking request held at the origin for a part past the end,
// and a request for that part itself, are answered as soon as it ends; a late player sees ENDLIST.
// Real mediasoup, ffmpeg, S3 and Redis.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger } from '../../../common/logger.js';
import { BroadcastPipeline, type BroadcastEndReason, type BroadcastPipelineOptions } from '../../../pipeline/broadcast-pipeline.js';
import { cadenceOf } from '../../../pipeline/llhls/cadence.js';
import { ObjectStore, type PutOptions } from '../../../storage/object-store.js';
import { waitFor } from '../../../bench/lib/wait.js';
import { assertConforming } from '../../helpers/llhls-conformance.js';
import { testStore } from '../hls/origin-harness.js';
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
      store: async () => (store = await testStore(FailingStore)),
    },
    createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
  );
});

afterAll(async () => {
  await pipeline?.stop();
  await rig?.stop();
});

/**
 * Starts a run, lets it publish two segments, then `breaks` it for good: the run must fail with
 * `error`, and its playlist end while a blocking request and a part request past its end are held.
 */
async function failWhileHeld(options: Partial<BroadcastPipelineOptions>, breaks: (run: BroadcastPipeline) => void, error: RegExp): Promise<void> {
  const run = (pipeline = await BroadcastPipeline.start({ ...rig.options, ...options }));
  const ended = new Promise<{ reason: BroadcastEndReason; error: Error | undefined }>((resolve) => run.once('ended', (reason, err) => resolve({ reason, error: err })));
  const url = `${rig.origin.url}/hls/${roomId}/${run.rendition}/index.m3u8`;
  const get = async (query = '') => {
    const res = await fetch(`${url}${query}`);
    const text = await res.text();
    expect(res.status, text).toBe(200);
    assertConforming(text, { partTarget, targetDuration });
    return parsePlaylist(text);
  };
  await waitFor(async () => {
    const res = await fetch(url);
    return (res.ok && parsePlaylist(await res.text()).segments.length >= 2) || undefined;
  }, { timeoutMs: 20_000, what: 'two segments' });

  breaks(run);
  const brokenAt = Date.now();
  // The newest state after that (what was under way may still have brought one more part).
  const live = await get();
  const hint = live.preloadHint?.URI;
  expect(hint).toMatch(/^part\d+\.m4s$/);
  const beyond = `part${Number(/\d+/.exec(hint!)![0]) + 1}.m4s`;
  const msn = Number(live.tags.get('EXT-X-MEDIA-SEQUENCE')) + live.segments.length;
  const nextPart = (live.open?.parts.length ?? 0) + 1;
  // Held at the origin: the part after the hinted one, as a blocking reload and as the part itself.
  const held = fetch(`${url}?_HLS_msn=${msn}&_HLS_part=${nextPart}`);
  const heldPart = fetch(url.replace('index.m3u8', beyond));

  const end = await ended;
  expect(end.reason).toBe('failed');
  expect(end.error?.message).toMatch(error);

  const answer = await held;
  const answeredAfterMs = Date.now() - brokenAt;
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
  console.log(`${error.source}: the held blocking request was answered with the ended playlist ${answeredAfterMs} ms later`);

  // A late player: the same ended playlist, full, delta and blocking past its end (not a 400 too-far).
  const late = await get();
  expect(late.ended).toBe(true);
  expect(late.preloadHint).toBeUndefined();
  expect(urisOf(late)).toEqual(urisOf(endedPlaylist));
  expect((await get('?_HLS_skip=YES')).ended).toBe(true);
  const lastMsn = Number(late.tags.get('EXT-X-MEDIA-SEQUENCE')) + late.segments.length;
  expect((await get(`?_HLS_msn=${lastMsn + 5}`)).ended).toBe(true);
  // Everything it still lists was stored before the failure and is served.
  const base = url.replace('index.m3u8', '');
  for (const uri of urisOf(late).slice(-6)) expect((await fetch(`${base}${uri}`)).status, uri).toBe(200);
  expect(run.state.ended).toBe(true);
}

it('ends the playlist where it is when storage fails for good, answering held requests with it', async () => {
  await failWhileHeld({}, () => (store.failing = true), /storage refuses writes/);
  store.failing = false;
}, 60_000);

it('ends the playlist when ffmpeg dies and may not be restarted', async () => {
  await failWhileHeld({ maxRestarts: 0 }, (run) => process.kill(run.state.ffmpegPid!, 'SIGKILL'), /ffmpeg exited/);
}, 60_000);
