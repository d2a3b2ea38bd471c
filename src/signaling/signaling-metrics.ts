import type { Metrics } from '../../common/metrics.js';
import type { LiveRoom } from './live-room.js';
import type { SignalingServer } from './signaling-server.js';

/**
 * This node's participants by role and its open signaling sockets, counted when Prometheus scrapes
 * (one pass over the live rooms; nothing is tracked on join or leave). A publisher is a participant
 * that may publish (on stage); everyone else is a viewer.
 */
export function readSignalingMetrics(
  metrics: Pick<Metrics, 'participants' | 'signalingConnections'>,
  rooms: () => Iterable<LiveRoom>,
  server: Pick<SignalingServer, 'connections'>,
): void {
  metrics.participants.read((add) => {
    let publishers = 0;
    let viewers = 0;
    for (const room of rooms()) {
      for (const p of room.participants.values()) {
        if (p.onStage) publishers += 1;
        else viewers += 1;
      }
    }
    add(publishers, { role: 'publisher' });
    add(viewers, { role: 'viewer' });
  });
  metrics.signalingConnections.read((add) => add(server.connections));
}
