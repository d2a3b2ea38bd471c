import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Capability } from '../../../src/auth/capabilities.js';
import type { RoomGrant } from '../../../src/auth/room-token.js';
import { Participant, type ParticipantLink } from '../../../src/signaling/participant.js';

function grant(capabilities: Capability[], expiresInMs = 60_000): RoomGrant {
  return { roomId: 'r_a', identity: 'ann', name: 'Ann', capabilities, metadata: null, jti: 'j1', issuedAtMs: Date.now(), expiresAt: new Date(Date.now() + expiresInMs), keyId: 'k1' };
}

function link(): ParticipantLink & { frames: unknown[]; closed: [number, string] | null } {
  const l = {
    frames: [] as unknown[],
    closed: null as [number, string] | null,
    send: (frame: unknown) => void l.frames.push(frame),
    close: (code: number, reason: string) => void (l.closed = [code, reason]),
  };
  return l;
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('Participant connection', () => {
  it('sends events over its link, and nothing once detached', () => {
    const l = link();
    const p = new Participant(grant(['subscribe:all']), l);
    p.send('viewer-count', { count: 2 });
    expect(l.frames).toEqual([{ event: 'viewer-count', data: { count: 2 } }]);
    expect(p.detach()).toBe(l);
    p.send('viewer-count', { count: 3 });
    expect(l.frames).toHaveLength(1);
    expect(l.closed).toBeNull();
  });

  it('resumes on a new link within the window: the old link is closed, the timer stops, the grant is renewed', () => {
    const old = link();
    const p = new Participant(grant(['subscribe:all']), old);
    const expired = vi.fn();
    p.awaitResume(10_000, expired);
    expect(p.isReachedBy(old)).toBe(false);
    const fresh = link();
    const renewed = grant(['subscribe:all', 'chat:send']);
    p.resume(fresh, renewed);
    vi.advanceTimersByTime(20_000);
    expect(expired).not.toHaveBeenCalled();
    expect(p.isReachedBy(fresh)).toBe(true);
    expect(p.grant).toBe(renewed);
    expect(p.has('chat:send')).toBe(true);
  });

  it('closes a link still open when resumed elsewhere', () => {
    const first = link();
    const p = new Participant(grant([]), first);
    p.resume(link(), grant([]));
    expect(first.closed).toEqual([4000, 'resumed elsewhere']);
  });

  it('gives up after the resume window, unless it left the room first', () => {
    const p = new Participant(grant([]), link());
    const expired = vi.fn();
    p.awaitResume(10_000, expired);
    vi.advanceTimersByTime(10_000);
    expect(expired).toHaveBeenCalledTimes(1);
    const q = new Participant(grant([]), link());
    q.awaitResume(10_000, expired);
    q.close();
    vi.advanceTimersByTime(10_000);
    expect(expired).toHaveBeenCalledTimes(1);
  });

  it('disconnects for good with a code', () => {
    const l = link();
    const p = new Participant(grant([]), l);
    p.disconnect(4001, 'kicked');
    expect(l.closed).toEqual([4001, 'kicked']);
    expect(p.isReachedBy(l)).toBe(false);
  });
});

describe('Participant state', () => {
  it('goes on stage by invitation and back, on top of what its token grants', () => {
    const p = new Participant(grant(['subscribe:all']), link());
    expect([p.onStage, p.invitedOnStage, p.has('publish:camera')]).toEqual([false, false, false]);
    p.setInvitedOnStage(true);
    expect([p.onStage, p.invitedOnStage, p.has('publish:camera'), p.has('publish:screen')]).toEqual([true, true, true, true]);
    expect(p.info().on_stage).toBe(true);
    p.setInvitedOnStage(false);
    expect([p.onStage, p.invitedOnStage]).toEqual([false, false]);
  });

  it('tells whether a hand change changed anything', () => {
    const p = new Participant(grant(['hand:raise']), link());
    expect(p.setHandRaised(false)).toBe(false);
    expect(p.setHandRaised(true)).toBe(true);
    expect(p.setHandRaised(true)).toBe(false);
    expect(p.info().hand_raised).toBe(true);
  });

  it('enforces capabilities and token expiry at the moment of use', () => {
    const p = new Participant(grant(['chat:send'], 1000), link());
    expect(() => p.require('chat:send')).not.toThrow();
    expect(() => p.require('moderate:participants')).toThrow(expect.objectContaining({ code: 'capability_required' }));
    vi.advanceTimersByTime(1000);
    expect(() => p.require('chat:send')).toThrow(expect.objectContaining({ code: 'token_expired' }));
  });
});
