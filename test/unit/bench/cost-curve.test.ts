import { describe, expect, it } from 'vitest';
import { capacities, capacityRatio, type CostPoint } from '../../../bench/lib/cost-curve.js';

const point = (transport: string, viewers: number, meanLoss: number): CostPoint => ({
  transport, setup: '1 worker', workers: 1, viewers, fwdPps: viewers * 258, cores: 1, perViewerPps: 258, meanLoss, maxLoss: meanLoss,
});

describe('capacity of a fan-out, from the N tried', () => {
  // Rows as sfu-fanout interleaves them (N ascending, both transports at each N).
  const rows = [
    point('plain', 950, 0), point('srtp-gcm128', 950, 0.0006),
    point('plain', 1000, 0), point('srtp-gcm128', 1000, 0.0092),
    point('plain', 1050, 0), point('srtp-gcm128', 1050, 0.1134),
    point('plain', 1100, 0.0129), point('srtp-gcm128', 1100, 0.2),
  ];

  it('is the largest N under 1% loss and the first N above it that lost more', () => {
    const [plain, srtp] = capacities(rows);
    expect([plain!.transport, plain!.held?.viewers, plain!.lost?.viewers]).toEqual(['plain', 1050, 1100]);
    expect([srtp!.transport, srtp!.held?.viewers, srtp!.lost?.viewers]).toEqual(['srtp-gcm128', 1000, 1050]);
  });

  it('bounds the ratio by the steps between the N tried', () => {
    const [plain, srtp] = capacities(rows);
    const ratio = capacityRatio(plain!, srtp!)!;
    expect(ratio.low).toBeCloseTo(1000 / 1100);
    expect(ratio.high).toBeCloseTo(1050 / 1050);
  });

  it('has no ratio when the base never lost (its capacity is unknown) or the other never held', () => {
    const [plain, srtp] = capacities(rows.filter((p) => p.viewers < 1100));
    expect(capacityRatio(plain!, srtp!)).toBeUndefined();
    const [base, never] = capacities([point('plain', 500, 0), point('plain', 600, 0.02), point('srtp', 500, 0.05)]);
    expect(never!.held).toBeUndefined();
    expect(capacityRatio(base!, never!)).toBeUndefined();
    // A loss below a held N does not count as its "lost" step (noise at a lower N).
    const [bumpy] = capacities([point('plain', 400, 0.02), point('plain', 500, 0), point('plain', 600, 0.03)]);
    expect([bumpy!.held?.viewers, bumpy!.lost?.viewers]).toEqual([500, 600]);
  });
});
