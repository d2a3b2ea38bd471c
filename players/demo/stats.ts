// Live figures from the WebRTC senders and receivers, refreshed into the stats table.
import type { LocalTrackHandle, SubscribedTrack } from '../web/index.js';
import { $ } from './dom.js';

interface Row {
  label: string;
  kbps: string;
  rtt: string;
  loss: string;
  fps: string;
}

/** Bytes counted at the last refresh, by producer id: the rate is the difference. */
const previous = new Map<string, { bytes: number; at: number }>();

function statsRow(key: string, label: string, report: RTCStatsReport, direction: 'in' | 'out'): Row {
  let bytes = 0;
  let fps: number | undefined;
  let rtt: number | undefined;
  let lost = 0;
  let packets = 0;
  report.forEach((s: Record<string, unknown> & { type: string }) => {
    if (direction === 'out' && s.type === 'outbound-rtp') {
      bytes += Number(s['bytesSent'] ?? 0);
      if (typeof s['framesPerSecond'] === 'number') fps = Math.max(fps ?? 0, s['framesPerSecond']);
    }
    if (direction === 'out' && s.type === 'remote-inbound-rtp') {
      if (typeof s['roundTripTime'] === 'number') rtt = s['roundTripTime'] * 1000;
      if (typeof s['fractionLost'] === 'number') lost = Math.max(lost, s['fractionLost']);
      packets = 1;
    }
    if (direction === 'in' && s.type === 'inbound-rtp') {
      bytes += Number(s['bytesReceived'] ?? 0);
      if (typeof s['framesPerSecond'] === 'number') fps = s['framesPerSecond'];
      lost += Number(s['packetsLost'] ?? 0);
      packets += Number(s['packetsReceived'] ?? 0) + Number(s['packetsLost'] ?? 0);
    }
    if (s.type === 'candidate-pair' && s['nominated'] && typeof s['currentRoundTripTime'] === 'number') rtt ??= s['currentRoundTripTime'] * 1000;
  });
  const now = performance.now();
  const prev = previous.get(key);
  previous.set(key, { bytes, at: now });
  const kbps = prev && now > prev.at ? (((bytes - prev.bytes) * 8) / (now - prev.at)).toFixed(0) : '…';
  const loss = direction === 'out' ? (packets ? `${(lost * 100).toFixed(1)}%` : '–') : packets ? `${((lost / packets) * 100).toFixed(1)}%` : '–';
  return { label, kbps, rtt: rtt === undefined ? '–' : rtt.toFixed(0), loss, fps: fps === undefined ? '–' : fps.toFixed(0) };
}

/** Your tracks by source, received ones by producer id; `nameOf` names a participant. */
export async function refreshStats(sent: ReadonlyMap<string, LocalTrackHandle>, received: ReadonlyMap<string, SubscribedTrack>, nameOf: (participantId: string) => string): Promise<void> {
  const rows: Row[] = [];
  for (const [source, h] of sent) rows.push(await h.getStats().then((r) => statsRow(h.producerId, `↑ ${source}`, r, 'out')).catch(() => ({ label: source, kbps: '?', rtt: '?', loss: '?', fps: '?' })));
  for (const [id, t] of received) {
    rows.push(await t.getStats().then((r) => statsRow(id, `↓ ${nameOf(t.participantId)} ${t.source}`, r, 'in')).catch(() => ({ label: id, kbps: '?', rtt: '?', loss: '?', fps: '?' })));
  }
  const body = $('stats').querySelector('tbody')!;
  body.innerHTML = '';
  for (const r of rows) {
    const tr = document.createElement('tr');
    for (const v of [r.label, r.kbps, r.rtt, r.loss, r.fps]) {
      const td = document.createElement('td');
      td.textContent = v;
      tr.append(td);
    }
    body.append(tr);
  }
}
