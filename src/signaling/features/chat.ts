import { SignalingError } from '../signaling-errors.js';
import { speaker, type Feature } from './feature.js';

/** Room chat: `chat:send` to talk; persisted so late joiners see the history. */
export const chatFeature: Feature = {
  async chat(ctx, { text }) {
    const message = await ctx.services.chat.append(ctx.room.id, speaker(ctx, 'chat'), text);
    ctx.room.broadcast('chat', message);
    return { message };
  },
};

/** Moderators remove a message from the room and from its history. */
export const chatModerationFeature: Feature = {
  async delete_chat({ participant, room, services }, { message_id }) {
    participant.require('moderate:participants');
    if (!(await services.chat.delete(room.id, message_id))) throw new SignalingError('not_found', `no message ${message_id}`);
    room.broadcast('chat-deleted', { message_id, by: participant.id });
    return {};
  },
};
