import { errorFromResponse, LevelChatApiError, networkError } from './errors.js';
import type {
  ApiKeyList,
  CreatedApiKey,
  CreatedWebhook,
  CreateKeyRequest,
  CreateRoomRequest,
  CreateTokenRequest,
  CreateWebhookRequest,
  DeliveriesQuery,
  ListRoomsQuery,
  Room,
  RoomWithHls,
  RoomList,
  RoomToken,
  Webhook,
  WebhookDeliveryList,
  WebhookList,
} from './types.js';

export interface LevelChatClientOptions {
  /** Where the API is, without `/v1`: `http://127.0.0.1:8080`. */
  apiUrl: string;
  /** `lc_pk_<id>.<secret>`. */
  apiKey: string;
  /** Defaults to the global fetch; pass one to add proxies, retries or test doubles. */
  fetch?: typeof fetch;
}

type Query = Record<string, string | number | undefined>;

// Ids and identities are user data: encode them so `/`, `?` or `%` stay inside their path segment.
const seg = encodeURIComponent;

/**
 * The LevelChat REST API. Bodies and results are exactly the API's (snake_case); every non-2xx
 * answer throws a `LevelChatApiError`.
 */
export class LevelChatClient {
  private readonly apiUrl: string;
  private readonly apiKey: string;
  private readonly fetch: typeof fetch;

  constructor(options: LevelChatClientOptions) {
    this.apiUrl = options.apiUrl.replace(/\/+$/, '');
    this.apiKey = options.apiKey;
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  readonly rooms = {
    /** 201 for a new room; an `external_id` this key already used returns that room. */
    create: (body: CreateRoomRequest) => this.request<Room>('POST', '/v1/rooms', { body }),
    get: (id: string) => this.request<RoomWithHls>('GET', `/v1/rooms/${seg(id)}`),
    /** One page, newest first; pass `next_cursor` as `cursor` for the next one. */
    list: (query: ListRoomsQuery = {}) => this.request<RoomList>('GET', '/v1/rooms', { query }),
    /** Every room matching `query`, following `next_cursor` page by page. */
    iterate: (query: ListRoomsQuery = {}) => this.iterateRooms(query),
    /** Disconnects everybody (reason `host_ended`) and sends `room.ended`. */
    end: (id: string) => this.request<Room>('DELETE', `/v1/rooms/${seg(id)}`),
  };

  readonly tokens = {
    /** Creates the room on the fly (type `body.type`, default meeting) when it does not exist. */
    create: (roomId: string, body: CreateTokenRequest) => this.request<RoomToken>('POST', `/v1/rooms/${seg(roomId)}/tokens`, { body }),
  };

  readonly participants = {
    /** Disconnects every session of `identity` and revokes the tokens it holds for the room. */
    kick: (roomId: string, identity: string) => this.request<void>('DELETE', `/v1/rooms/${seg(roomId)}/participants/${seg(identity)}`),
  };

  readonly keys = {
    /** The result's `key` is the only time the secret is shown. */
    create: (body: CreateKeyRequest = {}) => this.request<CreatedApiKey>('POST', '/v1/keys', { body }),
    list: () => this.request<ApiKeyList>('GET', '/v1/keys'),
    delete: (id: string) => this.request<void>('DELETE', `/v1/keys/${seg(id)}`),
  };

  readonly webhooks = {
    /** The result's `secret` (for `verifyWebhook`) is the only time it is shown. */
    create: (body: CreateWebhookRequest) => this.request<CreatedWebhook>('POST', '/v1/webhooks', { body }),
    list: () => this.request<WebhookList>('GET', '/v1/webhooks'),
    get: (id: string) => this.request<Webhook>('GET', `/v1/webhooks/${seg(id)}`),
    delete: (id: string) => this.request<void>('DELETE', `/v1/webhooks/${seg(id)}`),
    /** Recent delivery attempts, newest first. */
    deliveries: (id: string, query: DeliveriesQuery = {}) => this.request<WebhookDeliveryList>('GET', `/v1/webhooks/${seg(id)}/deliveries`, { query }),
  };

  private async *iterateRooms(query: ListRoomsQuery): AsyncGenerator<Room, void, undefined> {
    let cursor = query.cursor;
    do {
      const page = await this.rooms.list({ ...query, cursor });
      yield* page.rooms;
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
  }

  private async request<T>(method: string, path: string, { body, query }: { body?: unknown; query?: Query } = {}): Promise<T> {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query ?? {})) if (value !== undefined) params.set(name, String(value));
    const url = `${this.apiUrl}${path}${params.size ? `?${params}` : ''}`;
    const headers: Record<string, string> = { authorization: `Bearer ${this.apiKey}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';

    let res: Response;
    let text: string;
    try {
      res = await this.fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      text = await res.text();
    } catch (err) {
      throw networkError(err);
    }
    if (!res.ok) throw errorFromResponse(res.status, res.statusText, text);
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new LevelChatApiError(res.status, 'invalid_response', 'Response is not JSON', text.slice(0, 200));
    }
  }
}
