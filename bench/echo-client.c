// The loopback echo benchmark's client (bench/echo.ts builds and runs it).
// One thread, epoll, N connections in a closed loop: each sends a message,
// waits for all of it to come back (checking every byte), records the round
// trip, and sends the next one. Written in C so that the client costs far
// less per request than any server under test and every server meets the
// same client.
//
// usage: echo-client HOST PORT CONNECTIONS SIZE MAX_REQUESTS DURATION_MS
// Stops starting requests after MAX_REQUESTS or DURATION_MS, waits (at most
// 2 s) for those in flight, then prints one JSON line:
// {"requests","bytes","elapsedNs","p50Us","p99Us","p999Us","maxUs","mismatches","cpuUs","errors"}
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HIST_US 1000000 /* 1 µs buckets up to 1 s; slower round trips land in the last one */

struct conn {
  int fd;
  size_t sent, received;
  uint64_t started;
  uint32_t seq;
  int busy; /* a request is in flight */
  int want_out; /* EPOLLOUT armed (a partial send) */
};

static size_t size;
static unsigned char *pattern; /* 2 × size bytes: message k starts at offset k % size */
static unsigned char *rbuf;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static const unsigned char *message(const struct conn *c) { return pattern + (c->seq % size); }

static int pump_send(int ep, struct conn *c) {
  while (c->sent < size) {
    ssize_t n = send(c->fd, message(c) + c->sent, size - c->sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) return -1;
      if (!c->want_out) {
        struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.ptr = c };
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
        c->want_out = 1;
      }
      return 0;
    }
    c->sent += (size_t)n;
  }
  if (c->want_out) {
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
    c->want_out = 0;
  }
  return 0;
}

static int start(int ep, struct conn *c, uint32_t seq) {
  c->seq = seq;
  c->sent = c->received = 0;
  c->busy = 1;
  c->started = now_ns();
  return pump_send(ep, c);
}

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: %s HOST PORT CONNECTIONS SIZE MAX_REQUESTS DURATION_MS\n", argv[0]);
    return 2;
  }
  const char *host = argv[1];
  int port = atoi(argv[2]);
  int nconn = atoi(argv[3]);
  size = (size_t)atol(argv[4]);
  uint64_t max_requests = strtoull(argv[5], NULL, 10);
  uint64_t duration_ns = strtoull(argv[6], NULL, 10) * 1000000u;
  if (nconn < 1 || size < 1 || port < 1) {
    fprintf(stderr, "echo-client: bad arguments\n");
    return 2;
  }
  pattern = malloc(2 * size);
  rbuf = malloc(size);
  uint64_t *hist = calloc(HIST_US, sizeof *hist);
  struct conn *conns = calloc((size_t)nconn, sizeof *conns);
  if (!pattern || !rbuf || !hist || !conns) return 1;
  for (size_t i = 0; i < 2 * size; i++) pattern[i] = (unsigned char)(i * 131 + 7);

  struct sockaddr_storage sa;
  socklen_t salen;
  memset(&sa, 0, sizeof sa);
  struct sockaddr_in *s4 = (struct sockaddr_in *)&sa;
  struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&sa;
  if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
    s4->sin_family = AF_INET;
    s4->sin_port = htons((uint16_t)port);
    salen = sizeof *s4;
  } else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons((uint16_t)port);
    salen = sizeof *s6;
  } else {
    fprintf(stderr, "echo-client: %s is not an IP address\n", host);
    return 2;
  }

  int ep = epoll_create1(EPOLL_CLOEXEC);
  for (int i = 0; i < nconn; i++) {
    int fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, salen) < 0) {
      fprintf(stderr, "echo-client: connect %s:%d: %s\n", host, port, strerror(errno));
      return 1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int fl = 1;
    ioctl(fd, FIONBIO, &fl);
    conns[i].fd = fd;
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &conns[i] };
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  }

  struct rusage ru0, ru1;
  getrusage(RUSAGE_SELF, &ru0);
  uint64_t t0 = now_ns(), last = t0;
  uint64_t started = 0, done = 0, mismatches = 0, errors = 0, inflight = 0;
  int stopping = 0;
  uint64_t stop_at = 0;
  for (int i = 0; i < nconn && started < max_requests; i++) {
    if (start(ep, &conns[i], (uint32_t)started++) < 0) errors++;
    else inflight++;
  }
  struct epoll_event events[256];
  while (inflight > 0) {
    int n = epoll_wait(ep, events, 256, 100);
    if (n < 0 && errno != EINTR) break;
    uint64_t t = now_ns();
    if (!stopping && (t - t0 >= duration_ns)) {
      stopping = 1;
      stop_at = t;
    }
    if (stopping && t - stop_at > 2000000000u) break; /* what is still in flight is lost: count it */
    for (int k = 0; k < n; k++) {
      struct conn *c = events[k].data.ptr;
      if (!c->busy) continue;
      if ((events[k].events & EPOLLOUT) && pump_send(ep, c) < 0) {
        errors++;
        c->busy = 0;
        inflight--;
        continue;
      }
      if (!(events[k].events & (EPOLLIN | EPOLLERR | EPOLLHUP))) continue;
      for (;;) {
        ssize_t r = recv(c->fd, rbuf, size - c->received, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && errno == EAGAIN) break;
        if (r <= 0) {
          errors++;
          c->busy = 0;
          inflight--;
          break;
        }
        if (memcmp(rbuf, message(c) + c->received, (size_t)r) != 0) mismatches++;
        c->received += (size_t)r;
        if (c->received < size) continue;
        uint64_t end = now_ns();
        uint64_t us = (end - c->started) / 1000u;
        hist[us < HIST_US ? us : HIST_US - 1]++;
        done++;
        last = end;
        if (!stopping && (done >= max_requests || end - t0 >= duration_ns)) {
          stopping = 1;
          stop_at = end;
        }
        if (stopping || started >= max_requests) {
          c->busy = 0;
          inflight--;
        } else if (start(ep, c, (uint32_t)started++) < 0) {
          errors++;
          c->busy = 0;
          inflight--;
        }
        break;
      }
    }
  }
  getrusage(RUSAGE_SELF, &ru1);
  errors += inflight;
  uint64_t p[4] = { 0, 0, 0, 0 };
  const double q[4] = { 0.50, 0.99, 0.999, 1.0 };
  uint64_t seen = 0;
  int qi = 0;
  for (uint64_t us = 0; us < HIST_US && qi < 4; us++) {
    seen += hist[us];
    while (qi < 4 && done > 0 && (double)seen >= q[qi] * (double)done) p[qi++] = us;
  }
  uint64_t cpu_us = (uint64_t)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec + ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) * 1000000u +
    (uint64_t)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec + ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec);
  printf("{\"requests\":%llu,\"bytes\":%llu,\"elapsedNs\":%llu,\"p50Us\":%llu,\"p99Us\":%llu,\"p999Us\":%llu,\"maxUs\":%llu,"
         "\"mismatches\":%llu,\"cpuUs\":%llu,\"errors\":%llu}\n",
    (unsigned long long)done, (unsigned long long)(done * size), (unsigned long long)(last - t0), (unsigned long long)p[0],
    (unsigned long long)p[1], (unsigned long long)p[2], (unsigned long long)p[3], (unsigned long long)mismatches,
    (unsigned long long)cpu_us, (unsigned long long)errors);
  for (int i = 0; i < nconn; i++) close(conns[i].fd);
  return 0;
}
