// Source changes the set-up makes to mediasoup 3.12.16's worker before building it. Each one says why,
// and is an exact text replacement: if the text is not there (another mediasoup version), the build
// stops instead of silently building something else.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SetupError } from './progress.mjs';

export const WORKER_PATCHES = [
  {
    file: 'src/RTC/DtlsTransport.cpp',
    // The DTLS-SRTP profile order is the worker's preference: for viewers the worker is the DTLS
    // server (mediasoup-client's recv transport takes the client role), and OpenSSL's server picks
    // the first profile of its own list that the client offers. Chromium offers all four, so 3.12.16
    // (AES-256-GCM first) gets AEAD_AES_256_GCM for every browser viewer. With libsrtp2 on OpenSSL,
    // AEAD_AES_128_GCM costs the least per packet of the four (bench/srtp-suites.ts: ~0.5 µs against
    // ~0.8 µs for AES-256-GCM or AES-CM + HMAC-SHA1-80 per 1,200-byte packet on this VM), and every
    // forwarded packet pays it once per viewer. 128-bit AES-GCM is what RFC 7714 and browsers treat as
    // the default strength. Peers without GCM still get AES_CM_128_HMAC_SHA1_80.
    why: 'prefer AEAD_AES_128_GCM, the cheapest SRTP suite per packet on OpenSSL, over AEAD_AES_256_GCM',
    from: `		{ RTC::SrtpSession::CryptoSuite::AEAD_AES_256_GCM,        "SRTP_AEAD_AES_256_GCM"  },
		{ RTC::SrtpSession::CryptoSuite::AEAD_AES_128_GCM,        "SRTP_AEAD_AES_128_GCM"  },`,
    to: `		{ RTC::SrtpSession::CryptoSuite::AEAD_AES_128_GCM,        "SRTP_AEAD_AES_128_GCM"  },
		{ RTC::SrtpSession::CryptoSuite::AEAD_AES_256_GCM,        "SRTP_AEAD_AES_256_GCM"  },`,
  },
];

/** Applies every patch under `workerDir`; returns one line per patch for the progress output. */
export function applyWorkerPatches(workerDir) {
  return WORKER_PATCHES.map(({ file, why, from, to }) => {
    const path = join(workerDir, file);
    const text = readFileSync(path, 'utf8');
    if (text.split(from).length !== 2) throw new SetupError(`worker patch "${why}": ${file} does not hold the expected text once`);
    writeFileSync(path, text.replace(from, to));
    return `${file}: ${why}`;
  });
}
