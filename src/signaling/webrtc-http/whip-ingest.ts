import type { types } from 'mediasoup';
import { SOURCE_CAPABILITIES } from '../../auth/capability-rules.js';
import type { HandlerContext } from '../features/feature.js';
import { mediaFeature } from '../features/media.js';
import type { MediaSource, TransportInfo } from '../protocol.js';
import { SignalingError } from '../signaling-errors.js';
import { planIngest, type IngestPlan } from './ingest-parameters.js';
import { clientDtlsRole, writeAnswer, type AnsweredMedia } from './sdp-answer.js';
import type { OfferMedia, SdpOffer } from './sdp-offer.js';
import { SessionRefusal } from './session-refusal.js';

/** What each kind of m-line publishes: a WHIP encoder is a camera and its microphone. */
const SOURCE_OF: Record<'audio' | 'video', MediaSource> = { audio: 'microphone', video: 'camera' };

interface Accepted {
  media: OfferMedia;
  plan: IngestPlan;
  source: MediaSource;
}

/**
 * Publishes a WHIP offer as the participant's tracks, through the same media feature an SDK
 * publisher uses (send transport on the room's origin, capability and stage checks, track events,
 * webhooks, LL-HLS on air): one audio and one video m-line at most; others are answered rejected.
 * Returns the SDP answer. On a refusal the caller removes the participant, which takes whatever
 * was made with it.
 */
export async function ingestOffer(ctx: HandlerContext, offer: SdpOffer): Promise<{ answer: string; transport: types.WebRtcTransport }> {
  const accepted = choose(ctx, offer);
  const { id } = (await mediaFeature.create_transport!(ctx, { direction: 'send' })) as TransportInfo;
  const { transport } = ctx.participant.media.transport(id);
  await mediaFeature.connect_transport!(ctx, {
    transport_id: id,
    dtls_parameters: { role: clientDtlsRole(offer), fingerprints: offer.dtls.fingerprints },
  });
  for (const a of accepted.values()) {
    await mediaFeature.produce!(ctx, {
      transport_id: id,
      kind: a.media.kind as 'audio' | 'video',
      rtp_parameters: a.plan.rtpParameters as unknown as Record<string, unknown>,
      source: a.source,
    });
  }
  const answered: AnsweredMedia[] = offer.media.map((m) => {
    const a = accepted.get(m.mid);
    if (!a) return { accepted: false };
    return { accepted: true, direction: 'recvonly', codecs: a.plan.answerCodecs, headerExtensions: a.plan.headerExtensions, rids: a.plan.rids };
  });
  return { answer: writeAnswer(offer, answered, transport), transport };
}

/** The m-lines we publish, by mid; refuses an offer of which nothing can be published. */
function choose(ctx: HandlerContext, offer: SdpOffer): Map<string, Accepted> {
  const accepted = new Map<string, Accepted>();
  const reasons: string[] = [];
  let forbidden: MediaSource | null = null;
  for (const media of offer.media) {
    if (media.kind === 'other') continue;
    if (media.direction !== 'sendonly' && media.direction !== 'sendrecv') {
      reasons.push(`m-line ${media.mid} does not send`);
      continue;
    }
    const source = SOURCE_OF[media.kind];
    if ([...accepted.values()].some((a) => a.source === source)) continue;
    if (!SOURCE_CAPABILITIES[source].some((c) => ctx.participant.has(c))) {
      forbidden ??= source;
      continue;
    }
    const plan = planIngest(media, ctx.room.media.rtpCapabilities);
    if (!plan) {
      reasons.push(`no ${media.kind} codec of m-line ${media.mid} (${media.codecs.map((c) => c.mimeType.split('/')[1]).join(', ') || 'none'}) is one the room takes (${routerCodecs(ctx, media.kind)})`);
      continue;
    }
    accepted.set(media.mid, { media, plan, source });
  }
  if (accepted.size > 0) return accepted;
  if (forbidden && reasons.length === 0) throw new SignalingError('capability_required', `publishing ${forbidden} needs ${SOURCE_CAPABILITIES[forbidden].join(' or ')}`);
  throw new SessionRefusal('sdp_unsupported', `the SDP offer cannot be accepted: ${reasons.join('; ') || 'nothing in it can be published with this token'}`);
}

function routerCodecs(ctx: HandlerContext, kind: 'audio' | 'video'): string {
  return (ctx.room.media.rtpCapabilities.codecs ?? [])
    .filter((c) => c.kind === kind && !c.mimeType.endsWith('/rtx'))
    .map((c) => c.mimeType.split('/')[1])
    .join(', ');
}
