/*
 * UDP sink for bench/sfu-fanout.ts: counts RTP packets per source port (one source port = one
 * viewer's PlainTransport) on K loopback sockets, reading with recvmmsg in batches of 64.
 * mediasoup's bandwidth-probation packets (SSRC 1234, padding only, a burst when a consumer starts)
 * are counted apart: consumer `packetCount` does not include them.
 * Compiled at bench run time into a temp dir (never committed as a binary):
 *   gcc -O2 -o udp-sink udp-sink.c
 *
 * Usage: udp-sink K [POLL_US]
 *   POLL_US 0 (default): sleep in epoll until packets arrive. On loopback the sender's sendmsg runs
 *     the receive path, so every wake-up of this sink (try_to_wake_up, an IPI in a VM) is charged to
 *     the mediasoup worker that sent: ~20% of its CPU per packet in perf on the 2-core VM.
 *   POLL_US > 0: never wait on the media sockets; read them all every POLL_US microseconds. Nobody
 *     sleeps on them, so senders wake no one, as when viewers are across a network.
 *   stdout line 1: "ports P1 P2 ... PK"   (ephemeral ports on 127.0.0.1)
 * Commands on stdin (one per line), each answered with one line on stdout:
 *   s   -> "S <rtp> <rtcp> <probation> <bytes> <now_ns> port:count ..."   (cumulative since last r)
 *   r   -> "R"                                                           (zero every counter)
 * Exits when stdin closes (so it never outlives the bench).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define MAXSOCK 64
#define PKT 2048

static uint64_t per_port[65536];
static uint64_t rtp_total, rtcp_total, probation_total, bytes_total;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void drain(int fd) {
  static char bufs[BATCH][PKT];
  static struct mmsghdr msgs[BATCH];
  static struct iovec iov[BATCH];
  static struct sockaddr_in addrs[BATCH];
  for (;;) {
    for (int i = 0; i < BATCH; i++) {
      iov[i].iov_base = bufs[i];
      iov[i].iov_len = PKT;
      memset(&msgs[i].msg_hdr, 0, sizeof(msgs[i].msg_hdr));
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_name = &addrs[i];
      msgs[i].msg_hdr.msg_namelen = sizeof(addrs[i]);
    }
    int n = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
    if (n <= 0) return; /* EAGAIN (or error): back to epoll */
    for (int i = 0; i < n; i++) {
      unsigned len = msgs[i].msg_len;
      bytes_total += len;
      /* RFC 5761: with rtcp-mux, second byte 192..223 is RTCP, anything else is RTP. */
      if (len >= 2 && (unsigned char)bufs[i][1] >= 192 && (unsigned char)bufs[i][1] <= 223) {
        rtcp_total++;
      } else if (len >= 12 && bufs[i][8] == 0 && bufs[i][9] == 0 && (unsigned char)bufs[i][10] == 0x04 &&
                 (unsigned char)bufs[i][11] == 0xd2) {
        probation_total++; /* SSRC 1234 */
      } else {
        rtp_total++;
        per_port[ntohs(addrs[i].sin_port)]++;
      }
    }
    if (n < BATCH) return;
  }
}

static void report(void) {
  printf("S %llu %llu %llu %llu %llu", (unsigned long long)rtp_total, (unsigned long long)rtcp_total,
         (unsigned long long)probation_total, (unsigned long long)bytes_total, (unsigned long long)now_ns());
  for (int p = 0; p < 65536; p++)
    if (per_port[p]) printf(" %d:%llu", p, (unsigned long long)per_port[p]);
  printf("\n");
  fflush(stdout);
}

int main(int argc, char **argv) {
  int k = argc > 1 ? atoi(argv[1]) : 8;
  if (k < 1 || k > MAXSOCK) k = 8;
  int poll_us = argc > 2 ? atoi(argv[2]) : 0;
  if (poll_us < 0) poll_us = 0;
  int ep = epoll_create1(0);
  int fds[MAXSOCK];
  printf("ports");
  for (int i = 0; i < k; i++) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (fd < 0) { perror("socket"); return 1; }
    int sz = 8 * 1024 * 1024;
    /* SO_RCVBUFFORCE passes net.core.rmem_max when we have CAP_NET_ADMIN; else cap at rmem_max. */
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof sz) != 0)
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) { perror("bind"); return 1; }
    socklen_t al = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &al);
    printf(" %d", ntohs(a.sin_port));
    fds[i] = fd;
    if (poll_us == 0) {
      struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
      epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    }
  }
  printf("\n");
  fflush(stdout);
  struct epoll_event sev = { .events = EPOLLIN, .data.fd = 0 };
  epoll_ctl(ep, EPOLL_CTL_ADD, 0, &sev);

  char line[64];
  size_t used = 0;
  struct epoll_event evs[MAXSOCK + 1];
  struct timespec nap = { 0, (long)poll_us * 1000 };
  for (;;) {
    int n;
    if (poll_us > 0) {
      for (int j = 0; j < k; j++) drain(fds[j]);
      n = epoll_wait(ep, evs, MAXSOCK + 1, 0); /* stdin only */
      if (n == 0) {
        nanosleep(&nap, NULL);
        continue;
      }
    } else {
      n = epoll_wait(ep, evs, MAXSOCK + 1, -1);
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      perror("epoll_wait");
      return 1;
    }
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      if (fd != 0) { drain(fd); continue; }
      ssize_t r = read(0, line + used, sizeof line - 1 - used);
      if (r <= 0) return 0; /* parent gone */
      used += (size_t)r;
      char *nl;
      while ((nl = memchr(line, '\n', used)) != NULL) {
        /* drain every socket first so a report reflects everything already delivered */
        for (int j = 0; j < k; j++) drain(fds[j]);
        if (line[0] == 's') report();
        else if (line[0] == 'r') {
          memset(per_port, 0, sizeof per_port);
          rtp_total = rtcp_total = probation_total = bytes_total = 0;
          printf("R\n");
          fflush(stdout);
        }
        size_t consumed = (size_t)(nl - line) + 1;
        memmove(line, nl + 1, used - consumed);
        used -= consumed;
      }
      if (used >= sizeof line - 1) used = 0;
    }
  }
}
