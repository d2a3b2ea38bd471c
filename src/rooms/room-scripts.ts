import { emitEventLua } from '../events/emit-script.js';

// Every room change is one Lua script: the document, its owner index and the event it emits change
// together or not at all, and events of one room are ordered as the changes were.

// The room counts (room-counts.ts: a hash of '<state>:<type>' fields) change with the room in the same
// script, so they always add up to the rooms stored.

/** KEYS: room, owner index, room counts. ARGV: room json, created ms, event json. → {'created'|'exists', room json, queues...} */
export const createRoomLua = (eventsChannel: string): string => `${emitEventLua(eventsChannel)}
local existing = redis.call('GET', KEYS[1])
if existing then return {'exists', existing} end
local room = cjson.decode(ARGV[1])
redis.call('SET', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[2], room.id)
redis.call('HINCRBY', KEYS[3], room.state .. ':' .. room.type, 1)
local needs_job = {}
emit_event(room.owner, room.id, 'room.created', ARGV[3], needs_job)
local out = {'created', ARGV[1]}
for _, q in ipairs(needs_job) do table.insert(out, q) end
return out
`;

/**
 * KEYS: room, room counts. ARGV: action ('join' | 'leave' | 'end' | 'archive' | 'promote'), now iso, started
 * event json, ended event json, archived event json, promoted event json.
 * → {status, room json, queues...}; status 'ok' | 'changed' (a state transition happened) | an error code.
 */
export const roomActionLua = (eventsChannel: string): string => `${emitEventLua(eventsChannel)}
local raw = redis.call('GET', KEYS[1])
if not raw then return {'room_not_found'} end
local room = cjson.decode(raw)
local action, now = ARGV[1], ARGV[2]
local needs_job = {}
local changed = false
local function move(state, event_type, event_json)
  redis.call('HINCRBY', KEYS[2], room.state .. ':' .. room.type, -1)
  redis.call('HINCRBY', KEYS[2], state .. ':' .. room.type, 1)
  room.state = state
  table.insert(room.transitions, { state = state, at = now })
  emit_event(room.owner, room.id, event_type, event_json, needs_job)
  changed = true
end
if action == 'join' then
  if room.state == 'archived' then return {'room_archived'} end
  if room.state == 'ended' and room.ended_reason == 'host_ended' then return {'room_ended'} end
  room.participants = room.participants + 1
  if room.state ~= 'active' then
    room.ended_reason = cjson.null
    move('active', 'room.started', ARGV[3])
  end
elseif action == 'leave' then
  if room.participants > 0 then room.participants = room.participants - 1 end
  if room.participants == 0 and room.state == 'active' then
    room.ended_reason = 'empty'
    move('ended', 'room.ended', ARGV[4])
  end
elseif action == 'end' then
  if room.state == 'archived' then return {'room_archived'} end
  if room.state == 'ended' and room.ended_reason == 'host_ended' then return {'room_ended'} end
  room.participants = 0
  room.ended_reason = 'host_ended'
  if room.state == 'ended' then
    changed = true
  else
    move('ended', 'room.ended', ARGV[4])
  end
elseif action == 'archive' then
  if room.state ~= 'ended' then return {'not_ended'} end
  move('archived', 'room.archived', ARGV[5])
elseif action == 'promote' then
  if room.type ~= 'hybrid' then return {'not_hybrid'} end
  if room.promoted then return {'already_promoted'} end
  if room.state == 'archived' then return {'room_archived'} end
  if room.state == 'ended' and room.ended_reason == 'host_ended' then return {'room_ended'} end
  room.promoted = true
  room.config.hls = not room.config.e2ee
  emit_event(room.owner, room.id, 'room.promoted', ARGV[6], needs_job)
  changed = true
end
local encoded = cjson.encode(room)
redis.call('SET', KEYS[1], encoded)
local out = {changed and 'changed' or 'ok', encoded}
for _, q in ipairs(needs_job) do table.insert(out, q) end
return out
`;
