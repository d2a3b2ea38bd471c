import { randomBytes } from 'node:crypto';
import { z } from 'zod';

// Ids reach Redis keys and object keys (hls/{room_id}/...), so they are checked before anything
// else: a fixed charset, bounded length, no `/`, no `..`.
const EXTERNAL_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,125}$/;
const ROOM_ID = /^r_[A-Za-z0-9][A-Za-z0-9._-]{0,125}$/;

const noDotDot = (v: string) => !v.includes('..');

export const externalIdSchema = z
  .string()
  .regex(EXTERNAL_ID, 'must be 1-126 characters: letters, digits, ".", "_" or "-", starting with a letter or digit')
  .refine(noDotDot, 'must not contain ".."');

export const roomIdSchema = z
  .string()
  .regex(ROOM_ID, 'must be "r_" followed by 1-126 letters, digits, ".", "_" or "-" (128 characters at most)')
  .refine(noDotDot, 'must not contain ".."');

export function isValidRoomId(value: string): boolean {
  return roomIdSchema.safeParse(value).success;
}

/** A room created for an integrator's deterministic id gets `r_` + that id. */
export function roomIdFor(externalId: string): string {
  return `r_${externalId}`;
}

export function externalIdOf(roomId: string): string {
  return roomId.slice(2);
}

export function generateRoomId(): string {
  return `r_${randomBytes(12).toString('base64url').replace(/[-_]/g, '0')}`;
}
