import { randomInt } from 'node:crypto';
import type { types } from 'mediasoup';
import { RELAY_CODECS, type RtpTarget } from '../../pipeline/encoder/relay-args.js';
import { freeRtpPortPair } from '../../pipeline/ingest/udp-ports.js';
import type { LiveRoom } from '../signaling/live-room.js';
import type { Participant } from '../signaling/participant.js';
import type { MediaSource } from '../signaling/protocol.js';
import { SignalingError } from '../signaling/signaling-errors.js';

export type TrackKind = 'video' | 'audio';

const SOURCE_OF: Record<TrackKind, MediaSource> = { video: 'camera', audio: 'microphone' };

/** One stream of an encoder in the room: a PlainTransport on the origin and the producer on it. */
export interface EncoderTrack {
  kind: TrackKind;
  transport: types.PlainTransport;
  producer: types.Producer;
  /** Where the relay sends this stream, and from where. */
  target: RtpTarget;
}

/**
 * The room's publisher limit (`max_publishers`), as the SDK's produce meets it: a participant that
 * publishes nothing yet needs a free seat.
 */
function assertPublisherSeat(room: LiveRoom, participant: Participant): void {
  const max = room.room.config.max_publishers;
  if (max === null || participant.media.producers.size > 0) return;
  const publishers = new Set([...room.tracks.values()].map((t) => t.participant.id));
  if (publishers.size >= max) throw new SignalingError('publishers_full', `this room allows ${max} publishers`);
}

/**
 * Publishes one stream of an encoder as its participant's camera or microphone: a PlainTransport
 * connected to the local port pair the relay will send from (so only the relay reaches it, and a
 * relay started again after a reconnect reaches the same producer), then the producer, published
 * like any other (track events, webhooks, LL-HLS on air).
 */
export async function openEncoderTrack(room: LiveRoom, participant: Participant, kind: TrackKind): Promise<EncoderTrack> {
  assertPublisherSeat(room, participant);
  const localPort = await freeRtpPortPair();
  const transport = await room.media.origin.router.createPlainTransport({
    listenIp: '127.0.0.1',
    rtcpMux: false,
    comedia: false,
    appData: { participantId: participant.id, encoder: true },
  });
  try {
    await transport.connect({ ip: '127.0.0.1', port: localPort, rtcpPort: localPort + 1 });
    // A positive 31-bit SSRC: ffmpeg's -ssrc option is a signed int.
    const ssrc = randomInt(1, 2 ** 31 - 1);
    const source = SOURCE_OF[kind];
    const { producer } = await participant.media.addProducer(
      source,
      async () => ({
        producer: await transport.produce({ kind, rtpParameters: { codecs: [RELAY_CODECS[kind]], encodings: [{ ssrc }] }, appData: { participantId: participant.id, source } }),
        source,
      }),
      ({ producer: made }) => made.close(),
    );
    await room.publish(participant, producer, source);
    const target: RtpTarget = { port: transport.tuple.localPort, rtcpPort: transport.rtcpTuple!.localPort, localPort, ssrc };
    return { kind, transport, producer, target };
  } catch (err) {
    transport.close();
    throw err;
  }
}
