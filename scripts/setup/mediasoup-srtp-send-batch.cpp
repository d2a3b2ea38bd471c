// LevelChat's addition to mediasoup 3.12.16's worker (the set-up copies it to src/RTC/SrtpSendBatch.cpp).
// Why: ./mediasoup-srtp-send-batch.hpp.
#define MS_CLASS "RTC::SrtpSendBatch"

#include "RTC/SrtpSendBatch.hpp"
#include "Logger.hpp"

namespace RTC
{
	/* Static. */

	// Batches of 4 to 16 measured alike, 32 worse (bench/srtp-suites.ts' send table); 16 slots of a
	// full Ethernet-sized RTP packet are 24 KB, half the first-level data cache of the CPU measured.
	static constexpr size_t BatchSize{ 16 };
	// Larger packets (mediasoup forwards what it receives, up to its MTU) are sent at once.
	static constexpr size_t SlotSize{ 1500 + SRTP_MAX_TRAILER_LEN };

	struct QueuedPacket
	{
		RTC::TransportTuple* tuple;
		size_t len;
		SrtpSendBatch::onSendCallback* cb;
	};

	// One worker is one thread; thread_local as mediasoup's own encrypt buffer is.
	thread_local static uint8_t Buffers[BatchSize][SlotSize];
	thread_local static QueuedPacket Queue[BatchSize];
	thread_local static size_t Queued{ 0u };
	thread_local static size_t OpenScopes{ 0u };
	thread_local static bool Flushing{ false };

	// A packet that could not be encrypted: its send callback hears so, as from a failed send.
	static size_t NotSent(SrtpSendBatch::onSendCallback* cb)
	{
		if (cb)
		{
			(*cb)(false);
			delete cb;
		}

		return 0u;
	}

	/* Class methods. */

	SrtpSendBatch::Scope::Scope()
	{
		++OpenScopes;
	}

	SrtpSendBatch::Scope::~Scope()
	{
		if (--OpenScopes == 0u)
			SrtpSendBatch::Flush();
	}

	size_t SrtpSendBatch::EncryptAndSend(
	  RTC::SrtpSession* session,
	  RTC::TransportTuple* tuple,
	  const uint8_t* data,
	  size_t len,
	  SrtpSendBatch::onSendCallback* cb)
	{
		MS_TRACE();

		auto intLen = static_cast<int>(len);

		// Sent at once: outside a fan-out; from a send callback while the batch is being sent (its slots
		// are not reused under it); packets too large for a slot; TCP tuples (a TCP connection may close
		// on a failed write, and a queued packet must not outlive its tuple).
		// clang-format off
		if (
			OpenScopes == 0u ||
			Flushing ||
			len + SRTP_MAX_TRAILER_LEN > SlotSize ||
			tuple->GetProtocol() != RTC::TransportTuple::Protocol::UDP
		)
		// clang-format on
		{
			if (!session->EncryptRtp(&data, &intLen))
				return NotSent(cb);

			tuple->Send(data, static_cast<size_t>(intLen), cb);

			return static_cast<size_t>(intLen);
		}

		if (!session->EncryptRtp(&data, &intLen, Buffers[Queued], SlotSize))
			return NotSent(cb);

		Queue[Queued] = { tuple, static_cast<size_t>(intLen), cb };

		if (++Queued == BatchSize)
			SrtpSendBatch::Flush();

		return static_cast<size_t>(intLen);
	}

	void SrtpSendBatch::Flush()
	{
		MS_TRACE();

		Flushing = true;

		for (size_t i{ 0u }; i < Queued; ++i)
		{
			const auto& packet = Queue[i];

			packet.tuple->Send(Buffers[i], packet.len, packet.cb);
		}

		Queued   = 0u;
		Flushing = false;
	}
} // namespace RTC
