// The REST calls of the console, made with the API key pasted in the page (a real app makes them on
// its backend): create a room, mint a token, share a join link.
import { $, input, log } from './dom.js';

async function api(path: string, body: unknown): Promise<Record<string, unknown>> {
  const key = input('api-key').value.trim();
  if (!key) throw new Error('paste an API key first');
  const res = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify(body),
  });
  const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${res.status} ${String(json['code'] ?? '')} ${String(json['detail'] ?? json['title'] ?? '')}`);
  return json;
}

/**
 * Creates the room named in the room field (`standup` or `r_standup`: the room `r_standup`, made from
 * that external id; an existing one of this key is returned as it is), or a new random room when the
 * field is blank.
 */
export async function createRoom(): Promise<void> {
  const typed = input('room-id').value.trim();
  const externalId = typed.startsWith('r_') ? typed.slice(2) : typed;
  const room = await api('/v1/rooms', { type: input('room-type').value, ...(externalId ? { external_id: externalId } : {}) });
  input('room-id').value = String(room['id']);
  const type = String(room['type']);
  // An existing room keeps its type whatever the form says.
  log(type === input('room-type').value || !externalId ? `room ${String(room['id'])} (${type})` : `room ${String(room['id'])} exists already, as a ${type} room`);
}

/** What the console reads of `GET /v1/rooms/{id}`. */
export interface RoomStatus {
  hls: { state: string; url: string; on_air: { identity: string } | null } | null;
  viewers: { count: number; capped: boolean; latency_p50_s: number | null; latency_p95_s: number | null } | undefined;
}

export async function getRoom(roomId: string): Promise<RoomStatus> {
  const key = input('api-key').value.trim();
  const res = await fetch(`/v1/rooms/${encodeURIComponent(roomId)}`, { headers: { authorization: `Bearer ${key}` } });
  if (!res.ok) throw new Error(`GET room: ${res.status}`);
  return (await res.json()) as RoomStatus;
}

/** A token for the identity and capabilities in the form (creating the room first when none is named). */
export async function mintToken(): Promise<void> {
  let roomId = input('room-id').value.trim();
  if (!roomId) {
    await createRoom();
    roomId = input('room-id').value.trim();
  }
  const capabilities = [...document.querySelectorAll<HTMLInputElement>('#caps input:checked')].map((c) => c.value);
  const identity = input('identity').value.trim() || `guest-${Math.random().toString(36).slice(2, 7)}`;
  input('identity').value = identity;
  const minted = await api(`/v1/rooms/${encodeURIComponent(roomId)}/tokens`, { identity, capabilities, type: input('room-type').value });
  $<HTMLTextAreaElement>('token').value = String(minted['token']);
  input('signaling-url').value = String(minted['signaling_url']);
  log(`token for ${identity}: ${capabilities.join(', ')}`);
}

export function joinLink(): string {
  const url = new URL('/', location.href);
  url.searchParams.set('room', input('room-id').value.trim());
  url.searchParams.set('token', $<HTMLTextAreaElement>('token').value.trim());
  return url.toString();
}
