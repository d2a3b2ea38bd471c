// The room's LL-HLS stream, as the SDK reaches it: the server names it by a path on its own node, and
// the player is a bundle of its own (/sdk/levelchat-player.js), loaded on first use.
import type { createPlayer } from '../player/index.js';
import { LevelChatError } from './errors.js';

/** `/hls/...` from the server, against the node the signaling URL points at. */
export function absoluteHlsUrl(path: string, signalingUrl: string): string {
  return new URL(path, signalingUrl.replace(/^ws(s?):/, 'http$1:')).toString();
}

/** Loads the LL-HLS player bundle (once; the browser caches the module). */
export async function loadPlayer(): Promise<typeof createPlayer> {
  const player = await import('../player/index.js').catch((err: unknown) => {
    throw new LevelChatError('device_error', `cannot load the LL-HLS player: ${(err as Error).message}`);
  });
  return player.createPlayer;
}
