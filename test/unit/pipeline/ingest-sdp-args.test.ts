import { describe, expect, it } from 'vitest';
import { inputOptions, outputOptions, type EncodePlan } from '../../../pipeline/ingest/ffmpeg-args.js';
import { renderIngestSdp, SdpError } from '../../../pipeline/ingest/sdp.js';

const h264 = {
  codecs: [{ mimeType: 'video/H264', payloadType: 102, clockRate: 90000, parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f' } }],
  encodings: [{ ssrc: 1 }],
};
const opus = { codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2, parameters: { useinbandfec: 1 } }], encodings: [{ ssrc: 2 }] };

describe('ingest SDP', () => {
  it('describes each consumer on its loopback port with its payload type, rtpmap and fmtp', () => {
    const sdp = renderIngestSdp([
      { kind: 'video', port: 40000, rtpParameters: h264 },
      { kind: 'audio', port: 40002, rtpParameters: opus },
    ]);
    expect(sdp).toBe(
      [
        'v=0',
        'o=- 0 0 IN IP4 127.0.0.1',
        's=LevelChat ingest',
        'c=IN IP4 127.0.0.1',
        't=0 0',
        'm=video 40000 RTP/AVP 102',
        'a=rtpmap:102 H264/90000',
        'a=fmtp:102 packetization-mode=1;profile-level-id=42e01f',
        'a=recvonly',
        'm=audio 40002 RTP/AVP 100',
        'a=rtpmap:100 opus/48000/2',
        'a=fmtp:100 useinbandfec=1',
        'a=recvonly',
        '',
      ].join('\n'),
    );
  });

  it('refuses a consumer whose first codec is RTX or missing', () => {
    const rtx = { codecs: [{ mimeType: 'video/rtx', payloadType: 103, clockRate: 90000 }], encodings: [] };
    expect(() => renderIngestSdp([{ kind: 'video', port: 1, rtpParameters: rtx }])).toThrow(SdpError);
    expect(() => renderIngestSdp([{ kind: 'video', port: 1, rtpParameters: { codecs: [] } }])).toThrow(SdpError);
  });

  it('refuses codec parameters that would forge SDP lines (issue 17 row 10)', () => {
    const forged = { ...h264, codecs: [{ ...h264.codecs[0]!, parameters: { 'profile-level-id': '42e01f\r\nm=video 9 RTP/AVP 96' } }] };
    expect(() => renderIngestSdp([{ kind: 'video', port: 40000, rtpParameters: forged }])).toThrow(SdpError);
  });

  it('admits packets from the feed address only, when it is known', () => {
    const sdp = renderIngestSdp([{ kind: 'video', port: 40000, rtpParameters: h264 }], '127.0.0.1', '127.0.0.1');
    expect(sdp.split('\n').slice(0, 6)).toEqual(['v=0', 'o=- 0 0 IN IP4 127.0.0.1', 's=LevelChat ingest', 'c=IN IP4 127.0.0.1', 't=0 0', 'a=source-filter: incl IN IP4 127.0.0.1 127.0.0.1']);
  });
});

describe('ffmpeg input options', () => {
  it('bind the RTP sockets to the listen address, not every interface', () => {
    const args = inputOptions('10.1.2.3');
    expect(args[args.indexOf('-localaddr') + 1]).toBe('10.1.2.3');
  });
});

describe('ffmpeg output options', () => {
  const plan: EncodePlan = { videoPassthrough: true, hasAudio: true, keyframeInterval: 1, videoBitrate: 2_000_000, renditions: ['source'] };
  const fmp4 = ['-f', 'mp4', '-movflags', 'empty_moov+default_base_moof+cmaf', '-frag_duration', '1'];
  /** The arguments of each output file, split at its pipe:N target. */
  const outputs = (args: string[]): string[][] => {
    const files: string[][] = [[]];
    for (const arg of args) {
      files.at(-1)!.push(arg);
      if (arg.startsWith('pipe:')) files.push([]);
    }
    return files.slice(0, -1);
  };

  it('copies H.264 and encodes Opus to AAC into fMP4 of at most one sample per track and fragment on fd 3', () => {
    const args = outputOptions(plan);
    expect(args.join(' ')).toContain('-c:v copy');
    expect(args).not.toContain('libx264');
    expect(args.join(' ')).toContain('-map 0:a:0 -c:a aac');
    expect(args.slice(-fmp4.length - 1)).toEqual([...fmp4, 'pipe:3']);
  });

  it('transcodes other codecs with keyframes forced every segment target', () => {
    const args = outputOptions({ ...plan, videoPassthrough: false, keyframeInterval: 2 }).join(' ');
    expect(args).toContain('-c:v libx264 -preset veryfast -tune zerolatency');
    expect(args).toContain('-force_key_frames expr:if(isnan(prev_forced_t),1,gte(t,prev_forced_t+2)) -sc_threshold 0');
    expect(args).toContain('-b:v 2000000');
  });

  it('drops audio when there is no audio producer', () => {
    const args = outputOptions({ ...plan, hasAudio: false });
    expect(args).toContain('-an');
    expect(args).not.toContain('aac');
  });

  it('writes one output per rendition, each with AAC, the scaled ones keyed on the source keyframes', () => {
    const files = outputs(outputOptions({ ...plan, renditions: ['source', '720p', '360p'] }));
    expect(files.map((f) => f.at(-1))).toEqual(['pipe:3', 'pipe:4', 'pipe:5']);
    for (const file of files) {
      expect(file.slice(0, 2)).toEqual(['-map', '0:v:0']);
      expect(file.join(' ')).toContain('-map 0:a:0 -c:a aac');
      expect(file.slice(-fmp4.length - 1, -1)).toEqual(fmp4);
    }
    const [source, hd, sd] = files.map((f) => f.join(' '));
    expect(source).toContain('-c:v copy');
    expect(hd).toContain(`-vf scale=-2:'min(720,ih)' -c:v libx264`);
    expect(sd).toContain(`-vf scale=-2:'min(360,ih)' -c:v libx264`);
    for (const scaled of [hd, sd]) {
      expect(scaled).toContain('-fps_mode passthrough -enc_time_base -1 -force_key_frames source -sc_threshold 0 -x264-params keyint=infinite');
    }
    expect(sd).toContain('-b:v 800000');
  });

  it('forces the same keyframe times in every rendition when the source is transcoded too', () => {
    const files = outputs(outputOptions({ ...plan, videoPassthrough: false, renditions: ['source', '360p'] }));
    for (const file of files) expect(file.join(' ')).toContain('-force_key_frames expr:if(isnan(prev_forced_t),1,gte(t,prev_forced_t+1)) -sc_threshold 0');
    expect(files[0]!.join(' ')).not.toContain('scale=');
  });
});
