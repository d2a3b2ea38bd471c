// Bench: what SRTP costs per packet, crypto only, for each suite mediasoup 3.12 offers: srtp_protect()
// on RTP packets of the fan-out feed's size (1,200-byte packets) with the libsrtp2 the worker links
// (2.5.0 on the static OpenSSL 3.5, both built by the set-up into .cache/), with the same libsrtp2 source
// on Debian's OpenSSL 3.0 when libssl-dev is installed, and, when Debian's libsrtp2-dev is installed,
// with Debian's libsrtp2 (the same 2.5.0 on NSS) for comparison. One process per library and session
// count, the fastest of three rounds per suite (bench/lib/srtp-protect.c): 1 session (everything
// stays in cache), BENCH_SESSIONS (300: packets round-robin over 300 sessions with their own keys,
// as a fan-out sends one packet to every viewer transport in turn), and the same sessions in a
// worker's cache conditions: visited in shuffled order, BENCH_BETWEEN_KB (64) of other memory written
// between two packets, as the kernel's UDP send does between two viewers; only srtp_protect() timed.
// The last column is the same with BENCH_STREAMS (20) SSRCs per session, a WebRTC viewer in a meeting
// of ~10 (one stream per consumer it is sent), its packets taking them in turn: what finding a
// packet's stream costs (the set-up's libsrtp2 keeps them in arrays, scripts/setup/libsrtp-stream-list.c;
// 2.5.0's own list is linked). BENCH_LIBSRTP_ALSO (comma list of libsrtp2 prefixes, as the set-up
// builds them under .cache/) adds a row per prefix on the same OpenSSL, for a baseline in the same run.
//
// A second table takes the sends into account (bench/lib/srtp-send-batch.c): BENCH_SEND_SESSIONS (500)
// viewers' copies of each packet, encrypted with the worker's libsrtp2 and sent with sendto() to a
// loopback receiver on another CPU, in batches of K: K = 1 is one viewer at a time (encrypt, send, next),
// as mediasoup 3.12.16 does; the set-up's worker encrypts 16 in a row, then sends them
// (scripts/setup/mediasoup-srtp-send-batch.hpp). Plain RTP with the same batches is the baseline, measured
// interleaved with it in the same process.
//
//   npm run build && node dist/bench/srtp-suites.js
//
// Env: BENCH_PACKETS (200000 per round), BENCH_PAYLOAD (1188 bytes of RTP payload), BENCH_CPU (taskset
// CPU; unset: not pinned), BENCH_SESSIONS, BENCH_BETWEEN_KB, BENCH_STREAMS, BENCH_LIBSRTP_ALSO;
// BENCH_SEND_SESSIONS, BENCH_SEND_ROUNDS (400 packets to every session, per run; 7 runs, the median
// counts), BENCH_SEND_BATCHES (1,4,8,16,32), BENCH_WORKER_CPUS (the sender: its first CPU, 0) and
// BENCH_LOADGEN_CPUS (the receiver: its first CPU, the last CPU), as the fan-out benches pin theirs.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../common/compiled-entry.js';
import { setupCachePath } from '../src/runtime/mediasoup-binary.js';
import { parseCpuList } from './lib/cpu-list.js';
import { envIntList, envNumber } from './lib/env.js';
import { lpad, pad, pct } from './lib/format.js';

const PACKETS = Math.round(envNumber('BENCH_PACKETS', 200_000));
const PAYLOAD = Math.round(envNumber('BENCH_PAYLOAD', 1188));
const CPU = process.env.BENCH_CPU || null;
const SESSIONS = Math.round(envNumber('BENCH_SESSIONS', 300));
const BETWEEN_KB = Math.round(envNumber('BENCH_BETWEEN_KB', 64));
const STREAMS = Math.round(envNumber('BENCH_STREAMS', 20));
const ALSO = (process.env.BENCH_LIBSRTP_ALSO ?? '').split(',').map((s) => s.trim()).filter(Boolean);
const SEND_SESSIONS = Math.round(envNumber('BENCH_SEND_SESSIONS', 500));
const SEND_ROUNDS = Math.round(envNumber('BENCH_SEND_ROUNDS', 400));
const SEND_BATCHES = envIntList('BENCH_SEND_BATCHES', '1,4,8,16,32');

interface Library {
  name: string;
  /** gcc arguments after the source: include dir and what to link. */
  args: string[];
}

function libraries(): Library[] {
  const out: Library[] = [];
  const srtp = setupCachePath('libsrtp');
  const openssl = setupCachePath('openssl');
  const onStaticOpenssl = (prefix: string) => [`-I${prefix}/include/srtp2`, path.join(prefix, 'lib', 'libsrtp2.a'), path.join(openssl, 'lib', 'libcrypto.a'), '-ldl', '-pthread'];
  if (existsSync(path.join(srtp, 'lib', 'libsrtp2.a')) && existsSync(path.join(openssl, 'lib', 'libcrypto.a'))) {
    out.push({ name: "libsrtp2 2.5.0 on OpenSSL 3.5 (the worker's, static)", args: onStaticOpenssl(srtp) });
    for (const prefix of ALSO) {
      if (!existsSync(path.join(prefix, 'lib', 'libsrtp2.a'))) throw new Error(`BENCH_LIBSRTP_ALSO: no lib/libsrtp2.a under ${prefix}`);
      out.push({ name: `${path.basename(prefix)} on OpenSSL 3.5`, args: onStaticOpenssl(prefix) });
    }
  } else {
    console.log(`  (no ${srtp} or ${openssl}: run the set-up first, npm start or npm test, to build the worker's libsrtp2 and OpenSSL)`);
  }
  if (existsSync('/usr/include/openssl/evp.h') && out.length > 0) {
    // The same libsrtp2 objects on Debian's shared OpenSSL 3.0: what the OpenSSL version alone is worth.
    out.push({ name: "the same libsrtp2 on Debian's OpenSSL 3.0 (shared)", args: [`-I${srtp}/include/srtp2`, path.join(srtp, 'lib', 'libsrtp2.a'), '-lcrypto'] });
  } else {
    console.log("  (Debian's libssl-dev is not installed: no OpenSSL 3.0 row; apt-get install libssl-dev to add it)");
  }
  if (existsSync('/usr/include/srtp2/srtp.h')) out.push({ name: "Debian's libsrtp2 2.5.0 on NSS (shared)", args: ['-I/usr/include/srtp2', '-lsrtp2'] });
  else console.log("  (Debian's libsrtp2-dev is not installed: no NSS row; apt-get install libsrtp2-dev to add it)");
  return out;
}

function main(): void {
  const root = projectRoot();
  const src = path.join(root, 'bench', 'lib', 'srtp-protect.c');
  console.log('LevelChat bench: SRTP protect cost per packet, per suite and crypto library');
  console.log(`  machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), Linux ${os.release()}; ${PACKETS} packets of ${PAYLOAD} + 12 bytes per round, best of 3; ${CPU ? `pinned to CPU ${CPU}` : 'not pinned'}`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'levelchat-srtp-suites-'));
  try {
    const rows: { lib: string; suite: string; ns: number[]; added: number }[] = [];
    for (const lib of libraries()) {
      const bin = path.join(dir, `srtp-protect-${rows.length}`);
      execFileSync('gcc', ['-O2', '-o', bin, src, ...lib.args], { stdio: ['ignore', 'ignore', 'inherit'] });
      const mine: typeof rows = [];
      const columns = [[1, 0, 1], [SESSIONS, 0, 1], [SESSIONS, BETWEEN_KB * 1024, 1], [SESSIONS, BETWEEN_KB * 1024, STREAMS]] as const;
      for (const [i, [sessions, between, streams]] of columns.entries()) {
        const argv = [...(CPU ? ['taskset', '-c', CPU] : []), bin, String(PACKETS), String(PAYLOAD), String(sessions), String(between), String(streams)];
        const out = execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
        for (const [j, line] of out.trim().split('\n').entries()) {
          const [suite, ns, added] = line.split(' ');
          if (i === 0) mine.push({ lib: lib.name, suite: suite!, ns: [Number(ns)], added: Number(added) });
          else mine[j]!.ns.push(Number(ns));
        }
      }
      rows.push(...mine);
    }
    const worker = `${SESSIONS}, as in a worker`;
    const meeting = `…, ${STREAMS} streams each`;
    console.log(`\n${pad('library', 54)} ${pad('suite', 24)} ${lpad('ns/pkt, 1 session', 18)} ${lpad(`${SESSIONS} sessions`, 13)} ${lpad(worker, worker.length)} ${lpad(meeting, meeting.length)} ${lpad('+bytes', 7)} ${lpad('vs cheapest', 12)}`);
    const cheapest = Math.min(...rows.filter((r) => r.ns[0]! > 0).map((r) => r.ns[0]!));
    for (const r of rows) {
      console.log(`${pad(r.lib, 54)} ${pad(r.suite, 24)} ${lpad(r.ns[0]!.toFixed(0), 18)} ${lpad(r.ns[1]!.toFixed(0), 13)} ${lpad(r.ns[2]!.toFixed(0), worker.length)} ${lpad(r.ns[3]!.toFixed(0), meeting.length)} ${lpad(String(r.added), 7)} ${lpad(`${(r.ns[0]! / cheapest).toFixed(2)}×`, 12)}`);
    }
    console.log('\n  +bytes = what SRTP adds to each packet (auth tag); every forwarded packet pays this once per viewer.');
    console.log(`  "as in a worker" = the sessions visited in shuffled order, ${BETWEEN_KB} KB of other memory written between two packets (not timed).`);
    console.log(`  "${STREAMS} streams each" = the same with ${STREAMS} SSRCs per session taken in turn, as a WebRTC viewer in a meeting is sent one stream per consumer.`);
    sendBatches(root, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The second table: encrypt and send, one viewer at a time or in batches, against plain RTP. */
function sendBatches(root: string, dir: string): void {
  const srtp = setupCachePath('libsrtp');
  const openssl = setupCachePath('openssl');
  const sender = parseCpuList(process.env.BENCH_WORKER_CPUS || '0')[0]!;
  const receiver = parseCpuList(process.env.BENCH_LOADGEN_CPUS || String(os.cpus().length - 1))[0]!;
  if (!existsSync(path.join(srtp, 'lib', 'libsrtp2.a')) || sender === receiver) {
    console.log("\n  (no send-batch table: it needs the set-up's libsrtp2, and the sender and the receiver on different CPUs)");
    return;
  }
  const bin = path.join(dir, 'srtp-send-batch');
  execFileSync('gcc', ['-O2', '-o', bin, path.join(root, 'bench', 'lib', 'srtp-send-batch.c'), `-I${srtp}/include/srtp2`, path.join(srtp, 'lib', 'libsrtp2.a'), path.join(openssl, 'lib', 'libcrypto.a'), '-ldl', '-pthread'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  console.log(`\nEncrypt and send: ${SEND_SESSIONS} viewers get every 1,200-byte packet, AEAD_AES_128_GCM, sendto() on CPU ${sender} to a loopback receiver on CPU ${receiver}; ${SEND_ROUNDS} packets per run, median of 7 runs interleaved`);
  const ns = new Map<string, number>();
  const out = execFileSync(bin, [String(SEND_SESSIONS), String(SEND_ROUNDS), String(sender), String(receiver), SEND_BATCHES.join(',')], { encoding: 'utf8' });
  for (const line of out.trim().split('\n')) {
    const [mode, k, value] = line.split(' ');
    ns.set(`${mode} ${k}`, Number(value));
  }
  const oneAtATime = (ns.get('srtp 1') ?? NaN) - (ns.get('plain 1') ?? NaN);
  console.log(`${lpad('batch', 6)} ${lpad('plain ns/pkt', 13)} ${lpad('SRTP ns/pkt', 12)} ${lpad('SRTP adds', 10)} ${lpad('vs one at a time', 17)} ${lpad('SRTP pkt/core vs plain', 23)}`);
  for (const k of SEND_BATCHES) {
    const plain = ns.get(`plain ${k}`) ?? NaN;
    const withSrtp = ns.get(`srtp ${k}`) ?? NaN;
    console.log(
      `${lpad(String(k), 6)} ${lpad(plain.toFixed(0), 13)} ${lpad(withSrtp.toFixed(0), 12)} ${lpad((withSrtp - plain).toFixed(0), 10)} ${lpad(`${((withSrtp - plain) / oneAtATime).toFixed(2)}×`, 17)} ${lpad(pct(plain / withSrtp, 1), 23)}`,
    );
  }
  console.log('  batch 1 = mediasoup 3.12.16 (encrypt for a viewer, send to it, next viewer); the set-up\'s worker batches 16.');
}

main();
