// A VP8 publisher: the pipeline transcodes to H.264 with keyframes forced every segment target.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { cadenceOf } from '../../../pipeline/llhls/cadence.js';
import { assertConforming } from '../../helpers/llhls-conformance.js';
import { parsePlaylist } from '../../unit/pipeline/m3u8.js';
import { useLivePipeline } from './live-pipeline.js';

const run = promisify(execFile);
const roomId = `r_transcode-${Date.now()}`;
const live = useLivePipeline({ roomId, seconds: 30, codec: 'vp8' });

it('transcodes VP8 to H.264 in 1 s segments of independent-first parts that ffmpeg plays back', async () => {
  expect(live.pipeline.state.videoPassthrough).toBe(false);
  // Until the encoder's first segments exist, msn 3 is "too far" (400) or late (503): ask again.
  let res = await fetch(`${live.origin.url}/hls/${roomId}/${live.pipeline.rendition}/index.m3u8?_HLS_msn=3`);
  for (const deadline = Date.now() + 15_000; res.status !== 200 && Date.now() < deadline; ) {
    await new Promise((r) => setTimeout(r, 250));
    res = await fetch(`${live.origin.url}/hls/${roomId}/${live.pipeline.rendition}/index.m3u8?_HLS_msn=3`);
  }
  const text = await res.text();
  assertConforming(text, { ...cadenceOf(), keyedSegments: true });
  const playlist = parsePlaylist(text);
  expect(playlist.tags.get('EXT-X-TARGETDURATION')).toBe('2'); // cadenceOf(): 1 s segments, declared 2
  const closed = playlist.segments.slice(1); // the first starts whenever the encoder did
  expect(closed.length).toBeGreaterThanOrEqual(3);
  for (const segment of closed) {
    expect(segment.duration).toBeGreaterThan(0.9);
    expect(segment.duration).toBeLessThanOrEqual(1.05);
  }
  const master = await (await fetch(`${live.origin.url}/hls/${roomId}/master.m3u8`)).text();
  expect(master).toMatch(/CODECS="avc1\.[0-9a-f]{6},mp4a\.40\.2"/);
  const { stderr } = await run('ffmpeg', ['-v', 'error', '-i', `${live.origin.url}/hls/${roomId}/master.m3u8`, '-t', '2', '-f', 'null', '-'], { timeout: 15_000 });
  expect(stderr).toBe('');
});
