// Real WebRTC viewers: RTCPeerConnections in Chromium (mediasoup-client's recv transports, one per
// viewer, in one page) consuming from a mediasoup router over WebRtcTransports: ICE, DTLS, SRTP, and
// the RTCP feedback a browser sends (receiver reports, NACK, PLI; transport-cc where the consumer
// negotiates the bandwidth estimate). What a viewer really costs the worker, and which SRTP suite a
// browser ends up with.
//
// No signaling server: this process drives both ends, mediasoup here and mediasoup-client in the page
// (bundled with esbuild at run time), and answers the page's `connect` through an exposed function.
import { build } from 'esbuild';
import type { types } from 'mediasoup';
import type { Browser, Page } from 'playwright-core';
import { projectRoot } from '../../common/compiled-entry.js';
import { consumerCapabilities } from '../../src/sfu/consumer-capabilities.js';

/** What the page reports per viewer (RTCTransportStats + the inbound-rtp streams of its transport). */
export interface ViewerStats {
  srtpCipher: string | null;
  dtlsCipher: string | null;
  dtlsState: string | null;
  packetsReceived: number;
  packetsLost: number;
  framesDecoded: number;
}

export interface BrowserViewer {
  transport: types.WebRtcTransport;
  consumers: types.Consumer[];
}

let bundle: Promise<string> | undefined;

/** mediasoup-client as a browser script defining globalThis.mediasoupClient (built once per process). */
function clientBundle(): Promise<string> {
  bundle ??= build({
    stdin: { contents: "import * as m from 'mediasoup-client'; globalThis.mediasoupClient = m;", resolveDir: projectRoot(), loader: 'js' },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  }).then((r) => r.outputFiles[0]!.text);
  return bundle;
}

// The page side. Serialized into the page by playwright (arrow functions: a method's source is not
// an expression): no closures over Node variables.
/* eslint-disable @typescript-eslint/no-explicit-any */
const pageSide = {
  load: async (routerRtpCapabilities: unknown): Promise<unknown> => {
    const g = globalThis as any;
    // Named: mediasoup-client's user-agent detection does not know a page without an origin.
    g.device = new g.mediasoupClient.Device({ handlerName: 'Chrome111' });
    await g.device.load({ routerRtpCapabilities });
    g.transports = new Map();
    return g.device.rtpCapabilities;
  },
  create: (options: any): void => {
    const g = globalThis as any;
    const transport = g.device.createRecvTransport(options);
    transport.on('connect', ({ dtlsParameters }: any, ok: () => void, fail: (e: Error) => void) => {
      g.levelchatConnect(transport.id, dtlsParameters).then(ok, (e: unknown) => fail(new Error(String(e))));
    });
    g.transports.set(transport.id, { transport, consumers: [] });
  },
  consume: async ([transportId, params]: [string, any]): Promise<void> => {
    const g = globalThis as any;
    const t = g.transports.get(transportId);
    t.consumers.push(await t.transport.consume(params));
  },
  stats: async (): Promise<unknown[]> => {
    const g = globalThis as any;
    const out: unknown[] = [];
    for (const { transport } of g.transports.values()) {
      const report = await transport.getStats();
      const s = { srtpCipher: null, dtlsCipher: null, dtlsState: null, packetsReceived: 0, packetsLost: 0, framesDecoded: 0 } as any;
      report.forEach((r: any) => {
        if (r.type === 'transport') Object.assign(s, { srtpCipher: r.srtpCipher ?? null, dtlsCipher: r.dtlsCipher ?? null, dtlsState: r.dtlsState ?? null });
        if (r.type === 'inbound-rtp') {
          s.packetsReceived += r.packetsReceived ?? 0;
          s.packetsLost += r.packetsLost ?? 0;
          s.framesDecoded += r.framesDecoded ?? 0;
        }
      });
      out.push(s);
    }
    return out;
  },
};
/* eslint-enable @typescript-eslint/no-explicit-any */

export class BrowserViewers {
  private readonly viewers: BrowserViewer[] = [];

  private constructor(
    readonly page: Page,
    private readonly router: types.Router,
    private readonly deviceCaps: types.RtpCapabilities,
    private readonly connectors: Map<string, types.WebRtcTransport>,
  ) {}

  /** A page with mediasoup-client loaded for `router` (its own browser context: its own WebRTC stack). */
  static async open(browser: Browser, router: types.Router): Promise<BrowserViewers> {
    const page = await (await browser.newContext()).newPage();
    const connectors = new Map<string, types.WebRtcTransport>();
    await page.exposeFunction('levelchatConnect', async (transportId: string, dtlsParameters: types.DtlsParameters) => {
      const transport = connectors.get(transportId);
      if (!transport) throw new Error(`no transport ${transportId}`);
      await transport.connect({ dtlsParameters });
    });
    await page.setContent('<!doctype html><title>viewers</title>');
    await page.addScriptTag({ content: await clientBundle() });
    const caps = (await page.evaluate(pageSide.load, router.rtpCapabilities)) as types.RtpCapabilities;
    return new BrowserViewers(page, router, caps, connectors);
  }

  get count(): number {
    return this.viewers.length;
  }

  get all(): readonly BrowserViewer[] {
    return this.viewers;
  }

  /**
   * One more viewer: a WebRtcTransport (UDP on loopback) consuming every producer given, resumed,
   * with what the server negotiates (consumerCapabilities: a bandwidth estimate for simulcast/SVC
   * producers only); `estimate: true` negotiates the browser's transport-cc and REMB whatever the
   * producer, as the server did for every viewer before.
   */
  async add(producers: types.Producer[], { estimate = false }: { estimate?: boolean } = {}): Promise<BrowserViewer> {
    const transport = await this.router.createWebRtcTransport({ listenIps: [{ ip: '127.0.0.1' }], enableUdp: true, enableTcp: false, preferUdp: true });
    this.connectors.set(transport.id, transport);
    await this.page.evaluate(pageSide.create, {
      id: transport.id,
      iceParameters: transport.iceParameters,
      // mediasoup 3.12 names a candidate's address `ip`; mediasoup-client 3.24 reads `address`.
      iceCandidates: transport.iceCandidates.map((c) => ({ ...c, address: c.ip })),
      dtlsParameters: transport.dtlsParameters,
    });
    const consumers: types.Consumer[] = [];
    for (const producer of producers) {
      const consumer = await transport.consume({ producerId: producer.id, rtpCapabilities: estimate ? this.deviceCaps : consumerCapabilities(producer, this.deviceCaps), paused: true });
      await this.page.evaluate(pageSide.consume, [transport.id, { id: consumer.id, producerId: producer.id, kind: consumer.kind, rtpParameters: consumer.rtpParameters }] as [string, unknown]);
      await consumer.resume();
      consumers.push(consumer);
    }
    const viewer = { transport, consumers };
    this.viewers.push(viewer);
    return viewer;
  }

  /** Per viewer, in the order added. */
  async stats(): Promise<ViewerStats[]> {
    return (await this.page.evaluate(pageSide.stats)) as ViewerStats[];
  }

  async close(): Promise<void> {
    for (const v of this.viewers) v.transport.close();
    this.viewers.length = 0;
    await this.page.context().close().catch(() => {});
  }
}
