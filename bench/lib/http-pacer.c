/*
 * http-pacer: an open-loop, constant-rate HTTP/1.1 load generator for bench/rooms-create.ts.
 *
 * Request i (0-based) is due at t0 + i/rate. It goes out on an idle keep-alive connection; when
 * every connection is busy, another one is opened (up to --max-connections); when that cap is
 * reached too, due requests wait for the next connection to free up. Latency is counted from the
 * DUE time, not from the moment the request was written, so a queue anywhere (the server, the
 * network, this pacer) shows in the figures instead of being hidden (no coordinated omission).
 * Every 2xx latency is kept, so the percentiles are exact.
 *
 * Compiled at bench run time into a temp dir (never committed as a binary):
 *   cc -O2 -Wall -Wextra -o http-pacer http-pacer.c
 *
 * Usage: http-pacer --port P --rate R --duration S [--host 127.0.0.1] [--connections K]
 *          [--max-connections M] [--method POST] [--path /] [--header "Name: value"]...
 *          [--body TEMPLATE] [--label NAME]
 *   Every "{seq}" in the body template becomes the request's index, so each request can carry a
 *   unique id. Content-Length and Host are added.
 *   stderr: one progress line per second.
 *   stdout: one JSON line at the end (counts, latency percentiles in ms over 2xx responses, own
 *   CPU); the label goes into it as is, so keep it to plain characters.
 * Linux only (epoll_pwait2: Linux 5.11, glibc 2.35). Responses must carry Content-Length (express's
 * res.json and res.send do); anything else (chunked, unparsable) counts as an error and closes
 * that connection.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NS_PER_S 1000000000ull
#define NS_PER_MS 1000000ull
/* A request that leaves this long after its due time is a "late start". */
#define LATE_NS NS_PER_MS
/* After the last request is due, in-flight ones get this long before they count as errors. */
#define DRAIN_NS (10 * NS_PER_S)
/* Response headers must fit here; bodies are read through a shared scratch buffer. */
#define HEAD_CAP 8192
#define MAX_HEADERS 32
#define MAX_ERROR_LOGS 5

enum conn_state { CONN_CLOSED, CONN_CONNECTING, CONN_IDLE, CONN_WRITING, CONN_READING };

struct conn {
  int fd;
  enum conn_state state;
  uint64_t due_ns; /* due time of the request in flight */
  char *out;       /* the request in flight, built per request */
  size_t out_len, out_off;
  char head[HEAD_CAP]; /* response bytes until the end of the headers */
  size_t head_len;
  int headers_done;
  long long body_left; /* once headers_done: body bytes still to come */
  int status;
  int close_after; /* the response said Connection: close */
  int queued;      /* has an entry in the idle ring */
};

struct options {
  const char *host, *port, *method, *path, *body, *label;
  const char *headers[MAX_HEADERS];
  int header_count;
  double rate, duration_s;
  int connections, max_connections;
};

/* --- state --------------------------------------------------------------------------------- */

static struct options opt = {
    .host = "127.0.0.1", .method = "GET", .path = "/", .body = "", .label = "pacer", .connections = 16};
static struct addrinfo *server_addr;
static int ep;
static struct conn *conns;
static size_t out_cap;
static char request_head[4096]; /* request line + headers, without Content-Length */
static size_t request_head_len;
static size_t body_template_len, seq_marks; /* length of --body, and how many "{seq}" it holds */

/* Connections that can take a request, oldest-idle first, so load spreads over all of them. */
static int *idle_ring;
static int idle_head, idle_count;

static uint64_t t0, total, next_seq, in_flight, max_in_flight, open_conns, conns_opened;
static uint64_t ok, non2xx, errors, late_starts;
static uint64_t status_counts[600];
static uint64_t *latencies; /* ns, 2xx only, in completion order */
static uint64_t latency_count, window_start;
static uint64_t *sort_scratch;
static int error_logs;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static uint64_t due_of(uint64_t seq) { return t0 + (uint64_t)((double)seq * (double)NS_PER_S / opt.rate); }

static void die(const char *what) {
  perror(what);
  exit(1);
}

static void log_error(const char *what) {
  if (error_logs++ < MAX_ERROR_LOGS) fprintf(stderr, "[%s] error: %s%s\n", opt.label, what, error_logs == MAX_ERROR_LOGS ? " (further errors are only counted)" : "");
}

/* --- connections ---------------------------------------------------------------------------- */

static void watch(struct conn *c, uint32_t events, int op) {
  struct epoll_event ev = {.events = events, .data.u64 = (uint64_t)(c - conns)};
  if (epoll_ctl(ep, op, c->fd, &ev) != 0) die("epoll_ctl");
}

/*
 * A slot has at most one ring entry (so the ring never overflows). An entry can go stale: its
 * connection was closed while idle, and the slot may be busy again by the time the entry is popped.
 */
static void push_idle(struct conn *c) {
  c->state = CONN_IDLE;
  if (c->queued) return;
  c->queued = 1;
  idle_ring[(idle_head + idle_count) % opt.max_connections] = (int)(c - conns);
  idle_count++;
}

/* The connection idle the longest; stale entries are dropped on the way. */
static struct conn *pop_idle(void) {
  while (idle_count > 0) {
    struct conn *c = &conns[idle_ring[idle_head]];
    idle_head = (idle_head + 1) % opt.max_connections;
    idle_count--;
    c->queued = 0;
    if (c->state == CONN_IDLE) return c;
  }
  return NULL;
}

static void close_conn(struct conn *c) {
  close(c->fd); /* also removes it from epoll */
  c->fd = -1;
  c->state = CONN_CLOSED;
  c->out_len = 0;
  open_conns--;
}

/*
 * Starts a non-blocking connect on a free slot; NULL when at the cap or connect fails at once.
 * Completion (even an immediate one) is reported by EPOLLOUT, so it is handled in one place.
 */
static struct conn *open_conn(void) {
  if (open_conns >= (uint64_t)opt.max_connections) return NULL;
  struct conn *c = NULL;
  for (int i = 0; i < opt.max_connections && !c; i++)
    if (conns[i].state == CONN_CLOSED) c = &conns[i];
  int fd = socket(server_addr->ai_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd < 0) die("socket");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  c->fd = fd;
  open_conns++;
  conns_opened++;
  c->state = CONN_CONNECTING;
  if (connect(fd, server_addr->ai_addr, server_addr->ai_addrlen) != 0 && errno != EINPROGRESS) {
    log_error(strerror(errno));
    close_conn(c);
    return NULL;
  }
  watch(c, EPOLLOUT, EPOLL_CTL_ADD);
  return c;
}

/* Something went wrong on `c`: its request (if any) counts as an error, and the connection is dropped. */
static void fail_conn(struct conn *c, const char *why) {
  log_error(why);
  if (c->state == CONN_WRITING || c->state == CONN_READING || (c->state == CONN_CONNECTING && c->out_len > 0)) {
    errors++;
    in_flight--;
  }
  close_conn(c);
}

/* --- requests ------------------------------------------------------------------------------- */

/* Builds request `seq` into c->out: the fixed head, Content-Length, then the body with its "{seq}"s filled in. */
static void build_request(struct conn *c, uint64_t seq) {
  char number[24];
  size_t number_len = (size_t)snprintf(number, sizeof number, "%llu", (unsigned long long)seq);
  size_t body_len = body_template_len - seq_marks * 5 + seq_marks * number_len;
  memcpy(c->out, request_head, request_head_len);
  char *at = c->out + request_head_len;
  at += snprintf(at, 64, "Content-Length: %zu\r\n\r\n", body_len);
  for (const char *p = opt.body; *p;) {
    const char *mark = strstr(p, "{seq}");
    size_t literal = mark ? (size_t)(mark - p) : strlen(p);
    memcpy(at, p, literal);
    at += literal;
    if (!mark) break;
    memcpy(at, number, number_len);
    at += number_len;
    p = mark + 5;
  }
  c->out_len = (size_t)(at - c->out);
  c->out_off = 0;
}

/* Writes what is left of the request; waits for EPOLLOUT when the socket is full. */
static void flush_request(struct conn *c) {
  while (c->out_off < c->out_len) {
    ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
    if (n > 0) {
      c->out_off += (size_t)n;
    } else if (n < 0 && errno == EAGAIN) {
      if (c->state != CONN_WRITING) watch(c, EPOLLIN | EPOLLOUT, EPOLL_CTL_MOD);
      c->state = CONN_WRITING;
      return;
    } else {
      fail_conn(c, n < 0 ? strerror(errno) : "send wrote nothing");
      return;
    }
  }
  if (c->state == CONN_WRITING) watch(c, EPOLLIN, EPOLL_CTL_MOD);
  c->state = CONN_READING;
}

static void start_request(struct conn *c, uint64_t seq, uint64_t due, uint64_t now) {
  if (now - due >= LATE_NS) late_starts++;
  in_flight++;
  if (in_flight > max_in_flight) max_in_flight = in_flight;
  c->due_ns = due;
  c->head_len = 0;
  c->headers_done = 0;
  c->close_after = 0;
  build_request(c, seq);
  if (c->state == CONN_IDLE) flush_request(c); /* a connecting one writes once connected */
}

/* Starts every request that is due, on idle connections or new ones, until the cap stops it. */
static void dispatch_due(uint64_t now) {
  while (next_seq < total && due_of(next_seq) <= now) {
    struct conn *c = pop_idle();
    if (!c) c = open_conn();
    if (!c) return;
    start_request(c, next_seq, due_of(next_seq), now);
    next_seq++;
  }
}

static void finish_response(struct conn *c) {
  uint64_t latency = now_ns() - c->due_ns;
  in_flight--;
  if (c->status >= 100 && c->status < 600) status_counts[c->status]++;
  if (c->status >= 200 && c->status < 300) {
    ok++;
    latencies[latency_count++] = latency;
  } else {
    non2xx++;
  }
  c->out_len = 0;
  if (c->close_after) close_conn(c);
  else push_idle(c);
}

/* The value of header `name` in the head block (case-insensitive), or NULL. */
static const char *header_value(const char *head, const char *name) {
  size_t len = strlen(name);
  for (const char *line = strstr(head, "\r\n"); line; line = strstr(line, "\r\n")) {
    line += 2;
    if (strncasecmp(line, name, len) == 0 && line[len] == ':') {
      const char *v = line + len + 1;
      while (*v == ' ' || *v == '\t') v++;
      return v;
    }
  }
  return NULL;
}

/* Parses a complete head (NUL-terminated at the blank line); 0 when it is not a response we can frame. */
static int parse_head(struct conn *c) {
  if (strncmp(c->head, "HTTP/1.", 7) != 0 || strlen(c->head) < 12) return 0;
  c->status = atoi(c->head + 9);
  if (header_value(c->head, "transfer-encoding")) return 0; /* no chunked decoding: see the file comment */
  const char *length = header_value(c->head, "content-length");
  if (!length) return 0;
  c->body_left = atoll(length);
  const char *connection = header_value(c->head, "connection");
  c->close_after = connection && strncasecmp(connection, "close", 5) == 0;
  return 1;
}

/* Takes in `n` new response bytes; 1 when the response is complete, -1 when it cannot be framed. */
static int take_bytes(struct conn *c, size_t n) {
  if (c->headers_done) {
    c->body_left -= (long long)n;
  } else {
    c->head_len += n;
    c->head[c->head_len] = '\0';
    char *end = strstr(c->head, "\r\n\r\n");
    if (!end) return c->head_len < HEAD_CAP - 1 ? 0 : -1;
    end[2] = '\0';
    if (!parse_head(c)) return -1;
    c->headers_done = 1;
    c->body_left -= (long long)(c->head + c->head_len - (end + 4));
  }
  if (c->body_left < 0) return -1; /* bytes past the body: we never pipeline, so this is not HTTP we understand */
  return c->body_left == 0;
}

/* Reads what arrived: the head into c->head, the body through a scratch buffer. */
static void read_response(struct conn *c) {
  static char scratch[1 << 16];
  for (;;) {
    char *into = c->headers_done ? scratch : c->head + c->head_len;
    size_t room = c->headers_done ? sizeof scratch : HEAD_CAP - 1 - c->head_len;
    ssize_t n = recv(c->fd, into, room, 0);
    if (n < 0 && errno == EAGAIN) return;
    if (n == 0 && c->state == CONN_IDLE) {
      close_conn(c); /* the server closed an idle keep-alive connection: no error, later requests open another */
      return;
    }
    if (n <= 0) {
      fail_conn(c, n < 0 ? strerror(errno) : "connection closed before the response ended");
      return;
    }
    if (c->state == CONN_IDLE) {
      fail_conn(c, "data with no request in flight");
      return;
    }
    int done = take_bytes(c, (size_t)n);
    if (done < 0) {
      fail_conn(c, "a response without Content-Length, over 8 KB of head, or longer than its Content-Length");
      return;
    }
    if (done) {
      finish_response(c);
      return;
    }
  }
}

static void on_event(struct conn *c, uint32_t events) {
  if (c->state == CONN_CONNECTING) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err) {
      fail_conn(c, strerror(err));
      return;
    }
    watch(c, EPOLLIN, EPOLL_CTL_MOD);
    if (c->out_len == 0) {
      push_idle(c);
      return;
    }
    c->state = CONN_IDLE;
    flush_request(c);
    return;
  }
  if (events & EPOLLOUT && c->state == CONN_WRITING) flush_request(c);
  if (c->state != CONN_CLOSED && events & (EPOLLIN | EPOLLERR | EPOLLHUP)) read_response(c);
}

/* --- figures -------------------------------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted ns values, in ms (the bench's TypeScript side uses the same rule). */
static double pct_ms(const uint64_t *sorted, uint64_t n, double q) {
  if (n == 0) return 0;
  uint64_t rank = (uint64_t)((double)n * q + 0.999999999);
  uint64_t i = rank == 0 ? 0 : rank - 1;
  return (double)sorted[i < n ? i : n - 1] / (double)NS_PER_MS;
}

/* Sorted copy of latencies[from..latency_count) in sort_scratch; returns how many. */
static uint64_t sorted_since(uint64_t from) {
  uint64_t n = latency_count - from;
  memcpy(sort_scratch, latencies + from, n * sizeof *latencies);
  qsort(sort_scratch, n, sizeof *sort_scratch, cmp_u64);
  return n;
}

static void print_progress(uint64_t second) {
  uint64_t n = sorted_since(window_start);
  window_start = latency_count;
  char when[48];
  if (second <= (uint64_t)opt.duration_s) snprintf(when, sizeof when, "%2llu/%g s", (unsigned long long)second, opt.duration_s);
  else snprintf(when, sizeof when, "tail");
  fprintf(stderr, "[%s] %-7s %5llu 2xx/s  p50 %6.2f  p99 %6.2f  max %6.2f ms  in flight %llu, conns %llu, late starts %llu, non-2xx %llu, errors %llu\n",
          opt.label, when, (unsigned long long)n, pct_ms(sort_scratch, n, 0.5), pct_ms(sort_scratch, n, 0.99), pct_ms(sort_scratch, n, 1),
          (unsigned long long)in_flight, (unsigned long long)open_conns, (unsigned long long)late_starts, (unsigned long long)non2xx,
          (unsigned long long)errors);
}

static void print_summary(uint64_t end) {
  uint64_t n = sorted_since(0);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  double cpu_ms = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
  printf("{\"label\":\"%s\",\"sent\":%llu,\"ok\":%llu,\"non2xx\":%llu,\"errors\":%llu,\"late_starts\":%llu,"
         "\"connections_opened\":%llu,\"max_in_flight\":%llu,\"elapsed_s\":%.6f,\"cpu_ms\":%.1f,\"status\":{",
         opt.label, (unsigned long long)next_seq, (unsigned long long)ok, (unsigned long long)non2xx, (unsigned long long)errors,
         (unsigned long long)late_starts, (unsigned long long)conns_opened, (unsigned long long)max_in_flight,
         (double)(end - t0) / NS_PER_S, cpu_ms);
  const char *sep = "";
  for (int s = 0; s < 600; s++)
    if (status_counts[s]) {
      printf("%s\"%d\":%llu", sep, s, (unsigned long long)status_counts[s]);
      sep = ",";
    }
  printf("},\"latency_ms\":{\"p50\":%.4f,\"p90\":%.4f,\"p99\":%.4f,\"p99_9\":%.4f,\"max\":%.4f}}\n", pct_ms(sort_scratch, n, 0.5),
         pct_ms(sort_scratch, n, 0.9), pct_ms(sort_scratch, n, 0.99), pct_ms(sort_scratch, n, 0.999), pct_ms(sort_scratch, n, 1));
  fflush(stdout);
}

/* --- setup and the loop --------------------------------------------------------------------- */

static void parse_options(int argc, char **argv) {
  static const struct option longs[] = {
      {"host", required_argument, 0, 'h'},   {"port", required_argument, 0, 'p'},        {"rate", required_argument, 0, 'r'},
      {"duration", required_argument, 0, 'd'}, {"connections", required_argument, 0, 'c'}, {"max-connections", required_argument, 0, 'C'},
      {"method", required_argument, 0, 'm'}, {"path", required_argument, 0, 'P'},        {"header", required_argument, 0, 'H'},
      {"body", required_argument, 0, 'b'},   {"label", required_argument, 0, 'l'},       {0, 0, 0, 0}};
  int ch;
  while ((ch = getopt_long(argc, argv, "", longs, NULL)) != -1) {
    switch (ch) {
      case 'h': opt.host = optarg; break;
      case 'p': opt.port = optarg; break;
      case 'r': opt.rate = atof(optarg); break;
      case 'd': opt.duration_s = atof(optarg); break;
      case 'c': opt.connections = atoi(optarg); break;
      case 'C': opt.max_connections = atoi(optarg); break;
      case 'm': opt.method = optarg; break;
      case 'P': opt.path = optarg; break;
      case 'H':
        if (opt.header_count == MAX_HEADERS) { fprintf(stderr, "at most %d --header\n", MAX_HEADERS); exit(2); }
        opt.headers[opt.header_count++] = optarg;
        break;
      case 'b': opt.body = optarg; break;
      case 'l': opt.label = optarg; break;
      default: exit(2);
    }
  }
  if (opt.max_connections < opt.connections) opt.max_connections = opt.connections;
  if (!opt.port || opt.rate * opt.duration_s < 1 || opt.connections < 1) {
    fprintf(stderr, "usage: http-pacer --port P --rate R --duration S [--host H] [--connections K] [--max-connections M]\n"
                    "                  [--method M] [--path /p] [--header 'Name: value']... [--body TEMPLATE] [--label L]\n");
    exit(2);
  }
}

static void prepare(void) {
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
  int rc = getaddrinfo(opt.host, opt.port, &hints, &server_addr);
  if (rc != 0) { fprintf(stderr, "%s:%s: %s\n", opt.host, opt.port, gai_strerror(rc)); exit(1); }

  int n = snprintf(request_head, sizeof request_head, "%s %s HTTP/1.1\r\nHost: %s:%s\r\n", opt.method, opt.path, opt.host, opt.port);
  for (int i = 0; i < opt.header_count && n < (int)sizeof request_head; i++)
    n += snprintf(request_head + n, sizeof request_head - (size_t)n, "%s\r\n", opt.headers[i]);
  if (n >= (int)sizeof request_head - 64) { fprintf(stderr, "request headers are too long\n"); exit(2); }
  request_head_len = (size_t)n;
  body_template_len = strlen(opt.body);
  for (const char *p = strstr(opt.body, "{seq}"); p; p = strstr(p + 5, "{seq}")) seq_marks++;
  /* Content-Length line: 64 bytes; each "{seq}" becomes at most 20 digits. */
  out_cap = request_head_len + 64 + body_template_len + seq_marks * 20;

  total = (uint64_t)(opt.rate * opt.duration_s + 0.5);
  latencies = malloc(total * sizeof *latencies);
  sort_scratch = malloc(total * sizeof *sort_scratch);
  conns = calloc((size_t)opt.max_connections, sizeof *conns);
  idle_ring = calloc((size_t)opt.max_connections, sizeof *idle_ring);
  if (!latencies || !sort_scratch || !conns || !idle_ring) die("malloc");
  for (int i = 0; i < opt.max_connections; i++) {
    conns[i].fd = -1;
    conns[i].out = malloc(out_cap);
    if (!conns[i].out) die("malloc");
  }

  ep = epoll_create1(0);
  if (ep < 0) die("epoll_create1");
}

/* The K initial connections are established before t0, so connecting is not part of the measurement. */
static void open_initial_connections(void) {
  for (int i = 0; i < opt.connections; i++)
    if (!open_conn()) exit(1); /* logged */
  while (idle_count < opt.connections) {
    struct epoll_event evs[64];
    int n = epoll_wait(ep, evs, 64, 5000);
    if (n <= 0) {
      fprintf(stderr, "[%s] connecting to %s:%s timed out\n", opt.label, opt.host, opt.port);
      exit(1);
    }
    for (int i = 0; i < n; i++) on_event(&conns[evs[i].data.u64], evs[i].events);
    if (open_conns < (uint64_t)opt.connections) exit(1); /* a connect failed (logged) */
  }
}

int main(int argc, char **argv) {
  /* Never outlive the bench that started us. */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  parse_options(argc, argv);
  prepare();
  open_initial_connections();

  t0 = now_ns();
  uint64_t last_due = due_of(total - 1);
  uint64_t next_tick = t0 + NS_PER_S, second = 1;
  struct epoll_event evs[256];
  for (;;) {
    uint64_t now = now_ns();
    dispatch_due(now);
    while (now >= next_tick) { /* a second with nothing in it still gets its line */
      print_progress(second++);
      next_tick += NS_PER_S;
    }
    if (next_seq == total && in_flight == 0) break;
    if (next_seq == total && now > last_due + DRAIN_NS) {
      errors += in_flight; /* timed out */
      fprintf(stderr, "[%s] %llu requests still unanswered %g s after the last was due: counted as errors\n", opt.label,
              (unsigned long long)in_flight, (double)DRAIN_NS / NS_PER_S);
      break;
    }
    /* Wake for the next due request, unless requests already wait for a connection (a reply wakes us). */
    uint64_t wake = next_seq == total ? last_due + DRAIN_NS : due_of(next_seq);
    if (wake <= now || wake > next_tick) wake = next_tick;
    /* epoll_pwait2 takes a nanosecond timeout: no timer fd to arm and read for every request. */
    struct timespec timeout = {.tv_sec = (time_t)((wake - now) / NS_PER_S), .tv_nsec = (long)((wake - now) % NS_PER_S)};
    int n = epoll_pwait2(ep, evs, 256, &timeout, NULL);
    if (n < 0 && errno != EINTR) die("epoll_pwait2");
    for (int i = 0; i < n; i++) {
      struct conn *c = &conns[evs[i].data.u64];
      if (c->state != CONN_CLOSED) on_event(c, evs[i].events);
    }
  }
  if (latency_count > window_start) print_progress(second); /* the last, partial second */
  print_summary(now_ns());
  return 0;
}
