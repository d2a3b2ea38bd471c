import { appendFile, mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../common/logger.js';
import { withTimeout } from '../../common/with-timeout.js';
import type { PutOptions } from '../../storage/object-store.js';
import { namedKeys } from './playlist-uris.js';
import { EXPIRY_MARKS_FILE, expiryMarkLine, readExpiryMarks, readSpoolFile, spoolFileHead, type SpoolObjectKind } from './spool-file.js';

/**
 * Where this process' origin finds an object a live playlist names while object storage is
 * unreachable (after its MediaCache, before storage). Implemented by UploadSpool.
 */
export interface SpooledObjectSource {
  /** The bytes while the object waits on disk for its upload; undefined when it is not (or no longer) spooled. */
  read(key: string): Promise<Buffer | undefined>;
}

/** The one call the spool makes to storage (ObjectStore has it). */
export interface ObjectSink {
  put(key: string, body: Buffer, options: PutOptions): Promise<void>;
}

export interface UploadSpoolOptions {
  /** A directory of its own, on the node's data disk (e.g. dataDir.subdir('hls-spool')). */
  dir: string;
  store: ObjectSink;
  logger: Logger;
  /** Disk the spool may use, bytes; default 512 MiB. Past it the oldest parts no playlist lists are dropped. */
  maxBytes?: number;
  /** A direct PUT slower than this counts as failed and the object is spooled instead; default 2000 ms. */
  directTimeoutMs?: number;
  /** An upload of a spooled object slower than this counts as failed; default 15000 ms. */
  uploadTimeoutMs?: number;
  /** Spooled media objects uploaded at once (playlists always alone, after what precedes them); default 4. */
  concurrency?: number;
  /** Exponential backoff between probes of an unreachable storage; default 250 ms doubling up to 4000 ms. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** How often the drain logs its progress; default 5000 ms. */
  progressIntervalMs?: number;
  /** fdatasync every spooled file before it counts as stored (survives a power loss, not only a crash); default true. */
  fsync?: boolean;
}

/** What is still waiting for storage (of the keys asked about). */
export interface SpoolBacklog {
  objects: number;
  bytes: number;
  segments: number;
}

export interface DrainReport extends SpoolBacklog {
  /** Nothing asked about is left in the spool. */
  drained: boolean;
  waitedMs: number;
}

export interface SpoolStats extends SpoolBacklog {
  /** Objects are being spooled: storage failed and the spool has not drained since. */
  degraded: boolean;
  /** Objects PUT straight to storage / uploaded from the spool / parts dropped / expired objects dropped, since start. */
  directPuts: number;
  uploaded: number;
  droppedParts: number;
  expired: number;
}

/** The spool is full of objects it must not drop (segments, init segments, playlists, listed parts). */
export class SpoolFullError extends Error {
  readonly code = 'spool_full';
}

interface Entry {
  seq: number;
  key: string;
  kind: SpoolObjectKind;
  options: PutOptions;
  file: string;
  fileBytes: number;
  uploading: boolean;
  /** The live playlist's expiry has deleted (or will delete) it from storage by then (see expire). */
  expiresAt?: number;
}

const SUFFIX = '.spool';
const ABANDONED_WAIT_MS = 30_000;

const prefixOf = (key: string): string => key.slice(0, key.lastIndexOf('/') + 1);

/**
 * Object writes that survive an object-storage outage. While storage answers, `put` is a plain PUT
 * (the object is in storage when it resolves). When a PUT fails or times out, that object and every
 * later one go to files in `dir` (written, fsynced and renamed before `put` resolves), and one
 * background uploader sends them to storage strictly in the order they came, probing an unreachable
 * storage with exponential backoff. Once the backlog is gone, writes go straight to storage again.
 *
 * Ordering: a playlist object is uploaded alone, only after every object spooled before it is in
 * storage (so a stored playlist never names an object storage lacks); a newer version of a playlist
 * replaces a queued older one. Media objects between two playlists go up `concurrency` at a time.
 *
 * Bounded: past `maxBytes` the oldest parts that the live playlist of their rendition no longer lists
 * (see `pin`) are dropped — their bytes are in the closed segment anyway — and so is anything whose
 * expiry passed (see `expire`): storage is rid of it too. Segments, init
 * segments and playlists are never dropped; when only they are left, `put` throws SpoolFullError.
 *
 * Spooled files are found again by `open` after a crash or a stop with a backlog, and uploaded; so are
 * their expiry marks (the marks file beside them), so an expired object is not uploaded after a restart.
 */
export class UploadSpool implements SpooledObjectSource {
  readonly dir: string;
  private readonly queue: Entry[] = [];
  /** Newest spooled entry of each key, for `read`. */
  private readonly index = new Map<string, Entry>();
  /** Per rendition prefix: what its newest and its previous live playlist name (a player may still act on the one before). */
  private readonly pins = new Map<string, [ReadonlySet<string>, ReadonlySet<string>]>();
  /** Parts dropped in this outage: a playlist naming one is never uploaded. */
  private readonly dropped = new Set<string>();
  /** Playlist PUTs that timed out but may still land: a later version waits for them (no stale overwrite). */
  private readonly abandoned = new Map<string, Promise<unknown>>();
  private readonly waiters = new Set<() => void>();
  private readonly deletions = new Set<Promise<unknown>>();
  /** Appends to (and the removal of) the expiry marks file, in call order. */
  private marksWrites: Promise<void> = Promise.resolve();
  private bytes = 0;
  private writing = 0;
  private nextSeq = 1;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private closed = false;
  private stopped = false;
  private degradedSince: number | undefined;
  private lastProgress = 0;
  private readonly counters = { directPuts: 0, uploaded: 0, uploadedBytes: 0, droppedParts: 0, expired: 0 };
  private readonly episode = { spooled: 0, uploaded: 0, droppedParts: 0 };

  private readonly maxBytes: number;
  private readonly directTimeoutMs: number;
  private readonly uploadTimeoutMs: number;
  private readonly concurrency: number;
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly progressIntervalMs: number;
  private readonly fsync: boolean;

  private constructor(private readonly options: UploadSpoolOptions) {
    this.dir = options.dir;
    this.maxBytes = options.maxBytes ?? 512 * 1024 * 1024;
    this.directTimeoutMs = options.directTimeoutMs ?? 2000;
    this.uploadTimeoutMs = options.uploadTimeoutMs ?? 15_000;
    this.concurrency = Math.max(1, options.concurrency ?? 4);
    this.minBackoffMs = options.minBackoffMs ?? 250;
    this.maxBackoffMs = Math.max(this.minBackoffMs, options.maxBackoffMs ?? 4000);
    this.progressIntervalMs = options.progressIntervalMs ?? 5000;
    this.fsync = options.fsync ?? true;
  }

  /** Opens (creates) the spool directory and starts uploading whatever an earlier run left in it. */
  static async open(options: UploadSpoolOptions): Promise<UploadSpool> {
    const spool = new UploadSpool(options);
    await spool.recover();
    return spool;
  }

  /**
   * Stores an object: in storage when it answers in time ('stored'), otherwise (or while older
   * objects still wait) in the spool ('spooled'), from where it is uploaded later. Either way it is
   * safe to name once this resolves, for this process' origin (MediaCache → spool → storage).
   * Rejects only when the disk write fails or the spool is full (SpoolFullError).
   */
  async put(key: string, body: Buffer, options: PutOptions, kind: SpoolObjectKind): Promise<'stored' | 'spooled'> {
    if (this.closed) throw new Error('upload spool is closed');
    // A playlist whose earlier PUT may still land goes behind it through the queue (no stale overwrite).
    if (this.idle && !(kind === 'playlist' && this.abandoned.has(key))) {
      const attempt = this.options.store.put(key, body, options);
      try {
        await withTimeout(attempt, this.directTimeoutMs, `PUT ${key}`);
        this.counters.directPuts++;
        return 'stored';
      } catch (err) {
        if (kind === 'playlist') this.abandon(key, attempt);
        else attempt.catch(() => {});
        this.noteOutage(err as Error);
      }
    }
    await this.write(key, body, options, kind);
    return 'spooled';
  }

  async read(key: string): Promise<Buffer | undefined> {
    const entry = this.index.get(key);
    if (!entry) return undefined;
    try {
      return await this.body(entry);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined; // uploaded meanwhile
      throw err;
    }
  }

  /**
   * The keys the live playlist of the rendition under `prefix` names now (namedKeys of it): the parts
   * it and the one before it name are never dropped when the spool is full.
   */
  pin(prefix: string, keys: Iterable<string>): void {
    const newest = this.pins.get(prefix)?.[0];
    this.pins.set(prefix, [new Set(keys), newest ?? new Set()]);
  }

  /**
   * Objects the live playlists' expiry deletes from storage at `dueAt` (ExpiryPlan): those still
   * spooled then are dropped instead of uploaded, so an outage longer than the margin neither brings
   * them back into storage after their deletion nor keeps them in the spool. Until then they are
   * served and uploaded like any other (the deletion job removes them from storage).
   */
  expire(keys: Iterable<string>, dueAt: number): void {
    const marked: string[] = [];
    for (const key of keys) {
      const entry = this.index.get(key);
      if (!entry || entry.kind === 'playlist') continue;
      entry.expiresAt = dueAt;
      marked.push(key);
    }
    // On disk too: a spool reopened after a crash would otherwise upload them after their deletion, and
    // nothing would delete them again. Not fsynced: the OS keeps it across a crash of this process, and a
    // mark lost with the machine costs a stale object in storage, never the stream.
    if (marked.length > 0) this.writeMarks(() => appendFile(this.marksFile, expiryMarkLine(marked, dueAt)), 'record');
  }

  /** Forgets the pins of a rendition whose playlist nobody serves any more. */
  unpin(prefix: string): void {
    this.pins.delete(prefix);
  }

  /** What still waits for storage among the keys starting with one of `prefixes` (all when omitted). */
  backlog(prefixes?: readonly string[]): SpoolBacklog {
    const entries = this.queue.filter(this.matcher(prefixes));
    return {
      objects: entries.length,
      bytes: entries.reduce((n, e) => n + e.fileBytes, 0),
      segments: entries.filter((e) => e.kind === 'segment').length,
    };
  }

  get stats(): SpoolStats {
    return {
      ...this.backlog(),
      degraded: this.degradedSince !== undefined,
      directPuts: this.counters.directPuts,
      uploaded: this.counters.uploaded,
      droppedParts: this.counters.droppedParts,
      expired: this.counters.expired,
    };
  }

  /** Resolves once nothing under `prefixes` (everything when omitted) is spooled, or after `timeoutMs`. */
  async whenDrained(prefixes: readonly string[] | undefined, timeoutMs: number): Promise<DrainReport> {
    const started = Date.now();
    const match = this.matcher(prefixes);
    const done = () => this.writing === 0 && !this.queue.some(match);
    if (!done()) {
      await new Promise<void>((resolve) => {
        const finish = () => {
          clearTimeout(timer);
          this.waiters.delete(check);
          resolve();
        };
        const check = () => {
          if (done()) finish();
        };
        const timer = setTimeout(finish, Math.max(0, timeoutMs));
        this.waiters.add(check);
      });
    }
    await Promise.allSettled([...this.deletions]);
    await this.marksWrites; // drained means no file left behind, the marks' one included
    return { drained: done(), waitedMs: Date.now() - started, ...this.backlog(prefixes) };
  }

  /**
   * Takes no more objects, waits up to `timeoutMs` for the backlog to reach storage, then stops the
   * uploader. What is left stays on disk for the next `open` of the same directory.
   */
  async close(timeoutMs = 0): Promise<DrainReport> {
    this.closed = true;
    const report = await this.whenDrained(undefined, timeoutMs);
    this.stopped = true;
    this.wake?.();
    await this.loop;
    await Promise.allSettled([...this.deletions]);
    await this.marksWrites;
    if (!report.drained) {
      this.options.logger.warn({ dir: this.dir, objects: report.objects, bytes: report.bytes, segments: report.segments }, 'upload spool closed with a backlog; it is uploaded on the next start');
    }
    return report;
  }

  private get marksFile(): string {
    return path.join(this.dir, EXPIRY_MARKS_FILE);
  }

  /** Once no spooled file is left, every mark is for an object that has left the spool. */
  private removeMarks(): void {
    this.writeMarks(() => rm(this.marksFile, { force: true }), 'remove');
  }

  private writeMarks(write: () => Promise<unknown>, what: 'record' | 'remove'): void {
    this.marksWrites = this.marksWrites
      .then(write)
      .then(
        () => {},
        (err: Error) => this.options.logger.warn({ dir: this.dir, err: err.message }, `could not ${what} the spool's expiry marks`),
      );
  }

  private get idle(): boolean {
    return this.queue.length === 0 && this.writing === 0;
  }

  private matcher(prefixes: readonly string[] | undefined): (e: Entry) => boolean {
    return prefixes ? (e) => prefixes.some((p) => e.key.startsWith(p)) : () => true;
  }

  private abandon(key: string, attempt: Promise<unknown>): void {
    const settled = attempt.catch(() => {});
    this.abandoned.set(key, settled);
    void settled.then(() => {
      if (this.abandoned.get(key) === settled) this.abandoned.delete(key);
    });
  }

  private noteOutage(err: Error): void {
    if (this.degradedSince !== undefined) return;
    this.degradedSince = Date.now();
    this.options.logger.warn({ dir: this.dir, err: err.message }, 'object storage unreachable: spooling objects on disk until it is back');
  }

  private async write(key: string, body: Buffer, options: PutOptions, kind: SpoolObjectKind): Promise<void> {
    const [length, header] = spoolFileHead({ key, kind, options });
    const fileBytes = length.length + header.length + body.length;
    this.makeRoom(fileBytes, key);
    const seq = this.nextSeq++;
    const file = path.join(this.dir, `${String(seq).padStart(12, '0')}${SUFFIX}`);
    this.bytes += fileBytes;
    this.writing++;
    try {
      const tmp = `${file}.tmp`;
      const handle = await open(tmp, 'w');
      try {
        await handle.writev([length, header, body]);
        if (this.fsync) await handle.datasync();
      } finally {
        await handle.close();
      }
      await rename(tmp, file);
    } catch (err) {
      this.bytes -= fileBytes;
      throw err;
    } finally {
      this.writing--;
    }
    if (kind === 'playlist') this.supersede(key);
    const entry: Entry = { seq, key, kind, options, file, fileBytes, uploading: false };
    this.queue.push(entry);
    this.index.set(key, entry);
    this.episode.spooled++;
    this.noteOutage(new Error('objects are waiting in the spool'));
    this.kick();
  }

  /** A newer version of a playlist makes the queued older one pointless: it would only be overwritten. */
  private supersede(key: string): void {
    for (const entry of this.queue.filter((e) => e.key === key && !e.uploading)) this.discard(entry);
  }

  private makeRoom(needed: number, key: string): void {
    if (this.bytes + needed <= this.maxBytes) return;
    let dropped = 0;
    for (const entry of [...this.queue]) {
      if (this.bytes + needed <= this.maxBytes) break;
      if (entry.uploading) continue;
      // Expired objects first: storage no longer has them either (whatever their kind).
      if (this.expired(entry)) {
        this.discard(entry);
        this.counters.expired++;
        continue;
      }
      if (entry.kind !== 'part' || this.pinned(entry.key)) continue;
      this.discard(entry);
      this.dropped.add(entry.key);
      dropped++;
    }
    if (dropped > 0) {
      if (this.episode.droppedParts === 0) {
        this.options.logger.warn({ dir: this.dir, maxBytes: this.maxBytes }, 'upload spool full: dropping the oldest parts no playlist lists (their segments are kept)');
      }
      this.counters.droppedParts += dropped;
      this.episode.droppedParts += dropped;
    }
    if (this.bytes + needed > this.maxBytes) {
      throw new SpoolFullError(`upload spool full (${this.bytes} of ${this.maxBytes} bytes, only objects that must not be dropped): cannot store ${key}`);
    }
  }

  private expired(entry: Entry): boolean {
    return entry.expiresAt !== undefined && Date.now() >= entry.expiresAt;
  }

  private pinned(key: string): boolean {
    const pin = this.pins.get(prefixOf(key));
    return !!pin && (pin[0].has(key) || pin[1].has(key));
  }

  /** Removes an entry that will not be uploaded (superseded or dropped). */
  private discard(entry: Entry): void {
    this.unlink(entry);
    this.track(rm(entry.file, { force: true }));
  }

  private unlink(entry: Entry): void {
    const at = this.queue.indexOf(entry);
    if (at >= 0) this.queue.splice(at, 1);
    if (this.index.get(entry.key) === entry) this.index.delete(entry.key);
    this.bytes -= entry.fileBytes;
    for (const check of [...this.waiters]) check();
  }

  private track(deletion: Promise<unknown>): void {
    const settled = deletion.catch((err: Error) => this.options.logger.warn({ dir: this.dir, err: err.message }, 'could not delete a spooled file'));
    this.deletions.add(settled);
    void settled.then(() => this.deletions.delete(settled));
  }

  private kick(): void {
    if (this.loop || this.stopped || this.queue.length === 0) return;
    this.loop = this.drain().finally(() => {
      this.loop = undefined;
      this.kick();
    });
  }

  private async drain(): Promise<void> {
    const { logger } = this.options;
    let backoff = this.minBackoffMs;
    let failures = 0;
    while (this.queue.length > 0 && !this.stopped) {
      const batch = this.nextBatch();
      const errors = (await Promise.all(batch.map((entry) => this.upload(entry)))).filter((e): e is Error => e !== undefined);
      if (errors.length === 0) {
        if (failures > 0) logger.info({ dir: this.dir, after: failures, ...this.backlog() }, 'object storage reachable again: uploading the spool');
        failures = 0;
        backoff = this.minBackoffMs;
        this.progress();
        continue;
      }
      failures++;
      logger.warn({ dir: this.dir, attempt: failures, retryInMs: backoff, ...this.backlog(), err: errors[0]!.message }, 'spooled upload failed; probing storage again');
      await this.pause(backoff);
      backoff = Math.min(backoff * 2, this.maxBackoffMs);
    }
    if (this.queue.length === 0 && this.writing === 0) this.drained();
  }

  /** Media objects up to the next playlist (at most `concurrency`), or the playlist at the head alone. */
  private nextBatch(): Entry[] {
    const batch: Entry[] = [];
    for (const entry of this.queue) {
      if (entry.kind === 'playlist') {
        if (batch.length === 0) batch.push(entry);
        break;
      }
      batch.push(entry);
      if (batch.length >= this.concurrency) break;
    }
    return batch;
  }

  /** Uploads one spooled object; the error when it failed (it stays at its place in the queue). */
  private async upload(entry: Entry): Promise<Error | undefined> {
    entry.uploading = true;
    try {
      if (this.expired(entry)) {
        // Deleted from storage already (or about to be): uploading it would only bring it back.
        await rm(entry.file, { force: true });
        this.unlink(entry);
        this.counters.expired++;
        return undefined;
      }
      const body = await this.body(entry);
      if (entry.kind === 'playlist') {
        const missing = namedKeys(entry.key, body.toString('utf8')).filter((k) => this.dropped.has(k));
        if (missing.length > 0) {
          // Cannot happen while pins hold (a listed part is never dropped); a newer version follows anyway.
          this.options.logger.error({ key: entry.key, missing }, 'not uploading a playlist that names dropped parts');
          await rm(entry.file, { force: true });
          this.unlink(entry);
          return undefined;
        }
        const abandoned = this.abandoned.get(entry.key);
        if (abandoned) await withTimeout(abandoned, ABANDONED_WAIT_MS, 'abandoned PUT').catch(() => {});
      }
      const attempt = this.options.store.put(entry.key, body, entry.options);
      try {
        await withTimeout(attempt, this.uploadTimeoutMs, `PUT ${entry.key}`);
      } catch (err) {
        if (entry.kind === 'playlist') this.abandon(entry.key, attempt);
        else attempt.catch(() => {});
        throw err;
      }
      await rm(entry.file, { force: true });
      this.unlink(entry);
      this.counters.uploaded++;
      this.counters.uploadedBytes += entry.fileBytes;
      this.episode.uploaded++;
      return undefined;
    } catch (err) {
      entry.uploading = false;
      return err as Error;
    }
  }

  private progress(): void {
    const now = Date.now();
    if (now - this.lastProgress < this.progressIntervalMs) return;
    this.lastProgress = now;
    this.options.logger.info({ dir: this.dir, uploaded: this.episode.uploaded, remaining: this.queue.length, remainingBytes: this.bytes }, 'uploading spooled objects');
  }

  private drained(): void {
    if (this.degradedSince === undefined) return;
    const { spooled, uploaded, droppedParts } = this.episode;
    this.options.logger.info({ dir: this.dir, outageMs: Date.now() - this.degradedSince, spooled, uploaded, droppedParts }, 'upload spool drained: object storage has everything again');
    this.degradedSince = undefined;
    this.dropped.clear();
    this.removeMarks();
    Object.assign(this.episode, { spooled: 0, uploaded: 0, droppedParts: 0 });
    for (const check of [...this.waiters]) check();
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private async body(entry: Entry): Promise<Buffer> {
    return readSpoolFile(await readFile(entry.file)).body;
  }

  private async recover(): Promise<void> {
    const { logger } = this.options;
    await mkdir(this.dir, { recursive: true });
    const names = (await readdir(this.dir)).sort();
    const marks = await this.readMarks();
    for (const name of names) {
      const file = path.join(this.dir, name);
      if (name.endsWith('.tmp')) {
        await rm(file, { force: true }); // never renamed: its put never resolved
        continue;
      }
      const seq = Number(name.slice(0, -SUFFIX.length));
      if (!name.endsWith(SUFFIX) || !Number.isSafeInteger(seq)) continue;
      try {
        const data = await readFile(file);
        const { header } = readSpoolFile(data);
        const entry: Entry = { seq, key: header.key, kind: header.kind, options: header.options, file, fileBytes: data.length, uploading: false };
        const expiresAt = marks.get(entry.key);
        if (expiresAt !== undefined && entry.kind !== 'playlist') entry.expiresAt = expiresAt;
        if (entry.kind === 'playlist') this.supersede(entry.key);
        this.queue.push(entry);
        this.index.set(entry.key, entry);
        this.bytes += entry.fileBytes;
        this.nextSeq = Math.max(this.nextSeq, seq + 1);
      } catch (err) {
        logger.warn({ file, err: (err as Error).message }, 'dropping an unreadable spooled file');
        await rm(file, { force: true });
      }
    }
    if (this.queue.length > 0) {
      const expiring = this.queue.filter((e) => e.expiresAt !== undefined).length;
      logger.warn({ dir: this.dir, ...this.backlog(), expiring }, 'found spooled objects of an earlier run: uploading them');
      this.noteOutage(new Error('spooled objects of an earlier run'));
      this.kick();
    } else {
      this.removeMarks();
    }
  }

  /** The marks file an earlier run left (see expire): deletion time by key. */
  private async readMarks(): Promise<Map<string, number>> {
    let text: string;
    try {
      text = await readFile(this.marksFile, 'utf8');
    } catch (err) {
      // Without them an expired object may come back to storage: a stale object, not a reason to stop the stream.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.options.logger.warn({ dir: this.dir, err: (err as Error).message }, "could not read the spool's expiry marks");
      return new Map();
    }
    const { dueAt, badLines } = readExpiryMarks(text);
    if (badLines > 0) this.options.logger.warn({ dir: this.dir, badLines }, "skipping unreadable lines of the spool's expiry marks (a write cut short)");
    return dueAt;
  }
}
