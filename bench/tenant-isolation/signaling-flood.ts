// Bench: does a tenant that floods signaling move another tenant's signaling latencies? Issue 17,
// the bench part ("a tenant flooding signaling does not move another tenant's p99 by more than 2x").
//
//   npm run build && node dist/bench/tenant-isolation/signaling-flood.js
//
// Two tenants (two config keys) on one LevelChat node on loopback (the node process of
// ./server.ts). The calm one has a meeting whose participants chat at a steady pace (under their
// rate limit) while new participants join and leave at a steady pace; their chat and join answer
// times are measured. The flooding one has a webinar whose sockets each keep requests in flight
// without pause: upvotes, chat, hand toggles, questions, reactions, transports, playback tokens
// (what reaches a whole room or the SFU), and more sockets that only guess tokens. It runs in its
// own process (./signaling-flooder.ts). The tenants' users are on different addresses, as they
// would be: the flood connects from 127.0.0.1, the calm tenant from 127.0.0.2 (the per-address
// socket limits are the node's defaults).
//
// As in ../tenant-isolation.ts, the windows alternate in the same run (alone, flood, alone, flood,
// ...) so both kinds see the same background on a shared machine, and where allowed the bench's
// processes run under SCHED_RR 1 (BENCH_REALTIME=0: not). The calm p99s of the flood windows are
// compared with those of the alone windows: target <= 2x.
//
// Env: BENCH_ROUNDS (4), BENCH_WINDOW_S (5), BENCH_CALM_CHATTERS (10 sockets, 0.5 chat/s each),
// BENCH_CALM_JOINS (2 joins/s), BENCH_FLOOD_SOCKETS (40), BENCH_FLOOD_IN_FLIGHT (16 per socket),
// BENCH_FLOOD_GUESSERS (10 sockets guessing tokens).
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compiledEntry } from '../../common/compiled-entry.js';
import { formatApiKey, generateApiKey } from '../../src/auth/api-key.js';
import { envCount, envNumber } from '../lib/env.js';
import { latencyMs, lpad, pad } from '../lib/format.js';
import { RpcChild } from '../lib/ipc-rpc.js';
import { log } from '../lib/log.js';
import { runBench } from '../lib/run-bench.js';
import { ascending, percentile } from '../lib/stats.js';
import { sleep } from '../lib/wait.js';
import { choosePriority, raise } from './priority.js';
import { apiCall, type Api } from './load.js';
import { SERVER_ENV, type ServerInfo, type ServerRequest } from './protocol.js';
import type { SignalingFloodReply, SignalingFloodRequest } from './signaling-flooder.js';
import { BenchSocket } from './signaling-socket.js';

const readSettings = () => ({
  rounds: envNumber('BENCH_ROUNDS', 4),
  windowS: envNumber('BENCH_WINDOW_S', 5),
  chatters: envNumber('BENCH_CALM_CHATTERS', 10),
  joinRate: envNumber('BENCH_CALM_JOINS', 2),
  floodSockets: envNumber('BENCH_FLOOD_SOCKETS', 40),
  inFlight: envNumber('BENCH_FLOOD_IN_FLIGHT', 16),
  guessers: envCount('BENCH_FLOOD_GUESSERS', 10),
});
type Settings = ReturnType<typeof readSettings>;

/** Each calm chatter's pace: half its rate limit (1 chat/s), so the calm tenant is never refused. */
const CHAT_RATE = 0.5;
/** Where the calm tenant's users connect from (the flood: 127.0.0.1). */
const CALM_ADDRESS = '127.0.0.2';

const running: { server?: RpcChild<ServerRequest, ServerInfo>; flooder?: RpcChild<SignalingFloodRequest, { pid: number }>; dataDir?: string } = {};

async function token(api: Api, roomId: string, identity: string, capabilities: string[]): Promise<string> {
  const res = await apiCall(api, 'POST', `/v1/rooms/${roomId}/tokens`, { identity, capabilities });
  if (res.status !== 201) throw new Error(`token for ${identity}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** The calm tenant's answer times over windows of one kind. */
interface Calm {
  chat: number[];
  join: number[];
  refused: Map<string, number>;
}

/** One window of the calm tenant: paced chats on its joined sockets, paced joins (and leaves) on fresh ones. */
async function calmWindow(url: string, chatters: BenchSocket[], joinTokens: string[], s: Settings, into: Calm): Promise<void> {
  const until = Date.now() + s.windowS * 1000;
  const refuse = (code: string | null) => into.refused.set(code ?? 'error', (into.refused.get(code ?? 'error') ?? 0) + 1);
  const chatting = chatters.map(async (socket, n) => {
    // Spread over the period, so the chats do not leave in bursts.
    await sleep((n / chatters.length / CHAT_RATE) * 1000);
    for (let i = 0; Date.now() < until; i += 1) {
      const started = Date.now();
      const answer = await socket.request('chat', { text: `calm ${i}` });
      if (answer.ok) into.chat.push(answer.ms);
      else refuse(answer.code);
      await sleep(1000 / CHAT_RATE - (Date.now() - started));
    }
  });
  const joining = (async () => {
    while (Date.now() < until) {
      const started = Date.now();
      const t0 = performance.now();
      const socket = await BenchSocket.open(url, CALM_ADDRESS);
      const answer = await socket.request('join', { token: joinTokens.pop() });
      if (answer.ok) into.join.push(performance.now() - t0);
      else refuse(answer.code);
      void socket.request('leave').finally(() => socket.close());
      await sleep(1000 / s.joinRate - (Date.now() - started));
    }
  })();
  await Promise.all([...chatting, joining]);
}

async function benchMain(): Promise<void> {
  const s = readSettings();
  log('BENCH     signaling flood: one tenant floods signaling; another tenant\'s chat and join answer times (issue 17)');
  const priority = choosePriority();
  log(`priority  ${priority === 'realtime' ? 'driver, flood process, node process and its redis-server under SCHED_RR 1' : "normal (chrt not permitted, or BENCH_REALTIME=0): expect the machine's other work in the tails"}`);
  raise(process.pid, priority);

  const calmKey = formatApiKey(generateApiKey());
  const floodKey = formatApiKey(generateApiKey());
  const dataDir = (running.dataDir = mkdtempSync(path.join(os.tmpdir(), 'levelchat-bench-sf-')));
  const server = (running.server = new RpcChild<ServerRequest, ServerInfo>(
    fork(compiledEntry('bench/tenant-isolation/server'), [], {
      env: { ...process.env, [SERVER_ENV.dataDir]: dataDir, [SERVER_ENV.apiKeys]: `${calmKey},${floodKey}`, [SERVER_ENV.unfair]: '0' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
    'server process',
  ));
  const info = await server.ready;
  const flooder = (running.flooder = new RpcChild<SignalingFloodRequest, { pid: number }>(fork(compiledEntry('bench/tenant-isolation/signaling-flooder'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }), 'flood process'));
  await flooder.ready;
  for (const pid of [info.pid, info.redisPid, flooder.pid]) raise(pid, priority);
  log(`node      pid ${info.pid} at ${info.url}; default signaling limits`);

  const calm: Api = { url: info.url, key: calmKey };
  const flood: Api = { url: info.url, key: floodKey };
  await apiCall(calm, 'POST', '/v1/rooms', { external_id: 'calm', type: 'meeting', config: { max_participants: 1000 } });
  await apiCall(flood, 'POST', '/v1/rooms', { external_id: 'flood', type: 'webinar', config: { registration: 'off' } });
  const chatters = await Promise.all(
    Array.from({ length: s.chatters }, async (_, i) => {
      const socket = await BenchSocket.open(info.url, CALM_ADDRESS);
      const answer = await socket.request('join', { token: await token(calm, 'r_calm', `chatter-${i}`, ['subscribe:all', 'chat:send']) });
      if (!answer.ok) throw new Error(`calm join: ${answer.code}`);
      return socket;
    }),
  );
  const joinsNeeded = Math.ceil(s.joinRate * s.windowS * s.rounds * 2) + 10;
  const joinTokens = await Promise.all(Array.from({ length: joinsNeeded }, (_, i) => token(calm, 'r_calm', `joiner-${i}`, ['subscribe:all'])));
  const floodCaps = ['subscribe:all', 'chat:send', 'reactions:send', 'hand:raise'];
  const floodTokens = await Promise.all(Array.from({ length: s.floodSockets }, (_, i) => token(flood, 'r_flood', `flooder-${i}`, floodCaps)));
  const asker = await BenchSocket.open(info.url);
  await asker.request('join', { token: await token(flood, 'r_flood', 'asker', floodCaps) });
  const questionId = (await asker.request('ask_question', { text: 'flood me' })).data.question.id as string;

  const kinds: Record<'alone' | 'flood', Calm> = {
    alone: { chat: [], join: [], refused: new Map() },
    flood: { chat: [], join: [], refused: new Map() },
  };
  const floodCodes = new Map<string, number>();
  let floodSent = 0;
  for (let round = 1; round <= s.rounds; round += 1) {
    for (const kind of ['alone', 'flood'] as const) {
      const request: SignalingFloodRequest = { url: info.url, tokens: floodTokens, questionId, inFlight: s.inFlight, guessers: s.guessers, durationS: s.windowS };
      const [, reply] = await Promise.all([calmWindow(info.url, chatters, joinTokens, s, kinds[kind]), kind === 'flood' ? flooder.call<SignalingFloodReply>(request, (s.windowS + 60) * 1000) : undefined]);
      if (reply) {
        floodSent += reply.sent;
        for (const [code, n] of reply.codes) floodCodes.set(code, (floodCodes.get(code) ?? 0) + n);
      }
      log(`  round ${round} ${kind.padEnd(5)}: calm ${kinds[kind].chat.length} chats, ${kinds[kind].join.length} joins so far${reply ? `; flood ${reply.sent} requests` : ''}`);
      // The flood's sockets close after its window; let the node settle before the next alone window.
      if (reply) await sleep(1000);
    }
  }
  asker.close();
  for (const c of chatters) c.close();

  log('');
  log(`RESULTS   calm tenant: ${s.chatters} chatters at ${CHAT_RATE}/s, ${s.joinRate} joins/s; ${s.rounds} windows of ${s.windowS} s of each kind; ms from the moment each request left`);
  log(`${pad('windows', 14)}${lpad('chats', 8)}${lpad('p50', 8)}${lpad('p99', 8)}${lpad('max', 8)}${lpad('joins', 8)}${lpad('p50', 8)}${lpad('p99', 8)}${lpad('max', 8)}  refused`);
  const q = (xs: number[]) => {
    const sorted = ascending(xs);
    return [0.5, 0.99, 1].map((p) => percentile(sorted, p));
  };
  for (const kind of ['alone', 'flood'] as const) {
    const k = kinds[kind];
    const refused = [...k.refused].map(([c, n]) => `${c}: ${n}`).join(', ') || 'none';
    log(`${pad(kind, 14)}${lpad(String(k.chat.length), 8)}${q(k.chat).map((v) => lpad(latencyMs(v), 8)).join('')}${lpad(String(k.join.length), 8)}${q(k.join).map((v) => lpad(latencyMs(v), 8)).join('')}  ${refused}`);
  }
  const ratio = (f: (k: Calm) => number[]) => percentile(ascending(f(kinds.flood)), 0.99) / percentile(ascending(f(kinds.alone)), 0.99);
  const chatRatio = ratio((k) => k.chat);
  const joinRatio = ratio((k) => k.join);
  log('');
  log(`flood     ${floodSent} requests (${Math.round(floodSent / (s.rounds * s.windowS))}/s during its windows) from ${s.floodSockets} sockets x ${s.inFlight} in flight and ${s.guessers} token guessers; answers: ${[...floodCodes].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`).join(', ')}`);
  log(`TARGET    calm p99 during the flood <= 2x alone: chat ${chatRatio.toFixed(2)}x, join ${joinRatio.toFixed(2)}x: ${chatRatio <= 2 && joinRatio <= 2 ? 'met' : 'MISSED'}`);
}

async function cleanup(): Promise<void> {
  await running.flooder?.stop(5000);
  await running.server?.stop(30_000);
  if (running.dataDir) rmSync(running.dataDir, { recursive: true, force: true });
  running.dataDir = undefined;
}

function cleanupSync(): void {
  running.flooder?.kill();
  running.server?.kill();
  if (running.dataDir) rmSync(running.dataDir, { recursive: true, force: true });
  running.dataDir = undefined;
}

await runBench({ main: benchMain, cleanup, cleanupSync, stopping: 'the node and flood processes' });
