import type { types } from 'mediasoup';
import { consumerCapabilities } from '../../sfu/consumer-capabilities.js';
import type { LiveRoom } from '../live-room.js';
import type { Participant } from '../participant.js';
import type { SignalingServices } from '../features/feature.js';
import { createWebRtcTransport } from '../webrtc-transport.js';
import { isRtx, sameCodec, usableFeedback } from './codec-match.js';
import { sameMime, type ProgramFeed } from './program-feed.js';
import type { Kind, LaneCodec, ProgramLane } from './program-lane.js';
import { clientDtlsRole, writeAnswer, type AnsweredMedia } from './sdp-answer.js';
import type { OfferCodec, OfferMedia, SdpOffer } from './sdp-offer.js';
import { SessionRefusal } from './session-refusal.js';

interface Chosen {
  media: OfferMedia;
  offered: OfferCodec;
  lane: LaneCodec;
}

export interface PlaybackContext {
  room: LiveRoom;
  participant: Participant;
  rtc: SignalingServices['rtc'];
  feed: ProgramFeed;
}

/**
 * A WHEP player's media: a seat on the lane of its codecs and a transport there, with one
 * consumer per kind of the room's on-air program. Closing it gives the seat back.
 */
export class WhepPlayback {
  #closed = false;

  private constructor(
    private readonly feed: ProgramFeed,
    readonly lane: ProgramLane,
    readonly transport: types.WebRtcTransport,
    /** The video codec the player receives (the program must stay on it). */
    readonly videoMimeType: string | undefined,
  ) {}

  /** Answers a WHEP offer; nothing stays made when it cannot be answered. */
  static async start(ctx: PlaybackContext, offer: SdpOffer): Promise<{ playback: WhepPlayback; answer: string }> {
    await ctx.feed.refresh();
    const chosen = choose(ctx, offer);
    const lane = await ctx.feed.join(Object.fromEntries([...chosen.values()].map((c) => [c.lane.kind, c.lane])));
    let transport: types.WebRtcTransport | undefined;
    try {
      transport = await createWebRtcTransport(lane.router, ctx.rtc, { participantId: ctx.participant.id, direction: 'recv', whep: true });
      await transport.connect({ dtlsParameters: { role: clientDtlsRole(offer), fingerprints: offer.dtls.fingerprints as types.DtlsFingerprint[] } });
      const answered: AnsweredMedia[] = [];
      for (const m of offer.media) {
        const c = chosen.get(m.mid);
        answered.push(c ? await consume(transport, lane, c, ctx.room.id) : { accepted: false });
      }
      const playback = new WhepPlayback(ctx.feed, lane, transport, chosen.get(videoMid(chosen))?.lane.mimeType);
      return { playback, answer: writeAnswer(offer, answered, transport) };
    } catch (err) {
      transport?.close();
      ctx.feed.leave(lane);
      throw err;
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.transport.close();
    this.feed.leave(this.lane);
  }
}

function videoMid(chosen: Map<string, Chosen>): string {
  return [...chosen.values()].find((c) => c.lane.kind === 'video')?.media.mid ?? '';
}

async function consume(transport: types.WebRtcTransport, lane: ProgramLane, c: Chosen, roomId: string): Promise<AnsweredMedia> {
  const producer = lane.producer(c.lane.kind)!;
  const kind = c.lane.kind;
  // The lane's producers have one encoding each, so the player gets no bandwidth estimate
  // (consumerCapabilities): its answer leaves out the transport-cc / goog-remb feedback and (from the
  // consumer's parameters) the transport-wide-cc / abs-send-time extensions, so it sends neither.
  const caps = consumerCapabilities(producer, {
    codecs: [
      {
        kind,
        mimeType: c.offered.mimeType,
        clockRate: c.offered.clockRate,
        ...(c.offered.channels !== undefined && kind === 'audio' ? { channels: c.offered.channels } : {}),
        preferredPayloadType: c.offered.payloadType,
        parameters: c.offered.parameters,
        rtcpFeedback: usableFeedback(c.offered),
      },
    ],
    headerExtensions: c.media.headerExtensions.map((e) => ({ kind, uri: e.uri, preferredId: e.id, direction: 'sendrecv' as const })),
  });
  const consumer = await transport.consume({ producerId: producer.id, rtpCapabilities: caps });
  const ssrc = consumer.rtpParameters.encodings?.[0]?.ssrc;
  const rtcpFeedback = (caps.codecs?.[0]?.rtcpFeedback ?? []).map((fb) => ({ type: fb.type, parameter: fb.parameter ?? '' }));
  return {
    accepted: true,
    direction: 'sendonly',
    codecs: [{ ...c.offered, rtcpFeedback }],
    headerExtensions: (consumer.rtpParameters.headerExtensions ?? []).map((e) => ({ id: e.id, uri: e.uri })),
    ...(ssrc ? { sends: { ssrc, cname: consumer.rtpParameters.rtcp?.cname ?? 'levelchat', streamId: `levelchat-${roomId}`, trackId: kind } } : {}),
  };
}

/**
 * The player's codec per kind: for video the one on air (or last on air), else the room's
 * preferred one, else the first the player offers that the room has; for audio Opus.
 */
function choose(ctx: PlaybackContext, offer: SdpOffer): Map<string, Chosen> {
  const chosen = new Map<string, Chosen>();
  const reasons: string[] = [];
  const routerCodecs = (ctx.room.media.rtpCapabilities.codecs ?? []).filter((c) => !isRtx(c.mimeType));
  for (const media of offer.media) {
    if (media.kind === 'other' || [...chosen.values()].some((c) => c.lane.kind === media.kind)) continue;
    if (media.direction !== 'recvonly' && media.direction !== 'sendrecv') {
      reasons.push(`m-line ${media.mid} does not receive`);
      continue;
    }
    const kind: Kind = media.kind;
    const pairs = media.codecs.flatMap((offered) => routerCodecs.filter((r) => r.kind === kind && sameCodec(offered, r)).map((router) => ({ offered, router })));
    // The room router lists its preferred video codec first (media-codecs.ts).
    const wanted = kind === 'video' ? (ctx.feed.videoMimeType ?? routerCodecs.find((r) => r.kind === 'video')?.mimeType) : undefined;
    const pair = (wanted && pairs.find((p) => sameMime(p.router.mimeType, wanted))) || (kind === 'video' && ctx.feed.videoMimeType ? undefined : pairs[0]);
    if (!pair) {
      reasons.push(
        kind === 'video' && ctx.feed.videoMimeType && pairs.length
          ? `the video on air is ${ctx.feed.videoMimeType.split('/')[1]}, which m-line ${media.mid} does not offer`
          : `no ${kind} codec of m-line ${media.mid} (${media.codecs.map((c) => c.mimeType.split('/')[1]).join(', ') || 'none'}) is one the room sends`,
      );
      continue;
    }
    const { offered, router } = pair;
    chosen.set(media.mid, {
      media,
      offered,
      lane: {
        kind,
        mimeType: router.mimeType,
        payloadType: offered.payloadType,
        clockRate: router.clockRate,
        ...(router.channels ? { channels: router.channels } : {}),
        parameters: router.parameters ?? {},
      },
    });
  }
  if (chosen.size === 0) throw new SessionRefusal('sdp_unsupported', `the SDP offer cannot be accepted: ${reasons.join('; ') || 'it has no audio or video to receive'}`);
  return chosen;
}
