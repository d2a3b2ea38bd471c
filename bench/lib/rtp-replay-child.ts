// The RTP replay sender (a child process of bench/lib/rtp-replay.ts, so it can be pinned to the load
// generator's CPUs): sends every packet of a recording at its recorded time, stream i to 127.0.0.1 and
// the i-th port given, each stream from a socket of its own (RTP and RTCP from different ports, as
// ffmpeg sends). Exits when the recording ends.
//
//   node rtp-replay-child.js <recording> <video port> <video rtcp port> <audio port> <audio rtcp port>
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { readRecording, STREAMS } from './rtp-recording.js';

const [file, ...portArgs] = process.argv.slice(2);
const ports = portArgs.map(Number);
if (!file || ports.length !== STREAMS.length || ports.some((p) => !Number.isInteger(p) || p <= 0)) {
  process.stderr.write(`usage: rtp-replay-child <recording> ${STREAMS.map((s) => `<${s} port>`).join(' ')}\n`);
  process.exit(2);
}
const { packets } = readRecording(file);
const sockets = await Promise.all(
  STREAMS.map(
    () =>
      new Promise<dgram.Socket>((resolve) => {
        const s = dgram.createSocket('udp4');
        s.bind(0, '127.0.0.1', () => resolve(s));
      }),
  ),
);
process.stdin.on('end', () => process.exit(0)); // the bench went away
process.stdin.resume();
process.stdout.write('sending\n');

const t0 = performance.now();
let next = 0;
function tick(): void {
  const nowUs = (performance.now() - t0) * 1000;
  while (next < packets.length && packets[next]!.tUs <= nowUs) {
    const p = packets[next]!;
    sockets[p.stream]!.send(p.data, ports[p.stream]!, '127.0.0.1');
    next += 1;
  }
  if (next >= packets.length) {
    // Let the last sends leave before exiting.
    setTimeout(() => process.exit(0), 100);
    return;
  }
  // Timers fire at ~1 ms granularity: a frame's packets leave together, as the encoder sent them.
  setTimeout(tick, Math.max(0, Math.min(1, (packets[next]!.tUs - nowUs) / 1000)));
}
tick();
