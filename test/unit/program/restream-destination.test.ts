import { describe, expect, it } from 'vitest';
import { dialDestination, RestreamDestinationError } from '../../../src/program/restream-destination.js';
import { DestinationGuard, type Resolver } from '../../../src/webhooks/destination-guard.js';

// DNS as the test plays it: a public name, and one that points into our network.
const dns: Record<string, string[]> = { 'live.example.com': ['203.0.114.7'], 'inside.example.com': ['10.0.0.5'], 'mixed.example.com': ['203.0.114.7', '127.0.0.1'] };
const resolver: Resolver = async (host) => (dns[host] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
const guard = new DestinationGuard({ allowPrivate: false, resolver });

describe('restream destinations', () => {
  it('dial the checked address for RTMP (the name kept in tcUrl) and SRT, the name for RTMPS', async () => {
    expect(await dialDestination('rtmp://live.example.com/live2/secret-key', guard)).toEqual({
      target: 'rtmp://203.0.114.7/live2/secret-key',
      format: 'flv',
      outputOptions: ['-rtmp_tcurl', 'rtmp://live.example.com/live2'],
    });
    expect(await dialDestination('srt://live.example.com:9000?streamid=abc', guard)).toEqual({ target: 'srt://203.0.114.7:9000?streamid=abc', format: 'mpegts', outputOptions: [] });
    expect((await dialDestination('rtmps://live.example.com:443/app/key', guard)).target).toBe('rtmps://live.example.com:443/app/key');
  });

  it('refuse loopback, private, link-local, metadata and mixed answers, and other schemes', async () => {
    for (const url of [
      'rtmp://127.0.0.1/live/k',
      'rtmp://[::1]/live/k',
      'srt://10.1.2.3:9000',
      'rtmp://169.254.169.254/latest/k',
      'rtmp://192.168.1.1/live/k',
      'rtmp://[::ffff:127.0.0.1]/live/k',
      'rtmps://inside.example.com/live/k',
      'rtmp://mixed.example.com/live/k',
      'rtmp://nowhere.example.com/live/k',
      'http://live.example.com/x',
      'file:///etc/passwd',
    ]) {
      await expect(dialDestination(url, guard), url).rejects.toBeInstanceOf(RestreamDestinationError);
    }
  });

  it('let private destinations through only when allowed (development)', async () => {
    const open = new DestinationGuard({ allowPrivate: true, resolver });
    expect((await dialDestination('rtmp://127.0.0.1:1935/live/k', open)).target).toBe('rtmp://127.0.0.1:1935/live/k');
  });
});
