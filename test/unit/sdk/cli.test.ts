import { describe, expect, it } from 'vitest';
import { runCli } from '../../../sdk/node/cli.js';

// Only usage errors here: they are caught before any request. Commands against a real node are in
// test/integration/sdk/sdk-node.test.ts.
async function cli(argv: string[], env: Record<string, string> = { LEVELCHAT_API_KEY: 'lc_pk_abcdefgh.0123456789abcdef', LEVELCHAT_API_URL: 'http://127.0.0.1:9' }) {
  let out = '';
  let err = '';
  const code = await runCli(argv, env, { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } });
  return { code, out, err };
}

describe('levelchat usage', () => {
  it('prints the usage on stdout for help, --help and -h', async () => {
    for (const argv of [['help'], ['--help'], ['rooms', 'create', '-h']]) {
      const r = await cli(argv, {});
      expect(r).toMatchObject({ code: 0, err: '' });
      expect(r.out).toMatch(/^Usage: levelchat <command>/);
    }
  });

  it.each([
    [[], 'missing command'],
    [['frob'], 'unknown command "frob"'],
    [['rooms', 'frob'], 'unknown command "rooms frob"'],
    [['rooms', 'get'], 'rooms get takes <room_id>'],
    [['kick', 'r_a'], 'kick takes <room_id> <identity>'],
    [['keys', 'list', 'extra'], 'keys list takes no arguments'],
    [['rooms', 'get', 'r_a', '--cap', 'chat:send'], "Unknown option '--cap'"],
    [['rooms', 'create', '--max-participants', 'lots'], '--max-participants must be a whole number, got "lots"'],
    [['token', 'r_a', '--ttl', '-5'], "Option '--ttl' argument is ambiguous"],
    [['token', 'r_a', '--ttl=-5'], '--ttl must be a whole number, got "-5"'],
  ])('%j exits 2 with "%s" and the usage', async (argv, message) => {
    const r = await cli(argv);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain(`levelchat: ${message}`);
    expect(r.err).toContain('Usage: levelchat');
  });

  it('says how to pass the API key when there is none', async () => {
    const r = await cli(['rooms', 'list'], { LEVELCHAT_API_KEY: '' });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^levelchat: no API key: set LEVELCHAT_API_KEY or pass --api-key/);
  });
});
