import { z } from 'zod';
import { parseJsonWith, safeParseJsonWith } from '../../common/json-payload.js';

const SPOOL_OBJECT_KINDS = ['init', 'part', 'segment', 'playlist'] as const;
/** What an object is to the spool: only parts may be dropped, only playlists are superseded. */
export type SpoolObjectKind = (typeof SPOOL_OBJECT_KINDS)[number];

/** What a spooled file says about its object, before the bytes. */
const headerSchema = z.object({
  key: z.string(),
  kind: z.enum(SPOOL_OBJECT_KINDS),
  options: z.object({ contentType: z.string(), cacheControl: z.string().optional(), metadata: z.record(z.string(), z.string()).optional() }),
});
export type SpoolFileHeader = z.infer<typeof headerSchema>;

// A spooled file: the header's length (4 bytes, big-endian), the header (JSON), the object's bytes.

/** The buffers that come before the object's bytes in its spooled file. */
export function spoolFileHead(header: SpoolFileHeader): [Buffer, Buffer] {
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(json.length);
  return [length, json];
}

/** A spooled file's header and object bytes; throws on a file that is not one. */
export function readSpoolFile(data: Buffer): { header: SpoolFileHeader; body: Buffer } {
  const headerBytes = data.length >= 4 ? data.readUInt32BE(0) : Number.POSITIVE_INFINITY;
  if (4 + headerBytes > data.length) throw new Error('bad header');
  const header = parseJsonWith(headerSchema, data.subarray(4, 4 + headerBytes).toString('utf8'), 'spooled file header');
  return { header, body: data.subarray(4 + headerBytes) };
}

// The spool directory's expiry marks (UploadSpool.expire): one JSON line per call, the spooled keys the
// live playlists' expiry deletes from storage and when. Kept beside the spooled files so that a spool
// reopened after a crash still drops them instead of uploading them after their deletion.

/** The marks file's name in the spool directory (never a spooled file's name: those end in `.spool`). */
export const EXPIRY_MARKS_FILE = 'expiry-marks.jsonl';

const expiryMarkSchema = z.object({ dueAt: z.number().int().nonnegative(), keys: z.array(z.string()) });

/** One line of the marks file. */
export function expiryMarkLine(keys: readonly string[], dueAt: number): string {
  return `${JSON.stringify({ dueAt, keys })}\n`;
}

/** The marks file's keys with their deletion time (a later line wins), and how many lines did not parse (a write a crash cut short). */
export function readExpiryMarks(text: string): { dueAt: Map<string, number>; badLines: number } {
  const dueAt = new Map<string, number>();
  let badLines = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const mark = safeParseJsonWith(expiryMarkSchema, line, 'expiry mark');
    if (!mark.success) {
      badLines++;
      continue;
    }
    for (const key of mark.data.keys) dueAt.set(key, mark.data.dueAt);
  }
  return { dueAt, badLines };
}
