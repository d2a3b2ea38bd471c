import type { ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { ApiKeyStore } from '../auth/api-key-store.js';
import { EdSigningKeys } from '../auth/ed-signing-keys.js';
import { KeyRetirement } from '../auth/key-retirement.js';
import { redisClock } from '../auth/redis-clock.js';
import { Revocations } from '../auth/revocations.js';
import type { Config } from '../config.js';
import { RoomEventEmitter } from '../events/room-event-emitter.js';
import type { Logger } from '../../common/logger.js';
import type { Metrics } from '../../common/metrics.js';
import { AttendanceLog } from '../rooms/attendance.js';
import { QuestionStore } from '../rooms/question-store.js';
import { RegistrationStore } from '../rooms/registrations.js';
import { RecordingStore } from '../../pipeline/recording/recording-store.js';
import { TokenMinter } from '../auth/token-minter.js';
import { RoomArchiver } from '../rooms/room-archiver.js';
import { RoomRepository } from '../rooms/room-repository.js';
import { RoomService } from '../rooms/room-service.js';
import { DeliveryLog } from '../webhooks/delivery-log.js';
import { DestinationGuard, type Resolver } from '../webhooks/destination-guard.js';
import { WebhookDispatcher, type DeliveryLimits, type RetryPolicy } from '../webhooks/webhook-dispatcher.js';
import { WebhookStore } from '../webhooks/webhook-store.js';

export interface ControlPlaneOptions {
  redisUrl: string;
  apiKeys: Config['apiKeys'];
  archiveAfterS: number;
  logger: Logger;
  retryPolicy?: RetryPolicy;
  deliveryLimits?: DeliveryLimits;
  /** LEVELCHAT_WEBHOOK_ALLOW_PRIVATE: webhooks may target private addresses (development only). */
  webhookAllowPrivate: boolean;
  /** DNS for webhook hosts; the system resolver unless a test plays DNS. */
  webhookResolver?: Resolver;
  /** Where webhook delivery attempts are counted. */
  metrics?: Metrics;
}

/**
 * The control plane's services wired together on one Redis: API keys, rooms and their lifecycle,
 * revocations, webhooks. BullMQ gets its own connections (its blocking commands need them).
 */
export class ControlPlane {
  readonly keys: ApiKeyStore;
  /** Stops what deleted keys made (their rooms, their webhooks), durably. */
  readonly retirement: KeyRetirement;
  readonly repository: RoomRepository;
  readonly rooms: RoomService;
  readonly archiver: RoomArchiver;
  readonly revocations: Revocations;
  readonly webhooks: WebhookStore;
  readonly deliveries: DeliveryLog;
  readonly dispatcher: WebhookDispatcher;
  /** Where webhooks may point: checked at registration and at every delivery. */
  readonly destinations: DestinationGuard;
  readonly events: RoomEventEmitter;
  readonly attendance: AttendanceLog;
  readonly questions: QuestionStore;
  readonly registrations: RegistrationStore;
  readonly recordings: RecordingStore;
  /** The cluster's Ed25519 keys: EdDSA room tokens and the JWKS. */
  readonly edKeys: EdSigningKeys;
  readonly minter: TokenMinter;

  private constructor(
    readonly redis: Redis,
    private readonly subscriber: Redis,
    options: ControlPlaneOptions,
  ) {
    const connection: ConnectionOptions = { url: options.redisUrl, maxRetriesPerRequest: null };
    this.keys = new ApiKeyStore(redis, options.apiKeys);
    this.webhooks = new WebhookStore(redis);
    this.deliveries = new DeliveryLog(redis, options.metrics);
    this.destinations = new DestinationGuard({ allowPrivate: options.webhookAllowPrivate, ...(options.webhookResolver ? { resolver: options.webhookResolver } : {}) });
    this.dispatcher = new WebhookDispatcher(redis, connection, this.webhooks, this.deliveries, options.logger, this.destinations, options.retryPolicy, options.deliveryLimits);
    this.repository = new RoomRepository(redis, this.dispatcher);
    this.archiver = new RoomArchiver(connection, this.repository, options.archiveAfterS, options.logger);
    this.rooms = new RoomService(this.repository, this.archiver, options.logger);
    this.revocations = new Revocations(redis);
    this.events = new RoomEventEmitter(redis, this.dispatcher);
    this.attendance = new AttendanceLog(redis);
    this.questions = new QuestionStore(redis);
    this.registrations = new RegistrationStore(redis);
    this.recordings = new RecordingStore(redis);
    this.edKeys = new EdSigningKeys(redis);
    this.minter = new TokenMinter(this.keys, this.edKeys, redisClock(redis));
    // Rooms first: their room.ended events go to the webhooks still there.
    this.retirement = new KeyRetirement(redis, async (keyId) => {
      await this.rooms.endAllOf(keyId);
      await this.webhooks.deleteAllOf(keyId);
    }, options.logger);
  }

  static async start(options: ControlPlaneOptions): Promise<ControlPlane> {
    const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 3, connectionName: 'levelchat-control' });
    const subscriber = new Redis(options.redisUrl, { maxRetriesPerRequest: null, connectionName: 'levelchat-control-sub' });
    for (const c of [redis, subscriber]) c.on('error', (err) => options.logger.warn({ err: err.message }, 'redis connection error'));
    const plane = new ControlPlane(redis, subscriber, options);
    await plane.keys.listenForInvalidations(subscriber);
    plane.archiver.startWorker();
    plane.dispatcher.startWorker();
    await plane.dispatcher.resume();
    plane.retirement.start();
    return plane;
  }

  async close(): Promise<void> {
    await this.retirement.stop();
    await this.dispatcher.close();
    await this.archiver.close();
    await Promise.all([this.redis.quit().catch(() => {}), this.subscriber.quit().catch(() => {})]);
  }
}
