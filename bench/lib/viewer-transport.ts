// How a bench viewer's PlainTransport carries media: plain RTP (what the fan-out benches measured
// before), or SRTP with one of the suites mediasoup 3.12 offers, which is what every real WebRTC
// viewer costs the worker: one encryption + authentication per forwarded packet (and per RTCP
// report). The sink counts SRTP packets the same way: the RTP header stays in the clear.
import { randomBytes } from 'node:crypto';
import type { types } from 'mediasoup';

export type SrtpSuite = types.SrtpCryptoSuite;

/** Key + salt bytes per suite (RFC 3711 / RFC 7714): what `srtpParameters.keyBase64` must decode to. */
const KEY_BYTES: Record<SrtpSuite, number> = {
  AEAD_AES_256_GCM: 32 + 12,
  AEAD_AES_128_GCM: 16 + 12,
  AES_CM_128_HMAC_SHA1_80: 16 + 14,
  AES_CM_128_HMAC_SHA1_32: 16 + 14,
};

export const SRTP_SUITES = Object.keys(KEY_BYTES) as SrtpSuite[];

/**
 * The suite a browser viewer ends up with against our worker: Chromium offers every one of them and
 * the worker, DTLS server for viewers, picks by its own order (see the worker build's DtlsTransport
 * patch in scripts/setup/mediasoup-worker.mjs and test/e2e/srtp-suite.test.ts).
 */
export const BROWSER_NEGOTIATED_SUITE: SrtpSuite = 'AEAD_AES_128_GCM';

export type ViewerTransport = { kind: 'plain' } | { kind: 'srtp'; suite: SrtpSuite };

/** Short row label: plain, srtp-gcm128, srtp-gcm256, srtp-cm80, srtp-cm32. */
export function transportLabel(t: ViewerTransport): string {
  if (t.kind === 'plain') return 'plain';
  const short: Record<SrtpSuite, string> = {
    AEAD_AES_256_GCM: 'gcm256',
    AEAD_AES_128_GCM: 'gcm128',
    AES_CM_128_HMAC_SHA1_80: 'cm80',
    AES_CM_128_HMAC_SHA1_32: 'cm32',
  };
  return `srtp-${short[t.suite]}`;
}

/**
 * BENCH_VIEWER_TRANSPORT (comma list of `plain`, `srtp`; default `srtp`) × BENCH_SRTP_SUITE (comma
 * list of suites for the srtp rows; default the one browsers negotiate), in the order given.
 */
export function viewerTransportsFromEnv(env: NodeJS.ProcessEnv = process.env): ViewerTransport[] {
  const kinds = (env.BENCH_VIEWER_TRANSPORT || 'srtp').split(',').map((s) => s.trim()).filter(Boolean);
  const suites = (env.BENCH_SRTP_SUITE || BROWSER_NEGOTIATED_SUITE).split(',').map((s) => s.trim()).filter(Boolean);
  for (const s of suites) {
    if (!SRTP_SUITES.includes(s as SrtpSuite)) throw new Error(`BENCH_SRTP_SUITE: ${s} is not one of ${SRTP_SUITES.join(', ')}`);
  }
  const out: ViewerTransport[] = [];
  for (const kind of kinds) {
    if (kind === 'plain') out.push({ kind: 'plain' });
    else if (kind === 'srtp') out.push(...suites.map((suite) => ({ kind: 'srtp' as const, suite: suite as SrtpSuite })));
    else throw new Error(`BENCH_VIEWER_TRANSPORT: ${kind} is neither plain nor srtp`);
  }
  if (out.length === 0) throw new Error('BENCH_VIEWER_TRANSPORT names no transport');
  return out;
}

/** PlainTransport options for a viewer of this kind. */
export function plainTransportSrtpOptions(t: ViewerTransport): Pick<types.PlainTransportOptions, 'enableSrtp' | 'srtpCryptoSuite'> {
  return t.kind === 'plain' ? { enableSrtp: false } : { enableSrtp: true, srtpCryptoSuite: t.suite };
}

/**
 * The remote side's SRTP key for `connect()`. The sink never sends, so the worker never decrypts
 * with it; what the bench measures is the worker's own encryption with its local key.
 */
export function remoteSrtpParameters(t: ViewerTransport): types.SrtpParameters | undefined {
  return t.kind === 'plain' ? undefined : { cryptoSuite: t.suite, keyBase64: randomBytes(KEY_BYTES[t.suite]).toString('base64') };
}
