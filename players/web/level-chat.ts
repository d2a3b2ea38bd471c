import { LevelChatError } from './errors.js';
import { LiveSession, type JoinLiveOptions } from './live-session.js';

/**
 * Room operations from the browser. Integrators end rooms from their backend with the API key
 * (`DELETE /v1/rooms/{id}`, or @levelchat/node); in the browser, `end()` works for a participant
 * joined to that room whose token has `moderate:participants` (it goes over that session's signaling).
 */
export class Rooms {
  constructor(private readonly sessions: () => Iterable<LiveSession>) {}

  async end(roomId: string): Promise<void> {
    const session = [...this.sessions()].find((s) => s.roomId === roomId);
    if (!session) {
      throw new LevelChatError(
        'not_joined',
        `join room ${roomId} with a moderate:participants token first (or end it with your API key: DELETE /v1/rooms/${roomId})`,
      );
    }
    await session.endRoom();
  }
}

/** The @levelchat/web entry point. */
export class LevelChat {
  private readonly sessions = new Set<LiveSession>();
  readonly rooms = new Rooms(() => this.sessions);

  /** Joins a room with a token: resolves once joined; remote tracks then arrive as `track-subscribed`. */
  async joinLive(options: JoinLiveOptions): Promise<LiveSession> {
    if (!options?.token) throw new LevelChatError('token_malformed', 'joinLive needs { token, signalingUrl }');
    if (!options.signalingUrl) throw new LevelChatError('connection_failed', 'joinLive needs the signalingUrl of the token response');
    const session = await LiveSession.open(options, (s) => this.sessions.delete(s));
    this.sessions.add(session);
    return session;
  }
}
