import { RTMP_APP } from '../../pipeline/encoder/rtmp-listener.js';
import type { IngestHub } from './ingest-hub.js';
import type { IngestState, IngestStateStore } from './ingest-state.js';
import type { IngestStore, NewIngest, SrtPlacement, StoredIngest } from './ingest-store.js';

/** An ingest as the API shows it: never its key or passphrase (those are shown once, on creation). */
export interface IngestView {
  id: string;
  room_id: string;
  protocol: StoredIngest['protocol'];
  identity: string;
  name: string | null;
  /** The server URL encoders connect to (without the key). */
  url: string;
  reconnect_window_s: number;
  created_at: string;
  state: IngestState['state'];
  node_id: string | null;
  media: IngestState['media'];
  last_error: IngestState['last_error'];
  state_since: string;
}

export interface CreatedIngest {
  ingest: IngestView;
  streamKey: string;
  srtPassphrase: string | null;
  /** Everything an encoder needs in one URL (OBS, ffmpeg): it holds the secrets. */
  publishUrl: string;
}

export interface IngestServiceOptions {
  store: IngestStore;
  states: IngestStateStore;
  /** The host encoders reach this node at (its public URL's). */
  host: () => string;
  /** This node's RTMP port (known once the listener is up). */
  rtmpPort: () => number;
  /** New SRT ingests get their listener on this node. */
  srt: SrtPlacement;
  /** The node's listeners and sessions; null on a node that does not run them. */
  hub: () => IngestHub | null;
}

/** The ingests of rooms as the REST API manages them: created with their secrets, listed with their state, revoked. */
export class IngestService {
  constructor(private readonly options: IngestServiceOptions) {}

  async create(input: NewIngest): Promise<CreatedIngest> {
    const { ingest, streamKey } = await this.options.store.create(input, this.options.srt);
    await this.options.hub()?.syncSrtListeners();
    const view = this.#view(ingest, await this.options.states.get(ingest.id));
    const passphrase = ingest.srt?.passphrase ?? null;
    const publishUrl = passphrase ? `${view.url}?streamid=${streamKey}&passphrase=${passphrase}` : `${view.url}/${streamKey}`;
    return { ingest: view, streamKey, srtPassphrase: passphrase, publishUrl };
  }

  async list(owner: string, roomId: string): Promise<IngestView[]> {
    const all = await this.options.store.list(owner, roomId);
    return Promise.all(all.map(async (i) => this.#view(i, await this.options.states.get(i.id))));
  }

  async get(owner: string, roomId: string, id: string): Promise<IngestView | undefined> {
    const ingest = await this.options.store.get(owner, roomId, id);
    return ingest && this.#view(ingest, await this.options.states.get(id));
  }

  /** Revokes the key; a live encoder is cut off (here at once, on another node within seconds). */
  async delete(owner: string, roomId: string, id: string): Promise<boolean> {
    if (!(await this.options.store.delete(owner, roomId, id))) return false;
    await this.options.hub()?.revoked(id);
    return true;
  }

  #view(ingest: StoredIngest, state: IngestState): IngestView {
    return {
      id: ingest.id,
      room_id: ingest.room_id,
      protocol: ingest.protocol,
      identity: ingest.identity,
      name: ingest.name,
      url: this.#url(ingest),
      reconnect_window_s: ingest.reconnect_window_s,
      created_at: ingest.created_at,
      state: state.state,
      node_id: state.node_id,
      media: state.media,
      last_error: state.last_error,
      state_since: state.since,
    };
  }

  #url(ingest: StoredIngest): string {
    const bare = this.options.host();
    const host = bare.includes(':') ? `[${bare}]` : bare;
    return ingest.srt ? `srt://${host}:${ingest.srt.port}` : `rtmp://${host}:${this.options.rtmpPort()}/${RTMP_APP}`;
  }
}
