import { LRUCache } from 'lru-cache';
import type { Logger } from '../../common/logger.js';
import { grabStill } from '../../pipeline/ffmpeg/still.js';
import type { Room } from '../rooms/room.js';
import type { ProgramInputs } from './program-input.js';

/** A thumbnail is this recent at worst: listings refresh often, and each one costs an ffmpeg run. */
const CACHE_MS = 5000;

/**
 * A recent frame of a room's on-air video as a JPEG (for listings and social cards), cached a few
 * seconds per room and width; concurrent requests share one ffmpeg run.
 */
export class Thumbnails {
  readonly #cache = new LRUCache<string, Promise<Buffer | null>>({ max: 1000, ttl: CACHE_MS });

  constructor(
    private readonly inputs: ProgramInputs,
    private readonly logger: Logger,
  ) {}

  /** The JPEG, or null while nobody is on air. */
  get(room: Room, width: number): Promise<Buffer | null> {
    const key = `${room.id}\n${width}`;
    let made = this.#cache.get(key);
    if (!made) {
      made = this.#make(room, width);
      this.#cache.set(key, made);
      // A failure is not kept: the next request tries again.
      made.catch(() => this.#cache.delete(key));
    }
    return made;
  }

  async #make(room: Room, width: number): Promise<Buffer | null> {
    const input = await this.inputs.of(room);
    if (!input) return null;
    const jpeg = await grabStill(input.url, { width, inputOptions: input.inputOptions, timeoutS: 15 });
    if (jpeg.length === 0) throw new Error('the stream gave no picture');
    this.logger.debug({ room_id: room.id, width, bytes: jpeg.length }, 'thumbnail made');
    return jpeg;
  }
}
