// The RTP replay sender (a child process of bench/lib/rtp-replay.ts, so it can be pinned to the load
// generator's CPUs): sends every packet of a recording at its recorded time, stream i to 127.0.0.1 and
// the i-th port given, each stream from a socket of its own (RTP and RTCP from different ports, as
// ffmpeg sends). It loops until stopped: each pass continues every stream where the last one ended
// (sequence numbers, RTP timestamps, and the sender reports' NTP and RTP times move on by one
// recording), so mediasoup sees one endless stream. A busy machine can stretch a bench row past any
// recording's length.
//
//   node rtp-replay-child.js <recording> <video port> <video rtcp port> <audio port> <audio rtcp port>
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { readRecording, STREAMS, type RecordedPacket } from './rtp-recording.js';

const [file, ...portArgs] = process.argv.slice(2);
const ports = portArgs.map(Number);
if (!file || ports.length !== STREAMS.length || ports.some((p) => !Number.isInteger(p) || p <= 0)) {
  process.stderr.write(`usage: rtp-replay-child <recording> ${STREAMS.map((s) => `<${s} port>`).join(' ')}\n`);
  process.exit(2);
}
const { header, packets } = readRecording(file);
const periodUs = header.durationMs * 1000;
const isRtcp = (p: RecordedPacket) => STREAMS[p.stream]!.endsWith('-rtcp');

/** Per SSRC, how far one pass moves its sequence numbers and RTP timestamps. */
const advance = new Map<number, { seq: number; ts: number }>();
for (const p of packets) {
  if (isRtcp(p)) continue;
  const ssrc = p.data.readUInt32BE(8);
  if (!advance.has(ssrc)) advance.set(ssrc, { seq: 0, ts: Math.round((periodUs / 1e6) * (header.clockRates?.[String(ssrc)] ?? 0)) });
  advance.get(ssrc)!.seq += 1; // consecutive per SSRC in a recording: one pass = its packet count
}
const canLoop = header.clockRates !== undefined;

/** The packet as pass `pass` sends it. */
function shifted(p: RecordedPacket, pass: number): Buffer {
  if (pass === 0) return p.data;
  const out = Buffer.from(p.data);
  if (!isRtcp(p)) {
    const a = advance.get(out.readUInt32BE(8))!;
    out.writeUInt16BE((out.readUInt16BE(2) + pass * a.seq) & 0xffff, 2);
    out.writeUInt32BE((out.readUInt32BE(4) + pass * a.ts) >>> 0, 4);
  } else if (out.length >= 20 && out[1] === 200) {
    // Sender report: NTP time (seconds.fraction) and RTP time of the same instant, moved on together.
    const a = advance.get(out.readUInt32BE(4));
    const ntp = out.readBigUInt64BE(8) + (BigInt(pass) * BigInt(periodUs) << 32n) / 1_000_000n;
    out.writeBigUInt64BE(ntp & 0xffffffffffffffffn, 8);
    if (a) out.writeUInt32BE((out.readUInt32BE(16) + pass * a.ts) >>> 0, 16);
  }
  return out;
}

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

/**
 * At most this many packets per timer tick: when this process was not scheduled for a while, the
 * overdue packets leave over a few ticks (a queue, as a network would give) instead of one burst
 * that would overflow the worker's ingress socket (~170 such packets fit its default buffer).
 */
const MAX_PER_TICK = 64;

const t0 = performance.now();
let pass = 0;
let next = 0;

/** Moves to the next pass at the end of the recording; false when the recording does not loop. */
function more(): boolean {
  if (next < packets.length) return true;
  if (!canLoop) return false;
  pass += 1;
  next = 0;
  return true;
}

function tick(): void {
  const nowUs = (performance.now() - t0) * 1000;
  for (let sent = 0; sent < MAX_PER_TICK && more(); sent += 1) {
    const p = packets[next]!;
    if (pass * periodUs + p.tUs > nowUs) break;
    sockets[p.stream]!.send(shifted(p, pass), ports[p.stream]!, '127.0.0.1');
    next += 1;
  }
  if (!more()) {
    setTimeout(() => process.exit(0), 100); // let the last sends leave
    return;
  }
  // Timers fire at ~1 ms granularity: a frame's packets leave together, as the encoder sent them.
  const dueUs = pass * periodUs + packets[next]!.tUs;
  setTimeout(tick, Math.max(0, Math.min(1, (dueUs - nowUs) / 1000)));
}
tick();
