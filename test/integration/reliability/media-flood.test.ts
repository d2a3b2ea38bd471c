// Issue 17, row 1: one participant floods the SFU over signaling. Before: frames were handled
// concurrently and the one-transport-per-direction check ran before the first await, so 20 parallel
// create_transport made 17 transports (an audience token 20 receive transports), each taking ports
// of the worker's slice; producers and consumers per participant had no bound (10 of 10 producers,
// 20 consumers of one producer), and a transport finished after its participant left stayed open.
import { describe, expect, it } from 'vitest';
import { useRoomJoiner } from '../../helpers/room-joiner.js';
import type { SignalingTestClient } from '../../helpers/signaling-client.js';
import { useTestStack } from '../../helpers/test-stack.js';
import { waitFor } from '../../../bench/lib/wait.js';

const { t } = useTestStack();
const { joined } = useRoomJoiner(t);

const VP8 = {
  codecs: [{ mimeType: 'video/VP8', payloadType: 101, clockRate: 90000, rtcpFeedback: [{ type: 'nack' }] }],
  encodings: [{ ssrc: 11111111 }],
  rtcp: { cname: 'flood' },
};
const OPUS = { codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 }], rtcp: { cname: 'flood' } };


/** Transports and consumers the room's routers hold, as mediasoup itself counts them. */
async function routerCounts(roomId: string): Promise<{ transports: number; consumers: number; producers: number }> {
  const live = t.stack.liveRooms.rooms.get(roomId);
  if (!live) return { transports: 0, consumers: 0, producers: 0 };
  const dumps = await Promise.all(live.media.allTiers.map((tier) => tier.router.dump()));
  let transports = 0;
  let consumers = 0;
  let producers = 0;
  for (const d of dumps) {
    transports += d.transportIds.length;
    consumers += Object.keys(d.mapConsumerIdProducerId).length;
    producers += Object.keys(d.mapProducerIdConsumerIds).length;
  }
  return { transports, consumers, producers };
}

/** Sends `n` requests at once (no await in between) and counts the answers by code. */
async function flood(c: SignalingTestClient, n: number, method: string, data: unknown | ((i: number) => unknown)): Promise<Record<string, number>> {
  const answers = await Promise.all(Array.from({ length: n }, (_, i) => c.request(method, typeof data === 'function' ? data(i) : data)));
  const counts: Record<string, number> = {};
  for (const a of answers) {
    const key = a.ok ? 'ok' : a.error!.code;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

describe('one participant flooding the SFU over signaling', () => {
  it('20 parallel create_transport give one send and one receive transport; the rest media_limit', async () => {
    const pub = await joined('r_flood-transports', 'pub', ['publish:camera', 'subscribe:all']);
    const viewer = await joined('r_flood-transports', 'viewer', ['subscribe:all']);
    expect(await flood(pub.c, 20, 'create_transport', { direction: 'send' })).toEqual({ ok: 1, media_limit: 19 });
    expect(await flood(pub.c, 20, 'create_transport', { direction: 'recv' })).toEqual({ ok: 1, media_limit: 19 });
    // An audience token: one receive transport, however it asks.
    expect(await flood(viewer.c, 20, 'create_transport', { direction: 'recv' })).toEqual({ ok: 1, media_limit: 19 });
    expect(await flood(viewer.c, 5, 'create_transport', { direction: 'send' })).toEqual({ capability_required: 5 });
    expect((await routerCounts('r_flood-transports')).transports).toBe(3);
  });

  it('producers: one per source the capabilities allow, also when asked 10 times at once', async () => {
    const pub = await joined('r_flood-producers', 'pub', ['publish:camera']);
    const send = await pub.c.ok('create_transport', { direction: 'send' });
    // Each with an SSRC of its own, so mediasoup itself would take them all.
    const camera = (i: number) => ({ transport_id: send.id, kind: 'video', source: 'camera', rtp_parameters: { ...VP8, encodings: [{ ssrc: 1000 + i }] } });
    const microphone = (i: number) => ({ transport_id: send.id, kind: 'audio', source: 'microphone', rtp_parameters: { ...OPUS, encodings: [{ ssrc: 2000 + i }] } });
    expect(await flood(pub.c, 10, 'produce', camera)).toEqual({ ok: 1, media_limit: 9 });
    expect(await flood(pub.c, 10, 'produce', microphone)).toEqual({ ok: 1, media_limit: 9 });
    expect(await pub.c.errorCode('produce', { transport_id: send.id, kind: 'video', source: 'screen', rtp_parameters: VP8 })).toBe('capability_required');
    expect((await routerCounts('r_flood-producers')).producers).toBe(2);
    // Closing a producer frees its source.
    const live = t.stack.liveRooms.rooms.get('r_flood-producers')!;
    const cameraId = [...live.tracks.values()].find((track) => track.source === 'camera')!.producer.id;
    await pub.c.ok('close_producer', { producer_id: cameraId });
    await pub.c.ok('produce', camera(10));
    expect((await routerCounts('r_flood-producers')).producers).toBe(2);
  });

  it('consumers: one per track, so never more than the room has tracks (20 consumes of one producer give 1)', async () => {
    const pub = await joined('r_flood-consumers', 'pub', ['publish:camera']);
    const send = await pub.c.ok('create_transport', { direction: 'send' });
    const { producer_id } = await pub.c.ok('produce', { transport_id: send.id, kind: 'video', source: 'camera', rtp_parameters: VP8 });
    const viewer = await joined('r_flood-consumers', 'viewer', ['subscribe:all']);
    await viewer.c.ok('create_transport', { direction: 'recv' });
    const consume = { producer_id, rtp_capabilities: viewer.result.router_rtp_capabilities };
    expect(await flood(viewer.c, 20, 'consume', consume)).toEqual({ ok: 1, media_limit: 19 });
    expect((await routerCounts('r_flood-consumers')).consumers).toBe(1);
    const participant = t.stack.liveRooms.rooms.get('r_flood-consumers')!.participants.get(viewer.id)!;
    expect(participant.media.consumers.size).toBe(1);
  });

  it('nothing leaks: transports still being made when their participant leaves are closed', async () => {
    const keeper = await joined('r_flood-leak', 'keeper', ['subscribe:all']);
    const baseline = await routerCounts('r_flood-leak');
    for (let round = 0; round < 5; round += 1) {
      const c = (await joined('r_flood-leak', `leaver-${round}`, ['publish:camera', 'subscribe:all'])).c;
      // No await in between: the leave is handled while the transports are being made.
      const made = [c.request('create_transport', { direction: 'recv' }), c.request('create_transport', { direction: 'send' })];
      c.ws.send(JSON.stringify({ id: 999, method: 'leave', data: {} }));
      await Promise.allSettled(made);
      await c.waitClosed();
    }
    await waitFor(async () => (await routerCounts('r_flood-leak')).transports === baseline.transports, { timeoutMs: 3000, what: 'transports back to the baseline' });
    expect(t.stack.liveRooms.rooms.get('r_flood-leak')!.participants.size).toBe(1);
    keeper.c.close();
  });
});
