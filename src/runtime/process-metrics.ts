import type { Redis } from 'ioredis';
import type { Metrics } from '../../common/metrics.js';
import type { IngestJobs } from '../../pipeline/jobs/ingest-jobs.js';
import type { UploadSpool } from '../../pipeline/publish/upload-spool.js';
import { WEBHOOK_DROPPED_COUNT } from '../events/event-keys.js';
import { readRoomCounts } from '../rooms/room-counts.js';
import type { LiveRooms } from '../signaling/live-rooms.js';
import { readSignalingMetrics } from '../signaling/signaling-metrics.js';
import type { SignalingServer } from '../signaling/signaling-server.js';
import type { WebhookDispatcher } from '../webhooks/webhook-dispatcher.js';

/** What every LevelChat process reports at scrape time: its LL-HLS runs and its upload spool. */
export function readProcessMetrics(metrics: Metrics, parts: { ingest: Pick<IngestJobs, 'onAirRuns'>; spool: Pick<UploadSpool, 'stats'> }): void {
  metrics.hlsRoomsOnAir.read((add) => add(parts.ingest.onAirRuns));
  metrics.storageSpoolBytes.read((add) => add(parts.spool.stats.bytes));
}

/**
 * What a node adds: its participants and sockets, and three cluster-wide figures read from Redis at
 * scrape time, rooms by state and type (one HGETALL of the counts hash), the webhook queue (BullMQ's
 * counts) and the events full webhook queues did not take (one GET). Pipeline workers leave the
 * cluster-wide ones to the nodes.
 */
export function readNodeMetrics(
  metrics: Metrics,
  parts: { redis: Redis; liveRooms: LiveRooms; signaling: SignalingServer; webhooks: Pick<WebhookDispatcher, 'queueDepth'> },
): void {
  metrics.rooms.read(async (add) => {
    for (const { state, type, count } of await readRoomCounts(parts.redis)) add(count, { state, type });
  });
  readSignalingMetrics(metrics, () => parts.liveRooms.rooms.values(), parts.signaling);
  metrics.webhookQueueDepth.read(async (add) => {
    const depth = await parts.webhooks.queueDepth();
    for (const state of ['waiting', 'delayed', 'active'] as const) add(depth[state], { state });
  });
  metrics.webhookEventsDropped.read(async (add) => add(Number((await parts.redis.get(WEBHOOK_DROPPED_COUNT)) ?? 0)));
}
