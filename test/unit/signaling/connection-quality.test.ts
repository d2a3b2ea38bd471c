import { describe, expect, it } from 'vitest';
import { connectionQuality, mean } from '../../../src/signaling/connection-quality.js';
import type { Participant } from '../../../src/signaling/participant.js';

type Stream = { getStats(): Promise<object[]> };
const reporting = (...stats: object[]): Stream => ({ getStats: async () => stats });

/** A participant whose consumers and producers report these RTCP stats. */
function participantWith(consumers: Stream[], producers: Stream[]): Participant {
  return {
    id: 'p_1',
    media: {
      consumers: new Map(consumers.map((consumer, i) => [`c${i}`, { consumer }])),
      producers: new Map(producers.map((producer, i) => [`pr${i}`, { producer }])),
    },
  } as unknown as Participant;
}

describe('connection quality', () => {
  it('averages rtt over downlink and uplink, and reports the worst loss', async () => {
    const p = participantWith([reporting({ roundTripTime: 0.1, fractionLost: 0 }), reporting({ roundTripTime: 0.2 })], [reporting({ roundTripTime: 0.3, fractionLost: 64 })]);
    expect(await connectionQuality(p)).toEqual({ participant_id: 'p_1', rtt: 0.2, fraction_lost: 0.25 });
  });

  it('reports nothing it did not measure, and skips zero rtts (no RTCP yet) and failing streams', async () => {
    const failing: Stream = { getStats: () => Promise.reject(new Error('closed')) };
    const p = participantWith([reporting({ roundTripTime: 0 }), failing], []);
    expect(await connectionQuality(p)).toEqual({ participant_id: 'p_1', rtt: null, fraction_lost: null });
  });

  it('rounds means to 3 decimals', () => {
    expect(mean([])).toBeNull();
    expect(mean([0.1, 0.2, 0.2])).toBe(0.167);
  });
});
