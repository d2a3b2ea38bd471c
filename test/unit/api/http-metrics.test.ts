import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { Router } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Metrics } from '../../../common/metrics.js';
import { ProblemError } from '../../../common/problem.js';
import { observeHttp, rememberMount } from '../../../src/api/http-metrics.js';
import { metricsRoute } from '../../../src/api/metrics-route.js';
import { notFoundHandler, problemHandler } from '../../../src/api/problem-handler.js';
import { Scrape } from '../../helpers/prometheus-scrape.js';

// An app shaped like createApp(): the observer first, /metrics, a router mounted under /v1 whose
// routes answer or fail, the 404 and problem handlers last.
const TOKEN = 'metrics-token-0123456789';
const metrics = new Metrics({ nodeDefaults: false });
let server: http.Server;
let url: string;

beforeAll(async () => {
  const app = express();
  app.use(observeHttp(metrics));
  app.use(metricsRoute({ metrics, token: TOKEN }));
  const api = Router();
  api.get('/rooms/:id', (req, res) => {
    res.json({ id: req.params.id });
  });
  api.get('/rooms/:id/fail', () => {
    throw new ProblemError('room_not_found');
  });
  app.use('/v1', rememberMount, api);
  app.use(notFoundHandler);
  app.use(problemHandler(() => {}));
  server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('levelchat_http_request_duration_seconds', () => {
  it('labels requests with the route template (mount path included, also when the route failed), never the path', async () => {
    for (const id of ['r_a', 'r_b', 'r_c']) expect((await fetch(`${url}/v1/rooms/${id}`)).status).toBe(200);
    expect((await fetch(`${url}/v1/rooms/r_a/fail`)).status).toBe(404);
    for (const path of ['/nothing/here', '/v1/rooms/r_a/b/c', '/v1/x']) expect((await fetch(`${url}${path}`)).status).toBe(404);

    const scrape = await Scrape.of(url, TOKEN);
    const name = 'levelchat_http_request_duration_seconds';
    expect(scrape.histogram(name, { method: 'GET', route: '/v1/rooms/:id', status_class: '2xx' }).count).toBe(3);
    expect(scrape.histogram(name, { method: 'GET', route: '/v1/rooms/:id/fail', status_class: '4xx' }).count).toBe(1);
    expect(scrape.histogram(name, { method: 'GET', route: 'unmatched', status_class: '4xx' }).count).toBe(3);
    // Bounded labels: templates and one fixed word, no room id anywhere.
    const routes = new Set(scrape.labelSets(name).map((l) => l.route));
    expect([...routes].sort()).toEqual(['/v1/rooms/:id', '/v1/rooms/:id/fail', 'unmatched']);
    expect(scrape.text).not.toContain('r_a');
  });
});

describe('GET /metrics with LEVELCHAT_METRICS_TOKEN', () => {
  it('refuses a request without the token, or with another, as problem+json 401', async () => {
    for (const authorization of [undefined, `Bearer ${TOKEN}x`, TOKEN, 'Bearer ', `bearer ${TOKEN.toUpperCase()}`]) {
      const res = await fetch(`${url}/metrics`, authorization === undefined ? {} : { headers: { authorization } });
      expect(res.status, String(authorization)).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const body = await res.json();
      expect(body).toMatchObject({ status: 401, code: 'metrics_unauthorized' });
      expect(JSON.stringify(body)).not.toContain('levelchat_');
    }
  });

  it('answers the exposition text with the token', async () => {
    const scrape = await Scrape.of(url, TOKEN);
    expect(scrape.family('levelchat_rooms').type).toBe('GAUGE');
  });
});
