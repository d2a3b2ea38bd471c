// Issue 18: a viewer's transport runs mediasoup's bandwidth estimate (transport-cc) only for what
// it can act on: the layers of a simulcast/SVC producer. A viewer of single-layer streams only
// negotiates none, so its transport in the worker has no TransportCongestionControlClient (the
// transport's stats carry availableOutgoingBitrate only with one).
import { describe, expect, it } from 'vitest';
import { useRoomJoiner } from '../../helpers/room-joiner.js';
import { useTestStack } from '../../helpers/test-stack.js';

const { t } = useTestStack();
const { joined } = useRoomJoiner(t);

const TRANSPORT_CC = 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01';
const ABS_SEND_TIME = 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time';
const VP8 = { mimeType: 'video/VP8', payloadType: 101, clockRate: 90000, rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'transport-cc' }] };
const rtp = (encodings: object[]) => ({ codecs: [VP8], encodings, headerExtensions: [{ uri: TRANSPORT_CC, id: 5 }], rtcp: { cname: 'bwe' } });
/** A camera with three simulcast layers; a screen share with one. */
const CAMERA = rtp([{ ssrc: 31000 }, { ssrc: 31001 }, { ssrc: 31002 }]);
const SCREEN = rtp([{ ssrc: 32000 }]);
const MICROPHONE = { codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2, rtcpFeedback: [{ type: 'transport-cc' }] }], encodings: [{ ssrc: 33000 }], rtcp: { cname: 'bwe' } };

interface Negotiated {
  headerExtensions: { uri: string }[];
  codecs: { mimeType: string; rtcpFeedback: { type: string; parameter?: string }[] }[];
}

/** What of the estimate a consumer negotiated: its header extensions and feedback types. */
function estimateOf(p: Negotiated): string[] {
  const exts = p.headerExtensions.map((h) => h.uri).filter((u) => u === TRANSPORT_CC || u === ABS_SEND_TIME);
  const fb = p.codecs.flatMap((c) => c.rtcpFeedback.map((f) => f.type)).filter((f) => f === 'transport-cc' || f === 'goog-remb');
  return [...new Set([...exts, ...fb])].sort();
}


/** The viewer's receive transport in the worker: whether it runs an estimate. */
async function estimates(roomId: string, participantId: string): Promise<boolean> {
  const recv = t.stack.liveRooms.rooms.get(roomId)!.participants.get(participantId)!.media.recvTransport!;
  const [stats] = await recv.transport.getStats();
  return stats!.availableOutgoingBitrate !== undefined;
}

describe('a viewer negotiates the bandwidth estimate only for layered producers', () => {
  it('single-layer tracks only: no transport-cc, no estimate in the worker; with a simulcast track on the same transport: the estimate, NACK/PLI everywhere', async () => {
    const room = 'r_viewer-bwe';
    const pub = await joined(room, 'pub', ['publish:camera', 'publish:screen']);
    const send = await pub.c.ok('create_transport', { direction: 'send' });
    const produce = async (kind: string, source: string, rtp_parameters: object) => (await pub.c.ok('produce', { transport_id: send.id, kind, source, rtp_parameters })).producer_id as string;
    const camera = await produce('video', 'camera', CAMERA);
    const screen = await produce('video', 'screen', SCREEN);
    const microphone = await produce('audio', 'microphone', MICROPHONE);

    const viewer = async (name: string, producers: string[]) => {
      const v = await joined(room, name, ['subscribe:all']);
      await v.c.ok('create_transport', { direction: 'recv' });
      const consumed: Record<string, Negotiated> = {};
      for (const id of producers) consumed[id] = (await v.c.ok('consume', { producer_id: id, rtp_capabilities: v.result.router_rtp_capabilities })).rtp_parameters;
      return { consumed, estimates: await estimates(room, v.id) };
    };

    // The audience of a single-layer broadcast: nothing of the estimate, and none in the worker.
    const plain = await viewer('single-layer-viewer', [screen, microphone]);
    expect(estimateOf(plain.consumed[screen]!)).toEqual([]);
    expect(estimateOf(plain.consumed[microphone]!)).toEqual([]);
    const repair = [{ type: 'nack', parameter: '' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }];
    expect(plain.consumed[screen]!.codecs[0]!.rtcpFeedback).toEqual(repair);
    expect(plain.estimates).toBe(false);

    // A simulcast camera: transport-cc for it; the screen on the same transport goes without
    // (the transport numbers its packets all the same: consumer-capabilities.ts).
    const mixed = await viewer('mixed-viewer', [screen, camera, microphone]);
    // (mediasoup keeps goog-remb only where transport-cc is missing.)
    expect(estimateOf(mixed.consumed[camera]!)).toEqual(['transport-cc', ABS_SEND_TIME, TRANSPORT_CC].sort());
    expect(mixed.consumed[camera]!.codecs[0]!.rtcpFeedback).toEqual(expect.arrayContaining(repair));
    expect(estimateOf(mixed.consumed[screen]!)).toEqual([]);
    expect(mixed.estimates).toBe(true);
  });
});
