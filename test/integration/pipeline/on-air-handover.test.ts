// An on-air switch: one run hands its playlists over to the next (BroadcastPipeline.handOver →
// continuation), which goes on in them after a discontinuity: same URLs, same declared cadence,
// media sequence numbers and part numbers going on, the hint of the last state resolved by the new
// run's first part, and no EXT-X-ENDLIST until the broadcast ends.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger } from '../../../common/logger.js';
import { BroadcastPipeline, type BroadcastPipelineOptions } from '../../../pipeline/broadcast-pipeline.js';
import { cadenceOf } from '../../../pipeline/llhls/cadence.js';
import { waitFor } from '../../../bench/lib/wait.js';
import { assertConforming } from '../../helpers/llhls-conformance.js';
import { parsePlaylist } from '../../unit/pipeline/m3u8.js';
import type { OriginHarness } from '../hls/origin-harness.js';
import { startLiveSourceRig, type LiveSourceRig } from './live-pipeline.js';

const roomId = `r_handover-${Date.now()}`;
const { partTarget, targetDuration } = cadenceOf();
let rig: LiveSourceRig;
let origin: OriginHarness;
let options: BroadcastPipelineOptions;

beforeAll(async () => {
  rig = await startLiveSourceRig({ roomId, seconds: 40 }, createLogger('silent'));
  ({ origin, options } = rig);
});

afterAll(() => rig?.stop());

it('goes on in the same playlists after an on-air switch, and ends them once', async () => {
  const first = await BroadcastPipeline.start(options);
  const url = `${origin.url}/hls/${roomId}/${first.rendition}/index.m3u8`;
  const get = async (query = '') => {
    const text = await (await fetch(`${url}${query}`)).text();
    assertConforming(text, { partTarget, targetDuration });
    return text;
  };
  await waitFor(async () => {
    const res = await fetch(url);
    return (res.ok && parsePlaylist(await res.text()).segments.length >= 3) || undefined;
  }, { timeoutMs: 20_000, what: 'three segments' });
  const { continuation } = await first.handOver();
  const handedOver = parsePlaylist(await get());
  expect(handedOver.ended).toBe(false);
  const hint = handedOver.preloadHint!.URI!;
  // A viewer asking for the hinted part during the switch is held until the next run makes it.
  const hinted = fetch(new URL(hint, url)).then((r) => r.status);

  const second = await BroadcastPipeline.start({ ...options, continuation });
  expect(second.rendition).toBe(first.rendition);
  expect(await hinted).toBe(200);
  const lastBefore = Number(handedOver.tags.get('EXT-X-MEDIA-SEQUENCE')) + handedOver.segments.length - 1;
  const after = parsePlaylist(await get(`?_HLS_msn=${lastBefore + 2}`));
  const msns = after.segments.map((s) => Number(/seg(\d+)\.m4s/.exec(s.uri!)![1]));
  expect(msns).toEqual(msns.map((_, i) => msns[0]! + i)); // no gap in media sequence numbers
  const resumed = after.segments.find((s) => s.map === 'init1.mp4')!;
  expect(resumed.discontinuity).toBe(true);
  expect(Number(/seg(\d+)\.m4s/.exec(resumed.uri!)![1])).toBe(lastBefore + 1);
  expect(resumed.parts[0]?.uri ?? hint).toBe(hint);
  expect(second.segments.every((s) => s.msn > lastBefore)).toBe(true); // a recording of each run has its own

  await second.stop();
  await waitFor(async () => parsePlaylist(await get()).ended || undefined, { timeoutMs: 5000, what: 'EXT-X-ENDLIST' });
}, 60_000);
