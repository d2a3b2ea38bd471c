import type { JoinResult, RequestData } from '../../src/signaling/protocol.js';
import { Backoff } from './backoff.js';
import { LevelChatError, asLevelChatError } from './errors.js';
import { RESUME_WINDOW_MS, SignalingClient, type SignalingHandlers } from './signaling-client.js';

export interface ResumeOptions {
  url: string;
  /** Handlers for a new connection; `client()` is that connection once it is open. */
  handlers(client: () => SignalingClient): SignalingHandlers;
  request: RequestData<'resume'>;
  /** Stop trying (the user left meanwhile). */
  isCancelled(): boolean;
  /** Called with each new connection just before `resume` is sent on it. */
  beforeAnswer(client: SignalingClient): void;
  /**
   * Give up (rejecting with `connection_failed`) after this many connections in a row could not
   * even be opened: the node itself is gone, and other nodes can take us. Default: keep trying.
   */
  unreachableAfter?: number;
}

/** Refusals that no retry can fix. */
function isFinal(err: LevelChatError): boolean {
  return err.code === 'resume_failed' || err.code.startsWith('token_') || err.code.startsWith('room_');
}

/**
 * Opens new connections and sends `resume` (participant id + resume token from the join), with
 * exponential backoff, for up to the server's resume window (10 s). Resolves null when it cannot.
 */
export async function resumeWithBackoff(o: ResumeOptions): Promise<{ client: SignalingClient; result: JoinResult } | null> {
  const backoff = new Backoff(RESUME_WINDOW_MS);
  let lastError: LevelChatError | null = null;
  let unreachable = 0;
  while (!o.isCancelled()) {
    const remaining = backoff.remaining;
    if (remaining <= 0) break;
    let client: SignalingClient | null = null;
    try {
      const holder: { client: SignalingClient | null } = { client: null };
      client = await SignalingClient.connect(o.url, o.handlers(() => holder.client!), Math.min(remaining, 3000)).catch((err: unknown) => {
        unreachable += 1;
        if (unreachable >= (o.unreachableAfter ?? Infinity)) throw new LevelChatError('connection_failed', `${o.url} is unreachable: ${(err as Error).message}`);
        throw err;
      });
      unreachable = 0;
      holder.client = client;
      if (o.isCancelled()) {
        client.close();
        return null;
      }
      o.beforeAnswer(client);
      const result = await client.request('resume', o.request, Math.max(500, Math.min(backoff.remaining, 5000)));
      return { client, result };
    } catch (err) {
      client?.close();
      lastError = asLevelChatError(err, 'disconnected');
      if (isFinal(lastError) || unreachable >= (o.unreachableAfter ?? Infinity)) throw lastError;
    }
    await backoff.pause();
  }
  if (lastError && !o.isCancelled()) throw new LevelChatError('resume_failed', `could not resume within the window: ${lastError.message}`);
  return null;
}
