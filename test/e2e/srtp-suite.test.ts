// Which SRTP suite a real browser viewer gets from our worker. Chromium offers AES_CM_128_HMAC_SHA1_80,
// AEAD_AES_256_GCM and AEAD_AES_128_GCM; for a viewer the worker is the DTLS server and OpenSSL picks
// by the server's own order, so the worker's DtlsTransport list decides. mediasoup 3.12.16 lists
// AES-256-GCM first; the set-up's worker patch (scripts/setup/source-patches.mjs) puts AEAD_AES_128_GCM,
// the cheapest per packet with libsrtp2 on OpenSSL, first. With the unpatched worker this test sees
// AEAD_AES_256_GCM.
import * as mediasoup from 'mediasoup';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../bench/lib/browser-kit.js';
import { BrowserViewers } from '../../bench/lib/browser-viewers.js';
import { openIngress } from '../../bench/lib/plain-fanout.js';
import { waitFor } from '../../bench/lib/wait.js';
import { MEDIA_CODECS } from '../../src/sfu/media-codecs.js';

let worker: mediasoup.types.Worker | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  [worker, browser] = await Promise.all([mediasoup.createWorker({ logLevel: 'warn', rtcMinPort: 43600, rtcMaxPort: 43699 }), launchChromium()]);
});

afterAll(async () => {
  await browser?.close();
  worker?.close();
});

describe('SRTP suite of a browser viewer', () => {
  it('Chromium receiving from the worker negotiates AEAD_AES_128_GCM over DTLS', async () => {
    const router = await worker!.createRouter({ mediaCodecs: MEDIA_CODECS });
    const ingress = await openIngress(router);
    const viewers = await BrowserViewers.open(browser!, router);
    try {
      const { transport } = await viewers.add([ingress.video, ingress.audio]);
      const [stats] = await waitFor(async () => {
        const all = await viewers.stats();
        return all[0]?.srtpCipher ? all : undefined;
      }, { what: 'the browser transport to report its SRTP cipher' });
      expect(transport.dtlsState).toBe('connected');
      expect(stats!.dtlsState).toBe('connected');
      // Chromium names the DTLS-SRTP profile (SRTP_AEAD_AES_128_GCM); the spec's examples drop the prefix.
      expect(stats!.srtpCipher).toMatch(/^(SRTP_)?AEAD_AES_128_GCM$/);
    } finally {
      await viewers.close();
      router.close();
    }
  });
});
