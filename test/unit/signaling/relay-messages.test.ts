import { describe, expect, it } from 'vitest';
import { RELAYED_EVENTS, nodeCountSchema, relayMessageSchema, remoteParticipantSchema, remoteTrackSchema } from '../../../src/signaling/relay-messages.js';

const participant = { id: 'p_1', identity: 'ann', name: null, metadata: null, hand_raised: false, on_stage: true };
const track = { producer_id: 'pr_1', participant_id: 'p_1', kind: 'video', source: 'camera', paused: false };

describe('relayed room events', () => {
  it('are the events every node sees; the ones each node derives or counts itself are not', () => {
    for (const e of ['participant-joined', 'track-published', 'chat', 'hand', 'stage', 'question', 'breakouts']) expect(RELAYED_EVENTS.has(e as never)).toBe(true);
    for (const e of ['promoted', 'room-ended', 'viewer-count', 'hand-queue', 'kicked', 'media-reset']) expect(RELAYED_EVENTS.has(e as never)).toBe(false);
  });

  it('check the data of each event against its protocol shape', () => {
    const message = (event: string, data: unknown) => ({ node: 'n1', room_id: 'r_a', event, data });
    expect(relayMessageSchema.safeParse(message('participant-joined', participant)).success).toBe(true);
    expect(relayMessageSchema.safeParse(message('track-published', track)).success).toBe(true);
    expect(relayMessageSchema.safeParse(message('active-speaker', { participant_id: null })).success).toBe(true);
    expect(relayMessageSchema.safeParse(message('breakouts', { open: false, rooms: [{ room_id: 'r_a.b1', number: 1, identities: ['ann'] }] })).success).toBe(true);
    expect(relayMessageSchema.safeParse(message('participant-joined', { ...participant, on_stage: 'yes' })).success).toBe(false);
    expect(relayMessageSchema.safeParse(message('track-published', { ...track, source: 'projector' })).success).toBe(false);
    expect(relayMessageSchema.safeParse(message('viewer-count', { count: 3 })).success).toBe(false);
    expect(relayMessageSchema.safeParse({ room_id: 'r_a', event: 'hand', data: { participant_id: 'p_1', raised: true } }).success).toBe(false);
  });
});

describe('presence entries and counts', () => {
  it('parse what the relay writes, and refuse what it does not', () => {
    expect(remoteParticipantSchema.parse({ node: 'n1', info: participant })).toEqual({ node: 'n1', info: participant });
    expect(remoteTrackSchema.parse({ node: 'n1', router_id: 'rt_1', info: track }).router_id).toBe('rt_1');
    expect(remoteTrackSchema.safeParse({ node: 'n1', info: track }).success).toBe(false);
    expect(remoteParticipantSchema.safeParse({ node: 'n1', info: { id: 'p_1' } }).success).toBe(false);
  });

  it('read per-node counts as integers', () => {
    expect(nodeCountSchema.parse('12')).toBe(12);
    expect(nodeCountSchema.parse('-1')).toBe(-1);
    expect(nodeCountSchema.safeParse('twelve').success).toBe(false);
    expect(nodeCountSchema.safeParse('1.5').success).toBe(false);
  });
});
