import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import type { Logger } from '../../common/logger.js';
import type { TokenMinter } from '../auth/token-minter.js';
import type { RoomEventEmitter } from '../events/room-event-emitter.js';
import type { HlsStatusStore } from '../hls/hls-status.js';
import { ProgramInputs } from '../program/program-input.js';
import { RestreamStore } from '../program/restream-store.js';
import { Restreams } from '../program/restreams.js';
import { Thumbnails } from '../program/thumbnails.js';
import type { RoomRepository } from '../rooms/room-repository.js';
import type { DestinationGuard } from '../webhooks/destination-guard.js';

export interface ProgramOutputsDeps {
  redis: Redis;
  status: HlsStatusStore;
  minter: TokenMinter;
  repository: RoomRepository;
  events: RoomEventEmitter;
  /** The webhooks' destination rule (and its LEVELCHAT_WEBHOOK_ALLOW_PRIVATE), for restream destinations too. */
  destinations: DestinationGuard;
  nodeId: string;
  /** This node's HTTP origin as it reaches itself. */
  localOrigin: () => string;
  logger: Logger;
}

/** What leaves a room besides its viewers: restreams of its on-air program and thumbnails of it. */
export function programOutputs(deps: ProgramOutputsDeps): { thumbnails: Thumbnails; restreams: Restreams } {
  const inputs = new ProgramInputs({ status: deps.status, minter: deps.minter, localOrigin: deps.localOrigin });
  return {
    thumbnails: new Thumbnails(inputs, deps.logger),
    restreams: new Restreams({
      store: new RestreamStore(deps.redis),
      repository: deps.repository,
      inputs,
      guard: deps.destinations,
      events: deps.events,
      nodeId: deps.nodeId,
      logger: deps.logger,
    }),
  };
}

/** How this node reaches its own HTTP server: its bind address, loopback when it binds every interface. */
export function localOrigin(server: http.Server, bind: string): string {
  const { port } = server.address() as AddressInfo;
  const host = bind === '0.0.0.0' ? '127.0.0.1' : bind === '::' ? '[::1]' : bind.includes(':') ? `[${bind}]` : bind;
  return `http://${host}:${port}`;
}
