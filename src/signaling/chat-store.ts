import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ChatMessage } from './protocol.js';

const chatKey = (roomId: string) => `lc:room:${roomId}:chat`;
const MAX_MESSAGES = 500;

/** A room's chat, persisted in a bounded Redis stream so late joiners get the history. */
export class ChatStore {
  constructor(private readonly redis: Redis) {}

  async append(roomId: string, from: { participant_id: string; identity: string }, text: string): Promise<ChatMessage> {
    const message: ChatMessage = { id: `msg_${randomBytes(8).toString('hex')}`, ...from, text, at: new Date().toISOString() };
    await this.redis.xadd(chatKey(roomId), 'MAXLEN', '~', String(MAX_MESSAGES), '*', 'message', JSON.stringify(message));
    return message;
  }

  async recent(roomId: string, count = 50): Promise<ChatMessage[]> {
    const entries = await this.redis.xrevrange(chatKey(roomId), '+', '-', 'COUNT', count);
    return entries.reverse().map(([, fields]) => JSON.parse(fields[1]!) as ChatMessage);
  }
}
