import { describe, expect, it } from 'vitest';
import { emitEventLua, luaKey } from '../../../src/events/emit-script.js';
import { ownerWebhookFilters, roomEventStream, webhookHash, webhookRoomQueue } from '../../../src/events/event-keys.js';

describe('the event-emitting Lua names its keys through event-keys', () => {
  it('turns a key function into a Lua expression over Lua arguments', () => {
    expect(luaKey(roomEventStream, 'room_id')).toBe("'lc:room:' .. room_id .. ':events'");
    expect(luaKey(ownerWebhookFilters, 'owner')).toBe("'lc:webhooks:owner:' .. owner");
    expect(luaKey(webhookRoomQueue, 'hooks[i]', 'room_id')).toBe("'lc:wh:q:' .. hooks[i] .. ':' .. room_id");
    expect(luaKey(webhookHash, 'hooks[i]')).toBe("'lc:webhook:' .. hooks[i]");
  });

  it('uses those expressions in the script', () => {
    const lua = emitEventLua('chan');
    for (const expr of [luaKey(roomEventStream, 'room_id'), luaKey(webhookRoomQueue, 'hooks[i]', 'room_id'), luaKey(webhookHash, 'hooks[i]')]) {
      expect(lua).toContain(expr);
    }
  });
});
