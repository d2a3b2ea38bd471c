// LevelChat's addition to mediasoup 3.12.16's worker (the set-up copies it to include/RTC/SrtpSendBatch.hpp;
// scripts/setup/source-patches.mjs wires it in).
//
// When one RTP packet fans out to many SRTP viewers, the worker used to encrypt for a viewer and send
// to it, then encrypt for the next: the crypto code (libsrtp + OpenSSL's AES-GCM) and the kernel's UDP
// send path took turns on the core and evicted each other's code and data from the first-level caches
// and branch predictors every packet. Encrypting a few viewers' copies in a row and then sending them
// in a row halves what SRTP adds per forwarded packet on the 2-core VM (bench/README.md, #18). Only
// the send is deferred, and only until the end of the Router's loop over one packet's consumers (or
// until the batch is full): packets keep their order per viewer, and every callback still runs.
#ifndef MS_RTC_SRTP_SEND_BATCH_HPP
#define MS_RTC_SRTP_SEND_BATCH_HPP

#include "common.hpp"
#include "RTC/SrtpSession.hpp"
#include "RTC/TransportTuple.hpp"
#include <functional>

namespace RTC
{
	class SrtpSendBatch
	{
	public:
		// The transports' and tuples' send callback type (protected in RTC::TransportTuple).
		using onSendCallback = const std::function<void(bool sent)>;

	public:
		// Opened by the Router around one packet's fan-out; the outermost scope's end sends what is queued.
		class Scope
		{
		public:
			Scope();
			~Scope();
			Scope(const Scope&)            = delete;
			Scope& operator=(const Scope&) = delete;
		};

	public:
		// Encrypts an RTP packet with `session` now and sends it on `tuple`: with the open batch, or now
		// when no batch is open. Takes `cb` as RTC::TransportTuple::Send() does. Returns the SRTP packet's
		// length, or 0 when encryption failed: then nothing is sent and `cb` has been told so.
		static size_t EncryptAndSend(
		  RTC::SrtpSession* session,
		  RTC::TransportTuple* tuple,
		  const uint8_t* data,
		  size_t len,
		  onSendCallback* cb);

	private:
		static void Flush();
	};
} // namespace RTC

#endif
