/*
 * libsrtp2's stream list for the mediasoup worker: the set-up builds libsrtp2 2.5.0 with
 * SRTP_NO_STREAM_LIST and this file in place of the default (libsrtp's own extension point; the
 * contract is its include/stream_list_priv.h). See ./libsrtp-openssl.mjs.
 *
 * Why: srtp_protect() looks the packet's stream up by SSRC, once per forwarded packet per viewer. The
 * default is an intrusive linked list behind a separately allocated head: the head's `next`, then
 * each stream's SSRC and `next` until the SSRC matches, every one a dependent load from memory that
 * a fan-out has long evicted (the worker visits all its viewers between two packets of one). A viewer
 * transport holds one stream per consumer it sends (audio, video, RTX, probation), so in a meeting of
 * N people it walks ~N streams per packet. Here the SSRCs sit in one array beside the stream pointers,
 * the first three inline in the list's own 64-byte line: a lookup reads that line (plus one per 16
 * further SSRCs) and then the stream. mediasoup (versatica/mediasoup#1260, its own libsrtp fork) and
 * libsrtp after 2.5 (cisco/libsrtp#674, arrays) made the same change for the same reason.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include "srtp_priv.h"
#include "stream_list_priv.h"
#include "alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifndef SRTP_NO_STREAM_LIST
#error "build libsrtp with SRTP_NO_STREAM_LIST, or its own list and this one both define srtp_stream_list_*"
#endif

#define INLINE_STREAMS 3

/* 64 bytes, allocated on a 64-byte boundary: one cache line while it holds <= INLINE_STREAMS. */
struct srtp_stream_list_ctx_t_ {
    uint32_t size;
    uint32_t capacity;
    uint32_t *ssrcs;         /* inline_ssrcs, or the second half of a heap block */
    srtp_stream_t *streams;  /* inline_streams, or the heap block */
    uint32_t inline_ssrcs[INLINE_STREAMS];
    srtp_stream_t inline_streams[INLINE_STREAMS];
};
_Static_assert(sizeof(struct srtp_stream_list_ctx_t_) <= 64, "the list's head fits one cache line");

srtp_err_status_t srtp_stream_list_alloc(srtp_stream_list_t *list_ptr)
{
    void *memory = NULL;
    if (posix_memalign(&memory, 64, sizeof(struct srtp_stream_list_ctx_t_)) != 0) {
        return srtp_err_status_alloc_fail;
    }
    srtp_stream_list_t list = memory;
    memset(list, 0, sizeof *list);
    list->capacity = INLINE_STREAMS;
    list->ssrcs = list->inline_ssrcs;
    list->streams = list->inline_streams;
    *list_ptr = list;
    return srtp_err_status_ok;
}

srtp_err_status_t srtp_stream_list_dealloc(srtp_stream_list_t list)
{
    if (list->size != 0) {
        return srtp_err_status_fail; /* the contract: only an empty list */
    }
    if (list->streams != list->inline_streams) {
        srtp_crypto_free(list->streams);
    }
    free(list);
    return srtp_err_status_ok;
}

/* Doubles the capacity: one heap block, the stream pointers first, then the SSRCs. */
static srtp_err_status_t grow(srtp_stream_list_t list)
{
    if (list->capacity > UINT32_MAX / 2) {
        return srtp_err_status_alloc_fail;
    }
    uint32_t capacity = list->capacity * 2;
    srtp_stream_t *streams = srtp_crypto_alloc((size_t)capacity * (sizeof(srtp_stream_t) + sizeof(uint32_t)));
    if (streams == NULL) {
        return srtp_err_status_alloc_fail;
    }
    uint32_t *ssrcs = (uint32_t *)(streams + capacity);
    memcpy(streams, list->streams, list->size * sizeof *streams);
    memcpy(ssrcs, list->ssrcs, list->size * sizeof *ssrcs);
    if (list->streams != list->inline_streams) {
        srtp_crypto_free(list->streams);
    }
    list->streams = streams;
    list->ssrcs = ssrcs;
    list->capacity = capacity;
    return srtp_err_status_ok;
}

/* The contract lets the SSRC be copied: it must not change while the stream is in the list. */
srtp_err_status_t srtp_stream_list_insert(srtp_stream_list_t list, srtp_stream_t stream)
{
    if (list->size == list->capacity) {
        srtp_err_status_t status = grow(list);
        if (status != srtp_err_status_ok) {
            return status;
        }
    }
    list->ssrcs[list->size] = stream->ssrc;
    list->streams[list->size] = stream;
    list->size++;
    return srtp_err_status_ok;
}

srtp_stream_t srtp_stream_list_get(srtp_stream_list_t list, uint32_t ssrc)
{
    const uint32_t *ssrcs = list->ssrcs;
    for (uint32_t i = 0; i < list->size; i++) {
        if (ssrcs[i] == ssrc) {
            return list->streams[i];
        }
    }
    return NULL;
}

/* The last entry takes the removed one's place: order means nothing to a lookup by SSRC. */
void srtp_stream_list_remove(srtp_stream_list_t list, srtp_stream_t stream)
{
    for (uint32_t i = 0; i < list->size; i++) {
        if (list->streams[i] == stream) {
            list->size--;
            list->ssrcs[i] = list->ssrcs[list->size];
            list->streams[i] = list->streams[list->size];
            return;
        }
    }
}

/*
 * Walks from the end, so that the callback may remove the stream it is given (the contract allows
 * that): the entry moved into its place has been visited already.
 */
void srtp_stream_list_for_each(srtp_stream_list_t list, int (*callback)(srtp_stream_t, void *), void *data)
{
    for (uint32_t i = list->size; i-- > 0;) {
        if (callback(list->streams[i], data)) {
            break;
        }
    }
}
