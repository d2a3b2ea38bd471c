/**
 * The REST error catalogue: every problem+json `code` the API and the LL-HLS origin answer, with its
 * HTTP status and title. Codes are stable (clients and docs rely on them); add new ones here only.
 */
export const PROBLEMS = {
  // Requests
  bad_request: [400, 'Bad request'],
  invalid_request: [400, 'Invalid request'],
  invalid_id: [400, 'Invalid id in the path'],
  invalid_json: [400, 'Request body is not valid JSON'],
  invalid_cursor: [400, 'Invalid cursor'],
  invalid_room_config: [400, 'Invalid room configuration'],
  e2ee_unsupported_feature: [400, 'Invalid room configuration'],
  body_too_large: [413, 'Request body too large'],
  unsupported_media_type: [415, 'Unsupported content type'],
  unsupported_encoding: [415, 'Unsupported body encoding'],
  not_found: [404, 'Not found'],
  rate_limited: [429, 'Too many requests'],
  internal: [500, 'Internal server error'],
  // API keys
  unauthorized: [401, 'Missing API key'],
  invalid_api_key: [401, 'Invalid API key'],
  operator_only: [403, 'Operators only'],
  metrics_unauthorized: [401, 'Metrics token required'],
  key_not_found: [404, 'API key not found'],
  key_from_config: [409, 'Key comes from the config'],
  key_limit: [409, 'Too many API keys in this key tree'],
  // Rooms
  room_not_found: [404, 'Room not found'],
  room_archived: [409, 'Room is archived'],
  room_ended: [409, 'Room has ended'],
  not_ended: [409, 'Room has not ended'],
  room_id_taken: [409, 'Room id is taken'],
  not_hybrid: [409, 'Room is not hybrid'],
  already_promoted: [409, 'Room was promoted already'],
  hls_off: [409, 'Room is not delivered over LL-HLS'],
  // Webinar registrations
  registration_required: [403, 'Registration required'],
  registration_not_found: [404, 'Registration not found'],
  registration_off: [409, 'Registration is off'],
  // Webhooks
  webhook_not_found: [404, 'Webhook not found'],
  webhook_limit: [409, 'Too many webhooks for this key'],
  webhook_destination_refused: [422, 'Webhook destination refused'],
  // WHIP publishers and WHEP players (room tokens instead of API keys; SDP bodies)
  token_required: [401, 'Missing room token'],
  token_malformed: [401, 'Malformed room token'],
  token_invalid: [401, 'Invalid room token'],
  token_expired: [401, 'Room token expired'],
  token_not_yet_valid: [401, 'Room token not yet valid'],
  token_unknown_key: [401, 'Room token signed with an unknown key'],
  token_revoked: [401, 'Room token revoked'],
  token_room_mismatch: [403, 'Room token is for another room'],
  capability_required: [403, 'Capability required'],
  sdp_malformed: [400, 'Malformed SDP'],
  sdp_unsupported: [422, 'SDP offer not acceptable'],
  media_error: [422, 'Media refused'],
  room_full: [409, 'Room is full'],
  publishers_full: [409, 'Room has all the publishers it allows'],
  identity_in_use: [409, 'Identity already in the room'],
  session_not_found: [404, 'Session not found'],
  etag_mismatch: [412, 'Entity tag does not match'],
  webrtc_full: [503, 'WebRTC seats taken'],
  // Encoders (ingests), restreams, thumbnails
  ingest_not_found: [404, 'Ingest not found'],
  ingest_limit: [409, 'Too many ingests in this room'],
  srt_ports_exhausted: [503, 'No SRT port free on this node'],
  restream_not_found: [404, 'Restream not found'],
  restream_limit: [409, 'Too many restreams in this room'],
  restream_destination_refused: [422, 'Restream destination refused'],
  not_on_air: [404, 'Nobody is on air'],
  // LL-HLS origin
  invalid_room_id: [400, 'Invalid room id'],
  invalid_rendition: [400, 'Invalid rendition'],
  invalid_file_name: [400, 'Invalid file name'],
  invalid_delivery_directive: [400, 'Invalid delivery directive'],
  too_far: [400, 'Blocking request too far ahead'],
  playback_token_required: [403, 'Playback token required'],
  playback_token_invalid: [403, 'Invalid playback token'],
  stream_not_found: [404, 'Stream not found'],
  rendition_not_found: [404, 'Rendition not found'],
  object_not_found: [404, 'Not found'],
  blocking_timeout: [503, 'Not available yet'],
  storage_unavailable: [503, 'Storage unavailable'],
} as const satisfies Record<string, readonly [number, string]>;

export type ProblemCode = keyof typeof PROBLEMS;

export interface ProblemOptions {
  /** Response headers (`Retry-After`, `WWW-Authenticate` ...). */
  headers?: Record<string, string>;
  /** Only for statuses that are not the code's own (an upstream 4xx passed on as `bad_request`). */
  status?: number;
  /** What went wrong inside: logged, never sent to the client. */
  cause?: unknown;
}

/** An error that becomes an RFC 9457 problem+json response; status and title come from the catalogue. */
export class ProblemError extends Error {
  readonly status: number;
  readonly title: string;
  readonly headers: Record<string, string>;

  constructor(
    readonly code: ProblemCode,
    readonly detail?: string,
    options: ProblemOptions = {},
  ) {
    super(detail ?? PROBLEMS[code][1], options.cause === undefined ? undefined : { cause: options.cause });
    this.status = options.status ?? PROBLEMS[code][0];
    this.title = PROBLEMS[code][1];
    this.headers = options.headers ?? {};
  }
}

/**
 * A refusal by a layer below the API, named by its catalogue code: REST answers it as that problem,
 * with the message as the detail (src/api/domain-errors.ts).
 */
export class DomainError<C extends ProblemCode = ProblemCode> extends Error {
  constructor(
    readonly code: C,
    message: string,
  ) {
    super(message);
  }
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
}

export function problemBody(p: ProblemError): ProblemBody {
  return {
    type: `https://levelchat.dev/problems/${p.code}`,
    title: p.title,
    status: p.status,
    code: p.code,
    ...(p.detail ? { detail: p.detail } : {}),
  };
}
