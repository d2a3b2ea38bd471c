import type { types } from 'mediasoup';
import { PUBLISH_CAPABILITIES, publishRequirement, SOURCE_CAPABILITIES } from '../../auth/capability-rules.js';
import { consumerCapabilities } from '../../sfu/consumer-capabilities.js';
import type { RouterRef } from '../../sfu/producer-pipe.js';
import type { LiveRoom } from '../live-room.js';
import type { OwnTransport } from '../participant-media.js';
import type { ConsumeResult, MediaSource, TransportInfo } from '../protocol.js';
import { SignalingError, mediaCall, mediaError } from '../signaling-errors.js';
import { createWebRtcTransport } from '../webrtc-transport.js';
import type { Feature } from './feature.js';

const SOURCE_KINDS: Record<MediaSource, 'audio' | 'video'> = { camera: 'video', microphone: 'audio', screen: 'video', 'screen-audio': 'audio' };

/**
 * A paused consumer on the receive transport's tier, the producer piped there on first use (from
 * another node when `remoteOrigin` names its router); nothing stays attached when it cannot be made.
 * It negotiates a bandwidth estimate only for a simulcast/SVC producer (consumerCapabilities).
 */
async function consumeOn(
  room: LiveRoom,
  recv: OwnTransport,
  want: { producerId: string; rtpCapabilities: types.RtpCapabilities; participantId: string; local: types.Producer | undefined },
  remoteOrigin: RouterRef | undefined,
): Promise<types.Consumer> {
  const { producerId, rtpCapabilities } = want;
  const copy = await mediaCall(() => room.media.attachConsumer(recv.slot, producerId, remoteOrigin));
  try {
    if (remoteOrigin && !recv.slot.tier.router.canConsume({ producerId, rtpCapabilities })) throw new SignalingError('media_error', 'your device cannot decode this track');
    const negotiated = consumerCapabilities(copy ?? want.local, rtpCapabilities);
    return await recv.transport.consume({ producerId, rtpCapabilities: negotiated, paused: true, appData: { participantId: want.participantId } });
  } catch (err) {
    room.media.detachConsumer(recv.slot, producerId);
    throw mediaError(err);
  }
}

/** Transports, producing and consuming, through the room's cascade. */
export const mediaFeature: Feature = {
  async create_transport({ participant, room, services }, { direction }) {
    if (direction === 'send' && !PUBLISH_CAPABILITIES.some((c) => participant.has(c))) {
      throw new SignalingError('capability_required', 'a send transport needs a publish capability');
    }
    if (direction === 'recv') participant.require('subscribe:all');
    // Producers live on the origin; a receiver is placed on the least-busy tier of the cascade, with
    // room reserved for the tracks it will subscribe to.
    const othersTracks = [...room.tracks.values()].filter((t) => t.participant !== participant).length;
    // The one-per-direction place is taken before the first await: concurrent requests cannot all pass.
    const { transport } = await participant.media.addTransport(
      direction,
      async () => {
        const slot = direction === 'send' ? { tier: room.media.origin, reserved: 0 } : await room.media.placeReceiver(othersTracks);
        try {
          const transport = await createWebRtcTransport(slot.tier.router, services.rtc, { participantId: participant.id, direction });
          return { transport, direction, slot };
        } catch (err) {
          if (direction === 'recv') room.media.releaseReceiver(slot);
          throw mediaError(err);
        }
      },
      ({ transport, slot }) => {
        transport.close();
        if (direction === 'recv') room.media.releaseReceiver(slot);
      },
    );
    const info: TransportInfo = {
      id: transport.id,
      ice_parameters: transport.iceParameters as unknown as Record<string, unknown>,
      ice_candidates: transport.iceCandidates as unknown as Record<string, unknown>[],
      dtls_parameters: transport.dtlsParameters as unknown as Record<string, unknown>,
    };
    return info;
  },

  async connect_transport({ participant }, { transport_id, dtls_parameters }) {
    const { transport } = participant.media.transport(transport_id);
    await mediaCall(() => transport.connect({ dtlsParameters: dtls_parameters as unknown as types.DtlsParameters }));
    return {};
  },

  async restart_ice({ participant }, { transport_id }) {
    const { transport } = participant.media.transport(transport_id);
    return { ice_parameters: await mediaCall(() => transport.restartIce()) };
  },

  async produce({ participant, room }, { transport_id, kind, rtp_parameters, source }) {
    const capability = SOURCE_CAPABILITIES[source].find((c) => participant.has(c));
    if (!capability) throw new SignalingError('capability_required', publishRequirement(source));
    participant.require(capability);
    if (kind !== SOURCE_KINDS[source]) throw new SignalingError('invalid_request', `${source} must be ${SOURCE_KINDS[source]}`);
    const { transport, direction } = participant.media.transport(transport_id);
    if (direction !== 'send') throw new SignalingError('invalid_request', 'produce on your send transport');
    const maxPublishers = room.room.config.max_publishers;
    if (maxPublishers !== null && participant.media.producers.size === 0) {
      const publishers = new Set([...room.tracks.values()].map((t) => t.participant.id));
      if (publishers.size >= maxPublishers) throw new SignalingError('publishers_full', `this room allows ${maxPublishers} publishers`);
    }
    // One producer per source, its place taken before the first await (see create_transport).
    const { producer } = await participant.media.addProducer(
      source,
      async () => ({
        producer: await mediaCall(() =>
          transport.produce({ kind, rtpParameters: rtp_parameters as unknown as types.RtpParameters, appData: { participantId: participant.id, source } }),
        ),
        source,
      }),
      ({ producer }) => producer.close(),
    );
    await room.publish(participant, producer, source);
    return { producer_id: producer.id };
  },

  async close_producer({ participant, room }, { producer_id }) {
    participant.media.producer(producer_id);
    await room.unpublish(producer_id);
    return {};
  },

  async pause_producer({ participant, room }, { producer_id }) {
    await participant.media.producer(producer_id).producer.pause();
    room.trackChanged(producer_id);
    return {};
  },

  async resume_producer({ participant, room }, { producer_id }) {
    await participant.media.producer(producer_id).producer.resume();
    room.trackChanged(producer_id);
    return {};
  },

  async consume({ participant, room }, { producer_id, rtp_capabilities }) {
    participant.require('subscribe:all');
    // Published here, or on another node of the room (piped to this one on first use).
    const local = room.tracks.get(producer_id);
    const remote = local ? null : await room.remoteTrack(producer_id);
    const track = local ? { participant_id: local.participant.id, source: local.source } : remote?.info;
    if (!track) throw new SignalingError('not_found', `no track ${producer_id} in this room`);
    const recv = participant.media.recvTransport;
    if (!recv) throw new SignalingError('invalid_request', 'create a recv transport first');
    const rtpCapabilities = rtp_capabilities as unknown as types.RtpCapabilities;
    if (local && !room.media.origin.router.canConsume({ producerId: producer_id, rtpCapabilities })) {
      throw new SignalingError('media_error', 'your device cannot decode this track');
    }
    // One consumer per producer (so no more consumers than the room has tracks), its place taken
    // before the first await (see create_transport).
    const { consumer } = await participant.media.addConsumer(
      producer_id,
      async () => ({
        consumer: await consumeOn(room, recv, { producerId: producer_id, rtpCapabilities, participantId: participant.id, local: local?.producer }, remote ? { id: remote.router_id } : undefined),
        producerId: producer_id,
        slot: recv.slot,
      }),
      ({ consumer }) => {
        consumer.close();
        room.media.detachConsumer(recv.slot, producer_id);
      },
    );
    const release = () => {
      if (!participant.media.dropConsumer(consumer.id)) return;
      room.media.detachConsumer(recv.slot, producer_id);
      participant.send('consumer-closed', { consumer_id: consumer.id });
    };
    consumer.on('producerclose', release);
    consumer.on('transportclose', release);
    const result: ConsumeResult = {
      consumer_id: consumer.id,
      producer_id,
      participant_id: track.participant_id,
      kind: consumer.kind,
      source: track.source,
      rtp_parameters: consumer.rtpParameters as unknown as Record<string, unknown>,
    };
    return result;
  },

  async resume_consumer({ participant }, { consumer_id }) {
    await participant.media.consumer(consumer_id).consumer.resume();
    return {};
  },

  async pause_consumer({ participant }, { consumer_id }) {
    await participant.media.consumer(consumer_id).consumer.pause();
    return {};
  },

  async set_preferred_layers({ participant }, { consumer_id, spatial_layer, temporal_layer }) {
    const { consumer } = participant.media.consumer(consumer_id);
    await mediaCall(() => consumer.setPreferredLayers({ spatialLayer: spatial_layer, ...(temporal_layer !== undefined ? { temporalLayer: temporal_layer } : {}) }));
    return {};
  },
};
