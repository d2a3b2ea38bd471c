import type { types } from 'mediasoup';
import { PUBLISH_CAPABILITIES, publishRequirement, SOURCE_CAPABILITIES } from '../../auth/capability-rules.js';
import type { Participant } from '../participant.js';
import type { ConsumeResult, MediaSource, TransportInfo } from '../protocol.js';
import { SignalingError, mediaCall, mediaError } from '../signaling-errors.js';
import type { Feature } from './feature.js';

const SOURCE_KINDS: Record<MediaSource, 'audio' | 'video'> = { camera: 'video', microphone: 'audio', screen: 'video', 'screen-audio': 'audio' };

function ownTransport(p: Participant, id: string) {
  const t = p.transports.get(id);
  if (!t) throw new SignalingError('not_found', `no transport ${id} of yours`);
  return t;
}

function ownProducer(p: Participant, id: string) {
  const x = p.producers.get(id);
  if (!x) throw new SignalingError('not_found', `no producer ${id} of yours`);
  return x;
}

function ownConsumer(p: Participant, id: string) {
  const x = p.consumers.get(id);
  if (!x) throw new SignalingError('not_found', `no consumer ${id} of yours`);
  return x;
}

/** Transports, producing and consuming, through the room's cascade. */
export const mediaFeature: Feature = {
  async create_transport({ participant, room, services }, { direction }) {
    if (direction === 'send' && !PUBLISH_CAPABILITIES.some((c) => participant.has(c))) {
      throw new SignalingError('capability_required', 'a send transport needs a publish capability');
    }
    if (direction === 'recv') participant.require('subscribe:all');
    for (const t of participant.transports.values()) {
      if (t.direction === direction) throw new SignalingError('invalid_request', `you already have a ${direction} transport`);
    }
    // Producers live on the origin; a receiver is placed on the least-busy tier of the cascade, with
    // room reserved for the tracks it will subscribe to.
    const othersTracks = [...room.tracks.values()].filter((t) => t.participant !== participant).length;
    const slot = direction === 'send' ? { tier: room.media.origin, reserved: 0 } : await room.media.placeReceiver(othersTracks);
    const { tier } = slot;
    let transport: types.WebRtcTransport;
    try {
      transport = await tier.router.createWebRtcTransport({
        listenIps: [{ ip: services.rtc.listenIp, ...(services.rtc.announcedIp ? { announcedIp: services.rtc.announcedIp } : {}) }],
        enableUdp: true,
        enableTcp: true,
        preferUdp: true,
        initialAvailableOutgoingBitrate: 1_000_000,
        appData: { participantId: participant.id, direction },
      });
    } catch (err) {
      if (direction === 'recv') room.media.releaseReceiver(slot);
      throw mediaError(err);
    }
    participant.transports.set(transport.id, { transport, direction, slot });
    const info: TransportInfo = {
      id: transport.id,
      ice_parameters: transport.iceParameters as unknown as Record<string, unknown>,
      ice_candidates: transport.iceCandidates as unknown as Record<string, unknown>[],
      dtls_parameters: transport.dtlsParameters as unknown as Record<string, unknown>,
    };
    return info;
  },

  async connect_transport({ participant }, { transport_id, dtls_parameters }) {
    const { transport } = ownTransport(participant, transport_id);
    await mediaCall(() => transport.connect({ dtlsParameters: dtls_parameters as unknown as types.DtlsParameters }));
    return {};
  },

  async restart_ice({ participant }, { transport_id }) {
    const { transport } = ownTransport(participant, transport_id);
    return { ice_parameters: await mediaCall(() => transport.restartIce()) };
  },

  async produce({ participant, room }, { transport_id, kind, rtp_parameters, source }) {
    const capability = SOURCE_CAPABILITIES[source].find((c) => participant.has(c));
    if (!capability) throw new SignalingError('capability_required', publishRequirement(source));
    participant.require(capability);
    if (kind !== SOURCE_KINDS[source]) throw new SignalingError('invalid_request', `${source} must be ${SOURCE_KINDS[source]}`);
    const { transport, direction } = ownTransport(participant, transport_id);
    if (direction !== 'send') throw new SignalingError('invalid_request', 'produce on your send transport');
    const maxPublishers = room.room.config.max_publishers;
    if (maxPublishers !== null && participant.producers.size === 0) {
      const publishers = new Set([...room.tracks.values()].map((t) => t.participant.id));
      if (publishers.size >= maxPublishers) throw new SignalingError('publishers_full', `this room allows ${maxPublishers} publishers`);
    }
    const producer = await mediaCall(() =>
      transport.produce({ kind, rtpParameters: rtp_parameters as unknown as types.RtpParameters, appData: { participantId: participant.id, source } }),
    );
    await room.publish(participant, producer, source);
    return { producer_id: producer.id };
  },

  async close_producer({ participant, room }, { producer_id }) {
    ownProducer(participant, producer_id);
    await room.unpublish(producer_id);
    return {};
  },

  async pause_producer({ participant, room }, { producer_id }) {
    await ownProducer(participant, producer_id).producer.pause();
    room.trackChanged(producer_id);
    return {};
  },

  async resume_producer({ participant, room }, { producer_id }) {
    await ownProducer(participant, producer_id).producer.resume();
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
    const recv = [...participant.transports.values()].find((t) => t.direction === 'recv');
    if (!recv) throw new SignalingError('invalid_request', 'create a recv transport first');
    const rtpCapabilities = rtp_capabilities as unknown as types.RtpCapabilities;
    if (local && !room.media.origin.router.canConsume({ producerId: producer_id, rtpCapabilities })) {
      throw new SignalingError('media_error', 'your device cannot decode this track');
    }
    await mediaCall(() => room.media.attachConsumer(recv.slot, producer_id, remote ? { id: remote.router_id } : undefined));
    if (remote && !recv.slot.tier.router.canConsume({ producerId: producer_id, rtpCapabilities })) {
      room.media.detachConsumer(recv.slot, producer_id);
      throw new SignalingError('media_error', 'your device cannot decode this track');
    }
    let consumer: types.Consumer;
    try {
      consumer = await recv.transport.consume({ producerId: producer_id, rtpCapabilities, paused: true, appData: { participantId: participant.id } });
    } catch (err) {
      room.media.detachConsumer(recv.slot, producer_id);
      throw mediaError(err);
    }
    participant.consumers.set(consumer.id, { consumer, producerId: producer_id, slot: recv.slot });
    const release = () => {
      if (!participant.consumers.delete(consumer.id)) return;
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
    await ownConsumer(participant, consumer_id).consumer.resume();
    return {};
  },

  async pause_consumer({ participant }, { consumer_id }) {
    await ownConsumer(participant, consumer_id).consumer.pause();
    return {};
  },

  async set_preferred_layers({ participant }, { consumer_id, spatial_layer, temporal_layer }) {
    const { consumer } = ownConsumer(participant, consumer_id);
    await mediaCall(() => consumer.setPreferredLayers({ spatialLayer: spatial_layer, ...(temporal_layer !== undefined ? { temporalLayer: temporal_layer } : {}) }));
    return {};
  },
};
