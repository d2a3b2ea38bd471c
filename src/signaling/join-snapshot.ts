import type { QuestionStore } from '../rooms/question-store.js';
import type { ChatStore } from './chat-store.js';
import type { LiveRoom } from './live-room.js';
import type { Participant } from './participant.js';
import type { IceServerInfo, JoinResult } from './protocol.js';

/** Open questions a join shows (the most recent); a room may hold many more. */
export const SNAPSHOT_QUESTIONS = 50;

export interface SnapshotSources {
  chat: Pick<ChatStore, 'recent'>;
  questions: Pick<QuestionStore, 'recentOpen'>;
  /** The ICE servers (with TURN credentials) for an identity; none when absent. */
  iceServers?: (identity: string) => readonly { url: string; username?: string; credential?: string }[];
}

/**
 * The room as a (re)joining participant first sees it, on this node and the others. `nodes`: the
 * signaling URLs to fall back to if this node is lost.
 */
export async function joinSnapshot(room: LiveRoom, participant: Participant, nodes: string[], sources: SnapshotSources): Promise<JoinResult> {
  // A token without subscribe:all sees nobody: no participants, no tracks (chat still works).
  const sees = participant.has('subscribe:all');
  const remote = sees ? await room.remotePresence() : { participants: [], tracks: [] };
  const stored = room.room;
  return {
    room: { id: room.id, type: stored.type, config: { ...stored.config }, promoted: stored.promoted === true },
    participant: { ...participant.info(), capabilities: participant.grant.capabilities },
    router_rtp_capabilities: room.media.rtpCapabilities as unknown as Record<string, unknown>,
    participants: sees
      ? [...[...room.participants.values()].filter((p) => p !== participant && room.isAnnounced(p)).map((p) => p.info()), ...remote.participants.map((p) => p.info)]
      : [],
    viewer_count: room.audience,
    tracks: sees ? [...[...room.tracks.values()].filter((t) => t.participant !== participant).map((t) => room.trackInfo(t)), ...remote.tracks.map((t) => t.info)] : [],
    chat_history: await sources.chat.recent(room.id),
    hand_queue: participant.has('moderate:participants') ? room.handQueue : [],
    questions: await sources.questions.recentOpen(room.id, SNAPSHOT_QUESTIONS),
    resume_token: participant.resumeToken,
    nodes,
    ice_servers: (sources.iceServers?.(participant.identity) ?? []).map(({ url, ...credentials }): IceServerInfo => ({ urls: url, ...credentials })),
  };
}
