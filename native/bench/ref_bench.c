/*
 * ref-bench: the C throughput reference the JS implementations are measured
 * against. Deliberately self-contained (raw syscalls, its own classic
 * mmap'd ring, no liburing, no liburingshim) so it measures io_uring, not
 * our library. bench/shim-ring.ts mirrors the loops below step for step;
 * keep them in sync (see the comments on run_nop and io_loop).
 *
 * Workloads: nop (batches of NOPs), and the I/O workloads randread,
 * seqread (seq is the old name), randwrite, seqwrite and mixed (random
 * offsets, --read-pct reads, the rest writes), each with any of --direct
 * (O_DIRECT), --fixed (READ_FIXED / WRITE_FIXED from one registration of
 * the whole buffer area), --files (IOSQE_FIXED_FILE, slot 0), --sqpoll,
 * --huge (a 2 MiB-aligned, MADV_HUGEPAGE buffer area), --latency,
 * --fsync-every N (writes only, see io_issue) and --submit-each (one enter
 * per request as soon as it is prepared, as fio does; see io_issue).
 *
 * Output: one JSON line on stdout (see print_result). Errors: a message
 * on stderr, exit 1; exit 2 for an option this program does not take.
 * The field list and its meaning are the same for bench/shim.ts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/io_uring.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#ifndef IORING_SETUP_SUBMIT_ALL
#define IORING_SETUP_SUBMIT_ALL (1U << 7)
#endif
#ifndef IORING_SETUP_SINGLE_ISSUER
#define IORING_SETUP_SINGLE_ISSUER (1U << 12)
#endif

/* Kernel publishes sq.head / cq.tail with release; these pair with it. */
#define io_uring_smp_store_release(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define io_uring_smp_load_acquire(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)

struct ring {
	int fd;
	/* What io_uring_enter takes: the registered ring index, else the fd. */
	int enter_fd;
	unsigned enter_flags;
	unsigned flags;
	unsigned *sq_head, *sq_tail, *sq_flags, *sq_array;
	unsigned sq_mask, sq_entries;
	unsigned sq_tail_local;
	struct io_uring_sqe *sqes;
	unsigned *cq_head, *cq_tail;
	unsigned cq_mask;
	struct io_uring_cqe *cqes;
};

static void die(const char *what, int err)
{
	fprintf(stderr, "ref-bench: %s: %s\n", what, strerror(err));
	exit(1);
}

static void fail(const char *msg)
{
	fprintf(stderr, "ref-bench: %s\n", msg);
	exit(1);
}

/* A bad option or combination: exit 2 (bench/shim.ts does the same). */
static void refuse(const char *msg)
{
	fprintf(stderr, "ref-bench: %s\n", msg);
	exit(2);
}

static int ring_init(struct ring *r, unsigned entries, unsigned cq_entries, int sqpoll)
{
	struct io_uring_params p;
	size_t sq_sz, cq_sz;
	void *sq, *cq;

	memset(&p, 0, sizeof(p));
	/* The flags uringshim's Ring.open() sets by default (COOP_TASKRUN unless SQPOLL). */
	p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_SINGLE_ISSUER |
		  (sqpoll ? IORING_SETUP_SQPOLL : IORING_SETUP_COOP_TASKRUN);
	p.cq_entries = cq_entries;
	if (sqpoll)
		p.sq_thread_idle = 1000;
	r->fd = (int)syscall(__NR_io_uring_setup, entries, &p);
	if (r->fd < 0)
		return -errno;
	r->flags = p.flags;

	sq_sz = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	cq_sz = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if (p.features & IORING_FEAT_SINGLE_MMAP)
		sq_sz = cq_sz = sq_sz > cq_sz ? sq_sz : cq_sz;
	sq = mmap(NULL, sq_sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		  r->fd, IORING_OFF_SQ_RING);
	if (sq == MAP_FAILED)
		return -errno;
	cq = sq;
	if (!(p.features & IORING_FEAT_SINGLE_MMAP)) {
		cq = mmap(NULL, cq_sz, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_CQ_RING);
		if (cq == MAP_FAILED)
			return -errno;
	}
	r->sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe),
		       PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
		       IORING_OFF_SQES);
	if (r->sqes == MAP_FAILED)
		return -errno;

	r->sq_head = (unsigned *)((char *)sq + p.sq_off.head);
	r->sq_tail = (unsigned *)((char *)sq + p.sq_off.tail);
	r->sq_flags = (unsigned *)((char *)sq + p.sq_off.flags);
	r->sq_array = (unsigned *)((char *)sq + p.sq_off.array);
	r->sq_mask = *(unsigned *)((char *)sq + p.sq_off.ring_mask);
	r->sq_entries = *(unsigned *)((char *)sq + p.sq_off.ring_entries);
	r->sq_tail_local = *r->sq_tail;
	/* Identity SQ array, written once: slot i is always entry i. */
	for (unsigned i = 0; i < r->sq_entries; i++)
		r->sq_array[i] = i;
	r->cq_head = (unsigned *)((char *)cq + p.cq_off.head);
	r->cq_tail = (unsigned *)((char *)cq + p.cq_off.tail);
	r->cq_mask = *(unsigned *)((char *)cq + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)((char *)cq + p.cq_off.cqes);

	/*
	 * Ring.open() enters through a registered ring index (5.18): so does
	 * this reference, else each enter costs it an fd lookup the JS side
	 * does not pay.
	 */
	struct io_uring_rsrc_update up = { .offset = -1U, .data = (uint64_t)r->fd };

	r->enter_fd = r->fd;
	r->enter_flags = 0;
	if (syscall(__NR_io_uring_register, r->fd, IORING_REGISTER_RING_FDS, &up, 1) == 1) {
		r->enter_fd = (int)up.offset;
		r->enter_flags = IORING_ENTER_REGISTERED_RING;
	}
	return 0;
}

/*
 * Next free SQE, zeroed (the one place an SQE is zeroed). Without SQPOLL
 * every enter submits the whole SQ (SUBMIT_ALL) and main() checks that the
 * loops never prepare more than the SQ holds between two enters, so a full
 * SQ is a bug. With SQPOLL the kernel thread consumes the SQ on its own
 * schedule: wait for room (IORING_ENTER_SQ_WAIT).
 */
static struct io_uring_sqe *get_sqe(struct ring *r)
{
	struct io_uring_sqe *sqe;

	/* Pairs with the kernel's release of sq.head as it consumes SQEs. */
	while (r->sq_tail_local - io_uring_smp_load_acquire(r->sq_head) >= r->sq_entries) {
		if (!(r->flags & IORING_SETUP_SQPOLL))
			fail("SQ full (a bug in the loop's accounting)");
		io_uring_smp_store_release(r->sq_tail, r->sq_tail_local);
		syscall(__NR_io_uring_enter, r->enter_fd, 0, 0, IORING_ENTER_SQ_WAIT | r->enter_flags, NULL, (size_t)0);
	}
	sqe = &r->sqes[r->sq_tail_local++ & r->sq_mask];
	memset(sqe, 0, sizeof(*sqe));
	return sqe;
}

static int enter(struct ring *r, unsigned to_submit, unsigned min_complete)
{
	unsigned flags = IORING_ENTER_GETEVENTS | r->enter_flags;
	long ret;

	/* Pairs with the kernel's acquire of sq.tail. */
	io_uring_smp_store_release(r->sq_tail, r->sq_tail_local);
	if (r->flags & IORING_SETUP_SQPOLL) {
		/* Order the tail store before the NEED_WAKEUP check. */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (__atomic_load_n(r->sq_flags, __ATOMIC_RELAXED) & IORING_SQ_NEED_WAKEUP)
			flags |= IORING_ENTER_SQ_WAKEUP;
	}
	do
		ret = syscall(__NR_io_uring_enter, r->enter_fd, to_submit, min_complete,
			      flags, NULL, (size_t)0);
	while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : (int)ret;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* User and system CPU time of the whole process so far, in microseconds. */
struct cpu {
	double user_us, sys_us;
};

static struct cpu cpu_now(void)
{
	struct rusage ru;
	struct cpu c;

	getrusage(RUSAGE_SELF, &ru);
	c.user_us = ru.ru_utime.tv_sec * 1e6 + ru.ru_utime.tv_usec;
	c.sys_us = ru.ru_stime.tv_sec * 1e6 + ru.ru_stime.tv_usec;
	return c;
}

/*
 * Marsaglia xorshift64 (13, 7, 17); each draw steps first and returns the
 * new state. Offsets: state seeded 42, offset = (draw % (size / bs)) * bs.
 * mixed: a second generator seeded 7 decides each op, a read when
 * draw % 100 < --read-pct. bench/shim-common.ts draws the same sequences
 * (`--print-plan` in both prints them for the test).
 */
#define OFFSET_SEED 42u
#define MIX_SEED 7u

static uint64_t xorshift64(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/*
 * The bench file's pattern (bench/pattern.mjs writes it and documents it):
 * 8-byte words, two little-endian uint32s each. The word at the start of
 * every 512-byte sector s is (s's low 32 bits, PATTERN_MAGIC ^ s's high 32
 * bits); every other word at offset o is (o % 512, ~PATTERN_MAGIC). A block
 * read from the wrong offset, into the wrong buffer, or not read at all
 * does not match; and a write buffer becomes the pattern for a new offset
 * by rewriting only its sector headers (stamp_headers: bs / 512 words, not
 * bs / 8), so writes keep a file the pattern at no real cost.
 * (Little-endian hosts: x86-64 and arm64.)
 */
#define PATTERN_MAGIC 0x9e3779b9u
#define SECTOR 512u

static void pattern_word(uint64_t o, uint32_t w[2])
{
	if (o % SECTOR == 0) {
		w[0] = (uint32_t)o;
		w[1] = PATTERN_MAGIC ^ (uint32_t)(o >> 32);
	} else {
		w[0] = (uint32_t)(o % SECTOR);
		w[1] = ~PATTERN_MAGIC;
	}
}

static void fill_pattern(unsigned char *buf, uint64_t len, uint64_t off)
{
	for (uint64_t k = 0; k + 8 <= len; k += 8) {
		uint32_t w[2];

		pattern_word(off + k, w);
		memcpy(buf + k, w, 8);
	}
}

/* Makes a buffer holding the pattern (for any offset) the pattern for off (a multiple of SECTOR). */
static inline void stamp_headers(unsigned char *buf, uint64_t len, uint64_t off)
{
	for (uint64_t k = 0; k < len; k += SECTOR) {
		uint32_t w[2] = { (uint32_t)(off + k), PATTERN_MAGIC ^ (uint32_t)((off + k) >> 32) };

		memcpy(buf + k, w, 8);
	}
}

static int check_pattern(const unsigned char *buf, uint64_t len, uint64_t off, uint64_t *bad_at)
{
	for (uint64_t k = 0; k + 8 <= len; k += 8) {
		uint32_t w[2], want[2];

		memcpy(w, buf + k, 8);
		pattern_word(off + k, want);
		if (w[0] != want[0] || w[1] != want[1]) {
			*bad_at = off + k;
			return -1;
		}
	}
	return 0;
}

/* Whether path holds the pattern in its first and last 4 KiB (bench/pattern.mjs holdsPattern). */
static int holds_pattern(const char *path)
{
	unsigned char buf[4096];
	struct stat st;
	uint64_t bad, offs[2];
	int ok = 1, fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (fstat(fd, &st) < 0 || st.st_size < 4096) {
		close(fd);
		return 0;
	}
	offs[0] = 0;
	offs[1] = (uint64_t)st.st_size / 4096 * 4096 - 4096;
	for (int i = 0; i < 2 && ok; i++)
		ok = pread(fd, buf, sizeof(buf), (off_t)offs[i]) == (ssize_t)sizeof(buf) &&
		     check_pattern(buf, sizeof(buf), offs[i], &bad) == 0;
	close(fd);
	return ok;
}

/*
 * Latency histogram, log-linear (HDR-style): one bucket per ns below 256
 * ns, then 128 buckets per power of two, so a bucket is at most 1/128 of
 * its values wide and its middle is within 0.4% of any value in it.
 * Values are clamped at 2^40 - 1 ns (18 minutes). bench/histogram.ts is
 * the same code; `ref-bench --hist-index V...` prints index and middle for
 * the test to compare.
 */
#define HIST_LINEAR 256u
#define HIST_SUB_BITS 7
#define HIST_MAX_NS ((1ull << 40) - 1)
#define HIST_BUCKETS ((32u << HIST_SUB_BITS) + HIST_LINEAR)

static inline unsigned hist_index(uint64_t v)
{
	unsigned shift;

	if (v > HIST_MAX_NS)
		v = HIST_MAX_NS;
	if (v < HIST_LINEAR)
		return (unsigned)v;
	shift = (unsigned)(63 - __builtin_clzll(v)) - HIST_SUB_BITS;
	return (shift << HIST_SUB_BITS) + (unsigned)(v >> shift);
}

/* The middle of bucket idx (its lowest value plus half its width, rounded down). */
static uint64_t hist_value(unsigned idx)
{
	unsigned shift;

	if (idx < HIST_LINEAR)
		return idx;
	shift = (idx >> HIST_SUB_BITS) - 1;
	return ((uint64_t)(idx - (shift << HIST_SUB_BITS)) << shift) + ((1ull << shift) >> 1);
}

/* The value at rank ceil(q × total) (at least 1) of the samples. */
static uint64_t hist_percentile(const uint64_t *hist, uint64_t total, double q)
{
	double x = q * (double)total;
	uint64_t want = (uint64_t)x, seen = 0;

	if ((double)want < x) /* ceil, without libm */
		want++;
	if (want < 1)
		want = 1;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += hist[i];
		if (seen >= want)
			return hist_value(i);
	}
	return hist_value(HIST_BUCKETS - 1);
}

static unsigned long parse_num(const char *opt, const char *v)
{
	char *end;
	unsigned long n;

	if (!v) {
		fprintf(stderr, "ref-bench: %s needs a value\n", opt);
		exit(2);
	}
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || *end || end == v || *v == '-') {
		fprintf(stderr, "ref-bench: bad value for %s: %s\n", opt, v);
		exit(2);
	}
	return n;
}

/*
 * AnonHugePages (kB) of the mappings overlapping [p, p + len) from
 * /proc/self/smaps: how much of the buffer transparent huge pages really
 * back. -1 when smaps is unreadable.
 */
static long thp_kb(const void *p, size_t len)
{
	uintptr_t lo = (uintptr_t)p, hi = lo + len;
	char line[512];
	long kb = 0;
	int inside = 0;
	FILE *f = fopen("/proc/self/smaps", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long start, end, v;

		if (sscanf(line, "%lx-%lx ", &start, &end) == 2 && strchr(line, '-') < strchr(line, ' '))
			inside = start < hi && end > lo;
		else if (inside && sscanf(line, "AnonHugePages: %lu kB", &v) == 1)
			kb += (long)v;
	}
	fclose(f);
	return kb;
}

/* An anonymous mapping of len bytes at a multiple of align (a power of two >= the page size). */
static void *map_aligned(size_t len, size_t align)
{
	size_t slack = align > 4096 ? align - 4096 : 0;
	unsigned char *m = mmap(NULL, len + slack, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t p, start;

	if (m == MAP_FAILED || !slack)
		return m;
	p = (uintptr_t)m;
	start = (p + align - 1) & ~(uintptr_t)(align - 1);
	if (start > p)
		munmap(m, start - p);
	if (p + slack > start)
		munmap((void *)(start + len), p + slack - start);
	return (void *)start;
}

enum workload { W_NOP, W_RANDREAD, W_SEQREAD, W_RANDWRITE, W_SEQWRITE, W_MIXED };
static const char *const workload_names[] = { "nop", "randread", "seqread", "randwrite", "seqwrite", "mixed" };

struct cfg {
	enum workload w;
	int direct, sqpoll, fixed, files, huge, latency, verify, submit_each;
	unsigned long batch, qd, bs, duration_ms, warmup_ms, entries, fsync_every, read_pct;
	const char *file;
};

/*
 * --latency samples every LATENCY_SAMPLE_EVERYth request of a page-cache
 * run (two clock reads per sample would otherwise be a visible share of a
 * ~1 µs request, and a JS runtime's clock costs 2-4x C's), every request
 * of an O_DIRECT run.
 */
#define LATENCY_SAMPLE_EVERY 8

/* user_data of an fsync; data requests carry their buffer index (< qd). */
#define FSYNC_UD 0xffffffffull

/* The state of one I/O run (run_io). */
struct io {
	const struct cfg *c;
	struct ring *r;
	int fd;
	int seq, has_reads, has_writes, stamp;
	unsigned char *bufs;
	uint64_t nblocks, rng, mix_rng, seq_next;
	uint64_t *last_off;
	unsigned char *last_write;
	/* Requests prepared since the last enter; fsyncs submitted and not completed. */
	unsigned pending, fsyncs_inflight;
	/*
	 * --latency: sampled requests not yet stamped (unsub), and stamped but
	 * not completed; t_sub[idx] is 0 unless idx's request is sampled.
	 */
	unsigned nunsub, sampled_inflight, lat_every;
	uint64_t issued;
	uint64_t *t_sub;
	unsigned *unsub;
	uint64_t *hist;
	uint64_t samples, ops, reads, writes, writes_issued, fsyncs;
};

/* Stamps the sampled requests about to be submitted with the time now. */
static void stamp_sampled(struct io *s)
{
	if (!s->nunsub)
		return;
	uint64_t t = now_ns();

	for (unsigned k = 0; k < s->nunsub; k++)
		s->t_sub[s->unsub[k]] = t;
	s->sampled_inflight += s->nunsub;
	s->nunsub = 0;
}

/*
 * The next request of buffer idx: a read or a write (mixed: the mix
 * generator decides), at the next offset (seq: bs after the previous one,
 * wrapping at the end of the file; else xorshift64). A write's buffer gets
 * the sector headers of its offset first (see stamp_headers).
 *
 * --fsync-every N: after every Nth write, an IORING_OP_FSYNC with
 * IOSQE_IO_DRAIN. DRAIN because fsync(2) covers only writes that have
 * completed when it starts, and io_uring runs requests concurrently: a plain
 * FSYNC could start before the writes it is meant to cover. DRAIN makes it
 * start only once everything submitted before it has completed, and holds
 * everything submitted after it until it has completed: the write barrier
 * of a database commit, with the queue emptying at each fsync. A link
 * (IOSQE_IO_LINK) orders the fsync after one write only, and linking all N
 * writes would run them one at a time. (fio's io_uring engine queues its
 * fsync=N as a plain FSYNC, unordered; its numbers are not comparable.)
 */
static void io_issue(struct io *s, unsigned idx)
{
	const struct cfg *c = s->c;
	uint64_t off = s->seq ? (s->seq_next++ % s->nblocks) * c->bs : (xorshift64(&s->rng) % s->nblocks) * c->bs;
	int write = c->w == W_MIXED ? xorshift64(&s->mix_rng) % 100 >= c->read_pct : s->has_writes;
	unsigned char *buf = s->bufs + (size_t)idx * c->bs;
	struct io_uring_sqe *sqe;

	s->last_off[idx] = off;
	s->last_write[idx] = (unsigned char)write;
	if (write && s->stamp)
		stamp_headers(buf, c->bs, off);
	sqe = get_sqe(s->r);
	/* *_FIXED: addr lies inside registered buffer buf_index 0 (the whole area). */
	sqe->opcode = write ? (c->fixed ? IORING_OP_WRITE_FIXED : IORING_OP_WRITE)
			    : (c->fixed ? IORING_OP_READ_FIXED : IORING_OP_READ);
	if (c->files) {
		sqe->flags = IOSQE_FIXED_FILE;
		sqe->fd = 0; /* slot 0 of the registered file table */
	} else {
		sqe->fd = s->fd;
	}
	sqe->addr = (uint64_t)(uintptr_t)buf;
	sqe->len = (unsigned)c->bs;
	sqe->off = off;
	sqe->user_data = idx;
	s->pending++;
	if (c->latency && ++s->issued % s->lat_every == 0)
		s->unsub[s->nunsub++] = idx;
	if (write && c->fsync_every && ++s->writes_issued % c->fsync_every == 0) {
		sqe = get_sqe(s->r);
		sqe->opcode = IORING_OP_FSYNC;
		sqe->flags = IOSQE_IO_DRAIN | (c->files ? IOSQE_FIXED_FILE : 0);
		sqe->fd = c->files ? 0 : s->fd;
		sqe->user_data = FSYNC_UD;
		s->pending++;
		s->fsyncs_inflight++;
	}
	/*
	 * fio's way (iodepth_batch_submit=1): the device sees each request at
	 * once instead of at the loop's next enter. On this kind of VM's virtio
	 * disk that is worth ~20% IOPS at QD 32 for ~40% more CPU per request.
	 */
	if (c->submit_each) {
		int err;

		stamp_sampled(s);
		err = enter(s->r, s->pending, 0);

		if (err < 0)
			die("io_uring_enter", -err);
		s->pending -= (unsigned)err;
	}
}

static void check_res(const struct io *s, const struct io_uring_cqe *cqe)
{
	if (cqe->user_data == FSYNC_UD) {
		if (cqe->res < 0)
			die("fsync", -cqe->res);
		return;
	}
	if (cqe->res != (int)s->c->bs) {
		fprintf(stderr, "ref-bench: %s res %d (want %lu)%s%s\n",
			s->last_write[cqe->user_data] ? "write" : "read", cqe->res, s->c->bs,
			cqe->res < 0 ? ": " : "", cqe->res < 0 ? strerror(-cqe->res) : "");
		exit(1);
	}
}

/*
 * The I/O loop, for ms milliseconds (clock read once per iteration):
 * repeat { enter(pending, batch, GETEVENTS); for each CQE check res and at
 * once prepare the next request of the same buffer (io_issue); advance
 * cq.head once } until the time has passed. Every buffer always has one
 * request in flight (qd in all), plus the fsyncs.
 *
 * --latency: one clock read before an enter stamps the sampled requests it
 * submits (see LATENCY_SAMPLE_EVERY; with --submit-each, before each
 * request's own enter), one after the waiting enter returns, when a
 * sampled request is in flight, is the completion time of every sampled
 * CQE reaped then (the histogram above). Returns the seconds it ran.
 */
static double io_loop(struct io *s, unsigned long ms)
{
	const struct cfg *c = s->c;
	struct ring *r = s->r;
	double t0 = now_s(), end = t0 + ms / 1000.0, t1;
	int err;

	do {
		uint64_t t_done = 0;

		stamp_sampled(s);
		err = enter(r, s->pending, (unsigned)c->batch);
		if (err < 0)
			die("io_uring_enter", -err);
		s->pending -= (unsigned)err;
		if (s->sampled_inflight)
			t_done = now_ns();
		unsigned head = *r->cq_head;
		/* Pairs with the kernel's release of cq.tail. */
		unsigned tail = io_uring_smp_load_acquire(r->cq_tail);
		for (; head != tail; head++) {
			struct io_uring_cqe *cqe = &r->cqes[head & r->cq_mask];
			uint64_t idx = cqe->user_data;

			check_res(s, cqe);
			if (idx == FSYNC_UD) {
				s->fsyncs++;
				s->fsyncs_inflight--;
				continue;
			}
			s->ops++;
			if (s->last_write[idx])
				s->writes++;
			else
				s->reads++;
			if (s->t_sub && s->t_sub[idx]) {
				s->hist[hist_index(t_done - s->t_sub[idx])]++;
				s->samples++;
				s->t_sub[idx] = 0;
				s->sampled_inflight--;
			}
			io_issue(s, (unsigned)idx);
		}
		/* Pairs with the kernel's read of cq.head for free slots. */
		io_uring_smp_store_release(r->cq_head, head);
		t1 = now_s();
	} while (t1 < end);
	return t1 - t0;
}

/* The per-run tables: freed so a valgrind run's leak check sees nothing lost. */
static void io_free(struct io *s)
{
	free(s->last_off);
	free(s->last_write);
	free(s->hist);
	free(s->t_sub);
	free(s->unsub);
}

/*
 * Setup (files, buffers, registrations), an untimed warm-up of --warmup-ms
 * if given, the timed loop, then a drain (every request prepared so far
 * completes, nothing new is prepared) and the data check:
 *  - a buffer whose last request was a read must hold the pattern at its
 *    offset, when the file holds the pattern (holds_pattern) or --verify
 *    asks (then a file that does not is an error);
 *  - the block at a write's offset is read back (pread) and must hold the
 *    pattern: every write carries it (stamp_headers).
 * "verified" is true when every kind of request of the workload was
 * checked (and all matched: a mismatch is an error), else null.
 * CPU time (getrusage, user and sys) covers the timed loop only.
 */
static int run_io(struct ring *r, const struct cfg *c)
{
	struct io s;
	struct stat st;
	size_t buf_sz = (c->qd * c->bs + 4095) & ~(size_t)4095;
	uint64_t verified_bufs = 0;
	struct cpu cpu0, cpu1;
	double secs;
	long thp;
	int err, check_reads, check_writes, verified;
	int fd;

	memset(&s, 0, sizeof(s));
	s.c = c;
	s.r = r;
	s.seq = c->w == W_SEQREAD || c->w == W_SEQWRITE;
	s.has_reads = c->w == W_RANDREAD || c->w == W_SEQREAD || c->w == W_MIXED;
	s.has_writes = c->w == W_RANDWRITE || c->w == W_SEQWRITE || c->w == W_MIXED;
	s.stamp = c->bs % SECTOR == 0;
	s.rng = OFFSET_SEED;
	s.mix_rng = MIX_SEED;

	check_reads = s.has_reads && s.stamp && (c->verify || holds_pattern(c->file));
	check_writes = s.has_writes && s.stamp;
	fd = open(c->file, (s.has_writes ? O_RDWR : O_RDONLY) | O_CLOEXEC | (c->direct ? O_DIRECT : 0));
	if (fd < 0)
		die(c->file, errno);
	s.fd = fd;
	if (fstat(fd, &st) < 0)
		die("fstat", errno);
	if ((uint64_t)st.st_size < c->bs) {
		fprintf(stderr, "ref-bench: %s is smaller than bs\n", c->file);
		return 1;
	}
	s.nblocks = (uint64_t)st.st_size / c->bs;

	if (c->huge) {
		/* A huge page needs a whole 2 MiB-aligned range: align the area. */
		s.bufs = map_aligned(buf_sz, 2u << 20);
		if (s.bufs == MAP_FAILED)
			die("mmap buffers", errno);
		/* Fails only without THP: then 4 KiB pages, as thpKb will say. */
		madvise(s.bufs, buf_sz, MADV_HUGEPAGE);
	} else {
		s.bufs = mmap(NULL, buf_sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (s.bufs == MAP_FAILED)
			die("mmap buffers", errno);
		madvise(s.bufs, buf_sz, MADV_NOHUGEPAGE); /* fails only without THP */
	}
	/* Populate, after the advice: ones (never the pattern) for reads; the pattern's body for writes. */
	memset(s.bufs, 1, buf_sz);
	if (s.has_writes && s.stamp)
		for (unsigned long i = 0; i < c->qd; i++)
			fill_pattern(s.bufs + i * c->bs, c->bs, 0);

	if (c->fixed) {
		struct iovec iov = { .iov_base = s.bufs, .iov_len = buf_sz };

		if (syscall(__NR_io_uring_register, r->fd, IORING_REGISTER_BUFFERS, &iov, 1) < 0)
			die("io_uring_register(BUFFERS)", errno);
	}
	if (c->files) {
		int fds[1] = { fd };

		if (syscall(__NR_io_uring_register, r->fd, IORING_REGISTER_FILES, fds, 1) < 0)
			die("io_uring_register(FILES)", errno);
	}
	s.last_off = calloc(c->qd, sizeof(*s.last_off));
	s.last_write = calloc(c->qd, 1);
	s.hist = calloc(HIST_BUCKETS, sizeof(*s.hist));
	if (c->latency) {
		s.lat_every = c->direct ? 1 : LATENCY_SAMPLE_EVERY;
		s.t_sub = calloc(c->qd, sizeof(*s.t_sub));
		s.unsub = calloc(c->qd, sizeof(*s.unsub));
	}
	if (!s.last_off || !s.last_write || !s.hist || (c->latency && (!s.t_sub || !s.unsub)))
		die("calloc", ENOMEM);

	for (unsigned long i = 0; i < c->qd; i++)
		io_issue(&s, (unsigned)i);
	if (c->warmup_ms > 0) {
		io_loop(&s, c->warmup_ms);
		s.ops = s.reads = s.writes = s.fsyncs = s.samples = 0;
		memset(s.hist, 0, HIST_BUCKETS * sizeof(*s.hist));
	}
	cpu0 = cpu_now();
	secs = io_loop(&s, c->duration_ms);
	cpu1 = cpu_now();

	/* Drain: the qd data requests and the fsyncs in flight complete; nothing new is prepared. */
	for (unsigned inflight = (unsigned)c->qd + s.fsyncs_inflight; inflight > 0;) {
		err = enter(r, s.pending, 1);
		if (err < 0)
			die("io_uring_enter", -err);
		s.pending -= (unsigned)err;
		unsigned head = *r->cq_head;
		unsigned tail = io_uring_smp_load_acquire(r->cq_tail);
		for (; head != tail; head++) {
			check_res(&s, &r->cqes[head & r->cq_mask]);
			inflight--;
		}
		io_uring_smp_store_release(r->cq_head, head);
	}
	for (unsigned long i = 0; i < c->qd; i++) {
		unsigned char *buf = s.bufs + i * c->bs;
		uint64_t bad;

		if (s.last_write[i] ? !check_writes : !check_reads)
			continue;
		if (s.last_write[i] && pread(fd, buf, c->bs, (off_t)s.last_off[i]) != (ssize_t)c->bs)
			die("pread (reading a write back)", errno ? errno : EIO);
		if (check_pattern(buf, c->bs, s.last_off[i], &bad) < 0) {
			fprintf(stderr, "ref-bench: verify: buffer %lu (%s offset %" PRIu64
				") does not hold the bench pattern at file offset %" PRIu64 "\n",
				i, s.last_write[i] ? "written at" : "read from", s.last_off[i], bad);
			io_free(&s);
			return 1;
		}
		verified_bufs++;
	}
	verified = (!s.has_reads || check_reads) && (!s.has_writes || check_writes) && verified_bufs > 0;
	thp = thp_kb(s.bufs, buf_sz);

	printf("{\"impl\":\"c\",\"runtime\":\"c\",\"workload\":\"%s\",\"bs\":%lu,\"qd\":%lu,\"batch\":%lu,"
	       "\"direct\":%s,\"fixed\":%s,\"files\":%s,\"sqpoll\":%s,\"submitEach\":%s,\"huge\":%s,"
	       "\"ops\":%" PRIu64 ",\"seconds\":%.6f,\"bytes\":%" PRIu64 ",\"cpuUserUs\":%.0f,\"cpuSysUs\":%.0f,",
	       workload_names[c->w], c->bs, c->qd, c->batch, c->direct ? "true" : "false",
	       c->fixed ? "true" : "false", c->files ? "true" : "false", c->sqpoll ? "true" : "false",
	       c->submit_each ? "true" : "false", c->huge ? "true" : "false", s.ops, secs, s.ops * c->bs, cpu1.user_us - cpu0.user_us,
	       cpu1.sys_us - cpu0.sys_us);
	if (c->latency && s.samples)
		printf("\"latency\":{\"p50Ns\":%" PRIu64 ",\"p99Ns\":%" PRIu64 ",\"p999Ns\":%" PRIu64
		       ",\"samples\":%" PRIu64 "},\"latencySamples\":%" PRIu64 ",\"p50Us\":%.1f,\"p99Us\":%.1f,",
		       hist_percentile(s.hist, s.samples, 0.50), hist_percentile(s.hist, s.samples, 0.99),
		       hist_percentile(s.hist, s.samples, 0.999), s.samples, s.samples,
		       hist_percentile(s.hist, s.samples, 0.50) / 1000.0,
		       hist_percentile(s.hist, s.samples, 0.99) / 1000.0);
	else
		printf("\"latency\":null,");
	printf("\"verified\":%s,\"verifiedBuffers\":%" PRIu64 ",\"mode\":\"mmap\",\"opsPerSec\":%.1f,"
	       "\"cpuUsPerOp\":%.3f,\"thpKb\":%ld,\"reads\":%" PRIu64 ",\"writes\":%" PRIu64
	       ",\"fsyncs\":%" PRIu64 ",\"fsyncEvery\":%lu,\"readPct\":%lu,\"inFlight\":%lu}\n",
	       verified ? "true" : "null", verified_bufs, secs > 0 ? s.ops / secs : 0.0,
	       s.ops ? (cpu1.user_us - cpu0.user_us + cpu1.sys_us - cpu0.sys_us) / (double)s.ops : 0.0,
	       thp, s.reads, s.writes, s.fsyncs, c->fsync_every,
	       c->w == W_MIXED ? c->read_pct : (s.has_reads ? 100ul : 0ul), c->qd);
	io_free(&s);
	close(fd);
	return 0;
}

/*
 * nop: repeat { prep `batch` NOPs; enter(batch, batch, GETEVENTS); reap
 * all available CQEs (res must be 0); advance cq.head once } until ms have
 * passed. The clock is read once per nop_clock_every(batch) iterations
 * (about 256 NOPs): it is not what is measured, and a JS runtime's clock
 * costs several times C's vDSO call. Returns the seconds it ran.
 */
static unsigned long nop_clock_every(unsigned long batch)
{
	return batch >= 256 ? 1 : 256 / batch;
}

static double nop_loop(struct ring *r, unsigned long batch, unsigned long ms, uint64_t *ops)
{
	double t0 = now_s(), end = t0 + ms / 1000.0, t1 = t0;
	unsigned long every = nop_clock_every(batch), it = 0;
	int err;

	do {
		for (unsigned long i = 0; i < batch; i++) {
			struct io_uring_sqe *sqe = get_sqe(r);

			sqe->opcode = IORING_OP_NOP;
			sqe->user_data = *ops + i;
		}
		err = enter(r, (unsigned)batch, (unsigned)batch);
		if (err < 0)
			die("io_uring_enter", -err);
		unsigned head = *r->cq_head;
		/* Pairs with the kernel's release of cq.tail. */
		unsigned tail = io_uring_smp_load_acquire(r->cq_tail);
		for (; head != tail; head++) {
			struct io_uring_cqe *cqe = &r->cqes[head & r->cq_mask];

			if (cqe->res != 0) {
				fprintf(stderr, "ref-bench: nop res %d\n", cqe->res);
				exit(1);
			}
			(*ops)++;
		}
		/* Pairs with the kernel's read of cq.head for free slots. */
		io_uring_smp_store_release(r->cq_head, head);
		if (++it % every == 0)
			t1 = now_s();
	} while (t1 < end);
	return t1 - t0;
}

static int run_nop(struct ring *r, const struct cfg *c)
{
	uint64_t ops = 0;
	struct cpu cpu0, cpu1;
	double secs;

	if (c->warmup_ms > 0)
		nop_loop(r, c->batch, c->warmup_ms, &ops);
	ops = 0;
	cpu0 = cpu_now();
	secs = nop_loop(r, c->batch, c->duration_ms, &ops);
	cpu1 = cpu_now();
	printf("{\"impl\":\"c\",\"runtime\":\"c\",\"workload\":\"nop\",\"bs\":0,\"qd\":0,\"batch\":%lu,"
	       "\"direct\":false,\"fixed\":false,\"files\":false,\"sqpoll\":%s,\"submitEach\":false,\"huge\":false,"
	       "\"ops\":%" PRIu64 ",\"seconds\":%.6f,\"bytes\":0,\"cpuUserUs\":%.0f,\"cpuSysUs\":%.0f,"
	       "\"latency\":null,\"verified\":null,\"mode\":\"mmap\",\"opsPerSec\":%.1f,\"cpuUsPerOp\":%.3f}\n",
	       c->batch, c->sqpoll ? "true" : "false", ops, secs, cpu1.user_us - cpu0.user_us,
	       cpu1.sys_us - cpu0.sys_us, secs > 0 ? ops / secs : 0.0,
	       ops ? (cpu1.user_us - cpu0.user_us + cpu1.sys_us - cpu0.sys_us) / (double)ops : 0.0);
	return 0;
}

/*
 * --print-plan K: the first K requests io_issue would prepare for this
 * workload and file, "r OFFSET" or "w OFFSET" a line, without a ring
 * (bench/shim.ts --print-plan prints the same; the test compares them).
 */
static int print_plan(const struct cfg *c, unsigned long k)
{
	struct stat st;
	uint64_t rng = OFFSET_SEED, mix = MIX_SEED, seq_next = 0, nblocks;
	int seq = c->w == W_SEQREAD || c->w == W_SEQWRITE;
	int writes = c->w == W_RANDWRITE || c->w == W_SEQWRITE;

	if (stat(c->file, &st) < 0)
		die(c->file, errno);
	nblocks = (uint64_t)st.st_size / c->bs;
	if (!nblocks)
		fail("the file is smaller than bs");
	for (unsigned long i = 0; i < k; i++) {
		uint64_t off = seq ? (seq_next++ % nblocks) * c->bs : (xorshift64(&rng) % nblocks) * c->bs;
		int w = c->w == W_MIXED ? xorshift64(&mix) % 100 >= c->read_pct : writes;

		printf("%c %" PRIu64 "\n", w ? 'w' : 'r', off);
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: ref-bench --workload nop|randread|seqread|randwrite|seqwrite|mixed [--batch N] [--qd N]\n"
		"  [--file PATH] [--bs N] [--duration-ms N] [--warmup-ms N] [--entries N] [--direct] [--sqpoll]\n"
		"  [--fixed] [--files] [--huge] [--latency] [--verify] [--fsync-every N] [--read-pct N] [--submit-each]\n"
		"  [--print-plan K] | --hist-index VALUE...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *workload = "nop";
	struct cfg c = {
		.batch = 32, .qd = 32, .bs = 4096, .duration_ms = 2000, .warmup_ms = 0, .entries = 256,
		.read_pct = 50,
	};
	unsigned long plan = 0;
	int have_read_pct = 0, err;
	struct ring r;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = argv[i + 1];

		if (!strcmp(a, "--hist-index")) {
			/* For the test: index and middle of each value's bucket. */
			for (int j = i + 1; j < argc; j++) {
				unsigned idx = hist_index(strtoull(argv[j], NULL, 10));

				printf("%u %" PRIu64 "\n", idx, hist_value(idx));
			}
			return 0;
		}
		if (!strcmp(a, "--workload")) { if (!v) parse_num(a, v); workload = v; i++; }
		else if (!strcmp(a, "--batch")) { c.batch = parse_num(a, v); i++; }
		else if (!strcmp(a, "--qd")) { c.qd = parse_num(a, v); i++; }
		else if (!strcmp(a, "--file")) { if (!v) parse_num(a, v); c.file = v; i++; }
		else if (!strcmp(a, "--bs")) { c.bs = parse_num(a, v); i++; }
		else if (!strcmp(a, "--duration-ms")) { c.duration_ms = parse_num(a, v); i++; }
		else if (!strcmp(a, "--warmup-ms")) { c.warmup_ms = parse_num(a, v); i++; }
		else if (!strcmp(a, "--entries")) { c.entries = parse_num(a, v); i++; }
		else if (!strcmp(a, "--fsync-every")) { c.fsync_every = parse_num(a, v); i++; }
		else if (!strcmp(a, "--read-pct")) { c.read_pct = parse_num(a, v); have_read_pct = 1; i++; }
		else if (!strcmp(a, "--print-plan")) { plan = parse_num(a, v); i++; }
		else if (!strcmp(a, "--direct")) c.direct = 1;
		else if (!strcmp(a, "--sqpoll")) c.sqpoll = 1;
		else if (!strcmp(a, "--fixed")) c.fixed = 1;
		else if (!strcmp(a, "--files")) c.files = 1;
		else if (!strcmp(a, "--huge")) c.huge = 1;
		else if (!strcmp(a, "--latency")) c.latency = 1;
		else if (!strcmp(a, "--verify")) c.verify = 1;
		else if (!strcmp(a, "--submit-each")) c.submit_each = 1;
		else
			usage();
	}
	if (!strcmp(workload, "seq"))
		workload = "seqread"; /* the old name */
	c.w = W_NOP;
	while (c.w <= W_MIXED && strcmp(workload, workload_names[c.w]))
		c.w++;
	if (c.w > W_MIXED) {
		fprintf(stderr, "ref-bench: unknown workload %s\n", workload);
		return 2;
	}
	if (c.w == W_NOP) {
		if (!c.batch || c.batch > c.entries)
			refuse("need 0 < batch <= entries");
		/* --latency is taken and ignored: nop reports "latency": null. */
		if (c.direct || c.fixed || c.files || c.huge || c.verify || c.fsync_every || c.submit_each || plan)
			refuse("--direct, --fixed, --files, --huge, --verify, --fsync-every, --submit-each and --print-plan are for I/O workloads");
	} else {
		/* Between two enters the loop prepares at most qd requests plus one fsync per fsync_every writes. */
		unsigned long room = c.qd + (c.fsync_every ? c.qd / c.fsync_every + 1 : 0);

		if (!c.batch || !c.qd || !c.bs || c.batch > c.qd || room > c.entries)
			refuse("need 0 < batch <= qd, bs > 0, and qd (+ qd / fsync-every + 1) <= entries");
		if (!c.file)
			refuse("I/O workloads need --file");
		if (c.fsync_every && c.w != W_RANDWRITE && c.w != W_SEQWRITE && c.w != W_MIXED)
			refuse("--fsync-every is for workloads that write");
		if (have_read_pct && c.w != W_MIXED)
			refuse("--read-pct is for --workload mixed");
		if (c.read_pct > 100)
			refuse("--read-pct must be 0 to 100");
		if (c.submit_each && c.sqpoll)
			refuse("--submit-each with --sqpoll: the SQ thread submits");
		if (c.verify && c.bs % SECTOR)
			refuse("--verify needs bs a multiple of 512 (the pattern's sector)");
	}
	if (plan)
		return print_plan(&c, plan);

	err = ring_init(&r, (unsigned)c.entries, 2 * (unsigned)c.entries, c.sqpoll);
	if (err)
		die("io_uring_setup/mmap", -err);
	if (r.sq_entries != c.entries)
		refuse("entries must be a power of two");
	return c.w == W_NOP ? run_nop(&r, &c) : run_io(&r, &c);
}
