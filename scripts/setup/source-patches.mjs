// Source changes the set-up makes before building mediasoup 3.12.16's worker and the libsrtp2 2.5.0 it
// links. Each one says why, and is an exact text replacement: if the text is not there (another
// version), the build stops instead of silently building something else.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SetupError } from './progress.mjs';

/** Changes to the worker's C++ (under the npm tarball's `worker/`). */
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

/**
 * libsrtp2's stream list is replaced through libsrtp's own extension point (SRTP_NO_STREAM_LIST, its
 * contract in include/stream_list_priv.h) by ./libsrtp-stream-list.c, which the set-up copies into the
 * source tree under this name before patching. That file says why.
 */
export const LIBSRTP_STREAM_LIST_FILE = 'srtp/stream_list_array.c';

/** Changes to Debian's libsrtp2 2.5.0 source (Debian's own patches already applied). */
export const LIBSRTP_PATCHES = [
  {
    file: 'crypto/cipher/aes_gcm_ossl.c',
    // libsrtp 2.5.0 sets the GCM IV length (12, which is also OpenSSL's default) before every packet's
    // IV. On OpenSSL 3.0 that control is an OSSL_PARAM round trip into the provider and, because it may
    // change the IV length, it also drops the length EVP_CipherInit_ex then looks up again: ~40 of the
    // ~430 ns srtp_protect() takes for a 1,200-byte packet with AES-128-GCM on this VM (bench/srtp-suites.ts),
    // paid once per packet per viewer. The length never changes after the key is set, so it is set once,
    // with the key. libsrtp's own test vectors pass with the change (`meson test` with -Dtests=enabled).
    why: 'set the AES-GCM IV length once with the key, not before every packet (OpenSSL 3.0 per-call overhead)',
    from: `    if (!EVP_CIPHER_CTX_ctrl(c->ctx, EVP_CTRL_GCM_SET_IVLEN, 12, 0)) {
        return (srtp_err_status_init_fail);
    }

    if (!EVP_CipherInit_ex(c->ctx, NULL, NULL, NULL, iv,`,
    to: `    if (!EVP_CipherInit_ex(c->ctx, NULL, NULL, NULL, iv,`,
  },
  {
    file: 'crypto/cipher/aes_gcm_ossl.c',
    why: '(the same change: the IV length is set where the key is)',
    from: `    if (!EVP_CipherInit_ex(c->ctx, evp, NULL, key, NULL, 0)) {
        return (srtp_err_status_init_fail);
    }
`,
    to: `    if (!EVP_CipherInit_ex(c->ctx, evp, NULL, key, NULL, 0)) {
        return (srtp_err_status_init_fail);
    }

    if (!EVP_CIPHER_CTX_ctrl(c->ctx, EVP_CTRL_GCM_SET_IVLEN, 12, 0)) {
        return (srtp_err_status_init_fail);
    }
`,
  },
  {
    file: 'meson.build',
    why: `build ${LIBSRTP_STREAM_LIST_FILE} (./libsrtp-stream-list.c) into the library`,
    from: `  'srtp/srtp.c',
`,
    to: `  'srtp/srtp.c',
  '${LIBSRTP_STREAM_LIST_FILE}',
`,
  },
  {
    file: 'meson.build',
    why: 'compile without the default stream list (SRTP_NO_STREAM_LIST), which that file replaces',
    from: `add_project_arguments('-DHAVE_CONFIG_H', language: 'c')`,
    to: `add_project_arguments('-DHAVE_CONFIG_H', '-DSRTP_NO_STREAM_LIST', language: 'c')`,
  },
];

/** Applies `patches` under `dir`; returns one line per patch for the progress output. */
export function applySourcePatches(dir, patches) {
  return patches.map(({ file, why, from, to }) => {
    const path = join(dir, file);
    const text = readFileSync(path, 'utf8');
    if (text.split(from).length !== 2) throw new SetupError(`source patch "${why}": ${file} does not hold the expected text once`);
    writeFileSync(path, text.replace(from, to));
    return `${file}: ${why}`;
  });
}
