// A ladder of two renditions (the publisher's H.264 passed through + a 360p encode) from one ffmpeg:
// both media playlists, their rendition reports, aligned segments, the multivariant playlist, and
// the 360p rendition as ffprobe reads it through the origin.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../bench/lib/wait.js';
import { cadenceOf } from '../../../pipeline/llhls/cadence.js';
import { llhlsViolations } from '../../helpers/llhls-conformance.js';
import { attributes, parsePlaylist, type ParsedPlaylist } from '../../unit/pipeline/m3u8.js';
import { useLivePipeline } from './live-pipeline.js';

const run = promisify(execFile);
const CADENCE = cadenceOf();
const roomId = `r_ladder-${Date.now()}`;
const live = useLivePipeline({ roomId, seconds: 40, size: '960x540', pipeline: { renditions: ['360p', 'source'] } }); // kept highest first whatever the order
let source: string;
let sd: string;
beforeAll(() => {
  [source, sd] = live.pipeline.state.renditions as [string, string];
});

const playlistUrl = (rendition: string, query = '') => `${live.origin.url}/hls/${roomId}/${rendition}/index.m3u8${query}`;

async function getPlaylist(rendition: string, query = ''): Promise<ParsedPlaylist> {
  const res = await fetch(playlistUrl(rendition, query));
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return parsePlaylist(text);
}

/** Until the origin has the playlist's segment `msn` (a fresh encoder may not be that far yet: 400/503). */
async function blockUntil(rendition: string, msn: number): Promise<ParsedPlaylist> {
  for (const deadline = Date.now() + 15_000; ; ) {
    const res = await fetch(playlistUrl(rendition, `?_HLS_msn=${msn}`));
    const text = await res.text();
    if (res.status === 200) return parsePlaylist(text);
    if (Date.now() > deadline) throw new Error(`${rendition} never reached msn ${msn}: ${res.status} ${text}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** LAST-MSN.LAST-PART of the newest part listed. */
function lastPosition(playlist: ParsedPlaylist): { msn: number; part: number } {
  const msn = Number(playlist.tags.get('EXT-X-MEDIA-SEQUENCE')) + playlist.skipped + playlist.segments.length - (playlist.open ? 0 : 1);
  const newest = playlist.open ?? playlist.segments.at(-1)!;
  return { msn, part: newest.parts.length - 1 };
}

describe('an LL-HLS ladder: source + 360p', () => {
  it('lists both variants in the multivariant playlist, source first, each with its resolution', async () => {
    expect(live.pipeline.state.videoPassthrough).toBe(true);
    expect(live.pipeline.rendition).toBe(source);
    expect(sd).toBe(`${source}360p`);
    await Promise.race([live.pipeline.onAir, new Promise((_, reject) => setTimeout(() => reject(new Error('not on air in 15 s')), 15_000))]);
    const master = await (await fetch(`${live.origin.url}/hls/${roomId}/master.m3u8`)).text();
    const lines = master.trimEnd().split('\n');
    const variants = lines.flatMap((line, i) => (line.startsWith('#EXT-X-STREAM-INF:') ? [{ tags: attributes(line.slice(18)), uri: lines[i + 1] }] : []));
    expect(variants.map((v) => v.uri)).toEqual([`${source}/index.m3u8`, `${sd}/index.m3u8`]);
    expect(variants.map((v) => v.tags.RESOLUTION)).toEqual(['960x540', '640x360']);
    for (const { tags } of variants) {
      expect(tags.CODECS).toMatch(/^avc1\.[0-9a-f]{6},mp4a\.40\.2$/);
      expect(Number(tags.BANDWIDTH)).toBeGreaterThan(0);
    }
  });

  it('reports each rendition in the other, at a position the other can be asked for', async () => {
    await Promise.all([blockUntil(source, 3), blockUntil(sd, 3)]);
    for (const [self, other] of [[source, sd], [sd, source]] as const) {
      const playlist = await getPlaylist(self);
      expect(playlist.renditionReports).toHaveLength(1);
      const report = playlist.renditionReports[0]!;
      expect(report.URI).toBe(`../${other}/index.m3u8`);
      const reported = { msn: Number(report['LAST-MSN']), part: Number(report['LAST-PART']) };
      const asked = Date.now();
      const sibling = await getPlaylist(other, `?_HLS_msn=${reported.msn}&_HLS_part=${reported.part}`);
      // Blocking on what the report names is answered at once or within a part or two: it is (nearly) there.
      expect(Date.now() - asked).toBeLessThan(1000);
      const now = lastPosition(sibling);
      expect(reported.part).toBeGreaterThanOrEqual(0);
      expect(now.msn - reported.msn).toBeGreaterThanOrEqual(0);
      expect(now.msn - reported.msn).toBeLessThanOrEqual(1);
      // Delta updates carry the reports too.
      expect((await getPlaylist(self, '?_HLS_skip=YES')).renditionReports.map((r) => r.URI)).toEqual([`../${other}/index.m3u8`]);
    }
  });

  it('cuts the same segments in both renditions: same MSNs, durations and times', async () => {
    const [a, b] = await Promise.all([blockUntil(source, 6), blockUntil(sd, 6)]);
    const closed = (p: ParsedPlaylist) => {
      const first = Number(p.tags.get('EXT-X-MEDIA-SEQUENCE')) + p.skipped;
      return new Map(p.segments.map((s, i) => [first + i, s]));
    };
    const [ca, cb] = [closed(a), closed(b)];
    const common = [...ca.keys()].filter((msn) => cb.has(msn));
    expect(common.length).toBeGreaterThanOrEqual(4);
    for (const msn of common) {
      const [x, y] = [ca.get(msn)!, cb.get(msn)!];
      expect(Math.abs(x.duration! - y.duration!), `segment ${msn} durations`).toBeLessThan(0.05);
      expect(Math.abs(Date.parse(x.programDateTime!) - Date.parse(y.programDateTime!)), `segment ${msn} start`).toBeLessThan(50);
      expect(x.parts[0]?.independent ?? true).toBe(true);
      expect(y.parts[0]?.independent ?? true).toBe(true);
    }
  });

  it('encodes the 360p rendition as 640x360 H.264 that ffprobe reads through the origin', async () => {
    const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,width,height', '-of', 'json', playlistUrl(sd)], { timeout: 20_000 });
    const streams = (JSON.parse(stdout) as { streams: { codec_name: string; width?: number; height?: number }[] }).streams;
    expect(streams.find((s) => s.codec_name === 'h264')).toMatchObject({ width: 640, height: 360 });
    expect(streams.map((s) => s.codec_name)).toContain('aac');
  });

  it('keeps both renditions on the same media sequence numbers across a crashed ffmpeg (EXT-X-GAP where one lacks media)', async () => {
    const pid = live.pipeline.state.ffmpegPid;
    expect(pid).toBeDefined();
    process.kill(pid!, 'SIGKILL'); // the ffmpeg this test's pipeline started: each output loses what it buffered
    await waitFor(() => live.pipeline.state.restarts === 1 && live.pipeline.state.ffmpegPid !== undefined, { timeoutMs: 5000, what: 'ffmpeg restarted' });
    // Both renditions' first segment of the new run, and two after it.
    const resumed = async (rendition: string) => {
      const text = await waitFor(async () => {
        const body = await (await fetch(playlistUrl(rendition))).text();
        const p = parsePlaylist(body);
        const at = p.segments.findIndex((seg) => seg.map === 'init1.mp4');
        return at >= 0 && p.segments.length - at >= 3 ? body : undefined;
      }, { timeoutMs: 15_000, intervalMs: 250, what: `${rendition} resumed` });
      const p = parsePlaylist(text);
      const first = Number(p.tags.get('EXT-X-MEDIA-SEQUENCE')) + p.skipped;
      return { text, resumedAt: first + p.segments.findIndex((seg) => seg.map === 'init1.mp4'), gaps: (text.match(/#EXT-X-GAP/g) ?? []).length };
    };
    const [a, b] = await Promise.all([resumed(source), resumed(sd)]);
    console.log(`[abr-ladder] after the crash: both resumed at msn ${a.resumedAt}/${b.resumedAt}, gap segments ${a.gaps} (source) ${b.gaps} (360p)`);
    expect(b.resumedAt).toBe(a.resumedAt);
    for (const { text } of [a, b]) expect(llhlsViolations(text, { targetDuration: CADENCE.targetDuration, partTarget: CADENCE.partTarget })).toEqual([]);
  });

  it('ends both playlists when stopped', async () => {
    await live.pipeline.stop();
    for (const rendition of [source, sd]) expect((await getPlaylist(rendition, '?_HLS_msn=100000')).ended).toBe(true);
  });
});
