import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../common/logger.js';
import { UploadSpool, type ObjectSink } from '../../../pipeline/publish/upload-spool.js';
import { tempDir } from '../../helpers/temp-dir.js';

/** A spooled file as the spool writes it: the header's length (4 bytes), the header, the body. */
function spooled(header: string, body: string): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(Buffer.byteLength(header));
  return Buffer.concat([length, Buffer.from(header), Buffer.from(body)]);
}

describe('spooled files of an earlier run', () => {
  it('uploads those whose header parses and drops the others', async () => {
    const dir = tempDir('levelchat-spool-header-');
    const good = JSON.stringify({ key: 'hls/r_x/v1/seg0.m4s', kind: 'segment', options: { contentType: 'video/mp4' } });
    await writeFile(path.join(dir, '1.spool'), spooled(good, 's0'));
    await writeFile(path.join(dir, '2.spool'), spooled('{"key":', 'x'));
    await writeFile(path.join(dir, '3.spool'), spooled(JSON.stringify({ key: 'hls/r_x/v1/a.m4s', kind: 'movie', options: { contentType: 'video/mp4' } }), 'x'));
    await writeFile(path.join(dir, '4.spool'), spooled(JSON.stringify({ key: 7, kind: 'part', options: { contentType: 'video/mp4' } }), 'x'));
    await writeFile(path.join(dir, '5.spool'), spooled(JSON.stringify({ key: 'hls/r_x/v1/b.m4s', kind: 'part', options: {} }), 'x'));
    const put: string[] = [];
    const store: ObjectSink = { put: async (key, body) => void put.push(`${key}=${body.toString()}`) };
    const spool = await UploadSpool.open({ dir, store, logger: createLogger('silent'), minBackoffMs: 5, maxBackoffMs: 20, fsync: false });
    expect((await spool.whenDrained(undefined, 5000)).drained).toBe(true);
    expect(put).toEqual(['hls/r_x/v1/seg0.m4s=s0']);
    expect(await readdir(dir)).toEqual([]);
    await spool.close();
  });
});
