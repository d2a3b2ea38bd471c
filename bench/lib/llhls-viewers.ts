// The load generator of the LL-HLS origin bench: one process (forked with `--loadgen`) simulates
// many viewers, each on one keep-alive connection (bench/lib/llhls-http.ts).
//
// - 'll' viewers behave like hls.js in low-latency mode: a blocking playlist reload for the next
//   part (`?_HLS_msn=M&_HLS_part=P&_HLS_skip=YES`, a delta update as hls.js asks once the playlist
//   has CAN-SKIP-UNTIL), then a GET of that part, repeat. A viewer whose next part is no longer
//   listed (it fell more than the playlist's part window behind) jumps back to the live edge.
// - 'poll' viewers are the non-LL client of a static server: the playlist every 200 ms (each viewer
//   at its own random phase), then every part that is new since the last poll, in order.
//
// Every receipt is timed with CLOCK_MONOTONIC (comparable across processes), so the parent can
// subtract the publish times it collected from the publisher.
import { performance } from 'node:perf_hooks';
import { HttpConnectionError, KeepAliveConnection, monoMs } from './llhls-http.js';
import { sleep } from './wait.js';

export type ViewerMode = 'll' | 'poll';

export interface LoadgenStart {
  cmd: 'start';
  mode: ViewerMode;
  host: string;
  port: number;
  /** e.g. /hls/r_x/vabc — the playlist is `${base}/index.m3u8`, parts `${base}/part<n>.m4s`. */
  base: string;
  viewers: number;
  rampMs: number;
  partsPerSegment: number;
  pollMs: number;
  partBytes: number;
  /** Source addresses to spread connections over (more ephemeral ports than one address has). */
  localAddresses: string[];
}

export interface Counters {
  playlists: number;
  parts: number;
  bytes: number;
  errors: Record<string, number>;
  resyncs: number;
  connects: number;
}

export interface LoadgenResult {
  viewers: number;
  /** [seq, viewers that got the part by the stop, viewers that got it within the deadline] */
  perPart: [number, number, number][];
  partHist: [number, number][];
  playlistHist: [number, number][];
  /** (viewer, part) pairs of the window never received by the stop. */
  partMissing: number;
  playlistMissing: number;
}

export type ParentMessage =
  | LoadgenStart
  | { cmd: 'mark'; id: number }
  | { cmd: 'stop'; parts: [number, number][]; deadlineMs: number }
  | { cmd: 'exit' };

export type LoadgenMessage =
  | { type: 'ready'; pid: number }
  | { type: 'started' }
  | { type: 'mark'; id: number; counters: Counters; elu: number }
  | { type: 'progress'; counters: Counters; elu: number }
  | { type: 'result'; result: LoadgenResult };

/** Histogram resolution: 0.1 ms buckets up to 20 s. */
export const HIST_SCALE = 10;
export const HIST_MAX = 200_000;

const REQUEST_TIMEOUT_MS = 8000;
const RETRY_MS = 200;
const PART_TAG = '#EXT-X-PART:';

interface Position {
  msn: number;
  part: number;
}

/**
 * The part named by the `URI="part<n>.m4s"` attribute after `from`, if any. Parts are numbered across
 * the playlist (pipeline/llhls/names.ts); the bench stream has `perSegment` parts in every segment.
 */
function partAt(text: string, from: number, perSegment: number): Position | undefined {
  const u = text.indexOf('URI="part', from);
  if (u < 0) return undefined;
  let i = u + 9;
  const start = i;
  let n = 0;
  let c: number;
  while ((c = text.charCodeAt(i)) >= 48 && c <= 57) {
    n = n * 10 + (c - 48);
    i++;
  }
  return i > start && c === 46 ? { msn: Math.floor(n / perSegment), part: n % perSegment } : undefined;
}

/** Listed parts (EXT-X-PART, not the preload hint), newest first, down to (excluding) `stopSeq`. */
function partsNewestFirst(text: string, perSegment: number, stopSeq = -1): Position[] {
  const out: Position[] = [];
  for (let i = text.lastIndexOf(PART_TAG); i >= 0; i = i === 0 ? -1 : text.lastIndexOf(PART_TAG, i - 1)) {
    const p = partAt(text, i, perSegment);
    if (!p) continue;
    if (p.msn * perSegment + p.part <= stopSeq) break;
    out.push(p);
  }
  return out;
}

const HINT_TAG = '#EXT-X-PRELOAD-HINT:TYPE=PART,';

/**
 * The blocking request after part `have`: the part EXT-X-PRELOAD-HINT names when it is ahead of
 * `have`, else the next part of `have`'s segment (a player's "last part + 1").
 */
function nextDirective(text: string, have: Position, perSegment: number): Position {
  const h = text.lastIndexOf(HINT_TAG);
  const hint = h >= 0 ? partAt(text, h, perSegment) : undefined;
  if (hint && (hint.msn > have.msn || (hint.msn === have.msn && hint.part > have.part))) return hint;
  return { msn: have.msn, part: have.part + 1 };
}

export async function loadgenMain(): Promise<void> {
  const send = (m: LoadgenMessage) => process.send?.(m);
  let counters: Counters = { playlists: 0, parts: 0, bytes: 0, errors: {}, resyncs: 0, connects: 0 };
  let partRecv = new Map<number, number[]>();
  let playlistRecv = new Map<number, number[]>();
  let conns: KeepAliveConnection[] = [];
  let running = false;
  let viewerCount = 0;
  let sweep: NodeJS.Timeout | undefined;
  let viewerDone: Promise<void>[] = [];
  const eluStart = performance.eventLoopUtilization();
  let eluLast = eluStart;
  const eluSince = () => {
    const now = performance.eventLoopUtilization();
    const d = performance.eventLoopUtilization(now, eluLast);
    eluLast = now;
    return d.utilization;
  };
  let eluMark = performance.eventLoopUtilization();

  const error = (kind: string) => {
    counters.errors[kind] = (counters.errors[kind] ?? 0) + 1;
  };
  const record = (map: Map<number, number[]>, seq: number, t: number) => {
    const list = map.get(seq);
    if (list) list.push(t);
    else map.set(seq, [t]);
  };
  const failure = (err: unknown) => {
    if (err instanceof HttpConnectionError) error(err.kind === 'timeout' ? 'timeout' : 'socket');
    else error('other');
  };

  /**
   * GETs a playlist (`query` appended: a blocking reload) and counts it: its body and arrival time,
   * 'failed' for a non-200 (an error), or 'stopped' when the run ended meanwhile.
   */
  async function fetchPlaylist(conn: KeepAliveConnection, cfg: LoadgenStart, query = ''): Promise<{ body: string; at: number } | 'failed' | 'stopped'> {
    const r = await conn.request(`${cfg.base}/index.m3u8${query}`, true);
    const at = monoMs();
    if (!running) return 'stopped';
    counters.playlists++;
    counters.bytes += r.bytes;
    if (r.status !== 200) {
      error(`http ${r.status}`);
      return 'failed';
    }
    return { body: r.body, at };
  }

  /** GETs one part, counts it and records when it arrived; a non-200 or short part is an error. */
  async function fetchPart(conn: KeepAliveConnection, cfg: LoadgenStart, pos: Position, seq: number): Promise<'received' | 'failed' | 'stopped'> {
    const p = await conn.request(`${cfg.base}/part${seq}.m4s`, false);
    const tPart = monoMs();
    if (!running) return 'stopped';
    counters.parts++;
    counters.bytes += p.bytes;
    if (p.status !== 200 || p.bytes !== cfg.partBytes) {
      error(p.status !== 200 ? `http ${p.status}` : 'short part');
      return 'failed';
    }
    record(partRecv, seq, tPart);
    return 'received';
  }

  async function llViewer(conn: KeepAliveConnection, cfg: LoadgenStart, delayMs: number): Promise<void> {
    const seqOf = (p: Position) => p.msn * cfg.partsPerSegment + p.part;
    await sleep(delayMs);
    /** The newest part this viewer has, and the blocking request for what comes after it. */
    let have: Position | undefined;
    let want: Position | undefined;
    while (running) {
      try {
        if (!have || !want) {
          // Join at the live edge: the newest listed part counts as had, the next one is the first fetched.
          const edge = await fetchPlaylist(conn, cfg);
          if (edge === 'stopped') return;
          have = edge === 'failed' ? undefined : partsNewestFirst(edge.body, cfg.partsPerSegment)[0];
          if (edge === 'failed' || !have) {
            await sleep(RETRY_MS);
            continue;
          }
          want = nextDirective(edge.body, have, cfg.partsPerSegment);
        }
        const r = await fetchPlaylist(conn, cfg, `?_HLS_msn=${want.msn}&_HLS_part=${want.part}&_HLS_skip=YES`);
        if (r === 'stopped') return;
        if (r === 'failed') {
          have = undefined;
          await sleep(RETRY_MS);
          continue;
        }
        const tPlaylist = r.at;
        // The part to load: the oldest listed one after what the viewer has. A directive past the
        // end of a segment (the hint named part N+1 of a segment that then closed at N) is answered
        // with part 0 of the next segment, as RFC 8216bis 6.2.5.2 says.
        const haveSeq = seqOf(have);
        const newer = partsNewestFirst(r.body, cfg.partsPerSegment, haveSeq);
        const target = newer.at(-1);
        if (!target) {
          error('part not listed');
          have = undefined;
          continue;
        }
        const seq = seqOf(target);
        if (seq !== haveSeq + 1) {
          // Fell out of the playlist's part window: parts were skipped (they count as not delivered).
          counters.resyncs++;
          if (process.env.BENCH_DEBUG && counters.resyncs < 3) process.stderr.write(`resync: had ${have.msn}.${have.part}, got:\n${r.body}\n`);
        }
        record(playlistRecv, seq, tPlaylist);
        const got = await fetchPart(conn, cfg, target, seq);
        if (got === 'stopped') return;
        if (got === 'failed') {
          have = undefined;
          await sleep(RETRY_MS);
          continue;
        }
        have = target;
        want = nextDirective(r.body, have, cfg.partsPerSegment);
      } catch (err) {
        if (!running) return;
        failure(err);
        have = undefined;
        await sleep(RETRY_MS);
      }
    }
  }

  async function pollViewer(conn: KeepAliveConnection, cfg: LoadgenStart, delayMs: number): Promise<void> {
    const seqOf = (p: Position) => p.msn * cfg.partsPerSegment + p.part;
    await sleep(delayMs);
    let lastSeq: number | undefined;
    let nextPoll = monoMs();
    while (running) {
      try {
        const wait = nextPoll - monoMs();
        if (wait > 0) await sleep(wait);
        nextPoll = Math.max(nextPoll + cfg.pollMs, monoMs());
        if (!running) return;
        const r = await fetchPlaylist(conn, cfg);
        if (r === 'stopped') return;
        if (r === 'failed') continue;
        const tPlaylist = r.at;
        const fresh = partsNewestFirst(r.body, cfg.partsPerSegment, lastSeq ?? -1);
        if (lastSeq === undefined) {
          // Joining: start at the live edge, as the LL viewers do.
          const newest = fresh[0];
          if (newest) lastSeq = seqOf(newest);
          continue;
        }
        const oldest = fresh.at(-1);
        if (oldest && seqOf(oldest) !== lastSeq + 1) counters.resyncs++;
        for (let i = fresh.length - 1; i >= 0; i--) {
          const pos = fresh[i]!;
          const seq = seqOf(pos);
          record(playlistRecv, seq, tPlaylist);
          const got = await fetchPart(conn, cfg, pos, seq);
          if (got === 'stopped') return;
          if (got === 'failed') continue;
          lastSeq = seq;
        }
        if (fresh[0]) lastSeq = Math.max(lastSeq, seqOf(fresh[0]));
      } catch (err) {
        if (!running) return;
        failure(err);
        await sleep(RETRY_MS);
      }
    }
  }

  function start(cfg: LoadgenStart): void {
    counters = { playlists: 0, parts: 0, bytes: 0, errors: {}, resyncs: 0, connects: 0 };
    partRecv = new Map();
    playlistRecv = new Map();
    running = true;
    viewerCount = cfg.viewers;
    conns = [];
    viewerDone = [];
    for (let i = 0; i < cfg.viewers; i++) {
      const local = cfg.localAddresses.length ? cfg.localAddresses[i % cfg.localAddresses.length] : undefined;
      const conn = new KeepAliveConnection(cfg.host, cfg.port, local);
      conns.push(conn);
      const ramp = (cfg.rampMs * i) / cfg.viewers;
      const delay = cfg.mode === 'poll' ? ramp + Math.random() * cfg.pollMs : ramp;
      viewerDone.push(cfg.mode === 'll' ? llViewer(conn, cfg, delay) : pollViewer(conn, cfg, delay));
    }
    sweep = setInterval(() => {
      const tooOld = monoMs() - REQUEST_TIMEOUT_MS;
      for (const c of conns) {
        const since = c.busySince;
        if (since !== undefined && since < tooOld) c.abort('timeout', 'no response in time');
      }
    }, 500);
    send({ type: 'started' });
  }

  function snapshot(): Counters {
    let connects = 0;
    for (const c of conns) connects += c.connects;
    return { ...counters, errors: { ...counters.errors }, connects };
  }

  async function stop(parts: [number, number][], deadlineMs: number): Promise<void> {
    running = false;
    if (sweep) clearInterval(sweep);
    for (const c of conns) c.close();
    await Promise.race([Promise.allSettled(viewerDone), sleep(2000)]);
    const partHist = new Map<number, number>();
    const playlistHist = new Map<number, number>();
    const perPart: [number, number, number][] = [];
    let partMissing = 0;
    let playlistMissing = 0;
    const add = (h: Map<number, number>, d: number) => {
      const b = Math.min(HIST_MAX, Math.max(0, Math.floor(d * HIST_SCALE)));
      h.set(b, (h.get(b) ?? 0) + 1);
    };
    for (const [seq, tPub] of parts) {
      const got = partRecv.get(seq) ?? [];
      let within = 0;
      // A viewer records a part once; cap at the viewer count anyway.
      const n = Math.min(got.length, viewerCount);
      for (let i = 0; i < n; i++) {
        const d = got[i]! - tPub;
        if (d <= deadlineMs) within++;
        add(partHist, d);
      }
      partMissing += viewerCount - n;
      perPart.push([seq, n, within]);
      const pl = playlistRecv.get(seq) ?? [];
      const m = Math.min(pl.length, viewerCount);
      for (let i = 0; i < m; i++) add(playlistHist, pl[i]! - tPub);
      playlistMissing += viewerCount - m;
    }
    conns = [];
    partRecv = new Map();
    playlistRecv = new Map();
    send({ type: 'result', result: { viewers: viewerCount, perPart, partHist: [...partHist], playlistHist: [...playlistHist], partMissing, playlistMissing } });
  }

  setInterval(() => {
    if (running) send({ type: 'progress', counters: snapshot(), elu: eluSince() });
  }, 2000).unref();

  process.on('message', (msg: ParentMessage) => {
    switch (msg.cmd) {
      case 'start':
        start(msg);
        return;
      case 'mark': {
        const now = performance.eventLoopUtilization();
        const elu = performance.eventLoopUtilization(now, eluMark).utilization;
        eluMark = now;
        send({ type: 'mark', id: msg.id, counters: snapshot(), elu });
        return;
      }
      case 'stop':
        void stop(msg.parts, msg.deadlineMs);
        return;
      case 'exit':
        running = false;
        for (const c of conns) c.close();
        process.exit(0);
    }
  });
  // The parent went away (crash, Ctrl-C): nothing of ours may stay behind.
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', pid: process.pid });
}
