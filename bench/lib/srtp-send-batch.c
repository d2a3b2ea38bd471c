/*
 * What SRTP adds to a fan-out's send loop, and what batching changes: S sessions (one per viewer, keys
 * of their own) each get every packet, and each copy goes out with sendto() on a UDP socket to a
 * loopback receiver drained by a child process on another CPU, as a worker sends to its viewers. Per
 * batch size K, the loop either copies K packets (plain RTP: the copy stands for nothing more than the
 * buffer a batch needs) or encrypts K with srtp_protect() (AEAD_AES_128_GCM, the worker's policy:
 * allow_repeat_tx, a 1,024-packet window), then sends those K. K = 1 is what mediasoup 3.12.16 does
 * (encrypt for a viewer, send to it, next viewer); scripts/setup/mediasoup-srtp-send-batch.hpp is K = 16.
 * Every configuration runs REPS times, interleaved, and the median counts (a VM's neighbours move single
 * runs by several percent).
 *
 * Usage: srtp-send-batch <sessions> <rounds> <sender cpu> <receiver cpu> <batch sizes, comma list>
 * Prints one line per configuration: "<plain|srtp> <K> <ns per packet, whole loop>"
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <srtp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define REPS 7
#define MAX_K 64
#define PACKET 1200

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return sched_setaffinity(0, sizeof set, &set);
}

static int by_value(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: srtp-send-batch <sessions> <rounds> <sender cpu> <receiver cpu> <batch sizes>\n");
    return 2;
  }
  int nsessions = atoi(argv[1]), rounds = atoi(argv[2]), send_cpu = atoi(argv[3]), recv_cpu = atoi(argv[4]);
  int ks[16], nk = 0;
  for (char *tok = strtok(argv[5], ","); tok && nk < 16; tok = strtok(NULL, ",")) ks[nk++] = atoi(tok);
  if (nsessions < 1 || rounds < 1 || nk == 0) return 2;
  for (int i = 0; i < nk; i++)
    if (ks[i] < 1 || ks[i] > MAX_K) return 2;

  int rx = socket(AF_INET, SOCK_DGRAM, 0), big = 64 << 20;
  setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  socklen_t tolen = sizeof to;
  if (bind(rx, (struct sockaddr *)&to, sizeof to) || getsockname(rx, (struct sockaddr *)&to, &tolen)) return 1;
  pid_t drain = fork();
  if (drain == 0) {
    pin(recv_cpu);
    static unsigned char sink[65536];
    for (;;) (void)recv(rx, sink, sizeof sink, 0);
  }
  if (pin(send_cpu)) perror("sched_setaffinity");
  int tx = socket(AF_INET, SOCK_DGRAM, 0);

  if (srtp_init() != srtp_err_status_ok) return 1;
  srtp_t *sessions = calloc((size_t)nsessions, sizeof *sessions);
  void **fillers = calloc((size_t)nsessions, sizeof *fillers);
  int *order = calloc((size_t)nsessions, sizeof *order);
  if (!sessions || !fillers || !order) return 1;
  srtp_policy_t policy;
  memset(&policy, 0, sizeof policy);
  srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
  srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
  unsigned char key[28];
  policy.ssrc.type = ssrc_any_outbound;
  policy.key = key;
  policy.window_size = 1024;
  policy.allow_repeat_tx = 1;
  srand(1);
  for (int j = 0; j < nsessions; j++) {
    for (size_t i = 0; i < sizeof key; i++) key[i] = (unsigned char)(rand() & 0xff);
    if (srtp_create(&sessions[j], &policy) != srtp_err_status_ok) return 1;
    fillers[j] = malloc(4096); /* a transport's other objects between two sessions, as in a worker */
  }
  /* A router walks its consumers in hash order, not in the order their sessions were allocated. */
  for (int j = 0; j < nsessions; j++) order[j] = j;
  for (int j = nsessions - 1; j > 0; j--) {
    int r = rand() % (j + 1), t = order[j];
    order[j] = order[r];
    order[r] = t;
  }

  static unsigned char packet[PACKET], slots[MAX_K][PACKET + SRTP_MAX_TRAILER_LEN];
  int lens[MAX_K];
  memset(packet, 0xab, sizeof packet);
  packet[0] = 0x80;
  packet[1] = 102;
  packet[8] = 1;
  uint64_t results[16][2][REPS];
  uint16_t seq = 0;
  for (int rep = 0; rep < REPS; rep++)
    for (int c = 0; c < nk; c++)
      for (int srtp = 0; srtp < 2; srtp++) {
        int k = ks[c];
        uint64_t t0 = now_ns();
        for (int r = 0; r < rounds; r++) {
          seq++;
          packet[2] = (unsigned char)(seq >> 8);
          packet[3] = (unsigned char)seq;
          for (int j = 0; j < nsessions; j += k) {
            int n = nsessions - j < k ? nsessions - j : k;
            for (int q = 0; q < n; q++) {
              memcpy(slots[q], packet, PACKET);
              lens[q] = PACKET;
              if (srtp && srtp_protect(sessions[order[j + q]], slots[q], &lens[q]) != srtp_err_status_ok) return 1;
            }
            for (int q = 0; q < n; q++) (void)sendto(tx, slots[q], (size_t)lens[q], 0, (struct sockaddr *)&to, sizeof to);
          }
        }
        results[c][srtp][rep] = now_ns() - t0;
      }
  for (int c = 0; c < nk; c++)
    for (int srtp = 0; srtp < 2; srtp++) {
      qsort(results[c][srtp], REPS, sizeof(uint64_t), by_value);
      printf("%s %d %.1f\n", srtp ? "srtp" : "plain", ks[c], (double)results[c][srtp][REPS / 2] / ((double)rounds * nsessions));
    }
  kill(drain, SIGKILL);
  waitpid(drain, NULL, 0);
  return 0;
}
