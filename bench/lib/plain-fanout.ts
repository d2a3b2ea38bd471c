// The media side of the fan-out benches: ffmpeg's two producers on a router (PlainTransports, comedia,
// no rtcp-mux, as bench/lib/ffmpeg-publisher.ts sends) and viewers as PlainTransports sending to the
// UDP sink. Only mediasoup's types are imported, so loading this never loads mediasoup before the
// caller has settled MEDIASOUP_WORKER_BIN.
import type { types } from 'mediasoup';
import { AUDIO_PT, AUDIO_SSRC, VIDEO_PT, VIDEO_SSRC, type PublisherTarget } from './ffmpeg-publisher.js';
import { plainTransportSrtpOptions, remoteSrtpParameters, type ViewerTransport } from './viewer-transport.js';

export interface Ingress {
  videoTransport: types.PlainTransport;
  audioTransport: types.PlainTransport;
  video: types.Producer;
  audio: types.Producer;
}

/** ffmpeg's producers; `videoSsrcs` with more than one SSRC makes the video a simulcast producer (one encoding per SSRC, lowest layer first). */
export async function openIngress(router: types.Router, videoSsrcs: number[] = [VIDEO_SSRC]): Promise<Ingress> {
  const videoTransport = await router.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: false, comedia: true });
  const audioTransport = await router.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: false, comedia: true });
  const video = await videoTransport.produce({
    kind: 'video',
    rtpParameters: {
      codecs: [
        {
          mimeType: 'video/H264',
          payloadType: VIDEO_PT,
          clockRate: 90000,
          parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f', 'level-asymmetry-allowed': 1 },
        },
      ],
      encodings: videoSsrcs.map((ssrc) => ({ ssrc })),
    },
  });
  const audio = await audioTransport.produce({
    kind: 'audio',
    rtpParameters: {
      codecs: [{ mimeType: 'audio/opus', payloadType: AUDIO_PT, clockRate: 48000, channels: 2, parameters: { 'sprop-stereo': 1 } }],
      encodings: [{ ssrc: AUDIO_SSRC }],
    },
  });
  return { videoTransport, audioTransport, video, audio };
}

/** Where ffmpeg sends to: the ingress transports' RTP and RTCP ports. */
export function publisherTarget(ingress: Ingress): PublisherTarget {
  const { videoTransport: v, audioTransport: a } = ingress;
  return {
    videoPort: v.tuple.localPort,
    videoRtcpPort: v.rtcpTuple?.localPort ?? v.tuple.localPort,
    audioPort: a.tuple.localPort,
    audioRtcpPort: a.rtcpTuple?.localPort ?? a.tuple.localPort,
  };
}

/**
 * A viewer's transport (rtcp-mux) on `router`, sending to the sink socket on `sinkPort`: plain RTP, or
 * SRTP with the given suite (the per-packet cost of a real WebRTC viewer).
 */
export async function connectViewer(router: types.Router, sinkPort: number, kind: ViewerTransport = { kind: 'plain' }): Promise<types.PlainTransport> {
  const transport = await router.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: true, comedia: false, ...plainTransportSrtpOptions(kind) });
  await transport.connect({ ip: '127.0.0.1', port: sinkPort, srtpParameters: remoteSrtpParameters(kind) });
  return transport;
}

/** Worker CPU in ms (getResourceUsage user + system), per worker. */
export async function workerCpuMs(workers: types.Worker[]): Promise<number[]> {
  return Promise.all(
    workers.map(async (w) => {
      const u = await w.getResourceUsage();
      return u.ru_utime + u.ru_stime;
    }),
  );
}

/** What the ingress producers got from ffmpeg so far (video + audio): packets received, and lost on the way. */
export async function producerCounts(ingress: Ingress): Promise<{ received: number; lost: number }> {
  const stats = (await Promise.all([ingress.video.getStats(), ingress.audio.getStats()])).flat();
  return stats.reduce((acc, s) => ({ received: acc.received + s.packetCount, lost: acc.lost + s.packetsLost }), { received: 0, lost: 0 });
}
