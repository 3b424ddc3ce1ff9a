/*
 * UDP echo load generator for bench/udp-echo.ts: the same client for every
 * target (wasagi over TAP, the kernel over veth), so only the server differs.
 *
 * It keeps a window of W requests in flight on one connected UDP socket:
 * each reply (or each request that times out) is replaced by a new request
 * at once, like `ping -f` for W = 1. Every request carries its sequence
 * number and window slot; a reply is matched against the slot, so late
 * replies (after their request timed out), duplicates and foreign datagrams
 * are counted apart rather than as answers. RTTs come from CLOCK_MONOTONIC.
 *
 * Phases: probe (one request at a time, up to PROBE_TRIES x 1 s, until one
 * reply: neighbor resolution and a freshly started link are not measured),
 * warm-up (-w seconds of the same traffic, not reported), measurement (-d
 * seconds of sending, then the requests still in flight are awaited up to
 * the timeout). pps = replies / (last reply - first request).
 *
 * Output: one line of JSON on stdout (see bench/udp-echo-parse.ts); on a
 * fatal error {"error": "..."} and exit status 1. The line ends with the RTT
 * distribution, "rttHistUs": the non-empty buckets of a log-linear scale as
 * [lo, hi, count] in microseconds (hi exclusive): one bucket per microsecond
 * below 32 us, then 16 equal buckets per power of two (each at most 1/16 of
 * its lower edge wide), the last one [100000, 100001) holding every RTT of
 * 100 ms or more. At most 218 entries, so the line stays under ~6 KB.
 *
 * Usage: udp-echo-client [-4|-6] -a ADDR -p PORT [-s SIZE] [-W WINDOW]
 *                        [-d SECONDS] [-w WARMUP_SECONDS] [-t TIMEOUT_MS]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAGIC 0x77736762u /* "wsgb" */
#define HEADER 16         /* magic u32, slot u32, seq u64 */
#define MAX_SIZE 65507
#define MAX_WINDOW 1024
#define PROBE_TRIES 10
#define HIST_US 100000 /* 1 us buckets up to 100 ms, then one overflow bucket */
#define HIST_LINEAR_US 32 /* printed histogram: 1 us buckets below this, */
#define HIST_SUB_BITS 4   /* then 2^4 buckets per power of two */

struct slot {
  uint64_t seq;
  int64_t sent_ns;
  int active;
};

struct stats {
  uint64_t sent, received, lost, late, invalid;
  int64_t start_ns, last_reply_ns, end_ns;
  int64_t rtt_min_ns, rtt_max_ns;
  double rtt_sum_ns;
  uint32_t *hist; /* HIST_US + 1 buckets */
};

static int fd = -1;
static int size = 64;
static int window = 1;
static int64_t timeout_ns = 100 * 1000000LL;
static unsigned char *txbuf, *rxbuf;
static struct slot slots[MAX_WINDOW];
static uint64_t next_seq = 1;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void fail(const char *what) {
  printf("{\"error\":\"%s: %s\"}\n", what, strerror(errno));
  exit(1);
}

static void put32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }
static uint32_t get32(const unsigned char *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t get64(const unsigned char *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* Sends a new request from slot i; returns 0, or -1 if the kernel refused it (counted as lost). */
static int send_request(int i, struct stats *st, int64_t t) {
  struct slot *s = &slots[i];
  s->seq = next_seq++;
  put32(txbuf + 4, (uint32_t)i);
  put64(txbuf + 8, s->seq);
  s->sent_ns = t;
  s->active = 1;
  st->sent++;
  if (send(fd, txbuf, size, 0) != size) {
    /* ENOBUFS / ECONNREFUSED (ICMP port unreachable reported on a connected socket): a loss. */
    if (errno != ENOBUFS && errno != ECONNREFUSED && errno != EAGAIN && errno != EHOSTUNREACH && errno != ENETUNREACH)
      fail("send");
    return -1;
  }
  return 0;
}

static void record_rtt(struct stats *st, int64_t rtt) {
  if (st->received == 0 || rtt < st->rtt_min_ns) st->rtt_min_ns = rtt;
  if (rtt > st->rtt_max_ns) st->rtt_max_ns = rtt;
  st->rtt_sum_ns += (double)rtt;
  int64_t us = rtt / 1000;
  st->hist[us > HIST_US ? HIST_US : us]++;
}

/* Runs one phase: keep `window` requests in flight until `duration_ns` has passed, then drain. */
static void run_phase(struct stats *st, int64_t duration_ns) {
  int64_t t = now_ns();
  st->start_ns = t;
  st->last_reply_ns = t;
  int64_t stop_sending = t + duration_ns;
  int active = 0;
  for (int i = 0; i < window; i++) {
    send_request(i, st, now_ns());
    active++;
  }
  int64_t next_scan = t + timeout_ns / 4;
  while (active > 0) {
    ssize_t n = recv(fd, rxbuf, MAX_SIZE, 0);
    t = now_ns();
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNREFUSED) fail("recv");
    if (n >= 0) {
      if (n != size || get32(rxbuf) != MAGIC) {
        st->invalid++;
      } else {
        uint32_t i = get32(rxbuf + 4);
        uint64_t seq = get64(rxbuf + 8);
        if (i >= (uint32_t)window || !slots[i].active || slots[i].seq != seq) {
          st->late++; /* answered after its timeout, a duplicate, or from an earlier phase */
        } else if (memcmp(rxbuf + HEADER, txbuf + HEADER, size - HEADER) != 0) {
          st->invalid++;
        } else {
          record_rtt(st, t - slots[i].sent_ns);
          st->received++;
          st->last_reply_ns = t;
          slots[i].active = 0;
          active--;
          if (t < stop_sending) {
            send_request(i, st, t);
            active++;
          }
        }
      }
    }
    if (n < 0 || t >= next_scan) {
      /* Time out requests older than timeout_ns; their slots send anew. */
      for (int i = 0; i < window; i++) {
        if (slots[i].active && t - slots[i].sent_ns >= timeout_ns) {
          slots[i].active = 0;
          active--;
          st->lost++;
          if (t < stop_sending) {
            send_request(i, st, t);
            active++;
          }
        }
      }
      next_scan = t + timeout_ns / 4;
    }
  }
  st->end_ns = now_ns();
}

static void reset(struct stats *st, uint32_t *hist) {
  memset(st, 0, sizeof *st);
  memset(hist, 0, sizeof(uint32_t) * (HIST_US + 1));
  st->hist = hist;
}

static double percentile_ms(const struct stats *st, double p) {
  if (st->received == 0) return -1;
  uint64_t rank = (uint64_t)(p / 100.0 * (double)st->received + 0.999999);
  if (rank < 1) rank = 1;
  uint64_t acc = 0;
  for (int us = 0; us <= HIST_US; us++) {
    acc += st->hist[us];
    if (acc >= rank) return us / 1000.0;
  }
  return HIST_US / 1000.0;
}

/* Lower edge (us) of the log-linear bucket of `us` (see the header). */
static int64_t bucket_lo(int64_t us) {
  if (us < HIST_LINEAR_US) return us;
  int shift = (63 - __builtin_clzll((unsigned long long)us)) - HIST_SUB_BITS;
  return (us >> shift) << shift;
}

/* Exclusive upper edge (us) of the bucket whose lower edge is `lo`. */
static int64_t bucket_hi(int64_t lo) {
  if (lo < HIST_LINEAR_US) return lo + 1;
  int shift = (63 - __builtin_clzll((unsigned long long)lo)) - HIST_SUB_BITS;
  return lo + ((int64_t)1 << shift);
}

/* Prints "[lo,hi,count],..." for the non-empty log-linear buckets of the 1 us histogram. */
static void print_hist(const struct stats *st) {
  int first = 1;
  uint64_t acc = 0;
  int64_t lo = 0;
  for (int64_t us = 0; us <= HIST_US; us++) {
    int64_t b = us == HIST_US ? HIST_US : bucket_lo(us);
    if (b != lo) {
      if (acc > 0) {
        int64_t hi = bucket_hi(lo);
        printf("%s[%lld,%lld,%llu]", first ? "" : ",", (long long)lo, (long long)(hi > HIST_US ? HIST_US : hi), (unsigned long long)acc);
        first = 0;
      }
      lo = b;
      acc = 0;
    }
    acc += st->hist[us];
  }
  if (acc > 0) printf("%s[%d,%d,%llu]", first ? "" : ",", HIST_US, HIST_US + 1, (unsigned long long)acc);
}

static void usage(void) {
  fprintf(stderr, "usage: udp-echo-client [-4|-6] -a ADDR -p PORT [-s SIZE] [-W WINDOW] [-d SECONDS] [-w WARMUP_SECONDS] [-t TIMEOUT_MS]\n");
  exit(2);
}

int main(int argc, char **argv) {
  int family = AF_INET6;
  const char *addr = NULL;
  int port = 0;
  double duration = 3, warmup = 0.5;
  int opt;
  while ((opt = getopt(argc, argv, "46a:p:s:W:d:w:t:")) != -1) {
    switch (opt) {
    case '4': family = AF_INET; break;
    case '6': family = AF_INET6; break;
    case 'a': addr = optarg; break;
    case 'p': port = atoi(optarg); break;
    case 's': size = atoi(optarg); break;
    case 'W': window = atoi(optarg); break;
    case 'd': duration = atof(optarg); break;
    case 'w': warmup = atof(optarg); break;
    case 't': timeout_ns = (int64_t)(atof(optarg) * 1e6); break;
    default: usage();
    }
  }
  if (!addr || port < 1 || port > 65535 || size < HEADER || size > MAX_SIZE || window < 1 || window > MAX_WINDOW ||
      duration <= 0 || warmup < 0 || timeout_ns < 1000000)
    usage();

  struct sockaddr_storage ss;
  socklen_t sslen;
  memset(&ss, 0, sizeof ss);
  if (family == AF_INET6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    if (inet_pton(AF_INET6, addr, &a->sin6_addr) != 1) usage();
    sslen = sizeof *a;
  } else {
    struct sockaddr_in *a = (struct sockaddr_in *)&ss;
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    if (inet_pton(AF_INET, addr, &a->sin_addr) != 1) usage();
    sslen = sizeof *a;
  }
  fd = socket(family, SOCK_DGRAM, 0);
  if (fd < 0) fail("socket");
  if (connect(fd, (struct sockaddr *)&ss, sslen) < 0) fail("connect");
  int buf = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
  /* recv() wakes at least every timeout/4 so lost requests are noticed. */
  struct timeval tv = {.tv_sec = (timeout_ns / 4) / 1000000000LL, .tv_usec = ((timeout_ns / 4) % 1000000000LL) / 1000};
  if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0) fail("SO_RCVTIMEO");

  txbuf = malloc(MAX_SIZE);
  rxbuf = malloc(MAX_SIZE);
  uint32_t *hist = malloc(sizeof(uint32_t) * (HIST_US + 1));
  if (!txbuf || !rxbuf || !hist) fail("malloc");
  put32(txbuf, MAGIC);
  for (int i = HEADER; i < size; i++) txbuf[i] = (unsigned char)(i * 7 + 3);

  struct stats st;
  /* Probe: one request at a time with a 1 s timeout until one is answered. */
  int64_t saved_timeout = timeout_ns;
  int saved_window = window;
  timeout_ns = 1000000000LL;
  window = 1;
  int probes = 0, answered = 0;
  struct timeval ptv = {.tv_sec = 0, .tv_usec = 250000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &ptv, sizeof ptv);
  while (probes < PROBE_TRIES && !answered) {
    reset(&st, hist);
    run_phase(&st, 1); /* one request, then wait for it */
    probes++;
    answered = st.received > 0;
  }
  timeout_ns = saved_timeout;
  window = saved_window;
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (!answered) {
    printf("{\"error\":\"no reply to %d probes (1 s each) from %s port %d\",\"probes\":%d}\n", probes, addr, port, probes);
    return 1;
  }
  if (warmup > 0) {
    reset(&st, hist);
    run_phase(&st, (int64_t)(warmup * 1e9));
  }
  uint64_t warmup_sent = st.sent, warmup_received = st.received;
  if (warmup == 0) warmup_sent = warmup_received = 0;
  /* A warm-up reply that arrives after its timeout counts as late in the measurement. */
  reset(&st, hist);
  run_phase(&st, (int64_t)(duration * 1e9));

  double elapsed_ms = (double)(st.last_reply_ns - st.start_ns) / 1e6;
  double pps = st.received > 0 && elapsed_ms > 0 ? (double)st.received / (elapsed_ms / 1000.0) : 0;
  printf("{\"family\":%d,\"size\":%d,\"window\":%d,\"timeoutMs\":%.3f,\"probes\":%d,"
         "\"warmupSent\":%llu,\"warmupReceived\":%llu,"
         "\"sent\":%llu,\"received\":%llu,\"lost\":%llu,\"late\":%llu,\"invalid\":%llu,"
         "\"elapsedMs\":%.3f,\"wallMs\":%.3f,\"pps\":%.1f,",
         family == AF_INET6 ? 6 : 4, size, window, (double)timeout_ns / 1e6, probes,
         (unsigned long long)warmup_sent, (unsigned long long)warmup_received,
         (unsigned long long)st.sent, (unsigned long long)st.received, (unsigned long long)st.lost,
         (unsigned long long)st.late, (unsigned long long)st.invalid, elapsed_ms,
         (double)(st.end_ns - st.start_ns) / 1e6, pps);
  if (st.received > 0)
    printf("\"rttMinMs\":%.4f,\"rttAvgMs\":%.4f,\"rttMaxMs\":%.4f,\"rttP50Ms\":%.3f,\"rttP99Ms\":%.3f,\"rttP999Ms\":%.3f,",
           st.rtt_min_ns / 1e6, st.rtt_sum_ns / (double)st.received / 1e6, st.rtt_max_ns / 1e6,
           percentile_ms(&st, 50), percentile_ms(&st, 99), percentile_ms(&st, 99.9));
  else
    printf("\"rttMinMs\":null,\"rttAvgMs\":null,\"rttMaxMs\":null,\"rttP50Ms\":null,\"rttP99Ms\":null,\"rttP999Ms\":null,");
  printf("\"rttHistUs\":[");
  print_hist(&st);
  printf("]}\n");
  return 0;
}
