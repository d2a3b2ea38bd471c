// The pure parts of WHIP/WHEP: reading offers, planning producers, writing answers, rewriting RTP.
import type { types } from 'mediasoup';
import { describe, expect, it } from 'vitest';
import { MEDIA_CODECS } from '../../../../src/sfu/media-codecs.js';
import { planIngest } from '../../../../src/signaling/webrtc-http/ingest-parameters.js';
import { RtpRewriter, asksKeyFrame } from '../../../../src/signaling/webrtc-http/rtp-rewriter.js';
import { writeAnswer } from '../../../../src/signaling/webrtc-http/sdp-answer.js';
import { parseOffer } from '../../../../src/signaling/webrtc-http/sdp-offer.js';
import { SessionRefusal } from '../../../../src/signaling/webrtc-http/session-refusal.js';

// A router's capabilities as mediasoup builds them from MEDIA_CODECS (payload types as it assigns them).
const CAPS: types.RtpCapabilities = {
  codecs: MEDIA_CODECS.map((c, i) => ({ ...c, preferredPayloadType: 100 + i })) as types.RtpCodecCapability[],
  headerExtensions: [
    { kind: 'video', uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', preferredId: 1, direction: 'sendrecv' },
    { kind: 'video', uri: 'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id', preferredId: 2, direction: 'recvonly' },
    { kind: 'audio', uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', preferredId: 1, direction: 'sendrecv' },
  ],
};

function offer(video: string[], extra = ''): string {
  return [
    'v=0',
    'o=- 1 2 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    'a=group:BUNDLE 0 1',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111',
    'c=IN IP4 0.0.0.0',
    'a=mid:0',
    'a=sendonly',
    'a=ice-ufrag:abcd',
    'a=ice-pwd:0123456789abcdef0123456789',
    'a=fingerprint:sha-256 AA:BB',
    'a=setup:actpass',
    'a=rtcp-mux',
    'a=rtpmap:111 opus/48000/2',
    'a=ssrc:11 cname:x',
    'm=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99',
    'c=IN IP4 0.0.0.0',
    'a=mid:1',
    'a=sendonly',
    'a=rtcp-mux',
    'a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid',
    'a=extmap:9 urn:example:unknown',
    ...video,
    extra,
  ]
    .filter(Boolean)
    .join('\r\n')
    .concat('\r\n');
}

const H264_HIGH = ['a=rtpmap:96 H264/90000', 'a=fmtp:96 profile-level-id=640c1f;packetization-mode=1'];
const H264_CB = ['a=rtpmap:97 H264/90000', 'a=fmtp:97 profile-level-id=42e01f;packetization-mode=1', 'a=rtcp-fb:97 nack pli', 'a=rtcp-fb:97 goog-lntf'];
const RTX = ['a=rtpmap:98 rtx/90000', 'a=fmtp:98 apt=97'];
const VP8 = ['a=rtpmap:99 VP8/90000'];

describe('WHIP offers', () => {
  it('takes the first offered codec the router has (by H.264 profile), its RTX, and known header extensions', () => {
    const parsed = parseOffer(offer([...H264_HIGH, ...H264_CB, ...RTX, ...VP8, 'a=ssrc-group:FID 21 22', 'a=ssrc:21 cname:x', 'a=ssrc:22 cname:x']));
    const plan = planIngest(parsed.media[1]!, CAPS)!;
    expect(plan.rtpParameters.codecs.map((c) => [c.mimeType, c.payloadType])).toEqual([['video/H264', 97], ['video/rtx', 98]]);
    expect(plan.rtpParameters.codecs[0]!.rtcpFeedback).toEqual([{ type: 'nack', parameter: 'pli' }]);
    expect(plan.rtpParameters.encodings).toEqual([{ ssrc: 21, rtx: { ssrc: 22 } }]);
    expect(plan.headerExtensions).toEqual([{ id: 4, uri: 'urn:ietf:params:rtp-hdrext:sdes:mid' }]);
    expect(plan.rtpParameters.mid).toBe('1');
  });

  it('keeps all-digit ICE credentials as text (werift makes ufrags like 5807; they were read as numbers)', () => {
    const parsed = parseOffer(offer(VP8).replace('a=ice-ufrag:abcd', 'a=ice-ufrag:5807').replace('a=ice-pwd:0123456789abcdef0123456789', 'a=ice-pwd:01234567890123456789012345'));
    expect(parsed.ice).toEqual({ usernameFragment: '5807', password: '01234567890123456789012345' });
  });

  it('RID simulcast layers come lowest first: by their restrictions, else by well-known names', () => {
    const sized = parseOffer(offer([...VP8, 'a=rid:a send max-width=1280;max-height=720', 'a=rid:b send max-width=320;max-height=180', 'a=simulcast:send a;b']));
    expect(planIngest(sized.media[1]!, CAPS)!.rids).toEqual(['b', 'a']);
    const named = parseOffer(offer([...VP8, 'a=rid:f send', 'a=rid:h send', 'a=rid:q send', 'a=simulcast:send f;h;q']));
    expect(planIngest(named.media[1]!, CAPS)!.rtpParameters.encodings).toEqual([{ rid: 'q' }, { rid: 'h' }, { rid: 'f' }]);
    const sim = parseOffer(offer([...VP8, 'a=ssrc-group:SIM 1 2 3', 'a=ssrc:1 cname:x', 'a=ssrc:2 cname:x', 'a=ssrc:3 cname:x']));
    expect(planIngest(sim.media[1]!, CAPS)!.rtpParameters.encodings).toEqual([{ ssrc: 1 }, { ssrc: 2 }, { ssrc: 3 }]);
  });

  it('no codec in common plans nothing; malformed and unacceptable offers are refused with a reason', () => {
    expect(planIngest(parseOffer(offer(H264_HIGH)).media[1]!, CAPS)).toBeNull();
    const refusal = (sdp: string) => {
      try {
        parseOffer(sdp);
      } catch (err) {
        return err instanceof SessionRefusal ? `${err.code}: ${err.message}` : String(err);
      }
      return 'accepted';
    };
    expect(refusal('hello')).toMatch(/^sdp_malformed/);
    expect(refusal(offer(VP8).replace('a=group:BUNDLE 0 1', 'a=group:BUNDLE 0'))).toMatch(/^sdp_unsupported.*not in an a=group:BUNDLE/);
    expect(refusal(offer(VP8).replace('a=fingerprint:sha-256 AA:BB\r\n', ''))).toMatch(/^sdp_unsupported.*fingerprint/);
    expect(refusal(offer(VP8).replace('a=mid:1', 'a=mid:0'))).toMatch(/^sdp_malformed.*twice/);
  });

  it('answers every m-line in order: accepted ones bundled with our ICE and DTLS, others with port 0', () => {
    const parsed = parseOffer(offer(VP8));
    const answer = writeAnswer(parsed, [{ accepted: false }, { accepted: true, direction: 'recvonly', codecs: [parsed.media[1]!.codecs[0]!], headerExtensions: [], rids: ['q', 'f'] }], {
      iceParameters: { usernameFragment: 'srv', password: 'pwd', iceLite: true },
      iceCandidates: [{ foundation: 'udp', priority: 1, ip: '127.0.0.1', protocol: 'udp', port: 40000, type: 'host' } as types.IceCandidate],
      dtlsParameters: { role: 'auto', fingerprints: [{ algorithm: 'sha-256', value: 'CC:DD' }] },
    });
    expect(answer).toMatch(/m=audio 0 /);
    expect(answer).toMatch(/m=video 40000 UDP\/TLS\/RTP\/SAVPF 99/);
    for (const line of ['a=ice-lite', 'a=group:BUNDLE 1', 'a=setup:passive', 'a=ice-ufrag:srv', 'a=fingerprint:sha-256 CC:DD', 'a=recvonly', 'a=simulcast:recv q;f', 'a=rid:q recv', 'a=candidate:udp 1 udp 1 127.0.0.1 40000 typ host']) {
      expect(answer).toContain(line);
    }
  });
});

describe('the program stream', () => {
  const packet = (ssrc: number, seq: number, ts: number) => {
    const b = Buffer.alloc(12);
    b[0] = 0x80;
    b[1] = 96;
    b.writeUInt16BE(seq, 2);
    b.writeUInt32BE(ts, 4);
    b.writeUInt32BE(ssrc, 8);
    return b;
  };

  it('keeps one SSRC and continuous sequence numbers and timestamps across a source switch', () => {
    let now = 0;
    const rewriter = new RtpRewriter(777, 90000, () => now);
    const out = [packet(1, 65535, 1000), packet(1, 0, 4000)].map((p) => (rewriter.rewrite(p), p));
    now = 100;
    const switched = packet(2, 5000, 9_000_000);
    rewriter.rewrite(switched);
    expect(out.map((p) => p.readUInt32BE(8))).toEqual([777, 777]);
    expect(switched.readUInt32BE(8)).toBe(777);
    expect(switched.readUInt16BE(2)).toBe(1);
    expect(switched.readUInt32BE(4)).toBe(4000 + 9000);
  });

  it('recognises key frame requests in compound RTCP', () => {
    const rr = Buffer.from([0x80, 201, 0, 1, 0, 0, 0, 1]);
    const pli = Buffer.from([0x81, 206, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2]);
    const nack = Buffer.from([0x81, 205, 0, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 1, 0, 0]);
    expect(asksKeyFrame(Buffer.concat([rr, pli]))).toBe(true);
    expect(asksKeyFrame(Buffer.concat([rr, nack]))).toBe(false);
  });
});
