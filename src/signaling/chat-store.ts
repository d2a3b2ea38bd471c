import type { Redis } from 'ioredis';
import type { ChatMessage } from './protocol.js';

const chatKey = (roomId: string) => `lc:room:${roomId}:chat`;
const MAX_MESSAGES = 500;

/**
 * A room's chat, persisted in a bounded Redis stream so late joiners get the history. A message's
 * id is its stream entry id, so a moderator's delete is one XDEL.
 */
export class ChatStore {
  constructor(private readonly redis: Redis) {}

  async append(roomId: string, from: { participant_id: string; identity: string }, text: string): Promise<ChatMessage> {
    const body = { ...from, text, at: new Date().toISOString() };
    const id = await this.redis.xadd(chatKey(roomId), 'MAXLEN', '~', String(MAX_MESSAGES), '*', 'message', JSON.stringify(body));
    return { id: id!, ...body };
  }

  async recent(roomId: string, count = 50): Promise<ChatMessage[]> {
    const entries = await this.redis.xrevrange(chatKey(roomId), '+', '-', 'COUNT', count);
    return entries.reverse().map(([id, fields]) => ({ id, ...(JSON.parse(fields[1]!) as Omit<ChatMessage, 'id'>) }));
  }

  /** True when the message existed. */
  async delete(roomId: string, messageId: string): Promise<boolean> {
    return (await this.redis.xdel(chatKey(roomId), messageId)) === 1;
  }
}
