import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { clientAddress } from '../common/client-address.js';
import { cadenceOf, DEFAULT_PART_TARGET, DEFAULT_SEGMENT_TARGET, type Cadence } from '../pipeline/llhls/cadence.js';
import { parseApiKey } from './auth/api-key.js';
import { turnCredentials } from './auth/turn-credentials.js';
import { defaultNodeId } from './cluster/node-registry.js';
import { regionSchema } from './rooms/room-types.js';

/** Thrown when the environment does not describe a valid configuration; names the variable. */
export class ConfigError extends Error {
  readonly code = 'config_invalid';
  constructor(
    readonly variable: string,
    detail: string,
  ) {
    super(`invalid configuration: ${variable}: ${detail}`);
  }
}

const port = z.coerce.number().int().min(0).max(65535);
const optionalUrl = z.url().optional();

/** LEVELCHAT_TRUST_PROXY's entries. */
const proxyList = (v: string): string[] =>
  v
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);

/** Whether proxy-addr takes every entry (it throws on one it does not). */
function trustableProxies(list: string[]): boolean {
  try {
    clientAddress(list);
    return true;
  } catch {
    return false;
  }
}

/**
 * Every environment variable LevelChat reads, with its default. The README's config table mirrors
 * this list; keep them in step.
 */
export const configSchema = z.object({
  PORT: port.default(8080),
  LEVELCHAT_BIND: z.string().min(1).default('127.0.0.1'),
  LEVELCHAT_PUBLIC_URL: optionalUrl,
  LEVELCHAT_DATA_DIR: z.string().min(1).default('./data'),
  LEVELCHAT_WORKERS: z.coerce.number().int().min(1).max(256).optional(),
  LEVELCHAT_RTC_MIN_PORT: port.min(1024).default(40000),
  LEVELCHAT_RTC_MAX_PORT: port.min(1024).default(49999),
  LEVELCHAT_ANNOUNCED_IP: z.string().min(1).optional(),
  LEVELCHAT_RTC_LISTEN_IP: z.union([z.ipv4(), z.ipv6()]).default('127.0.0.1'),
  LEVELCHAT_CONSUMERS_PER_ROUTER: z.coerce.number().int().min(1).max(100_000).default(400),
  LEVELCHAT_WEBRTC_VIEWER_CAP: z.coerce.number().int().min(0).max(1_000_000).default(500),
  LEVELCHAT_ICE_SERVERS: z
    .string()
    .optional()
    .refine((v) => v === undefined || v.split(',').every((u) => /^(stun|turns?):[^\s<>",]+$/.test(u.trim())), 'must be comma-separated stun:, turn: or turns: URIs'),
  LEVELCHAT_TURN_USERNAME: z.string().min(1).regex(/^[^"\s]+$/, 'no quotes or spaces').optional(),
  LEVELCHAT_TURN_CREDENTIAL: z.string().min(1).regex(/^[^"\s]+$/, 'no quotes or spaces').optional(),
  LEVELCHAT_TURN_SECRET: z.string().min(16, 'at least 16 characters').max(256).regex(/^[^"\s]+$/, 'no quotes or spaces').optional(),
  LEVELCHAT_TURN_URLS: z
    .string()
    .optional()
    .refine((v) => v === undefined || v.split(',').every((u) => /^turns?:[^\s<>",]+$/.test(u.trim())), 'must be comma-separated turn: or turns: URIs'),
  LEVELCHAT_TURN_TTL_S: z.coerce.number().int().min(60).max(7 * 86400).default(86400),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  REDIS_URL: optionalUrl.refine((v) => v === undefined || /^rediss?:\/\//.test(v), 'must start with redis:// or rediss://'),
  S3_ENDPOINT: optionalUrl,
  S3_ACCESS_KEY: z.string().min(1).optional(),
  S3_SECRET_KEY: z.string().min(1).optional(),
  S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid S3 bucket name (3-63 chars, lowercase, digits, dots, dashes)')
    .default('levelchat'),
  S3_REGION: z.string().min(1).default('us-east-1'),
  LEVELCHAT_API_KEYS: z.string().optional(),
  LEVELCHAT_ARCHIVE_AFTER_S: z.coerce.number().int().min(1).default(86400),
  LEVELCHAT_RATE_LIMIT_RPS: z.coerce.number().positive().max(1_000_000).default(100),
  LEVELCHAT_RATE_LIMIT_BURST: z.coerce.number().int().min(1).max(1_000_000).default(200),
  LEVELCHAT_WEBHOOK_ALLOW_PRIVATE: z.stringbool().default(false),
  LEVELCHAT_TRUST_PROXY: z
    .string()
    .default('')
    .transform(proxyList)
    .refine(trustableProxies, 'must be comma-separated IP addresses, CIDRs, or loopback, linklocal, uniquelocal'),
  LEVELCHAT_SIGNALING_SOCKETS_PER_ADDRESS: z.coerce.number().int().min(1).max(1_000_000).default(500),
  LEVELCHAT_SIGNALING_UNJOINED_PER_ADDRESS: z.coerce.number().int().min(1).max(1_000_000).default(50),
  LEVELCHAT_SIGNALING_CONNECTS_PER_ADDRESS: z.coerce.number().positive().max(1_000_000).default(20),
  LEVELCHAT_NODE_ID: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 letters, digits, ".", "_" or "-"').optional(),
  LEVELCHAT_REGION: regionSchema.default('default'),
  LEVELCHAT_PIPE_SRTP: z.stringbool().default(false),
  LEVELCHAT_ROLE: z.enum(['node', 'pipeline']).default('node'),
  LEVELCHAT_PIPELINE_CONCURRENCY: z.coerce.number().int().min(0).max(64).default(4),
  LEVELCHAT_HLS_PART_TARGET: z.coerce.number().min(0.1).max(2).default(DEFAULT_PART_TARGET),
  LEVELCHAT_HLS_SEGMENT_TARGET: z.coerce.number().min(0.2).max(10).default(DEFAULT_SEGMENT_TARGET),
  LEVELCHAT_RTMP_PORT: port.optional(),
  LEVELCHAT_SRT_MIN_PORT: port.min(1024).default(9000),
  LEVELCHAT_SRT_MAX_PORT: port.min(1024).default(9099),
  LEVELCHAT_METRICS_TOKEN: z
    .string()
    .regex(/^[A-Za-z0-9._~+/=-]{16,256}$/, 'must be 16-256 characters of letters, digits and . _ ~ + / = - (a Bearer token)')
    .optional(),
});

export type ConfigEnv = z.infer<typeof configSchema>;

/** A STUN or TURN server clients are told about: in join answers (`ice_servers`) and WHIP/WHEP `Link` headers. */
export interface IceServer {
  url: string;
  username?: string;
  credential?: string;
}

/** TURN with time-limited credentials (LEVELCHAT_TURN_SECRET, LEVELCHAT_TURN_URLS, LEVELCHAT_TURN_TTL_S). */
export interface TurnRestConfig {
  urls: string[];
  secret: string;
  ttlS: number;
}

/**
 * The ICE servers to hand one client (`identity`: the token's, or a WHIP/WHEP session's): the fixed
 * ones of LEVELCHAT_ICE_SERVERS (TURN ones with LEVELCHAT_TURN_USERNAME/CREDENTIAL), then every
 * LEVELCHAT_TURN_URLS server with credentials of its own that expire LEVELCHAT_TURN_TTL_S from now.
 * The one place the join answer and WHIP/WHEP take ICE servers from.
 */
export function iceServersFor(config: Pick<Config, 'iceServers' | 'turn'>, identity: string, nowMs = Date.now()): IceServer[] {
  const turn = config.turn;
  if (!turn) return config.iceServers;
  const credentials = turnCredentials(turn.secret, identity, turn.ttlS, nowMs);
  return [...config.iceServers, ...turn.urls.map((url) => ({ url, ...credentials }))];
}

export interface Config {
  http: { port: number; bind: string; publicUrl: string | undefined };
  dataDir: string;
  workers: { count: number; rtcMinPort: number; rtcMaxPort: number };
  rtc: { listenIp: string; announcedIp: string | undefined; consumersPerRouter: number; webrtcViewerCap: number };
  /** Fixed STUN/TURN servers for clients (TURN ones with their fixed credentials); the node itself is ICE-lite and needs none. Hand them out with `iceServersFor`. */
  iceServers: IceServer[];
  /** TURN servers whose credentials are made per client (the TURN REST API scheme); null when unset. */
  turn: TurnRestConfig | null;
  logLevel: ConfigEnv['LOG_LEVEL'];
  /** `undefined` means: start Debian's redis-server ourselves. */
  redisUrl: string | undefined;
  /** `undefined` endpoint means: start the embedded S3 server ourselves. */
  s3: {
    endpoint: string | undefined;
    accessKey: string | undefined;
    secretKey: string | undefined;
    bucket: string;
    region: string;
  };
  /** Development keys from the environment: `lc_pk_<id>.<secret>`, comma-separated. */
  apiKeys: string[];
  archiveAfterS: number;
  /** REST requests per API key (and failed authentications per client address). */
  rateLimit: { perSecond: number; burst: number };
  /** Proxies whose X-Forwarded-For names the client (common/client-address.ts); empty: the socket's peer is the client. */
  trustProxy: string[];
  /** `allowPrivate`: webhooks may target loopback, private and link-local addresses (development only). */
  webhooks: { allowPrivate: boolean };
  /** Signaling sockets one client address may hold on this node (all, not joined yet) and open per second. */
  signaling: { socketsPerAddress: number; unjoinedPerAddress: number; connectsPerSecond: number };
  /** This node in the cluster: its id in the registry, its region for placement, SRTP between nodes. */
  cluster: { nodeId: string; region: string; pipeSrtp: boolean };
  /** `node`: everything (API, signaling, SFU, pipeline jobs); `pipeline`: only LL-HLS ingest and recording jobs. */
  role: 'node' | 'pipeline';
  /**
   * LL-HLS ingest runs this process takes at once (0: none, it leaves them to other processes), and
   * the cadence its runs declare (a playlist continued from another process keeps its own).
   */
  pipeline: { concurrency: number; cadence: Cadence };
  /** Encoder endpoints: the RTMP listener's port (0: any free one) and the UDP ports SRT ingests take, one each. */
  ingest: { rtmpPort: number; srtMinPort: number; srtMaxPort: number };
  /** `token`: GET /metrics needs `Authorization: Bearer <token>`; undefined: /metrics is open. */
  metrics: { token: string | undefined };
}

/** Reads the configuration once from `env`; throws ConfigError naming the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const known = Object.fromEntries(
    Object.keys(configSchema.shape).map((name) => [name, env[name] === '' ? undefined : env[name]]),
  );
  const parsed = configSchema.safeParse(known);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const variable = String(issue.path[0] ?? 'environment');
    throw new ConfigError(variable, `${issue.message} (got ${JSON.stringify(env[variable] ?? null)})`);
  }
  const c = parsed.data;
  if (c.LEVELCHAT_RTC_MIN_PORT > c.LEVELCHAT_RTC_MAX_PORT) {
    throw new ConfigError('LEVELCHAT_RTC_MIN_PORT', `must not exceed LEVELCHAT_RTC_MAX_PORT (${c.LEVELCHAT_RTC_MAX_PORT})`);
  }
  if (c.S3_ENDPOINT && (!c.S3_ACCESS_KEY || !c.S3_SECRET_KEY)) {
    throw new ConfigError(c.S3_ACCESS_KEY ? 'S3_SECRET_KEY' : 'S3_ACCESS_KEY', 'is required when S3_ENDPOINT is set');
  }
  if (c.LEVELCHAT_SRT_MIN_PORT > c.LEVELCHAT_SRT_MAX_PORT) {
    throw new ConfigError('LEVELCHAT_SRT_MIN_PORT', `must not exceed LEVELCHAT_SRT_MAX_PORT (${c.LEVELCHAT_SRT_MAX_PORT})`);
  }
  if (c.LEVELCHAT_HLS_SEGMENT_TARGET < 2 * c.LEVELCHAT_HLS_PART_TARGET) {
    throw new ConfigError('LEVELCHAT_HLS_SEGMENT_TARGET', `must be at least twice LEVELCHAT_HLS_PART_TARGET (${c.LEVELCHAT_HLS_PART_TARGET})`);
  }
  const apiKeys = (c.LEVELCHAT_API_KEYS ?? '').split(',').map((k) => k.trim()).filter(Boolean);
  if (apiKeys.some((k) => !parseApiKey(k))) {
    throw new ConfigError('LEVELCHAT_API_KEYS', 'every key must look like lc_pk_<id>.<secret> (id: 8-64 letters or digits; secret: 16-128 of A-Z a-z 0-9 _ -)');
  }
  return {
    http: { port: c.PORT, bind: c.LEVELCHAT_BIND, publicUrl: c.LEVELCHAT_PUBLIC_URL },
    dataDir: path.resolve(c.LEVELCHAT_DATA_DIR),
    workers: {
      count: c.LEVELCHAT_WORKERS ?? (os.availableParallelism?.() ?? os.cpus().length),
      rtcMinPort: c.LEVELCHAT_RTC_MIN_PORT,
      rtcMaxPort: c.LEVELCHAT_RTC_MAX_PORT,
    },
    rtc: { listenIp: c.LEVELCHAT_RTC_LISTEN_IP, announcedIp: c.LEVELCHAT_ANNOUNCED_IP, consumersPerRouter: c.LEVELCHAT_CONSUMERS_PER_ROUTER, webrtcViewerCap: c.LEVELCHAT_WEBRTC_VIEWER_CAP },
    iceServers: (c.LEVELCHAT_ICE_SERVERS ?? '')
      .split(',')
      .map((url) => url.trim())
      .filter(Boolean)
      .map((url) => ({
        url,
        ...(url.startsWith('turn') && c.LEVELCHAT_TURN_USERNAME && c.LEVELCHAT_TURN_CREDENTIAL ? { username: c.LEVELCHAT_TURN_USERNAME, credential: c.LEVELCHAT_TURN_CREDENTIAL } : {}),
      })),
    turn: turnConfig(c),
    logLevel: c.LOG_LEVEL,
    redisUrl: c.REDIS_URL,
    s3: {
      endpoint: c.S3_ENDPOINT,
      accessKey: c.S3_ACCESS_KEY,
      secretKey: c.S3_SECRET_KEY,
      bucket: c.S3_BUCKET,
      region: c.S3_REGION,
    },
    apiKeys,
    archiveAfterS: c.LEVELCHAT_ARCHIVE_AFTER_S,
    rateLimit: { perSecond: c.LEVELCHAT_RATE_LIMIT_RPS, burst: c.LEVELCHAT_RATE_LIMIT_BURST },
    trustProxy: c.LEVELCHAT_TRUST_PROXY,
    webhooks: { allowPrivate: c.LEVELCHAT_WEBHOOK_ALLOW_PRIVATE },
    signaling: {
      socketsPerAddress: c.LEVELCHAT_SIGNALING_SOCKETS_PER_ADDRESS,
      unjoinedPerAddress: c.LEVELCHAT_SIGNALING_UNJOINED_PER_ADDRESS,
      connectsPerSecond: c.LEVELCHAT_SIGNALING_CONNECTS_PER_ADDRESS,
    },
    cluster: { nodeId: c.LEVELCHAT_NODE_ID ?? defaultNodeId(), region: c.LEVELCHAT_REGION, pipeSrtp: c.LEVELCHAT_PIPE_SRTP },
    role: c.LEVELCHAT_ROLE,
    pipeline: { concurrency: c.LEVELCHAT_PIPELINE_CONCURRENCY, cadence: cadenceOf(c.LEVELCHAT_HLS_PART_TARGET, c.LEVELCHAT_HLS_SEGMENT_TARGET) },
    // A node on any free HTTP port (PORT=0: tests, throwaway nodes) takes any free RTMP port too.
    ingest: { rtmpPort: c.LEVELCHAT_RTMP_PORT ?? (c.PORT === 0 ? 0 : 1935), srtMinPort: c.LEVELCHAT_SRT_MIN_PORT, srtMaxPort: c.LEVELCHAT_SRT_MAX_PORT },
    metrics: { token: c.LEVELCHAT_METRICS_TOKEN },
  };
}

/** LEVELCHAT_TURN_URLS and LEVELCHAT_TURN_SECRET go together: one without the other is a mistake, not a choice. */
function turnConfig(c: ConfigEnv): TurnRestConfig | null {
  const urls = (c.LEVELCHAT_TURN_URLS ?? '').split(',').map((u) => u.trim()).filter(Boolean);
  if (urls.length === 0 && !c.LEVELCHAT_TURN_SECRET) return null;
  if (urls.length === 0) throw new ConfigError('LEVELCHAT_TURN_URLS', 'is required when LEVELCHAT_TURN_SECRET is set');
  if (!c.LEVELCHAT_TURN_SECRET) throw new ConfigError('LEVELCHAT_TURN_SECRET', 'is required when LEVELCHAT_TURN_URLS is set');
  return { urls, secret: c.LEVELCHAT_TURN_SECRET, ttlS: c.LEVELCHAT_TURN_TTL_S };
}
