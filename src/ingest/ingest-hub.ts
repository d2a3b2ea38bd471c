import type { EncoderSource } from '../../pipeline/encoder/encoder-source.js';
import { RtmpListener } from '../../pipeline/encoder/rtmp-listener.js';
import { SrtListener } from '../../pipeline/encoder/srt-listener.js';
import { EncoderSession, type EncoderSessionDeps } from './encoder-session.js';
import type { IngestStateStore } from './ingest-state.js';
import type { IngestStore, StoredIngest } from './ingest-store.js';

export interface IngestHubOptions extends EncoderSessionDeps {
  store: IngestStore;
  states: IngestStateStore;
  /** The RTMP listener's address and port (0: any free port). */
  rtmp: { bind: string; port: number };
  /** Where SRT listeners bind; their ports come from the ingests (LEVELCHAT_SRT_MIN_PORT..MAX_PORT). */
  srtBind: string;
}

/** How often this node matches its SRT listeners to the SRT ingests it holds. */
const SRT_SYNC_MS = 2000;

/**
 * A node's encoder endpoints: the RTMP listener (every encoder, routed by its stream key), one SRT
 * listener per SRT ingest placed on this node, and the sessions of the ingests whose encoders are
 * connected here. A key that opens no ingest is refused before anything is made.
 */
export class IngestHub {
  readonly #sessions = new Map<string, EncoderSession>();
  readonly #srt = new Map<number, { ingestId: string; listener: SrtListener }>();
  #rtmp: RtmpListener | null = null;
  #syncTimer: NodeJS.Timeout | null = null;
  #closed = false;

  private constructor(private readonly options: IngestHubOptions) {}

  static async start(options: IngestHubOptions): Promise<IngestHub> {
    const hub = new IngestHub(options);
    hub.#rtmp = await RtmpListener.start({
      ...options.rtmp,
      onPublish: (streamKey, source) => void hub.#acceptKey(streamKey, source),
      logger: options.logger,
    });
    await hub.syncSrtListeners();
    hub.#syncTimer = setInterval(() => void hub.syncSrtListeners().catch((err: Error) => options.logger.warn({ err: err.message }, 'could not sync the SRT listeners')), SRT_SYNC_MS);
    hub.#syncTimer.unref();
    return hub;
  }

  /** The port the RTMP listener took. */
  get rtmpPort(): number {
    return this.#rtmp!.port;
  }

  /** Starts the listeners of this node's new SRT ingests, stops those of deleted ones. */
  async syncSrtListeners(): Promise<void> {
    const wanted = await this.options.store.srtIngestsOf(this.options.nodeId);
    if (this.#closed) return;
    for (const [port, { ingestId, listener }] of [...this.#srt]) {
      if (wanted.get(port)?.id === ingestId) continue;
      this.#srt.delete(port);
      await listener.stop();
    }
    for (const [port, ingest] of wanted) {
      if (this.#srt.has(port) || !ingest.srt) continue;
      const listener = new SrtListener({ bind: this.options.srtBind, port, passphrase: ingest.srt.passphrase, logger: this.options.logger });
      listener.on('connected', (source) => void this.#accept(ingest, source));
      listener.on('refused', (reason) => {
        this.options.logger.info({ ingest_id: ingest.id, why: reason }, 'encoder refused');
        void this.options.states.refused(ingest.id, 'unsupported_media', reason).catch(() => {});
      });
      listener.start();
      this.#srt.set(port, { ingestId: ingest.id, listener });
    }
  }

  /** The key was revoked through this node: its encoder here is cut off now (elsewhere within seconds). */
  async revoked(ingestId: string): Promise<void> {
    await this.#sessions.get(ingestId)?.close('the stream key was revoked');
    await this.syncSrtListeners();
  }

  /** Stops the listeners and ends every session (their participants leave). */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#syncTimer) clearInterval(this.#syncTimer);
    await this.#rtmp?.close();
    await Promise.all([...this.#srt.values()].map(({ listener }) => listener.stop()));
    this.#srt.clear();
    await Promise.all([...this.#sessions.values()].map((s) => s.close('the node is stopping')));
  }

  async #acceptKey(streamKey: string, source: EncoderSource): Promise<void> {
    const ingest = await this.options.store.byStreamKey(streamKey).catch(() => undefined);
    // Nothing is made for a key that opens no ingest (wrong, or revoked).
    if (!ingest || ingest.protocol !== 'rtmp') return source.close('unknown stream key');
    await this.#accept(ingest, source);
  }

  async #accept(ingest: StoredIngest, source: EncoderSource): Promise<void> {
    if (this.#closed) return source.close('the node is stopping');
    let session = this.#sessions.get(ingest.id);
    if (!session || session.ended) {
      const made = new EncoderSession(ingest, this.options);
      made.observer.once('ended', () => {
        if (this.#sessions.get(ingest.id) === made) this.#sessions.delete(ingest.id);
      });
      this.#sessions.set(ingest.id, made);
      session = made;
    }
    await session.attach(source);
  }
}
