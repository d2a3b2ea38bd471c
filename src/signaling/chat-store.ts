import type { Redis } from 'ioredis';
import { safeParseJsonWith } from '../../common/json-payload.js';
import type { Logger } from '../../common/logger.js';
import type { ChatMessage } from './protocol.js';
import { chatBodySchema } from './wire-schemas.js';

const chatKey = (roomId: string) => `lc:room:${roomId}:chat`;
const MAX_MESSAGES = 500;

/**
 * A room's chat, persisted in a bounded Redis stream so late joiners get the history. A message's
 * id is its stream entry id, so a moderator's delete is one XDEL.
 */
export class ChatStore {
  constructor(
    private readonly redis: Redis,
    /** Where dropped entries are reported (at debug). */
    private readonly logger?: Logger,
  ) {}

  async append(roomId: string, from: { participant_id: string; identity: string }, text: string): Promise<ChatMessage> {
    const body = { ...from, text, at: new Date().toISOString() };
    const id = await this.redis.xadd(chatKey(roomId), 'MAXLEN', '~', String(MAX_MESSAGES), '*', 'message', JSON.stringify(body));
    return { id: id!, ...body };
  }

  /** The last `count` messages, oldest first; an entry that is not a message is left out. */
  async recent(roomId: string, count = 50): Promise<ChatMessage[]> {
    const entries = await this.redis.xrevrange(chatKey(roomId), '+', '-', 'COUNT', count);
    const messages: ChatMessage[] = [];
    for (const [id, fields] of entries.reverse()) {
      const body = safeParseJsonWith(chatBodySchema, fields[1] ?? '', `chat message ${id} of room ${roomId}`);
      if (body.success) messages.push({ id, ...body.data });
      else this.logger?.debug({ err: body.error.message }, 'dropped a malformed chat entry');
    }
    return messages;
  }

  /** True when the message existed. */
  async delete(roomId: string, messageId: string): Promise<boolean> {
    return (await this.redis.xdel(chatKey(roomId), messageId)) === 1;
  }
}
