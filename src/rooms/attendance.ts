import type { Redis } from 'ioredis';
import { z } from 'zod';
import { parseJsonWith } from '../../common/json-payload.js';

export interface AttendanceInterval {
  participant_id: string;
  joined_at: string;
  left_at: string | null;
}

export interface AttendanceRecord {
  identity: string;
  intervals: AttendanceInterval[];
  /** Seconds present, counting open intervals up to now. */
  total_s: number;
}

const key = (roomId: string) => `lc:room:${roomId}:attendance`;

/** One participant's interval as stored (the participant id is its field in the room's hash). */
const storedIntervalSchema = z.object({ identity: z.string(), joined_at: z.string(), left_at: z.string().nullable() });

const parseInterval = (json: string, roomId: string, participantId: string) =>
  parseJsonWith(storedIntervalSchema, json, `attendance of ${participantId} in room ${roomId}`);

/**
 * Join/leave intervals per identity, kept with the room (they outlive its end and its archive).
 * One hash per room: field = participant id, value = its interval.
 */
export class AttendanceLog {
  constructor(private readonly redis: Redis) {}

  async joined(roomId: string, participantId: string, identity: string, at = new Date()): Promise<void> {
    await this.redis.hset(key(roomId), participantId, JSON.stringify({ identity, joined_at: at.toISOString(), left_at: null }));
  }

  async left(roomId: string, participantId: string, at = new Date()): Promise<void> {
    const raw = await this.redis.hget(key(roomId), participantId);
    if (!raw) return;
    await this.redis.hset(key(roomId), participantId, JSON.stringify({ ...parseInterval(raw, roomId, participantId), left_at: at.toISOString() }));
  }

  async report(roomId: string, now = new Date()): Promise<AttendanceRecord[]> {
    const byIdentity = new Map<string, AttendanceRecord>();
    for (const [participantId, raw] of Object.entries(await this.redis.hgetall(key(roomId)))) {
      const { identity, joined_at, left_at } = parseInterval(raw, roomId, participantId);
      const record = byIdentity.get(identity) ?? { identity, intervals: [], total_s: 0 };
      record.intervals.push({ participant_id: participantId, joined_at, left_at });
      record.total_s += Math.max(0, (Date.parse(left_at ?? now.toISOString()) - Date.parse(joined_at)) / 1000);
      byIdentity.set(identity, record);
    }
    const records = [...byIdentity.values()];
    for (const r of records) {
      r.intervals.sort((a, b) => a.joined_at.localeCompare(b.joined_at));
      r.total_s = Math.round(r.total_s * 10) / 10;
    }
    return records.sort((a, b) => a.intervals[0]!.joined_at.localeCompare(b.intervals[0]!.joined_at));
  }
}

/**
 * One row per interval; fields quoted as RFC 4180 asks. A value a spreadsheet would run as a
 * formula (leading = + - @) is prefixed with a quote.
 */
export function attendanceCsv(records: AttendanceRecord[]): string {
  const quote = (raw: string) => {
    const v = /^[=+\-@]/.test(raw) ? `'${raw}` : raw;
    return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
  };
  const rows = [['identity', 'participant_id', 'joined_at', 'left_at', 'total_s'].join(',')];
  for (const r of records) {
    for (const i of r.intervals) rows.push([quote(r.identity), i.participant_id, i.joined_at, i.left_at ?? '', String(r.total_s)].join(','));
  }
  return `${rows.join('\r\n')}\r\n`;
}
