import { describe, expect, it } from 'vitest';
import { EncoderMediaProbe, MediaRefusal, planRelay, TAG_AUDIO, TAG_VIDEO, type MediaTag } from '../../../pipeline/encoder/encoder-media.js';
import { relayArgs } from '../../../pipeline/encoder/relay-args.js';

/** A tag as node-media-server parses it; a video tag's first byte says keyframe (0x1_) or inter frame (0x2_). */
const tag = (codec_type: number, codec_id: number, flags: number, dts: number, pts = dts): MediaTag => {
  const data = Buffer.from([codec_type === TAG_VIDEO ? (flags === 4 ? 0x20 : 0x10) | (codec_id & 0xf) : 0xaf]);
  return { codec_type, codec_id, flags, dts, pts, size: data.length, data };
};
const fourcc = (s: string) => Buffer.from(s, 'latin1').readUInt32BE(0);

/** An H.264 + AAC encoder's first tags; `bframes`: presentation order differs from decode order. */
function h264Probe(bframes: boolean): EncoderMediaProbe {
  const probe = new EncoderMediaProbe();
  probe.push(tag(TAG_VIDEO, 7, 2, 0));
  probe.push(tag(TAG_AUDIO, 10, 0, 0));
  for (let i = 0; i < 10; i += 1) {
    const dts = i * 33;
    const pts = bframes ? dts + (i % 3 === 1 ? 99 : 33) : dts;
    probe.push(tag(TAG_VIDEO, 7, i === 0 ? 3 : 4, dts, pts));
    probe.push(tag(TAG_AUDIO, 10, 1, dts));
  }
  return probe;
}

describe('encoder media', () => {
  it('passes H.264 without B-frames through and encodes audio to Opus', () => {
    const probe = h264Probe(false);
    expect(probe.complete).toBe(true);
    expect(probe.media).toEqual({ video: { codec: 'h264', readable: true, reordered: false }, audio: { codec: 'aac', readable: true } });
    expect(planRelay(probe.media)).toEqual({ video: 'copy', audio: true, reason: null });
  });

  it('encodes H.264 with B-frames again, saying why', () => {
    const plan = planRelay(h264Probe(true).media);
    expect(plan.video).toBe('encode');
    expect(plan.reason).toMatch(/B-frames/);
  });

  it('encodes the FLV codecs ffmpeg reads (Sorenson H.263, VP6) and refuses enhanced RTMP', () => {
    expect(planRelay({ video: { codec: 'vp6', readable: true, reordered: false }, audio: { codec: 'mp3', readable: true } })).toMatchObject({ video: 'encode', audio: true, reason: 'vp6 is encoded to H.264' });
    const hevc = new EncoderMediaProbe();
    hevc.push(tag(TAG_VIDEO, fourcc('hvc1'), 2, 0));
    expect(hevc.media.video).toMatchObject({ codec: 'hvc1', readable: false });
    expect(() => planRelay(hevc.media)).toThrow(MediaRefusal);
    expect(() => planRelay(hevc.media)).toThrow(/hvc1.*send H.264/);
    const opus = new EncoderMediaProbe();
    opus.push(tag(TAG_AUDIO, 9, 0, 0));
    expect(() => planRelay(opus.media)).toThrow(/send AAC/);
    expect(() => planRelay({ video: null, audio: null })).toThrow(/no audio or video/);
  });

  it('counts frames from the first keyframe: a feed joined mid-stream is not known before one', () => {
    const probe = new EncoderMediaProbe();
    probe.push(tag(TAG_VIDEO, 7, 2, 0));
    for (let i = 0; i < 10; i += 1) probe.push(tag(TAG_VIDEO, 7, 4, i * 33));
    probe.push(tag(TAG_AUDIO, 10, 1, 330));
    expect(probe.complete).toBe(false);
    for (let i = 11; i < 16; i += 1) probe.push(tag(TAG_VIDEO, 7, i === 11 ? 3 : 4, i * 33));
    expect(probe.complete).toBe(true);
  });

  it('decides after a second of media when a stream has only audio', () => {
    const probe = new EncoderMediaProbe();
    for (let t = 0; t <= 1000; t += 20) probe.push(tag(TAG_AUDIO, 10, 1, t));
    expect(probe.complete).toBe(true);
    expect(planRelay(probe.media)).toEqual({ video: null, audio: true, reason: null });
  });
});

describe('relay arguments', () => {
  const targets = { video: { port: 40000, rtcpPort: 40001, localPort: 30000, ssrc: 1234 }, audio: { port: 40002, rtcpPort: 40003, localPort: 30002, ssrc: 5678 } };

  it('copies H.264 with its parameter sets in band, sends each stream from its fixed local ports with the producer SSRC', () => {
    const args = relayArgs({ video: 'copy', audio: true, reason: null }, targets, 1).join(' ');
    expect(args).toContain('-f flv');
    expect(args).toContain('-c:v copy -bsf:v h264_mp4toannexb');
    expect(args).toContain('-payload_type 102 -ssrc 1234 rtp://127.0.0.1:40000?localrtpport=30000&localrtcpport=30001&rtcpport=40001');
    expect(args).toContain('-c:a libopus');
    expect(args).toContain('-payload_type 100 -ssrc 5678 rtp://127.0.0.1:40002?localrtpport=30002&localrtcpport=30003&rtcpport=40003');
  });

  it('encodes with keyframes on the segment cadence, and leaves out what is not sent', () => {
    const args = relayArgs({ video: 'encode', audio: false, reason: 'x' }, targets, 2).join(' ');
    expect(args).toContain('-c:v libx264');
    expect(args).toContain('expr:gte(t,n_forced*2)');
    expect(args).not.toContain('libopus');
  });
});
