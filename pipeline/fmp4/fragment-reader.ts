import { MAX_BOX_HEADER, readBoxHeader, type BoxHeader } from './boxes.js';
import { Fmp4Error } from './errors.js';
import { parseMoof, type Fragment } from './fragment.js';
import { parseMoov, type InitSegment } from './init-segment.js';

export type Fmp4Item = InitSegment | Fragment;

export interface FragmentReaderOptions {
  /**
   * Largest top-level box we agree to buffer. A corrupt size field would otherwise make us wait
   * (and buffer) forever; 200 ms of even a 50 Mb/s stream is far below the default.
   */
  maxBoxSize?: number;
}

const DEFAULT_MAX_BOX_SIZE = 64 * 1024 * 1024;

/** Top-level box types are four printable ASCII characters; anything else means we lost sync. */
const isPrintableType = (type: string): boolean => /^[\x20-\x7e]{4}$/.test(type);

/**
 * Turns the byte stream of `ffmpeg -f mp4 -movflags frag_keyframe+empty_moov+default_base_moof`
 * into whole items: the init segment (ftyp+moov) and then one fragment per moof+mdat. Feed chunks
 * of any size to push(); call end() when the stream closes to learn whether it stopped mid-box.
 * Unknown top-level boxes (styp, sidx, free, prft, …) are skipped. After an Fmp4Error the stream
 * has lost sync and the reader must be discarded.
 */
export class FragmentReader {
  private readonly maxBoxSize: number;
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Header of the box at the front of the buffer, once enough of it has arrived. */
  private header: BoxHeader | undefined;
  private consumed = 0;
  private ftyp: Buffer | undefined;
  private init: InitSegment | undefined;
  /** A parsed moof (plus any boxes after it) waiting for its mdat. */
  private pending: { boxes: Buffer[]; parsed: Pick<Fragment, 'sequenceNumber' | 'tracks'> } | undefined;

  constructor(options: FragmentReaderOptions = {}) {
    this.maxBoxSize = options.maxBoxSize ?? DEFAULT_MAX_BOX_SIZE;
  }

  /** Adds bytes; returns every item they complete, in stream order. Throws Fmp4Error on malformed input. */
  push(chunk: Uint8Array): Fmp4Item[] {
    if (chunk.length > 0) {
      this.chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      this.buffered += chunk.length;
    }
    const items: Fmp4Item[] = [];
    for (;;) {
      this.header ??= this.peekHeader();
      const header = this.header;
      if (!header || this.buffered < header.size) return items;
      this.header = undefined;
      const offset = this.consumed;
      const box = this.take(header.size);
      try {
        const item = this.handle(header.type, box);
        if (item) items.push(item);
      } catch (err) {
        if (err instanceof Fmp4Error) err.message += ` (top-level ${header.type} at stream offset ${offset})`;
        throw err;
      }
    }
  }

  /** Declares the end of the stream; throws Fmp4Error if it stopped inside a box or before a moof's mdat. */
  end(): void {
    if (this.buffered > 0) throw new Fmp4Error(`stream ended inside a box (${this.buffered} bytes left over)`);
    if (this.pending) throw new Fmp4Error('stream ended after a moof without its mdat');
  }

  private peekHeader(): BoxHeader | undefined {
    const head = this.copyHead(Math.min(this.buffered, MAX_BOX_HEADER));
    const header = readBoxHeader(head, 0);
    if (!header) return undefined;
    if (!isPrintableType(header.type)) throw new Fmp4Error(`unreadable box type at stream offset ${this.consumed}`);
    if (header.size > this.maxBoxSize) {
      throw new Fmp4Error(`${header.type} box of ${header.size} bytes exceeds the ${this.maxBoxSize}-byte limit`);
    }
    return header;
  }

  /** The first `n` buffered bytes, touching only the chunks that hold them. */
  private copyHead(n: number): Buffer {
    const parts: Buffer[] = [];
    let have = 0;
    for (const chunk of this.chunks) {
      if (have >= n) break;
      parts.push(chunk.subarray(0, n - have));
      have += parts[parts.length - 1]!.length;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, have);
  }

  /** Removes the first `n` buffered bytes, copying only when they span several chunks. */
  private take(n: number): Buffer {
    let out: Buffer;
    const first = this.chunks[0];
    if (first && first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      const all = Buffer.concat(this.chunks, this.buffered);
      out = all.subarray(0, n);
      this.chunks = n < all.length ? [all.subarray(n)] : [];
    }
    this.buffered -= n;
    this.consumed += n;
    return out;
  }

  private handle(type: string, box: Buffer): Fmp4Item | undefined {
    if (this.pending && type !== 'mdat') {
      if (type === 'moof' || type === 'moov') throw new Fmp4Error(`${type} before the previous moof's mdat`);
      this.pending.boxes.push(box);
      return undefined;
    }
    switch (type) {
      case 'ftyp':
        this.ftyp = box;
        return undefined;
      case 'moov': {
        const bytes = this.ftyp ? Buffer.concat([this.ftyp, box]) : Buffer.from(box);
        this.ftyp = undefined;
        this.init = { kind: 'init', bytes, tracks: parseMoov(box) };
        return this.init;
      }
      case 'moof':
        if (!this.init) throw new Fmp4Error('moof before any moov');
        this.pending = { boxes: [box], parsed: parseMoof(box, this.init.tracks) };
        return undefined;
      case 'mdat': {
        if (!this.pending) throw new Fmp4Error('mdat without a preceding moof');
        const { boxes, parsed } = this.pending;
        this.pending = undefined;
        return { kind: 'fragment', bytes: Buffer.concat([...boxes, box]), ...parsed };
      }
      default:
        return undefined;
    }
  }
}
