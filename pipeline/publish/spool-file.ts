import { z } from 'zod';
import { parseJsonWith } from '../../common/json-payload.js';

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
