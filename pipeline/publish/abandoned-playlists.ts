import type { Redis } from 'ioredis';
import { endedUpdateOf, masterStateKey, publishState, readRenditionState, readState, renditionHeadKey, renditionStateKey, STATE_TTL_S } from './playlist-state.js';

/**
 * Ends the room's published playlists that are still live although nothing publishes them any more:
 * those of the multivariant playlist last published, each ended where it is (endedUpdateOf: what
 * was listed stays, EXT-X-ENDLIST instead of the hint), so players and the blocking requests the
 * origins hold stop waiting. For a run that starts new playlists where an earlier run's may have
 * been left live: its node died mid-run (the job is taken up again here) or it handed them over and
 * no run went on in them. Returns the renditions it ended.
 *
 * Its states are ordered after any the earlier run published (a publisher's seq starts from its
 * creation time in µs and grows by one per update), never after those of a run created later.
 */
export async function endAbandonedPlaylists(redis: Redis, roomId: string, ttlSeconds = STATE_TTL_S): Promise<string[]> {
  const message = await readState(redis, masterStateKey(roomId));
  if (message?.type !== 'master') return [];
  const ended: string[] = [];
  for (const rendition of message.state.renditions) {
    const read = await readRenditionState(redis, roomId, rendition);
    if (!read || read.update.ended) continue;
    const { update, head } = read;
    const state = endedUpdateOf(update, head.text, Math.max(update.seq + 1, Date.now() * 1000));
    await publishState(redis, roomId, renditionStateKey(roomId, rendition), { type: 'rendition', state }, ttlSeconds, { key: renditionHeadKey(roomId, rendition), head });
    ended.push(rendition);
  }
  return ended;
}
