/*
 * SRTP cost per packet, crypto only: srtp_protect() on RTP packets of a given size with each suite
 * mediasoup 3.12 offers, as a mediasoup transport does per consumer (allow_repeat_tx, as mediasoup
 * sets it). With S sessions (each its own key, as each viewer transport has) the packets go round-robin
 * over them, as a fan-out does: one packet to every viewer in turn. Sessions created back to back and
 * visited in that order are what the CPU's prefetchers do best, so the worker's conditions need the
 * last argument too: with P > 0 bytes, every session is followed by a 4 KB allocation (the worker
 * allocates a transport's other objects between two SRTP sessions), the visiting order is shuffled (the
 * router walks its consumers in hash order) and P bytes of other memory are written between two
 * packets (the kernel's UDP send and loopback delivery do that between two viewers); only the time in
 * srtp_protect() counts then. With K streams per session (SSRCs; a viewer transport has one per
 * consumer it sends: audio, video, RTX, probation, so ~2 per person in a meeting), a session's packets
 * take its SSRCs in turn, and libsrtp finds each packet's stream among K. Built and run by
 * bench/srtp-suites.ts against the libsrtp2 the worker links (OpenSSL) and, when its headers are
 * installed, Debian's (NSS).
 *
 * Usage: srtp-protect <packets> <rtp payload bytes> [sessions (1)] [bytes written between packets (0)] [streams per session (1)]
 * Prints one line per suite: "<suite> <ns per packet> <bytes added per packet>"
 */
#include <srtp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct suite {
  const char *name;
  void (*set)(srtp_crypto_policy_t *);
  int key_len;
};

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv) {
  long packets = argc > 1 ? atol(argv[1]) : 200000;
  int payload = argc > 2 ? atoi(argv[2]) : 1188;
  int nsessions = argc > 3 ? atoi(argv[3]) : 1;
  long between = argc > 4 ? atol(argv[4]) : 0;
  int nstreams = argc > 5 ? atoi(argv[5]) : 1;
  if (packets < 1 || payload < 1 || payload > 1400 || nsessions < 1 || nsessions > 10000 || between < 0 || between > (64l << 20) || nstreams < 1 || nstreams > 256) {
    fprintf(stderr, "usage: srtp-protect <packets> <payload bytes <= 1400> [sessions <= 10000] [bytes between packets <= 64 MiB] [streams per session <= 256]\n");
    return 2;
  }
  srtp_t *sessions = calloc((size_t)nsessions, sizeof *sessions);
  int *order = calloc((size_t)nsessions, sizeof *order);
  void **fillers = calloc((size_t)nsessions, sizeof *fillers);
  /* Written between packets: 64 MiB, twice the L3 cache, walked in order so no line is reused soon. */
  const long other_size = 64l << 20;
  unsigned char *other = between ? calloc((size_t)other_size, 1) : NULL;
  if (!sessions || !order || !fillers || (between && !other)) return 1;
  for (int j = 0; j < nsessions; j++) order[j] = j;
  srand(1);
  if (between)
    for (int j = nsessions - 1; j > 0; j--) {
      int r = rand() % (j + 1), t = order[j];
      order[j] = order[r];
      order[r] = t;
    }
  long other_at = 0;
  /* What one clock_gettime() pair costs, taken off each timed srtp_protect() when `between` is set. */
  uint64_t clock_pair = now_ns();
  for (int k = 0; k < 1000; k++) (void)now_ns();
  clock_pair = (now_ns() - clock_pair) / 1000;
  struct suite suites[] = {
    { "AES_CM_128_HMAC_SHA1_80", srtp_crypto_policy_set_rtp_default, 30 },
    { "AES_CM_128_HMAC_SHA1_32", srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32, 30 },
    { "AEAD_AES_128_GCM", srtp_crypto_policy_set_aes_gcm_128_16_auth, 28 },
    { "AEAD_AES_256_GCM", srtp_crypto_policy_set_aes_gcm_256_16_auth, 44 },
  };
  if (srtp_init() != srtp_err_status_ok) {
    fprintf(stderr, "srtp_init failed\n");
    return 1;
  }
  unsigned char key[64];
  static unsigned char buf[2048];
  for (size_t s = 0; s < sizeof suites / sizeof suites[0]; s++) {
    srtp_policy_t policy;
    memset(&policy, 0, sizeof policy);
    suites[s].set(&policy.rtp);
    suites[s].set(&policy.rtcp);
    policy.ssrc.type = ssrc_any_outbound;
    policy.key = key;
    policy.window_size = 1024;
    policy.allow_repeat_tx = 1;
    int ok = 1;
    for (int j = 0; j < nsessions && ok; j++) {
      for (size_t i = 0; i < sizeof key; i++) key[i] = (unsigned char)(rand() & 0xff);
      ok = srtp_create(&sessions[j], &policy) == srtp_err_status_ok;
      if (between) fillers[j] = malloc(4096);
    }
    if (!ok) {
      printf("%s unsupported 0\n", suites[s].name);
      continue;
    }
    int added = 0;
    uint64_t best = UINT64_MAX;
    /* Three rounds, the fastest counts: the machine may be doing other things. */
    for (int round = 0; round < 3; round++) {
      uint64_t t0 = now_ns(), inside = 0;
      for (long i = 0; i < packets; i++) {
        /* packet k goes to every session in turn: session i % S; each session's packets take its K
         * streams in turn: stream n % K, sequence number n / K */
        long n = (round * packets + i) / nsessions;
        uint32_t ssrc = 22222222u + (uint32_t)(n % nstreams);
        n /= nstreams;
        srtp_t session = sessions[order[i % nsessions]];
        for (long b = 0; b < between; b += 64, other_at = (other_at + 64) % other_size) other[other_at] += 1;
        memset(buf, 0xab, 12 + (size_t)payload);
        buf[0] = 0x80;
        buf[1] = 102;
        buf[2] = (unsigned char)(n >> 8);
        buf[3] = (unsigned char)n;
        buf[4] = (unsigned char)(n >> 24); buf[5] = (unsigned char)(n >> 16); buf[6] = (unsigned char)(n >> 8); buf[7] = (unsigned char)n;
        buf[8] = (unsigned char)(ssrc >> 24); buf[9] = (unsigned char)(ssrc >> 16); buf[10] = (unsigned char)(ssrc >> 8); buf[11] = (unsigned char)ssrc;
        int len = 12 + payload;
        uint64_t p0 = between ? now_ns() : 0;
        srtp_err_status_t err = srtp_protect(session, buf, &len);
        if (between) inside += now_ns() - p0 - clock_pair;
        if (err != srtp_err_status_ok) {
          fprintf(stderr, "%s: srtp_protect failed at packet %ld\n", suites[s].name, n);
          return 1;
        }
        added = len - 12 - payload;
      }
      uint64_t dt = between ? inside : now_ns() - t0;
      if (dt < best) best = dt;
    }
    printf("%s %.1f %d\n", suites[s].name, (double)best / (double)packets, added);
    for (int j = 0; j < nsessions; j++) {
      srtp_dealloc(sessions[j]);
      free(fillers[j]);
    }
  }
  free(other);
  free(fillers);
  free(order);
  free(sessions);
  return 0;
}
