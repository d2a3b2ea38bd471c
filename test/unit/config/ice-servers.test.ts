import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, iceServersFor, loadConfig } from '../../../src/config.js';

// One home for ICE servers: the fixed ones (LEVELCHAT_ICE_SERVERS with LEVELCHAT_TURN_USERNAME /
// CREDENTIAL) and TURN servers with per-client credentials (LEVELCHAT_TURN_URLS, _SECRET, _TTL_S),
// handed out by iceServersFor to join answers and WHIP/WHEP Link headers alike.
const SECRET = '0123456789abcdef0123';
const NOW = Date.UTC(2026, 0, 1);

describe('ICE servers (LEVELCHAT_ICE_SERVERS, LEVELCHAT_TURN_*)', () => {
  it('has none by default', () => {
    const config = loadConfig({});
    expect(config.turn).toBeNull();
    expect(iceServersFor(config, 'alice')).toEqual([]);
  });

  it('makes TURN REST API credentials per identity: username <expiry>:<identity>, credential base64(HMAC-SHA1(secret, username))', () => {
    const config = loadConfig({ LEVELCHAT_TURN_SECRET: SECRET, LEVELCHAT_TURN_URLS: 'turn:turn.example.com:3478?transport=udp, turns:turn.example.com:5349', LEVELCHAT_TURN_TTL_S: '600' });
    const servers = iceServersFor(config, 'alice', NOW);
    const username = `${NOW / 1000 + 600}:alice`;
    const credential = createHmac('sha1', SECRET).update(username).digest('base64');
    expect(servers).toEqual([
      { url: 'turn:turn.example.com:3478?transport=udp', username, credential },
      { url: 'turns:turn.example.com:5349', username, credential },
    ]);
    expect(iceServersFor(config, 'bob', NOW)[0]!.username).toBe(`${NOW / 1000 + 600}:bob`);
    expect(loadConfig({ LEVELCHAT_TURN_SECRET: SECRET, LEVELCHAT_TURN_URLS: 'turn:t:3478' }).turn!.ttlS).toBe(86400);
  });

  it('puts the fixed servers first, their TURN ones with the fixed credentials', () => {
    const config = loadConfig({
      LEVELCHAT_ICE_SERVERS: 'stun:stun.example.com:3478,turn:old.example.com:3478',
      LEVELCHAT_TURN_USERNAME: 'u',
      LEVELCHAT_TURN_CREDENTIAL: 'p',
      LEVELCHAT_TURN_SECRET: SECRET,
      LEVELCHAT_TURN_URLS: 'turn:new.example.com:3478',
    });
    const servers = iceServersFor(config, 'alice', NOW);
    expect(servers.slice(0, 2)).toEqual([{ url: 'stun:stun.example.com:3478' }, { url: 'turn:old.example.com:3478', username: 'u', credential: 'p' }]);
    expect(servers[2]).toMatchObject({ url: 'turn:new.example.com:3478', username: `${NOW / 1000 + 86400}:alice` });
  });

  it.each([
    [{ LEVELCHAT_TURN_SECRET: SECRET }, 'LEVELCHAT_TURN_URLS'],
    [{ LEVELCHAT_TURN_URLS: 'turn:t:3478' }, 'LEVELCHAT_TURN_SECRET'],
    [{ LEVELCHAT_TURN_SECRET: 'short', LEVELCHAT_TURN_URLS: 'turn:t:3478' }, 'LEVELCHAT_TURN_SECRET'],
    [{ LEVELCHAT_TURN_SECRET: SECRET, LEVELCHAT_TURN_URLS: 'stun:t:3478' }, 'LEVELCHAT_TURN_URLS'],
    [{ LEVELCHAT_TURN_SECRET: SECRET, LEVELCHAT_TURN_URLS: 'turn:t:3478', LEVELCHAT_TURN_TTL_S: '10' }, 'LEVELCHAT_TURN_TTL_S'],
  ])('refuses %j, naming %s', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(variable));
  });
});
