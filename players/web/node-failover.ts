import type { JoinResult } from '../../src/signaling/protocol.js';
import { Backoff } from './backoff.js';
import { LevelChatError, asLevelChatError } from './errors.js';
import { SignalingClient, type SignalingHandlers } from './signaling-client.js';

/** How many `wrong_node` redirects a join follows (the room's origin moved at most that often meanwhile). */
const MAX_REDIRECTS = 3;

/** Where a join is redirected to, when the server answered `wrong_node` (publishers belong on the room's origin node). */
export function redirectOf(err: LevelChatError): string | null {
  const url = err.code === 'wrong_node' ? err.details['signaling_url'] : null;
  return typeof url === 'string' ? url : null;
}

export interface JoinAtOptions {
  token: string;
  /** From a `stage-invite`: takes the stage where the join lands. */
  stagePass?: string;
  /** Handlers for a new connection; `client()` is that connection once it is open. */
  handlers(client: () => SignalingClient): SignalingHandlers;
  /** Called with each new connection, and the node it reached, just before `join` is sent on it. */
  beforeAnswer(client: SignalingClient, url: string): void;
  /** How long a node has to open the socket (default 3 s: a live node answers at once, and others may take us). */
  connectTimeoutMs?: number;
  /**
   * Resolves with the answer once the session can take part in it (a WebRTC device loaded for the
   * room's router). Default: the answer as it is.
   */
  takeUp?(answer: Promise<JoinResult>): Promise<JoinResult>;
}

/** Joins at `url`, following `wrong_node` redirects; resolves with the connection and where it is. */
export async function joinAt(url: string, o: JoinAtOptions): Promise<{ client: SignalingClient; result: JoinResult; url: string }> {
  let target = url;
  for (let hop = 0; ; hop += 1) {
    const holder: { client: SignalingClient | null } = { client: null };
    const client = await SignalingClient.connect(target, o.handlers(() => holder.client!), o.connectTimeoutMs ?? 3000);
    holder.client = client;
    let joined = false;
    try {
      o.beforeAnswer(client, target);
      const answer = client.request('join', { token: o.token, ...(o.stagePass ? { stage_pass: o.stagePass } : {}) });
      answer.then(() => (joined = true), () => {});
      return { client, result: await (o.takeUp ? o.takeUp(answer) : answer), url: target };
    } catch (err) {
      // Joined but cannot take part (no WebRTC): leave at once rather than linger for the resume window.
      if (joined) await client.request('leave', {}, 1000).catch(() => {});
      client.close();
      const error = asLevelChatError(err, 'disconnected');
      const next = redirectOf(error);
      if (!next || hop >= MAX_REDIRECTS) throw error;
      target = next;
    }
  }
}

/** Refusals no other node would answer differently. */
function isFinal(err: LevelChatError): boolean {
  return err.code.startsWith('token_') || ['room_not_found', 'room_ended', 'room_archived', 'room_full', 'webrtc_full', 'capability_required'].includes(err.code);
}

/** Long enough for a dead origin's registry entry to expire and the room to be placed again. */
const FAILOVER_WINDOW_MS = 30_000;

/**
 * The node we were on is gone: join again (a new participant) on the other nodes of the room, in
 * the order the server gave them, round after round with backoff. Resolves null when the window
 * passes or `isCancelled()`; rejects on a refusal no node would change.
 */
export async function failOver(nodes: readonly string[], o: JoinAtOptions & { isCancelled(): boolean }): Promise<{ client: SignalingClient; result: JoinResult; url: string } | null> {
  const backoff = new Backoff(FAILOVER_WINDOW_MS);
  while (!o.isCancelled() && backoff.remaining > 0) {
    for (const url of nodes) {
      if (o.isCancelled()) return null;
      try {
        return await joinAt(url, o);
      } catch (err) {
        const error = asLevelChatError(err, 'disconnected');
        if (isFinal(error)) throw error;
      }
    }
    await backoff.pause();
  }
  return null;
}
