import {
  ownerWebhookFilters, ROOM_EVENT_STREAM_MAXLEN, roomEventStream, WEBHOOK_BACKLOG_MAX, WEBHOOK_DROPPED_COUNT, WEBHOOK_QUEUE_MAX, WEBHOOK_QUEUED_FIELD,
  WEBHOOK_QUEUES_SET, webhookHash, webhookRoomQueue,
} from './event-keys.js';

/**
 * The Lua expression for the key `key` names, its arguments being Lua expressions: the key names
 * stay in event-keys.ts alone. luaKey(webhookRoomQueue, 'hooks[i]', 'room_id') is
 * `'lc:wh:q:' .. hooks[i] .. ':' .. room_id`.
 */
export function luaKey<A extends string[]>(key: (...args: A) => string, ...args: A): string {
  const marked = key(...(args.map((_, i) => `\u0000${i}\u0000`) as A));
  return marked
    .split(/\u0000(\d+)\u0000/)
    .map((part, i) => (i % 2 === 1 ? args[Number(part)]! : part === '' ? null : `'${part}'`))
    .filter((part) => part !== null)
    .join(' .. ');
}

/**
 * Lua that records one room event atomically with the change that caused it: appended to the
 * room's stream, published to every node, and queued for each of the owner's webhooks that wants
 * it (unless that webhook's queue for the room is full, WEBHOOK_QUEUE_MAX, or all its queues together
 * hold WEBHOOK_BACKLOG_MAX: counted as dropped).
 * Returns (through `needs_job`) the delivery queues that were empty, which need a delivery job.
 * Prepended to every script that emits events; `channel` is the room events channel of the
 * script's connection (roomEventsChannel).
 */
export const emitEventLua = (channel: string): string => `
local function emit_event(owner, room_id, event_type, event_json, needs_job)
  redis.call('XADD', ${luaKey(roomEventStream, 'room_id')}, 'MAXLEN', '~', ${ROOM_EVENT_STREAM_MAXLEN}, '*', 'type', event_type, 'event', event_json)
  redis.call('PUBLISH', '${channel}', event_json)
  local hooks = redis.call('HGETALL', ${luaKey(ownerWebhookFilters, 'owner')})
  for i = 1, #hooks, 2 do
    local wanted = hooks[i + 1]
    if wanted == '*' or string.find(wanted, ',' .. event_type .. ',', 1, true) then
      local queue = ${luaKey(webhookRoomQueue, 'hooks[i]', 'room_id')}
      local hook = ${luaKey(webhookHash, 'hooks[i]')}
      local queued = tonumber(redis.call('HGET', hook, '${WEBHOOK_QUEUED_FIELD}') or '0')
      if queued >= ${WEBHOOK_BACKLOG_MAX} or redis.call('LLEN', queue) >= ${WEBHOOK_QUEUE_MAX} then
        redis.call('HINCRBY', hook, 'dropped_events', 1)
        redis.call('INCR', '${WEBHOOK_DROPPED_COUNT}')
      else
        if redis.call('RPUSH', queue, event_json) == 1 then
          table.insert(needs_job, queue)
        end
        redis.call('HINCRBY', hook, '${WEBHOOK_QUEUED_FIELD}', 1)
        redis.call('SADD', '${WEBHOOK_QUEUES_SET}', queue)
      end
    end
  end
end
`;
