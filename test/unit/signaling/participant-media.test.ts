import { describe, expect, it, vi } from 'vitest';
import { ParticipantMedia, type OwnConsumer, type OwnTransport } from '../../../src/signaling/participant-media.js';
import { SignalingError } from '../../../src/signaling/signaling-errors.js';

const transport = (id: string, direction: 'send' | 'recv') => ({ transport: { id }, direction, slot: {} }) as unknown as OwnTransport;
const consumer = (id: string, producerId: string) => ({ consumer: { id }, producerId, slot: {} }) as unknown as OwnConsumer;

/** A promise settled from outside: what is being made stays in flight until the test says. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

const code = (p: Promise<unknown>) => p.then(() => 'ok', (e: SignalingError) => e.code);

describe('ParticipantMedia limits', () => {
  it('takes the place before the first await: requests racing the first are refused with media_limit', async () => {
    const media = new ParticipantMedia();
    const making = deferred<OwnTransport>();
    const first = media.addTransport('send', () => making.promise, vi.fn());
    const racing = await Promise.all(Array.from({ length: 5 }, () => code(media.addTransport('send', async () => transport('x', 'send'), vi.fn()))));
    expect(racing).toEqual(Array(5).fill('media_limit'));
    making.resolve(transport('t1', 'send'));
    await first;
    expect([...media.transports.keys()]).toEqual(['t1']);
    // The other direction is a place of its own.
    await media.addTransport('recv', async () => transport('t2', 'recv'), vi.fn());
    expect(media.recvTransport?.transport.id).toBe('t2');
  });

  it('gives the place back when making fails', async () => {
    const media = new ParticipantMedia();
    await expect(media.addConsumer('pr1', () => Promise.reject(new SignalingError('media_error', 'no')), vi.fn())).rejects.toThrow('no');
    await media.addConsumer('pr1', async () => consumer('c1', 'pr1'), vi.fn());
    expect(await code(media.addConsumer('pr1', async () => consumer('c2', 'pr1'), vi.fn()))).toBe('media_limit');
    // A closed consumer frees its producer.
    media.dropConsumer('c1');
    await media.addConsumer('pr1', async () => consumer('c3', 'pr1'), vi.fn());
    expect([...media.consumers.keys()]).toEqual(['c3']);
  });

  it('disposes of what was made after the participant left, and refuses anything new', async () => {
    const media = new ParticipantMedia();
    const making = deferred<OwnTransport>();
    const dispose = vi.fn();
    const late = code(media.addTransport('recv', () => making.promise, dispose));
    media.end();
    const made = transport('t1', 'recv');
    making.resolve(made);
    expect(await late).toBe('media_error');
    expect(dispose).toHaveBeenCalledWith(made);
    expect(media.transports.size).toBe(0);
    expect(await code(media.addTransport('send', async () => transport('t2', 'send'), vi.fn()))).toBe('not_joined');
  });

  it('after a media reset, what was being made on the old media is disposed of; new requests go through', async () => {
    const media = new ParticipantMedia();
    await media.addTransport('recv', async () => transport('old', 'recv'), vi.fn());
    const making = deferred<OwnTransport>();
    const dispose = vi.fn();
    const late = code(media.addTransport('send', () => making.promise, dispose));
    expect(media.reset().transports.map((t) => t.transport.id)).toEqual(['old']);
    // A new send transport on the new media, while the old request is still in flight.
    await media.addTransport('send', async () => transport('new', 'send'), vi.fn());
    making.resolve(transport('stale', 'send'));
    expect(await late).toBe('media_error');
    expect(dispose).toHaveBeenCalledOnce();
    expect([...media.transports.keys()]).toEqual(['new']);
  });
});
