import { describe, expect, it } from 'vitest';
import { SocketGate } from '../../../src/signaling/socket-gate.js';
import type { SignalingError } from '../../../src/signaling/signaling-errors.js';

const refusal = (fn: () => unknown) => {
  try {
    fn();
    return 'admitted';
  } catch (err) {
    return (err as SignalingError).code;
  }
};

describe('SocketGate (per connecting address, per socket)', () => {
  const limits = { socketsPerAddress: 4, unjoinedPerAddress: 2, connectsPerSecond: 1, joinAttempts: 3 };
  const t0 = 1_000_000;

  it('holds an address to its unjoined share; joined sockets count towards the total only', () => {
    const gate = new SocketGate(limits);
    // A second apart: the connect rate is not what this test is about.
    let now = t0;
    const admit = (address = '10.0.0.1') => gate.admit(address, (now += 1000));
    const a = admit();
    admit();
    expect(refusal(() => admit())).toBe('too_many_connections');
    expect(refusal(() => admit('10.0.0.2'))).toBe('admitted');
    a.joined();
    admit().joined();
    admit();
    // 4 open (2 joined, 2 not): the total holds.
    expect(refusal(() => admit())).toBe('too_many_connections');
    a.release();
    // 3 open, 2 of them not joined: the unjoined share holds.
    expect(refusal(() => admit())).toBe('too_many_connections');
  });

  it('limits how fast an address opens sockets, so closing and reopening is no way round', () => {
    const gate = new SocketGate(limits);
    gate.admit('10.0.0.1', t0).release();
    gate.admit('10.0.0.1', t0).release();
    expect(refusal(() => gate.admit('10.0.0.1', t0))).toBe('too_many_connections');
    expect(refusal(() => gate.admit('10.0.0.1', t0 + 999))).toBe('too_many_connections');
    expect(refusal(() => gate.admit('10.0.0.1', t0 + 1000))).toBe('admitted');
  });

  it('counts join attempts per socket', () => {
    const ticket = new SocketGate(limits).admit('10.0.0.1', t0);
    for (let i = 0; i < 3; i += 1) ticket.attempt();
    expect(refusal(() => ticket.attempt())).toBe('too_many_join_attempts');
  });
});
