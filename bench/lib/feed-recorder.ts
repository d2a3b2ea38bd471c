// Records a live ffmpeg feed into an RTP recording (bench/lib/rtp-recording.ts): ffmpeg sends to
// loopback sockets here instead of to mediasoup; every datagram is kept with its arrival time.
// Two feeds: the fan-out benches' single H.264 stream (+ Opus), and a 3-layer H.264 simulcast (+ Opus)
// whose layers ffmpeg can only send from three sockets: the recording merges them into one video
// stream, so the replay sends every layer from one source port, as a browser does.
import dgram from 'node:dgram';
import { FfmpegPublisher, AUDIO_PT, AUDIO_SSRC, VIDEO_PT, VIDEO_SSRC } from './ffmpeg-publisher.js';
import { STREAMS, type RecordedPacket, type Recording, type StreamName } from './rtp-recording.js';

export interface SimulcastLayer {
  width: number;
  height: number;
  kbps: number;
  ssrc: number;
}

/** Spatial layers low to high, as mediasoup numbers them (spatialLayer 0, 1, 2). */
export const SIMULCAST_LAYERS: SimulcastLayer[] = [
  { width: 320, height: 180, kbps: 150, ssrc: VIDEO_SSRC + 100 },
  { width: 640, height: 360, kbps: 500, ssrc: VIDEO_SSRC + 101 },
  { width: 1280, height: 720, kbps: 1500, ssrc: VIDEO_SSRC + 102 },
];

export type FeedKind = 'single' | 'simulcast';

export interface RecordOptions {
  seconds: number;
  /** Video bitrate of the single feed (the simulcast layers have theirs). */
  videoKbps: number;
  pinCpu: number | string | null;
  nice: number;
  log: (message: string) => void;
}

const x264 = (kbps: number) => {
  const k = `${kbps}k`;
  return [
    '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p',
    '-g', '30', '-keyint_min', '30', '-sc_threshold', '0',
    '-b:v', k, '-minrate', k, '-maxrate', k, '-bufsize', k, '-x264-params', 'nal-hrd=cbr', '-bsf:v', 'dump_extra',
  ];
};

function rtpOut(port: number, rtcpPort: number, ssrc: number, pt: number, seconds: number): string[] {
  return ['-t', String(seconds), '-f', 'rtp', '-ssrc', String(ssrc), '-payload_type', String(pt), `rtp://127.0.0.1:${port}?rtcpport=${rtcpPort}&pkt_size=1200`];
}

/** ffmpeg arguments for `kind`, sending stream i's RTP/RTCP to ports[i] (video outputs first). */
function ffmpegArgs(kind: FeedKind, videoKbps: number, ports: { rtp: number; rtcp: number }[], seconds: number): string[] {
  const audio = ports[ports.length - 1]!;
  const audioOut = [
    '-map', '1:a:0', '-c:a', 'libopus', '-b:a', '64k', '-ac', '2', '-ar', '48000', '-application', 'lowdelay', '-frame_duration', '20',
    ...rtpOut(audio.rtp, audio.rtcp, AUDIO_SSRC, AUDIO_PT, seconds),
  ];
  const input = (size: string) => ['-hide_banner', '-loglevel', 'error', '-nostdin', '-re', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=30`, '-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'];
  if (kind === 'single') {
    return [...input('640x360'), '-map', '0:v:0', ...x264(videoKbps), ...rtpOut(ports[0]!.rtp, ports[0]!.rtcp, VIDEO_SSRC, VIDEO_PT, seconds), ...audioOut];
  }
  const top = SIMULCAST_LAYERS[SIMULCAST_LAYERS.length - 1]!;
  const split = SIMULCAST_LAYERS.map((_, i) => `[s${i}]`).join('');
  const scales = SIMULCAST_LAYERS.map((l, i) => `[s${i}]scale=${l.width}:${l.height}[v${i}]`).join(';');
  return [
    ...input(`${top.width}x${top.height}`),
    '-filter_complex', `[0:v]split=${SIMULCAST_LAYERS.length}${split};${scales}`,
    ...SIMULCAST_LAYERS.flatMap((l, i) => ['-map', `[v${i}]`, ...x264(l.kbps), ...rtpOut(ports[i]!.rtp, ports[i]!.rtcp, l.ssrc, VIDEO_PT, seconds)]),
    ...audioOut,
  ];
}

/** Records `seconds` of the feed (counted from its first packet). */
export async function recordFeed(kind: FeedKind, opts: RecordOptions): Promise<Recording> {
  const videoOutputs = kind === 'single' ? 1 : SIMULCAST_LAYERS.length;
  // One socket pair per ffmpeg output; every video output is recorded as the one video stream.
  const outputs: { rtp: StreamName; rtcp: StreamName }[] = [
    ...Array.from({ length: videoOutputs }, () => ({ rtp: 'video' as const, rtcp: 'video-rtcp' as const })),
    { rtp: 'audio', rtcp: 'audio-rtcp' },
  ];
  const packets: RecordedPacket[] = [];
  let t0: bigint | null = null;
  const sockets: dgram.Socket[] = [];
  const bind = async (stream: StreamName): Promise<number> => {
    const socket = dgram.createSocket('udp4');
    socket.on('message', (data) => {
      const now = process.hrtime.bigint();
      t0 ??= now;
      packets.push({ tUs: Number((now - t0) / 1000n), stream: STREAMS.indexOf(stream), data });
    });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    socket.setRecvBufferSize(4 * 1024 * 1024);
    sockets.push(socket);
    return socket.address().port;
  };
  const ports: { rtp: number; rtcp: number }[] = [];
  for (const o of outputs) ports.push({ rtp: await bind(o.rtp), rtcp: await bind(o.rtcp) });

  const what =
    kind === 'single'
      ? `H.264 ${opts.videoKbps} kb/s 640x360@30 + Opus 64 kb/s`
      : `H.264 simulcast ${SIMULCAST_LAYERS.map((l) => `${l.width}x${l.height} ${l.kbps} kb/s`).join(' / ')} @30 + Opus 64 kb/s`;
  opts.log(`recording ${opts.seconds} s of ffmpeg's ${what} (libx264 veryfast zerolatency CBR, -g 30)`);
  const ffmpeg = FfmpegPublisher.spawn(ffmpegArgs(kind, opts.videoKbps, ports, opts.seconds + 5), { pinCpu: opts.pinCpu, nice: opts.nice });
  try {
    const started = Date.now();
    for (;;) {
      await new Promise((r) => setTimeout(r, 250));
      const last = packets[packets.length - 1];
      if (last && last.tUs >= opts.seconds * 1e6) break;
      if (!ffmpeg.running) throw new Error(`ffmpeg exited while recording: ${ffmpeg.lastError || '(no output)'}`);
      if (Date.now() - started > (opts.seconds + 30) * 1000) throw new Error('recording: ffmpeg sends too slowly');
    }
  } finally {
    await ffmpeg.stop();
    for (const s of sockets) s.close();
  }
  const kept = packets.filter((p) => p.tUs < opts.seconds * 1e6);
  return {
    header: {
      description: what,
      videoSsrcs: kind === 'single' ? [VIDEO_SSRC] : SIMULCAST_LAYERS.map((l) => l.ssrc),
      audioSsrc: AUDIO_SSRC,
      clockRates: Object.fromEntries([...(kind === 'single' ? [VIDEO_SSRC] : SIMULCAST_LAYERS.map((l) => l.ssrc)).map((s) => [String(s), 90000]), [String(AUDIO_SSRC), 48000]]),
      durationMs: opts.seconds * 1000,
    },
    packets: kept,
  };
}
