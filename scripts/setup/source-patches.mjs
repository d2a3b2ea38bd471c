// Source changes the set-up makes before building mediasoup 3.12.16's worker and the libsrtp2 2.5.0 it
// links. Each one says why, and is an exact text replacement: if the text is not there (another
// version), the build stops instead of silently building something else.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SetupError } from './progress.mjs';

/** This folder, where the files the set-up adds to the builds (`source` below) live. */
const SETUP_DIR = dirname(fileURLToPath(import.meta.url));

/** Files of ours the set-up copies into the worker's source tree (under `worker/`) before patching. */
export const WORKER_ADDED_FILES = [
  { source: 'mediasoup-srtp-send-batch.hpp', file: 'include/RTC/SrtpSendBatch.hpp' },
  { source: 'mediasoup-srtp-send-batch.cpp', file: 'src/RTC/SrtpSendBatch.cpp' },
];

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
  // The SRTP send batch (./mediasoup-srtp-send-batch.hpp says why; copied in as WORKER_ADDED_FILES).
  {
    file: 'meson.build',
    why: 'build src/RTC/SrtpSendBatch.cpp into the worker',
    from: `  'src/RTC/SrtpSession.cpp',
`,
    to: `  'src/RTC/SrtpSession.cpp',
  'src/RTC/SrtpSendBatch.cpp',
`,
  },
  {
    file: 'include/RTC/SrtpSession.hpp',
    why: 'SrtpSession::EncryptRtp into a buffer of the caller (a batch slot), not only the shared encrypt buffer',
    from: `		bool EncryptRtp(const uint8_t** data, int* len);
`,
    to: `		bool EncryptRtp(const uint8_t** data, int* len);
		bool EncryptRtp(const uint8_t** data, int* len, uint8_t* buffer, size_t bufferSize);
`,
  },
  {
    file: 'src/RTC/SrtpSession.cpp',
    why: '(the same: the shared buffer is the two-argument form\'s)',
    from: `	bool SrtpSession::EncryptRtp(const uint8_t** data, int* len)
	{
		MS_TRACE();

		// Ensure that the resulting SRTP packet fits into the encrypt buffer.
		if (static_cast<size_t>(*len) + SRTP_MAX_TRAILER_LEN > EncryptBufferSize)
`,
    to: `	bool SrtpSession::EncryptRtp(const uint8_t** data, int* len)
	{
		return EncryptRtp(data, len, EncryptBuffer, EncryptBufferSize);
	}

	bool SrtpSession::EncryptRtp(const uint8_t** data, int* len, uint8_t* buffer, size_t bufferSize)
	{
		MS_TRACE();

		// Ensure that the resulting SRTP packet fits into the encrypt buffer.
		if (static_cast<size_t>(*len) + SRTP_MAX_TRAILER_LEN > bufferSize)
`,
  },
  {
    file: 'src/RTC/SrtpSession.cpp',
    why: '(the same)',
    from: `		std::memcpy(EncryptBuffer, *data, *len);

		const srtp_err_status_t err = srtp_protect(this->session, static_cast<void*>(EncryptBuffer), len);
`,
    to: `		std::memcpy(buffer, *data, *len);

		const srtp_err_status_t err = srtp_protect(this->session, static_cast<void*>(buffer), len);
`,
  },
  {
    file: 'src/RTC/SrtpSession.cpp',
    why: '(the same)',
    from: `		*data = (const uint8_t*)EncryptBuffer;

		return true;
	}

	bool SrtpSession::DecryptSrtp(`,
    to: `		*data = buffer;

		return true;
	}

	bool SrtpSession::DecryptSrtp(`,
  },
  {
    file: 'src/RTC/Router.cpp',
    why: 'one packet\'s fan-out to its consumers is one SRTP send batch',
    from: `			std::shared_ptr<RTC::RtpPacket> sharedPacket;

			for (auto* consumer : consumers)
`,
    to: `			std::shared_ptr<RTC::RtpPacket> sharedPacket;
			// The SRTP viewers' copies are encrypted in a row and sent in a row (RTC/SrtpSendBatch.hpp).
			const RTC::SrtpSendBatch::Scope srtpSendBatch;

			for (auto* consumer : consumers)
`,
  },
  {
    file: 'src/RTC/Router.cpp',
    why: '(the same)',
    from: `#include "RTC/PlainTransport.hpp"
`,
    to: `#include "RTC/PlainTransport.hpp"
#include "RTC/SrtpSendBatch.hpp"
`,
  },
  {
    file: 'src/RTC/PlainTransport.cpp',
    why: 'a PlainTransport with SRTP sends RTP through the SRTP send batch',
    from: `		const uint8_t* data = packet->GetData();
		auto intLen         = static_cast<int>(packet->GetSize());

		if (HasSrtp() && !this->srtpSendSession->EncryptRtp(&data, &intLen))
		{
			if (cb)
			{
				(*cb)(false);
				delete cb;
			}

			return;
		}

		auto len = static_cast<size_t>(intLen);

		this->tuple->Send(data, len, cb);
`,
    to: `		const uint8_t* data = packet->GetData();
		auto len            = packet->GetSize();

		if (!HasSrtp())
			this->tuple->Send(data, len, cb);
		else if ((len = RTC::SrtpSendBatch::EncryptAndSend(this->srtpSendSession, this->tuple, data, len, cb)) == 0u)
			return;
`,
  },
  {
    file: 'src/RTC/PlainTransport.cpp',
    why: '(the same)',
    from: `#include "RTC/PlainTransport.hpp"
`,
    to: `#include "RTC/PlainTransport.hpp"
#include "RTC/SrtpSendBatch.hpp"
`,
  },
  {
    file: 'src/RTC/WebRtcTransport.cpp',
    why: 'a WebRtcTransport sends RTP through the SRTP send batch',
    from: `		const uint8_t* data = packet->GetData();
		auto intLen         = static_cast<int>(packet->GetSize());

		if (!this->srtpSendSession->EncryptRtp(&data, &intLen))
		{
			if (cb)
			{
				(*cb)(false);
				delete cb;
			}

			return;
		}

		auto len = static_cast<size_t>(intLen);

		this->iceServer->GetSelectedTuple()->Send(data, len, cb);
`,
    to: `		const auto len = RTC::SrtpSendBatch::EncryptAndSend(
		  this->srtpSendSession, this->iceServer->GetSelectedTuple(), packet->GetData(), packet->GetSize(), cb);

		if (len == 0u)
			return;
`,
  },
  {
    file: 'src/RTC/WebRtcTransport.cpp',
    why: '(the same)',
    from: `#include "RTC/WebRtcTransport.hpp"
`,
    to: `#include "RTC/WebRtcTransport.hpp"
#include "RTC/SrtpSendBatch.hpp"
`,
  },
  {
    file: 'src/RTC/Transport.cpp',
    // 3.12.16's transport-cc send callbacks (new packets, retransmissions, probation) capture the
    // caller's stack-local packetInfo by reference; a callback run after the caller returned (libuv's
    // queued send on EAGAIN, or a batched send) would read a dead stack frame.
    why: 'the transport-cc send callbacks hold their own copy of the packet\'s send info',
    from: `[tccClientWeakPtr, &packetInfo](bool sent)
`,
    to: `[tccClientWeakPtr, packetInfo](bool sent) mutable
`,
    count: 3,
  },
];

/**
 * libsrtp2's stream list is replaced through libsrtp's own extension point (SRTP_NO_STREAM_LIST, its
 * contract in include/stream_list_priv.h) by ./libsrtp-stream-list.c, which the set-up copies into the
 * source tree under this name before patching. That file says why.
 */
export const LIBSRTP_STREAM_LIST_FILE = 'srtp/stream_list_array.c';

/** Files of ours the set-up copies into libsrtp2's source tree before patching. */
export const LIBSRTP_ADDED_FILES = [{ source: 'libsrtp-stream-list.c', file: LIBSRTP_STREAM_LIST_FILE }];

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

/** Copies `files` (their `source` in this folder) into the tree under `dir`; returns one line per file for the progress output. */
export function addSourceFiles(dir, files) {
  return files.map(({ source, file }) => {
    copyFileSync(join(SETUP_DIR, source), join(dir, file));
    return `${file} (scripts/setup/${source})`;
  });
}

/**
 * Applies `patches` under `dir`; returns one line per patch for the progress output. A patch replaces
 * its text where it occurs `count` times (1 unless it says).
 */
export function applySourcePatches(dir, patches) {
  return patches.map(({ file, why, from, to, count = 1 }) => {
    const path = join(dir, file);
    const text = readFileSync(path, 'utf8');
    const found = text.split(from).length - 1;
    if (found !== count) throw new SetupError(`source patch "${why}": ${file} holds the expected text ${found} time(s), not ${count}`);
    writeFileSync(path, text.split(from).join(to));
    return `${file}: ${why}`;
  });
}
