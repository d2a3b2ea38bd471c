import { Fmp4Error } from './errors.js';

/** Where one ISO-BMFF box sits inside a buffer. */
export interface Box {
  type: string;
  /** Offset of the first payload byte (after size, type, largesize and uuid). */
  payload: number;
  /** Offset just past the box. */
  end: number;
}

export interface BoxHeader {
  type: string;
  headerSize: number;
  /** Total size including the header. */
  size: number;
}

/** Longest header: size, type, 64-bit largesize and a 16-byte uuid user type. */
export const MAX_BOX_HEADER = 32;

const fourcc = (buf: Uint8Array, at: number): string =>
  String.fromCharCode(buf[at] ?? 0, buf[at + 1] ?? 0, buf[at + 2] ?? 0, buf[at + 3] ?? 0);

/**
 * Reads the header of the box starting at `offset`, or returns undefined when `buf` ends before the
 * header does (a streaming caller then waits for more bytes). Size 0 ("up to the end of the file")
 * is rejected: a pipe has no end to measure against.
 */
export function readBoxHeader(buf: Uint8Array, offset: number, limit = buf.length): BoxHeader | undefined {
  if (limit - offset < 8) return undefined;
  const view = new DataView(buf.buffer, buf.byteOffset + offset, limit - offset);
  const type = fourcc(buf, offset + 4);
  let size = view.getUint32(0);
  let headerSize = 8;
  if (size === 1) {
    if (limit - offset < 16) return undefined;
    const large = view.getBigUint64(8);
    if (large > BigInt(Number.MAX_SAFE_INTEGER)) throw new Fmp4Error(`${type}: 64-bit size ${large} is too large`);
    size = Number(large);
    headerSize = 16;
  } else if (size === 0) {
    throw new Fmp4Error(`${type}: size 0 (box to end of file) is not supported in a stream`);
  }
  if (type === 'uuid') headerSize += 16;
  if (limit - offset < headerSize) return undefined;
  if (size < headerSize) throw new Fmp4Error(`${type}: size ${size} is smaller than its ${headerSize}-byte header`);
  return { type, headerSize, size };
}

/** The boxes that exactly tile `[start, end)` of `buf`; anything overrunning that range is malformed. */
export function childBoxes(buf: Uint8Array, start: number, end: number, path: string): Box[] {
  const boxes: Box[] = [];
  let at = start;
  while (at < end) {
    const header = readBoxHeader(buf, at, end);
    if (!header || at + header.size > end) throw new Fmp4Error(`${path}: child box overruns its parent`);
    boxes.push({ type: header.type, payload: at + header.headerSize, end: at + header.size });
    at += header.size;
  }
  return boxes;
}

export function findBox(boxes: readonly Box[], type: string): Box | undefined {
  return boxes.find((b) => b.type === type);
}

export function requireBox(boxes: readonly Box[], type: string, path: string): Box {
  const box = findBox(boxes, type);
  if (!box) throw new Fmp4Error(`${path}: missing ${type}`);
  return box;
}

/** Bounds-checked big-endian reads over one box payload; every overrun is an Fmp4Error, never a RangeError. */
export class Cursor {
  private readonly view: DataView;
  private at: number;

  constructor(
    private readonly buf: Uint8Array,
    start: number,
    private readonly end: number,
    private readonly path: string,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.at = start;
  }

  static of(buf: Uint8Array, box: Box, path: string): Cursor {
    return new Cursor(buf, box.payload, box.end, path);
  }

  get position(): number {
    return this.at;
  }

  get remaining(): number {
    return this.end - this.at;
  }

  private take(n: number): number {
    if (n < 0 || n > this.remaining) throw new Fmp4Error(`${this.path}: truncated (needs ${n} more bytes, has ${this.remaining})`);
    const at = this.at;
    this.at += n;
    return at;
  }

  skip(n: number): void {
    this.take(n);
  }

  u8(): number {
    return this.view.getUint8(this.take(1));
  }

  u16(): number {
    return this.view.getUint16(this.take(2));
  }

  u24(): number {
    const at = this.take(3);
    return (this.view.getUint8(at) << 16) | this.view.getUint16(at + 1);
  }

  u32(): number {
    return this.view.getUint32(this.take(4));
  }

  /** 64-bit value as a number; media times beyond 2^53 ticks are treated as corrupt. */
  u64(): number {
    const value = this.view.getBigUint64(this.take(8));
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new Fmp4Error(`${this.path}: 64-bit value ${value} is too large`);
    return Number(value);
  }

  fourcc(): string {
    return fourcc(this.buf, this.take(4));
  }

  /** Version and flags of a FullBox. */
  fullBox(): { version: number; flags: number } {
    return { version: this.u8(), flags: this.u24() };
  }
}
