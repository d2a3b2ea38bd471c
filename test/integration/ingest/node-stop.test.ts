// A node that stops takes its encoder endpoints with it: the RTMP port closes, SRT listeners free
// their UDP ports, connected encoders are cut off and no ffmpeg of the node is left running.
import { randomInt } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { startTestEncoder } from '../../../bench/lib/test-encoder.js';
import { waitFor } from '../../../bench/lib/wait.js';
import { waitUntilBound } from '../../../pipeline/ingest/udp-ports.js';
import { readJson, startTestStack } from '../../helpers/test-stack.js';

/** ffmpeg processes this test process started, directly or through its stack. */
function ffmpegChildren(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        const ppid = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
        return ppid === process.pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('ffmpeg');
      } catch {
        return false;
      }
    })
    .map(Number);
}

const refused = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });

describe('node stop', () => {
  it('closes the RTMP port and the SRT listeners, and cuts encoders off', async () => {
    const srtMin = 36000 + randomInt(0, 200) * 20;
    const t = await startTestStack({ env: { LEVELCHAT_SRT_MIN_PORT: String(srtMin), LEVELCHAT_SRT_MAX_PORT: String(srtMin + 4) } });
    await t.api('/v1/rooms', { method: 'POST', json: { external_id: 'stopping', type: 'broadcast' } });
    const rtmp = await readJson(await t.api('/v1/rooms/r_stopping/ingests', { method: 'POST', json: { protocol: 'rtmp' } }));
    const srt = await readJson(await t.api('/v1/rooms/r_stopping/ingests', { method: 'POST', json: { protocol: 'srt' } }));
    const rtmpPort = Number(new URL(rtmp.url.replace(/^rtmp:/, 'http:')).port);
    const srtPort = Number(srt.url.split(':').pop());
    expect(await waitUntilBound([srtPort], 5000)).toBe(true);

    const encoder = startTestEncoder({ url: rtmp.publish_url });
    await waitFor(async () => (await readJson(await t.api(`/v1/rooms/r_stopping/ingests/${rtmp.id}`))).state === 'live', { timeoutMs: 20_000, what: 'live' });
    await t.stop();

    expect(await encoder.exited).not.toBe(0);
    expect(await refused(rtmpPort)).toBe(true);
    expect(await waitUntilBound([srtPort], 200)).toBe(false);
    await waitFor(() => ffmpegChildren().length === 0, { timeoutMs: 5000, what: 'no ffmpeg left' });
  }, 60_000);
});
