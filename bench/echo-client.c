// The loopback echo benchmark's client (bench/echo.ts builds and runs it).
// One thread, N connections in a closed loop: each sends a message, waits
// for all of it to come back (checking every byte), records the round
// trip, and sends the next one. Written in C so that the client costs far
// less per request than any server under test and every server meets the
// same client.
//
// Two engines, the same loop: io_uring (the default; raw syscalls, one
// io_uring_enter per pass submits every connection's next send and receive
// and waits for completions) and epoll (nonblocking send/recv, three
// syscalls per request). On this kind of VM the epoll client saturates its
// CPU at about the rate of the servers it drives, so the bench would
// measure the client; the io_uring one costs less per request. When
// io_uring is unavailable the client says so on stderr and uses epoll.
//
// usage: echo-client HOST PORT CONNECTIONS SIZE MAX_REQUESTS DURATION_MS [uring|epoll]
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
#include <linux/io_uring.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define HIST_US 1000000 /* 1 µs buckets up to 1 s; slower round trips land in the last one */
#define STOP_GRACE_NS 2000000000u /* how long to wait for requests in flight once stopping */

struct conn {
  int fd;
  size_t sent, received;
  uint64_t started;
  uint32_t seq;
  int busy; /* a request is in flight */
  int want_out; /* epoll: EPOLLOUT armed (a partial send) */
  unsigned char *rbuf; /* io_uring: this connection's receive buffer (size bytes) */
};

/* One client run: what both engines count. */
struct run {
  struct conn *conns;
  int nconn;
  uint64_t max_requests, duration_ns;
  uint64_t *hist;
  uint64_t t0, last, stop_at;
  uint64_t started, done, mismatches, errors, inflight;
  int stopping;
};

static size_t size;
static unsigned char *pattern; /* 2 × size bytes: message k starts at offset k % size */
static unsigned char *rbuf; /* epoll: one receive buffer for all */

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static const unsigned char *message(const struct conn *c) { return pattern + (c->seq % size); }

/* Starts a request on c: bookkeeping only, the engine sends. */
static void begin(struct run *r, struct conn *c) {
  c->seq = (uint32_t)r->started++;
  c->sent = c->received = 0;
  c->busy = 1;
  c->started = now_ns();
}

static void fail_conn(struct run *r, struct conn *c) {
  r->errors++;
  c->busy = 0;
  r->inflight--;
}

static void check_stop(struct run *r, uint64_t t) {
  if (!r->stopping && (r->done >= r->max_requests || t - r->t0 >= r->duration_ns)) {
    r->stopping = 1;
    r->stop_at = t;
  }
}

/* received bytes at c->received: compares them with the message. */
static void check_bytes(struct run *r, struct conn *c, const unsigned char *data, size_t n) {
  if (memcmp(data, message(c) + c->received, n) != 0) r->mismatches++;
  c->received += n;
}

/* c's echo is complete: records it; returns 1 when c should start the next request. */
static int finish(struct run *r, struct conn *c) {
  uint64_t end = now_ns();
  uint64_t us = (end - c->started) / 1000u;
  r->hist[us < HIST_US ? us : HIST_US - 1]++;
  r->done++;
  r->last = end;
  check_stop(r, end);
  if (r->stopping || r->started >= r->max_requests) {
    c->busy = 0;
    r->inflight--;
    return 0;
  }
  return 1;
}

/* ---- epoll ------------------------------------------------------------- */

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

static void start_epoll(struct run *r, int ep, struct conn *c) {
  begin(r, c);
  if (pump_send(ep, c) < 0) fail_conn(r, c);
}

static void run_epoll(struct run *r) {
  int ep = epoll_create1(EPOLL_CLOEXEC);
  for (int i = 0; i < r->nconn; i++) {
    struct conn *c = &r->conns[i];
    int fl = 1;
    ioctl(c->fd, FIONBIO, &fl);
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
    epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
  }
  r->t0 = r->last = now_ns();
  for (int i = 0; i < r->nconn && r->started < r->max_requests; i++) {
    r->inflight++;
    start_epoll(r, ep, &r->conns[i]);
  }
  struct epoll_event events[256];
  while (r->inflight > 0) {
    int n = epoll_wait(ep, events, 256, 100);
    if (n < 0 && errno != EINTR) break;
    uint64_t t = now_ns();
    check_stop(r, t);
    if (r->stopping && t - r->stop_at > STOP_GRACE_NS) break; /* what is still in flight is lost: count it */
    for (int k = 0; k < n; k++) {
      struct conn *c = events[k].data.ptr;
      if (!c->busy) continue;
      if ((events[k].events & EPOLLOUT) && pump_send(ep, c) < 0) {
        fail_conn(r, c);
        continue;
      }
      if (!(events[k].events & (EPOLLIN | EPOLLERR | EPOLLHUP))) continue;
      for (;;) {
        ssize_t got = recv(c->fd, rbuf, size - c->received, 0);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0 && errno == EAGAIN) break;
        if (got <= 0) {
          fail_conn(r, c);
          break;
        }
        check_bytes(r, c, rbuf, (size_t)got);
        if (c->received < size) continue;
        if (finish(r, c)) start_epoll(r, ep, c);
        break;
      }
    }
  }
  close(ep);
}

/* ---- io_uring ---------------------------------------------------------- */

#ifndef IORING_SETUP_SUBMIT_ALL
#define IORING_SETUP_SUBMIT_ALL (1U << 7)
#endif
#ifndef IORING_SETUP_COOP_TASKRUN
#define IORING_SETUP_COOP_TASKRUN (1U << 8)
#endif
#ifndef IORING_SETUP_SINGLE_ISSUER
#define IORING_SETUP_SINGLE_ISSUER (1U << 12)
#endif
#ifndef IORING_SETUP_DEFER_TASKRUN
#define IORING_SETUP_DEFER_TASKRUN (1U << 13)
#endif
#ifndef IORING_RECVSEND_POLL_FIRST
#define IORING_RECVSEND_POLL_FIRST (1U << 0)
#endif
#ifndef IORING_ENTER_EXT_ARG
#define IORING_ENTER_EXT_ARG (1U << 3)
#endif

#define UD_SEND (1ull << 32)

struct uring {
  int fd;
  unsigned *sq_head, *sq_tail, sq_mask, sq_entries, sq_tail_local;
  unsigned *cq_head, *cq_tail, cq_mask;
  struct io_uring_sqe *sqes;
  struct io_uring_cqe *cqes;
};

/* Sets up a ring, mapped the classic way: -errno on failure. */
static int uring_setup(struct uring *u, unsigned entries) {
  struct io_uring_params p;
  memset(&p, 0, sizeof p);
  /* DEFER_TASKRUN (6.1): completions run only when this thread waits, in batches. */
  p.flags = IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
  u->fd = (int)syscall(__NR_io_uring_setup, entries, &p);
  if (u->fd < 0 && errno == EINVAL) {
    memset(&p, 0, sizeof p);
    u->fd = (int)syscall(__NR_io_uring_setup, entries, &p);
  }
  if (u->fd < 0) return -errno;
  size_t sq_sz = p.sq_off.array + p.sq_entries * sizeof(unsigned);
  size_t cq_sz = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
  if (!(p.features & IORING_FEAT_SINGLE_MMAP)) return -ENOSYS; /* 5.4+ */
  size_t sz = sq_sz > cq_sz ? sq_sz : cq_sz;
  char *ring = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, u->fd, IORING_OFF_SQ_RING);
  if (ring == MAP_FAILED) return -errno;
  u->sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
    u->fd, IORING_OFF_SQES);
  if (u->sqes == MAP_FAILED) return -errno;
  u->sq_head = (unsigned *)(ring + p.sq_off.head);
  u->sq_tail = (unsigned *)(ring + p.sq_off.tail);
  u->sq_mask = *(unsigned *)(ring + p.sq_off.ring_mask);
  u->sq_entries = p.sq_entries;
  u->sq_tail_local = *u->sq_tail;
  unsigned *array = (unsigned *)(ring + p.sq_off.array);
  for (unsigned i = 0; i < p.sq_entries; i++) array[i] = i;
  u->cq_head = (unsigned *)(ring + p.cq_off.head);
  u->cq_tail = (unsigned *)(ring + p.cq_off.tail);
  u->cq_mask = *(unsigned *)(ring + p.cq_off.ring_mask);
  u->cqes = (struct io_uring_cqe *)(ring + p.cq_off.cqes);
  return 0;
}

/* The SQ holds 2 entries per connection and each connection has at most a send and a receive in flight: never full. */
static struct io_uring_sqe *uring_sqe(struct uring *u) {
  struct io_uring_sqe *sqe = &u->sqes[u->sq_tail_local++ & u->sq_mask];
  memset(sqe, 0, sizeof *sqe);
  return sqe;
}

static void prep_rw(struct uring *u, int op, int fd, const void *buf, size_t len, uint64_t ud) {
  struct io_uring_sqe *sqe = uring_sqe(u);
  sqe->opcode = (uint8_t)op;
  sqe->fd = fd;
  sqe->addr = (uint64_t)(uintptr_t)buf;
  sqe->len = (uint32_t)len;
  sqe->msg_flags = op == IORING_OP_SEND ? MSG_NOSIGNAL : 0;
  /* A receive is queued right behind its send: the echo cannot be there yet, so wait for data before trying (5.19). */
  if (op == IORING_OP_RECV) sqe->ioprio = IORING_RECVSEND_POLL_FIRST;
  sqe->user_data = ud;
}

static void send_rest(struct uring *u, struct run *r, struct conn *c) {
  prep_rw(u, IORING_OP_SEND, c->fd, message(c) + c->sent, size - c->sent, UD_SEND | (uint64_t)(c - r->conns));
}

static void recv_rest(struct uring *u, struct run *r, struct conn *c) {
  prep_rw(u, IORING_OP_RECV, c->fd, c->rbuf + c->received, size - c->received, (uint64_t)(c - r->conns));
}

static void start_uring(struct uring *u, struct run *r, struct conn *c) {
  begin(r, c);
  send_rest(u, r, c);
  recv_rest(u, r, c);
}

/* Submits what was prepared and waits up to 100 ms for a completion. */
static int uring_enter(struct uring *u) {
  struct __kernel_timespec ts = { .tv_sec = 0, .tv_nsec = 100000000 };
  struct io_uring_getevents_arg arg = { .ts = (uint64_t)(uintptr_t)&ts };
  unsigned to_submit = u->sq_tail_local - *u->sq_tail;
  __atomic_store_n(u->sq_tail, u->sq_tail_local, __ATOMIC_RELEASE);
  long ret = syscall(__NR_io_uring_enter, u->fd, to_submit, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &arg, sizeof arg);
  return ret < 0 && errno != ETIME && errno != EINTR ? -errno : 0;
}

/* -errno when the ring cannot be set up (nothing started yet: use epoll). */
static int run_uring(struct run *r) {
  struct uring u;
  unsigned entries = 1;
  while (entries < 2u * (unsigned)r->nconn) entries <<= 1;
  int err = uring_setup(&u, entries);
  if (err < 0) return err;
  for (int i = 0; i < r->nconn; i++) {
    r->conns[i].rbuf = malloc(size);
    if (!r->conns[i].rbuf) return -ENOMEM;
  }
  r->t0 = r->last = now_ns();
  for (int i = 0; i < r->nconn && r->started < r->max_requests; i++) {
    r->inflight++;
    start_uring(&u, r, &r->conns[i]);
  }
  /* Both the send and the receive of a connection must complete before its next request: count the sends owed. */
  while (r->inflight > 0) {
    if (uring_enter(&u) < 0) break;
    uint64_t t = now_ns();
    check_stop(r, t);
    if (r->stopping && t - r->stop_at > STOP_GRACE_NS) break; /* what is still in flight is lost: count it */
    unsigned head = *u.cq_head;
    unsigned tail = __atomic_load_n(u.cq_tail, __ATOMIC_ACQUIRE);
    for (; head != tail; head++) {
      struct io_uring_cqe *cqe = &u.cqes[head & u.cq_mask];
      struct conn *c = &r->conns[(uint32_t)cqe->user_data];
      int res = cqe->res;
      if (!c->busy) continue;
      if (cqe->user_data & UD_SEND) {
        if (res <= 0) {
          fail_conn(r, c);
          continue;
        }
        c->sent += (size_t)res;
        if (c->sent < size) send_rest(&u, r, c);
        else if (c->received == size && finish(r, c)) start_uring(&u, r, c);
        continue;
      }
      if (res <= 0) {
        fail_conn(r, c);
        continue;
      }
      check_bytes(r, c, c->rbuf + c->received, (size_t)res);
      if (c->received < size) recv_rest(&u, r, c);
      else if (c->sent == size && finish(r, c)) start_uring(&u, r, c);
    }
    __atomic_store_n(u.cq_head, head, __ATOMIC_RELEASE);
  }
  close(u.fd); /* cancels whatever is left in flight */
  return 0;
}

/* ---- main -------------------------------------------------------------- */

int main(int argc, char **argv) {
  if (argc != 7 && argc != 8) {
    fprintf(stderr, "usage: %s HOST PORT CONNECTIONS SIZE MAX_REQUESTS DURATION_MS [uring|epoll]\n", argv[0]);
    return 2;
  }
  const char *host = argv[1];
  int port = atoi(argv[2]);
  int nconn = atoi(argv[3]);
  size = (size_t)atol(argv[4]);
  const char *engine = argc == 8 ? argv[7] : "uring";
  if (nconn < 1 || size < 1 || port < 1 || (strcmp(engine, "uring") != 0 && strcmp(engine, "epoll") != 0)) {
    fprintf(stderr, "echo-client: bad arguments\n");
    return 2;
  }
  struct run r;
  memset(&r, 0, sizeof r);
  r.nconn = nconn;
  r.max_requests = strtoull(argv[5], NULL, 10);
  r.duration_ns = strtoull(argv[6], NULL, 10) * 1000000u;
  pattern = malloc(2 * size);
  rbuf = malloc(size);
  r.hist = calloc(HIST_US, sizeof *r.hist);
  r.conns = calloc((size_t)nconn, sizeof *r.conns);
  if (!pattern || !rbuf || !r.hist || !r.conns) return 1;
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
  for (int i = 0; i < nconn; i++) {
    int fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, salen) < 0) {
      fprintf(stderr, "echo-client: connect %s:%d: %s\n", host, port, strerror(errno));
      return 1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    r.conns[i].fd = fd;
  }

  struct rusage ru0, ru1;
  getrusage(RUSAGE_SELF, &ru0);
  int uring_err = 0;
  if (strcmp(engine, "uring") == 0) uring_err = run_uring(&r);
  if (strcmp(engine, "epoll") == 0 || uring_err < 0) {
    if (uring_err < 0) fprintf(stderr, "echo-client: io_uring unavailable (%s): using epoll\n", strerror(-uring_err));
    engine = "epoll";
    run_epoll(&r);
  }
  getrusage(RUSAGE_SELF, &ru1);
  r.errors += r.inflight;
  uint64_t p[4] = { 0, 0, 0, 0 };
  const double q[4] = { 0.50, 0.99, 0.999, 1.0 };
  uint64_t seen = 0;
  int qi = 0;
  for (uint64_t us = 0; us < HIST_US && qi < 4; us++) {
    seen += r.hist[us];
    while (qi < 4 && r.done > 0 && (double)seen >= q[qi] * (double)r.done) p[qi++] = us;
  }
  uint64_t cpu_us = (uint64_t)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec + ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) * 1000000u +
    (uint64_t)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec + ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec);
  printf("{\"requests\":%llu,\"bytes\":%llu,\"elapsedNs\":%llu,\"p50Us\":%llu,\"p99Us\":%llu,\"p999Us\":%llu,\"maxUs\":%llu,"
         "\"mismatches\":%llu,\"cpuUs\":%llu,\"errors\":%llu,\"engine\":\"%s\"}\n",
    (unsigned long long)r.done, (unsigned long long)(r.done * size), (unsigned long long)(r.last - r.t0), (unsigned long long)p[0],
    (unsigned long long)p[1], (unsigned long long)p[2], (unsigned long long)p[3], (unsigned long long)r.mismatches,
    (unsigned long long)cpu_us, (unsigned long long)r.errors, engine);
  for (int i = 0; i < nconn; i++) close(r.conns[i].fd);
  return 0;
}
