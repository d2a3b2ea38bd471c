import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { ClientAddress } from '../../common/client-address.js';
import type { Logger } from '../../common/logger.js';
import type { Metrics } from '../../common/metrics.js';
import { breakoutsFeature } from './features/breakouts.js';
import { chatFeature, chatModerationFeature } from './features/chat.js';
import type { Feature, Handler, HandlerContext } from './features/feature.js';
import { FramePacing } from './frame-pacing.js';
import { handFeature } from './features/hand.js';
import { mediaFeature } from './features/media.js';
import { moderationFeature } from './features/moderation.js';
import { playbackFeature } from './features/playback.js';
import { questionsFeature } from './features/questions.js';
import { reactionsFeature } from './features/reactions.js';
import { sessionFeature } from './features/session.js';
import type { LiveRooms, Session } from './live-rooms.js';
import type { ParticipantLink } from './participant.js';
import { CLOSE_CODES, JOIN_TIMEOUT_MS, MAX_FRAME_BYTES, SIGNALING_PATH, requestFrameSchema, requestSchemas, type Method, type SignalingErrorBody } from './protocol.js';
import { INTERNAL_ERROR, SignalingError, toSignalingError } from './signaling-errors.js';
import type { SocketGate, SocketTicket } from './socket-gate.js';

const FEATURES: Feature[] = [mediaFeature, chatFeature, chatModerationFeature, reactionsFeature, handFeature, questionsFeature, moderationFeature, breakoutsFeature, playbackFeature, sessionFeature];
const HANDLERS = Object.assign({}, ...FEATURES) as Record<string, Handler<Method>>;
const HEARTBEAT_MS = 15_000;

/**
 * WebSocket signaling on `/v1/rtc`. A socket must join (or resume) with its token in the first
 * request within 5 s, in a few attempts, from an address holding no more than its share of
 * sockets (the gate); its frames are paced (past a burst, the node reads them at a steady rate);
 * every later request is validated, capability-checked by its feature, and
 * answered with a result or an error frame carrying a stable code. Nothing a client sends can
 * crash the node, nor log above debug: warn and error are for the node's own failures.
 */
export class SignalingServer {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly rooms: LiveRooms,
    private readonly logger: Logger,
    private readonly gate: SocketGate,
    /** Where a socket comes from, for the gate's per-address shares (LEVELCHAT_TRUST_PROXY). */
    private readonly addressOf: ClientAddress,
    private readonly metrics?: Pick<Metrics, 'signalingErrors'>,
  ) {
    this.heartbeat = setInterval(() => {
      for (const ws of this.wss.clients) {
        const alive = ws as WebSocket & { alive?: boolean };
        if (alive.alive === false) ws.terminate();
        else {
          alive.alive = false;
          ws.ping();
        }
      }
    }, HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /** Open WebSockets (joined or not yet). */
  get connections(): number {
    return this.wss.clients.size;
  }

  attach(server: http.Server): void {
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      const path = (req.url ?? '').split('?')[0];
      if (path !== SIGNALING_PATH) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
        return;
      }
      const ticket = this.admit(this.addressOf(req), socket);
      if (ticket) this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, ticket));
    });
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  /**
   * The socket's place in its address's share (given back when the connection closes, upgraded or
   * not), or null: the address holds or opened its share, and is answered 429 before any WebSocket
   * handshake (the cheapest refusal for a client that reconnects in a loop).
   */
  private admit(address: string, socket: Duplex): SocketTicket | null {
    try {
      const ticket = this.gate.admit(address);
      socket.once('close', () => ticket.release());
      return ticket;
    } catch (err) {
      const refusal = err as SignalingError;
      this.refused(refusal, { address });
      const body = JSON.stringify(refusal.body());
      socket.end(`HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nRetry-After: 1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      return null;
    }
  }

  /** A client's request refused: counted, and logged at debug only (clients must not fill the log). */
  private refused(refusal: SignalingError, context: Record<string, unknown>): void {
    this.metrics?.signalingErrors.inc({ code: refusal.code });
    this.logger.debug({ ...context, code: refusal.code, reason: refusal.message }, 'signaling request refused');
  }

  private accept(ws: WebSocket, ticket: SocketTicket): void {
    const alive = ws as WebSocket & { alive?: boolean };
    alive.alive = true;
    ws.on('pong', () => (alive.alive = true));
    let session: Omit<Session, 'result'> | null = null;
    let joining = false;
    let left = false;
    const link: ParticipantLink = {
      send: (frame) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
      },
      close: (code, reason) => ws.close(code, reason),
    };
    const joinTimer = setTimeout(() => {
      this.metrics?.signalingErrors.inc({ code: 'join_timeout' });
      link.send({ event: 'error', data: { code: 'join_timeout', message: `join within ${JOIN_TIMEOUT_MS} ms` } satisfies SignalingErrorBody });
      ws.close(4008, 'join_timeout');
    }, JOIN_TIMEOUT_MS);

    const onMessage = async (raw: RawData, isBinary: boolean): Promise<void> => {
      let id: number | null = null;
      try {
        if (isBinary) throw new SignalingError('invalid_frame', 'frames are JSON text');
        let parsed: unknown;
        try {
          parsed = JSON.parse(raw.toString());
        } catch {
          throw new SignalingError('invalid_frame', 'a frame must be JSON');
        }
        const frame = requestFrameSchema.safeParse(parsed);
        if (!frame.success) throw new SignalingError('invalid_frame', 'a request is { id, method, data }');
        id = frame.data.id;
        const method = frame.data.method;
        if (!Object.hasOwn(requestSchemas, method)) throw new SignalingError('unknown_method', `unknown method ${method}`);
        const data = requestSchemas[method as Method].safeParse(frame.data.data ?? {});
        if (!data.success) {
          const detail = data.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || 'data'}: ${i.message}`).join('; ');
          throw new SignalingError('invalid_request', detail);
        }

        if (method === 'join' || method === 'resume') {
          if (!session) ticket.attempt();
          if (session || joining) throw new SignalingError('already_joined', 'this connection has joined already');
          joining = true;
          try {
            const d = data.data as { token: string; stage_pass?: string; participant_id?: string; resume_token?: string };
            const joined =
              method === 'join' ? await this.rooms.join(link, d.token, d.stage_pass) : await this.rooms.resume(link, d.token, d.participant_id!, d.resume_token!);
            clearTimeout(joinTimer);
            ticket.joined();
            session = { participant: joined.participant, room: joined.room };
            if (ws.readyState !== ws.OPEN) {
              this.rooms.disconnected(session.room, session.participant);
              return;
            }
            link.send({ id, ok: true, data: joined.result });
          } finally {
            joining = false;
          }
          return;
        }
        if (!session) throw new SignalingError('not_joined', 'join first');
        if (method === 'leave') {
          left = true;
          // Answer once the participant is really gone, then close the socket ourselves.
          session.participant.detach();
          await this.rooms.leave(session.room, session.participant);
          link.send({ id, ok: true, data: {} });
          ws.close(1000, 'left');
          return;
        }
        const { participant, room } = session;
        await this.rooms.assertNotRevoked(participant.grant);
        const ctx: HandlerContext = { participant, room, services: this.rooms.services };
        const result = await HANDLERS[method]!(ctx, data.data as never);
        link.send({ id, ok: true, data: result });
      } catch (err) {
        const refusal = toSignalingError(err);
        if (refusal) this.refused(refusal, { participant_id: session?.participant.id });
        else {
          this.metrics?.signalingErrors.inc({ code: INTERNAL_ERROR.code });
          this.logger.error({ err, participant_id: session?.participant.id }, 'signaling request failed');
        }
        const error = refusal?.body() ?? INTERNAL_ERROR;
        link.send(id === null ? { event: 'error', data: error } : { id, ok: false, error });
        if (refusal?.code === 'too_many_join_attempts') ws.close(CLOSE_CODES.tooManyJoinAttempts, refusal.code);
      }
    };
    const pacing = new FramePacing(ws);
    ws.on('message', (raw, isBinary) => pacing.admit(() => onMessage(raw, isBinary)));

    ws.on('close', () => {
      clearTimeout(joinTimer);
      if (session && !left && session.participant.isReachedBy(link)) this.rooms.disconnected(session.room, session.participant);
    });
    ws.on('error', () => ws.terminate());
  }
}
