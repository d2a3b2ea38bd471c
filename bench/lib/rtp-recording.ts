// A recorded RTP feed: what a publisher sent (RTP and RTCP of each stream) with when it sent it, so a
// bench can replay the very same packets at the original pacing without ffmpeg (on a machine that has
// none, or to keep the encoder's CPU off the load generator's core).
//
// File: "LCRTP1\n", u32 BE header length, header JSON, then one record per packet:
//   u32 BE microseconds since the first packet, u8 stream index, u16 BE length, the datagram.
import { readFileSync, writeFileSync } from 'node:fs';

const MAGIC = Buffer.from('LCRTP1\n');

/** The streams a publisher feeds, in the order PublisherTarget names their ports. */
export const STREAMS = ['video', 'video-rtcp', 'audio', 'audio-rtcp'] as const;
export type StreamName = (typeof STREAMS)[number];

export interface RecordingHeader {
  /** What the feed is (encoder settings, simulcast layers): printed by the benches. */
  description: string;
  /** Video SSRCs in layer order (one unless simulcast), and the audio SSRC. */
  videoSsrcs: number[];
  audioSsrc: number;
  /** RTP clock rate per SSRC (decimal string keys): what the replay needs to loop the recording. */
  clockRates: Record<string, number>;
  durationMs: number;
}

export interface RecordedPacket {
  tUs: number;
  stream: number;
  data: Buffer;
}

export interface Recording {
  header: RecordingHeader;
  packets: RecordedPacket[];
}

export function writeRecording(file: string, rec: Recording): number {
  const header = Buffer.from(JSON.stringify(rec.header));
  const parts: Buffer[] = [MAGIC, u32(header.length), header];
  for (const p of rec.packets) {
    const head = Buffer.alloc(7);
    head.writeUInt32BE(p.tUs, 0);
    head.writeUInt8(p.stream, 4);
    head.writeUInt16BE(p.data.length, 5);
    parts.push(head, p.data);
  }
  const all = Buffer.concat(parts);
  writeFileSync(file, all);
  return all.length;
}

export function readRecording(file: string): Recording {
  const buf = readFileSync(file);
  if (!buf.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error(`${file} is not an RTP recording (bench/lib/rtp-recording.ts)`);
  let at = MAGIC.length;
  const headerLength = buf.readUInt32BE(at);
  at += 4;
  const header = JSON.parse(buf.subarray(at, at + headerLength).toString('utf8')) as RecordingHeader;
  at += headerLength;
  const packets: RecordedPacket[] = [];
  while (at + 7 <= buf.length) {
    const len = buf.readUInt16BE(at + 5);
    packets.push({ tUs: buf.readUInt32BE(at), stream: buf.readUInt8(at + 4), data: buf.subarray(at + 7, at + 7 + len) });
    at += 7 + len;
  }
  return { header, packets };
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n, 0);
  return b;
}
