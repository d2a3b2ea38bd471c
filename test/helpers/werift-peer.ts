// A WebRTC stack that is not ours and not a browser (npm werift, pure TypeScript), speaking WHIP and
// WHEP by hand: an SDP offer over fetch, the answer back. Its video comes from ffmpeg over RTP.
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { MediaStreamTrack, RTCPeerConnection, RTCRtpCodecParameters, type RtpPacket } from 'werift';

const H264 = new RTCRtpCodecParameters({
  mimeType: 'video/H264',
  clockRate: 90000,
  rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }],
  parameters: 'profile-level-id=42e01f;packetization-mode=1;level-asymmetry-allowed=1',
});
const VP8 = new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000, rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }] });
const OPUS = new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2 });

export type WeriftVideo = 'H264' | 'VP8';

export interface HttpSessionResult {
  status: number;
  location: string | null;
  etag: string | null;
  body: string;
}

/** POSTs an SDP offer to a WHIP/WHEP endpoint. */
export async function postOffer(url: string, token: string | null, sdp: string): Promise<HttpSessionResult> {
  const res = await fetch(url, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/sdp', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: sdp });
  return { status: res.status, location: res.headers.get('location'), etag: res.headers.get('etag'), body: await res.text() };
}

/** A werift peer connection that offers one video (and optionally audio) m-line in `direction`. */
export async function weriftOffer(direction: 'sendonly' | 'recvonly', video: WeriftVideo, audio = false) {
  const pc = new RTCPeerConnection({ codecs: { video: [video === 'H264' ? H264 : VP8], audio: [OPUS] } });
  const track = new MediaStreamTrack({ kind: 'video' });
  const transceiver = direction === 'sendonly' ? pc.addTransceiver(track, { direction }) : pc.addTransceiver('video', { direction });
  if (audio) pc.addTransceiver('audio', { direction });
  await pc.setLocalDescription(await pc.createOffer());
  return { pc, track, transceiver, offer: pc.localDescription!.sdp };
}

/** ffmpeg encoding a test pattern to RTP, handed to `track` packet by packet; stop() ends both. */
export async function feedTestPattern(track: MediaStreamTrack, video: WeriftVideo): Promise<{ stop(): void }> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  socket.on('message', (packet) => track.writeRtp(packet));
  const port = (socket.address() as AddressInfo).port;
  const codec =
    video === 'H264'
      ? ['-c:v', 'libx264', '-profile:v', 'baseline', '-tune', 'zerolatency', '-preset', 'ultrafast', '-g', '30', '-bsf:v', 'dump_extra']
      : ['-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-g', '30', '-b:v', '800k'];
  const ffmpeg: ChildProcess = spawn(
    'ffmpeg',
    ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=640x360:rate=30', ...codec, '-pix_fmt', 'yuv420p', '-payload_type', '96', '-f', 'rtp', `rtp://127.0.0.1:${port}?pkt_size=1200`],
    { stdio: 'ignore' },
  );
  return {
    stop() {
      ffmpeg.kill('SIGKILL');
      socket.close();
    },
  };
}

/** Counts the RTP packets (and H.264/VP8 key frames) a receiving transceiver gets. */
export function countRtp(onTrack: (listener: (packet: RtpPacket) => void) => void): { packets: number; payloadTypes: Set<number> } {
  const seen = { packets: 0, payloadTypes: new Set<number>() };
  onTrack((packet) => {
    seen.packets += 1;
    seen.payloadTypes.add(packet.header.payloadType);
  });
  return seen;
}
