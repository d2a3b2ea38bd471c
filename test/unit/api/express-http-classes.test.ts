import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { expressHttpClasses } from '../../../src/api/express-http-classes.js';

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function serve(app: express.Express, withClasses: boolean): Promise<string> {
  const server = http.createServer(withClasses ? expressHttpClasses(app) : {}, app);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** An app that reports whether express found its prototypes already in place. */
function probeApp(): express.Express {
  const app = express();
  app.post('/probe', express.json(), (req, res) => {
    res.status(201).set('X-Probe', 'yes').json({
      sameRequestProto: Object.getPrototypeOf(req) === app.request,
      sameResponseProto: Object.getPrototypeOf(res) === app.response,
      appIsApp: req.app === app,
      contentType: req.get('content-type'),
      body: req.body as unknown,
    });
  });
  return app;
}

describe('expressHttpClasses', () => {
  it('gives requests and responses express prototypes from birth, and express works on them', async () => {
    const app = probeApp();
    const base = await serve(app, true);
    const res = await fetch(`${base}/probe`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"a":1}' });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-probe')).toBe('yes');
    expect(await res.json()).toEqual({ sameRequestProto: true, sameResponseProto: true, appIsApp: true, contentType: 'application/json', body: { a: 1 } });
  });

  it('makes classes that extend Node’s, so instanceof checks still hold', () => {
    const app = express();
    const classes = expressHttpClasses(app);
    expect(classes.IncomingMessage!.prototype).toBeInstanceOf(http.IncomingMessage);
    expect(classes.ServerResponse!.prototype).toBeInstanceOf(http.ServerResponse);
  });

  it('answers the same as express on stock classes, errors included', async () => {
    const withClasses = await serve(probeApp(), true);
    const stock = await serve(probeApp(), false);
    for (const base of [withClasses, stock]) {
      const bad = await fetch(`${base}/probe`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{' });
      expect(bad.status).toBe(400);
      const missing = await fetch(`${base}/nowhere`);
      expect(missing.status).toBe(404);
    }
  });
});
