import type { types } from 'mediasoup';
import { describe, expect, it } from 'vitest';
import { consumerCapabilities, withoutBandwidthEstimate } from '../../../src/sfu/consumer-capabilities.js';

const TRANSPORT_CC = 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01';
const ABS_SEND_TIME = 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time';

/** What a Chromium device offers (mediasoup-client's recv capabilities), trimmed. */
const BROWSER: types.RtpCapabilities = {
  codecs: [
    { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2, preferredPayloadType: 100, rtcpFeedback: [{ type: 'transport-cc' }] },
    {
      kind: 'video',
      mimeType: 'video/VP8',
      clockRate: 90000,
      preferredPayloadType: 101,
      rtcpFeedback: [{ type: 'goog-remb' }, { type: 'transport-cc' }, { type: 'ccm', parameter: 'fir' }, { type: 'nack' }, { type: 'nack', parameter: 'pli' }],
    },
    { kind: 'video', mimeType: 'video/rtx', clockRate: 90000, preferredPayloadType: 102, parameters: { apt: 101 }, rtcpFeedback: [] },
  ],
  headerExtensions: [
    { kind: 'video', uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', preferredId: 1 },
    { kind: 'video', uri: ABS_SEND_TIME, preferredId: 4 },
    { kind: 'video', uri: TRANSPORT_CC, preferredId: 5 },
    { kind: 'audio', uri: TRANSPORT_CC, preferredId: 5 },
    { kind: 'video', uri: 'urn:3gpp:video-orientation', preferredId: 11 },
  ],
};

describe('consumerCapabilities: a bandwidth estimate only for layered producers', () => {
  it('a single-layer producer: no transport-wide-cc / abs-send-time, no transport-cc / goog-remb; NACK, PLI, FIR and the rest stay', () => {
    const caps = consumerCapabilities({ type: 'simple' }, BROWSER);
    expect(caps.headerExtensions!.map((h) => `${h.kind} ${h.uri}`)).toEqual(['video urn:ietf:params:rtp-hdrext:sdes:mid', 'video urn:3gpp:video-orientation']);
    expect(caps.codecs!.map((c) => c.rtcpFeedback)).toEqual([[], [{ type: 'ccm', parameter: 'fir' }, { type: 'nack' }, { type: 'nack', parameter: 'pli' }], []]);
    // Everything else as offered; the input is not changed.
    expect(caps.codecs!.map((c) => ({ ...c, rtcpFeedback: [] }))).toEqual(BROWSER.codecs!.map((c) => ({ ...c, rtcpFeedback: [] })));
    expect(BROWSER.headerExtensions).toHaveLength(5);
    expect(BROWSER.codecs![1]!.rtcpFeedback).toHaveLength(5);
  });

  it('simulcast and SVC producers keep the estimate (it chooses their layers)', () => {
    expect(consumerCapabilities({ type: 'simulcast' }, BROWSER)).toBe(BROWSER);
    expect(consumerCapabilities({ type: 'svc' }, BROWSER)).toBe(BROWSER);
  });

  it('an unknown producer keeps it (the safe side)', () => {
    expect(consumerCapabilities(undefined, BROWSER)).toBe(BROWSER);
  });

  it('withoutBandwidthEstimate takes capabilities without codecs or extensions', () => {
    expect(withoutBandwidthEstimate({})).toEqual({ codecs: [], headerExtensions: [] });
  });
});
