import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../../common/compiled-entry.js';
import { Metrics } from '../../../common/metrics.js';

// The provisioned dashboard (deploy/grafana/dashboards/levelchat.json, loaded by docker-compose's
// Grafana) against what the processes export: every query names metrics the registry has, and every
// LevelChat metric is on it. No Docker engine runs where the tests do, so Grafana itself never
// renders it here: the JSON is what is checked.
const root = projectRoot();
const dashboard = JSON.parse(readFileSync(path.join(root, 'deploy', 'grafana', 'dashboards', 'levelchat.json'), 'utf8'));
const datasource = readFileSync(path.join(root, 'deploy', 'grafana', 'provisioning', 'datasources', 'prometheus.yml'), 'utf8');

/** Queried by the dashboard, exported by a later change: remove a name here when its metric is registered. */
const PENDING: string[] = [];
/** Series Prometheus makes itself for every target. */
const PROMETHEUS_OWN = ['up'];

interface Panel {
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: { expr: string; datasource: { uid: string }; format?: string }[];
  gridPos: { x: number; y: number; w: number; h: number };
}

const panels: Panel[] = dashboard.panels;
const queries = panels.filter((p) => p.type !== 'row');

/** Every exported series name: a histogram is queried through its _bucket, _sum and _count series. */
function exportedSeries(): Set<string> {
  const names = new Set<string>();
  for (const metric of new Metrics().registry.getMetricsAsArray()) {
    const { name, type } = metric as unknown as { name: string; type: string };
    names.add(name);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
  }
  return names;
}

/** Metric names in a PromQL expression: identifiers followed by a selector, a range or the end of a call argument. */
function metricNames(expr: string): string[] {
  const withoutLabels = expr.replace(/\{[^}]*\}/g, '{}').replace(/"[^"]*"/g, '""');
  const words = [...withoutLabels.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)].map((m) => m[0]);
  const promql = new Set(['sum', 'max', 'min', 'avg', 'by', 'without', 'rate', 'increase', 'irate', 'histogram_quantile', 'le', 'instance', 'job', 'role', 'state', 'type', 'kind', 'status', 'route', 'method', 'worker', 'outcome', 'code', 'delivery', '__rate_interval', 'm', 's']);
  return words.filter((w) => !promql.has(w));
}

describe('the Grafana dashboard', () => {
  it('is a dashboard Grafana provisions: uid, title, panels on a 24-column grid without overlaps', () => {
    expect(dashboard).toMatchObject({ uid: 'levelchat-overview', title: 'LevelChat' });
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    const taken = new Set<string>();
    for (const p of panels) {
      const { x, y, w, h } = p.gridPos;
      expect(x + w, p.title).toBeLessThanOrEqual(24);
      for (let dx = 0; dx < w; dx += 1) for (let dy = 0; dy < h; dy += 1) {
        const cell = `${x + dx},${y + dy}`;
        expect(taken.has(cell), `${p.title} overlaps at ${cell}`).toBe(false);
        taken.add(cell);
      }
    }
  });

  it('queries the provisioned Prometheus data source in every panel', () => {
    const uid = /uid: (\S+)/.exec(datasource)![1];
    expect(queries.length).toBeGreaterThan(20);
    for (const p of queries) {
      expect(p.datasource?.uid, p.title).toBe(uid);
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets!) {
        expect(t.datasource.uid, p.title).toBe(uid);
        expect(t.expr.trim(), p.title).not.toBe('');
      }
    }
  });

  it('names only exported metrics in its queries (read from the registry), and shows every LevelChat metric', () => {
    const exported = exportedSeries();
    const queried = new Set(queries.flatMap((p) => p.targets!.flatMap((t) => metricNames(t.expr))));
    for (const name of queried) {
      if (PENDING.some((pending) => name.startsWith(pending)) || PROMETHEUS_OWN.includes(name)) continue;
      expect(exported.has(name), `${name} is queried but not exported`).toBe(true);
    }
    for (const pending of PENDING) expect(exported.has(pending), `${pending} is exported now: remove it from PENDING`).toBe(false);
    const base = (series: string) => series.replace(/_(bucket|sum|count)$/, '');
    const shown = new Set([...queried].map(base));
    for (const name of exported) if (name.startsWith('levelchat_') && exported.has(base(name)) && base(name) === name) expect(shown.has(name), `${name} is on no panel`).toBe(true);
  });

  it('has the panels the issue asks for: rooms and viewers, a latency heatmap of the players\' reports, worker CPU and packet rates, LL-HLS lag and requests, webhook health, errors', () => {
    const byQuery = (fragment: string) => queries.filter((p) => p.targets!.some((t) => t.expr.includes(fragment)));
    expect(byQuery('levelchat_rooms').length).toBeGreaterThan(0);
    expect(byQuery('levelchat_hls_viewers').length).toBeGreaterThan(0);
    const heatmap = byQuery('levelchat_viewer_latency_seconds_bucket').find((p) => p.type === 'heatmap');
    expect(heatmap?.targets![0]!.format).toBe('heatmap');
    expect(byQuery('levelchat_sfu_worker_cpu_seconds_total').length).toBeGreaterThan(0);
    expect(byQuery('levelchat_sfu_forwarded_packets_total').length).toBeGreaterThan(0);
    expect(byQuery('levelchat_hls_part_publish_lag_seconds_bucket').length).toBeGreaterThan(0);
    expect(byQuery('levelchat_hls_requests_total').length).toBeGreaterThan(0);
    expect(byQuery('levelchat_webhook_deliveries_total').length).toBeGreaterThan(0);
    expect(byQuery('levelchat_webhook_queue_depth').length).toBeGreaterThan(0);
    expect(byQuery('status_class="5xx"').length).toBeGreaterThan(0);
    expect(byQuery('levelchat_signaling_errors_total').length).toBeGreaterThan(0);
  });
});
