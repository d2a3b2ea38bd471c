import type { types } from 'mediasoup';
import { codecParametersProblem } from '../../common/codec-parameters.js';

/** Where ffmpeg listens for one consumer's RTP (RTCP on port + 1, ffmpeg's default). */
export interface SdpMedia {
  kind: 'audio' | 'video';
  port: number;
  rtpParameters: types.RtpParameters;
}

export class SdpError extends Error {
  readonly code = 'ingest_sdp_invalid';
}

/** The fmtp value; parameters came from a publisher, so their shapes are checked before they become SDP. */
function fmtp(parameters: Record<string, unknown> | undefined): string {
  const problem = codecParametersProblem(parameters);
  if (problem) throw new SdpError(problem);
  return Object.entries(parameters ?? {})
    .map(([key, value]) => `${key}=${String(value)}`)
    .join(';');
}

function mediaSection({ kind, port, rtpParameters }: SdpMedia): string[] {
  // Consumers are created without RTX, so the first codec is the media codec itself.
  const codec = rtpParameters.codecs[0];
  if (!codec || /\/rtx$/i.test(codec.mimeType)) throw new SdpError(`${kind} consumer has no media codec`);
  const name = codec.mimeType.split('/')[1] ?? '';
  const channels = kind === 'audio' && codec.channels ? `/${codec.channels}` : '';
  const lines = [
    `m=${kind} ${port} RTP/AVP ${codec.payloadType}`,
    `a=rtpmap:${codec.payloadType} ${name}/${codec.clockRate}${channels}`,
  ];
  const params = fmtp(codec.parameters);
  if (params) lines.push(`a=fmtp:${codec.payloadType} ${params}`);
  lines.push('a=recvonly');
  return lines;
}

/**
 * The SDP ffmpeg reads (`-protocol_whitelist file,rtp,udp -i x.sdp`) to receive mediasoup consumers on
 * `ip`. With `sourceIp`, ffmpeg drops packets from any other address (a source filter).
 */
export function renderIngestSdp(media: readonly SdpMedia[], ip = '127.0.0.1', sourceIp?: string): string {
  const lines = ['v=0', `o=- 0 0 IN IP4 ${ip}`, 's=LevelChat ingest', `c=IN IP4 ${ip}`, 't=0 0'];
  if (sourceIp) lines.push(`a=source-filter: incl IN IP4 ${ip} ${sourceIp}`);
  for (const m of media) lines.push(...mediaSection(m));
  return `${lines.join('\n')}\n`;
}
