// The signaling-flood bench's load process, forked by ./signaling-flood.ts: the flooding tenant's
// sockets, on an event loop of their own (not the calm tenant's, whose latencies are measured).
import { serveCalls } from '../lib/ipc-rpc.js';
import { BenchSocket } from './signaling-socket.js';

// Ctrl-C reaches the whole process group; the driver decides when we stop.
process.on('SIGINT', () => {});

export interface SignalingFloodRequest {
  url: string;
  /** One token per flooding socket (a webinar room of the flooding tenant, with a question in it). */
  tokens: string[];
  questionId: string;
  /** Requests each socket keeps in flight. */
  inFlight: number;
  /** Sockets that only send bad joins (a fresh one after each is closed). */
  guessers: number;
  durationS: number;
}

export interface SignalingFloodReply {
  sent: number;
  /** [answer code ('ok' when accepted), count]. */
  codes: [string, number][];
}

/** What a joined flooding socket sends, in turn: every feature that reaches the room, and the SFU. */
const requests = (questionId: string): [string, (i: number) => unknown][] => [
  ['upvote_question', () => ({ question_id: questionId })],
  ['chat', (i) => ({ text: `flood ${i}` })],
  ['raise_hand', (i) => ({ raised: i % 2 === 0 })],
  ['ask_question', (i) => ({ text: `flood question ${i}` })],
  ['reaction', () => ({ emoji: '🔥' })],
  ['create_transport', () => ({ direction: 'recv' })],
  ['playback_token', () => ({})],
];

async function flood(r: SignalingFloodRequest): Promise<SignalingFloodReply> {
  const until = Date.now() + r.durationS * 1000;
  const codes = new Map<string, number>();
  let sent = 0;
  const count = (code: string) => codes.set(code, (codes.get(code) ?? 0) + 1);
  const kinds = requests(r.questionId);
  const joined = async (token: string) => {
    const socket = await BenchSocket.open(r.url);
    const answer = await socket.request('join', { token });
    count(answer.ok ? 'joined' : (answer.code ?? 'error'));
    return socket;
  };
  const sockets = await Promise.all(r.tokens.map(joined));
  const lane = async (socket: BenchSocket, lane: number) => {
    for (let i = lane; Date.now() < until && !socket.closed; i += r.inFlight) {
      const [method, data] = kinds[i % kinds.length]!;
      sent += 1;
      const answer = await socket.request(method, data(i));
      count(answer.ok ? 'ok' : (answer.code ?? 'error'));
    }
  };
  const guesser = async () => {
    while (Date.now() < until) {
      // Refused (429) or not, it tries again at once: an attacker does not wait.
      const socket = await BenchSocket.open(r.url).catch(() => null);
      if (!socket) {
        count('refused_upgrade');
        continue;
      }
      while (!socket.closed && Date.now() < until) {
        sent += 1;
        const answer = await socket.request('join', { token: `guess.${sent}.x` });
        count(answer.code ?? 'error');
      }
      socket.close();
    }
  };
  await Promise.all([...sockets.flatMap((s) => Array.from({ length: r.inFlight }, (_, lane) => lane).map((l) => lane(s, l))), ...Array.from({ length: r.guessers }, guesser)]);
  for (const s of sockets) s.close();
  return { sent, codes: [...codes] };
}

await serveCalls<SignalingFloodRequest>({
  start: async () => ({ pid: process.pid }),
  handle: (r) => flood(r),
  stop: async () => {},
});
