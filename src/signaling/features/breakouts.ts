import type { Participant } from '../participant.js';
import { SIGNALING_PATH } from '../protocol.js';
import { SignalingError } from '../signaling-errors.js';
import type { Feature } from './feature.js';

const BREAKOUT_TOKEN_TTL_S = 4 * 3600;

/** Breakout `n` of a room: a room of its own (own media), linked to its parent. */
export const breakoutRoomId = (parentId: string, n: number) => `${parentId}.b${n}`;

/**
 * Breakouts: a moderator splits the room into N rooms, assigns people (explicitly, or evenly in
 * join order), and later closes them, which ends each breakout and sends everyone back. Opening
 * and closing is rate-limited per identity: each makes or ends up to 20 rooms, mints a token for
 * everyone and sends webhook events.
 */
export const breakoutsFeature: Feature = {
  async open_breakouts({ participant, room, services }, { count, assignments = {} }) {
    participant.require('moderate:participants');
    if (room.breakouts) throw new SignalingError('invalid_request', 'breakouts are open already: close them first');
    if (room.room.parent_id) throw new SignalingError('invalid_request', 'a breakout cannot have breakouts');
    if (breakoutRoomId(room.id, count).length > 128) throw new SignalingError('invalid_request', 'the room id is too long for breakout ids');
    for (const [pid, n] of Object.entries(assignments)) {
      if (!room.participants.has(pid)) throw new SignalingError('not_found', `no participant ${pid}`);
      if (n > count) throw new SignalingError('invalid_request', `breakout ${n} does not exist (count is ${count})`);
    }
    room.limit(participant, 'breakouts');
    const owner = room.room.owner;
    const ids = Array.from({ length: count }, (_, i) => breakoutRoomId(room.id, i + 1));
    for (const id of ids) {
      await services.rooms.create(owner, { external_id: id.slice(2), type: 'meeting', parent_id: room.id, config: { preferred_codec: room.room.config.preferred_codec } });
    }
    // Moderators stay in the main room (they may visit any breakout with their own tokens).
    const movable = [...room.participants.values()].filter((p) => !p.has('moderate:participants') || assignments[p.id] !== undefined);
    const layout = ids.map((id, i) => ({ room_id: id, number: i + 1, members: [] as Participant[] }));
    let next = 0;
    for (const p of movable) {
      const n = assignments[p.id] ?? (next++ % count) + 1;
      layout[n - 1]!.members.push(p);
    }
    const rooms = layout.map((b) => ({ room_id: b.room_id, number: b.number, identities: b.members.map((m) => m.identity) }));
    room.openBreakouts(rooms);
    for (const b of layout) {
      for (const member of b.members) {
        const { token } = await services.minter.mint(owner, {
          roomId: b.room_id,
          identity: member.identity,
          name: member.grant.name,
          capabilities: member.grant.capabilities,
          metadata: member.grant.metadata,
          ttlS: BREAKOUT_TOKEN_TTL_S,
        });
        member.send('breakout', { room_id: b.room_id, number: b.number, token, signaling_url_path: SIGNALING_PATH });
      }
    }
    room.broadcast('breakouts', { open: true, rooms });
    await room.emit('breakout.opened', { rooms });
    return { rooms };
  },

  async close_breakouts({ participant, room, services }) {
    participant.require('moderate:participants');
    const open = room.breakouts;
    if (!open) throw new SignalingError('invalid_request', 'no breakouts are open');
    room.limit(participant, 'breakouts');
    room.closeBreakouts();
    for (const b of open) await services.rooms.end(room.room.owner, b.room_id).catch(() => undefined);
    room.broadcast('breakouts', { open: false, rooms: [...open] });
    await room.emit('breakout.closed', { rooms: open.map((b) => b.room_id) });
    return {};
  },
};
