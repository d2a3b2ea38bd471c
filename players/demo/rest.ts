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

export async function createRoom(): Promise<void> {
  const room = await api('/v1/rooms', { type: input('room-type').value });
  input('room-id').value = String(room['id']);
  log(`created ${String(room['type'])} room ${String(room['id'])}`);
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
