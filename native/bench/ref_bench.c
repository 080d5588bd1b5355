/*
 * ref-bench: the C throughput reference the JS implementations are measured
 * against. Deliberately self-contained (raw syscalls, its own classic
 * mmap'd ring, no liburingshim) so it measures io_uring, not our library.
 * The JS batch loop mirrors the loops below step for step; keep them in
 * sync (see the workload comments).
 *
 * Two loops do I/O. The randread loop is the original page-cache
 * throughput loop and stays exactly as it is. The instrumented loop
 * (run_io) runs for the seq workload and whenever --fixed, --files, --huge,
 * --latency or --verify is given: registered buffers (IORING_OP_READ_FIXED
 * from one registration of the whole buffer area), registered files
 * (IOSQE_FIXED_FILE), per-request submit-to-completion latency, and a check
 * of the data read against the bench file's pattern (see check_pattern).
 *
 * Output: one JSON line on stdout. Errors: stderr, exit 1.
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
#include <sys/uio.h>
#include <sys/syscall.h>
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

static int ring_init(struct ring *r, unsigned entries, unsigned cq_entries, int sqpoll)
{
	struct io_uring_params p;
	size_t sq_sz, cq_sz;
	void *sq, *cq;

	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL |
		  IORING_SETUP_SINGLE_ISSUER | (sqpoll ? IORING_SETUP_SQPOLL : 0);
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
	return 0;
}

/*
 * Next free SQE. The loops never have more than `entries` in flight
 * (checked in main), so there is always room.
 */
static struct io_uring_sqe *get_sqe(struct ring *r)
{
	struct io_uring_sqe *sqe = &r->sqes[r->sq_tail_local++ & r->sq_mask];

	memset(sqe, 0, sizeof(*sqe));
	return sqe;
}

static int enter(struct ring *r, unsigned to_submit, unsigned min_complete)
{
	unsigned flags = IORING_ENTER_GETEVENTS;
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
		ret = syscall(__NR_io_uring_enter, r->fd, to_submit, min_complete,
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

/* User + system CPU time of the whole process so far, in microseconds. */
static double cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
	       ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

/*
 * Marsaglia xorshift64 (13, 7, 17), state seeded 42; each draw steps first
 * and returns the new state. The JS bench uses the same sequence so both
 * read the same offsets: offset = (draw % (size / bs)) * bs.
 */
static uint64_t xorshift64(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static unsigned long parse_num(const char *opt, const char *v)
{
	char *end;
	unsigned long n;

	if (!v) {
		fprintf(stderr, "ref-bench: %s needs a value\n", opt);
		exit(1);
	}
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || *end || end == v) {
		fprintf(stderr, "ref-bench: bad value for %s: %s\n", opt, v);
		exit(1);
	}
	return n;
}

/*
 * The bench file's pattern (bench/pattern.mjs writes it): the 8-byte word
 * at file offset o (a multiple of 8) is two little-endian uint32s, o's low
 * 32 bits and PATTERN_MAGIC ^ o's high 32 bits. A block read from the wrong
 * offset, or into the wrong buffer, does not match. (Little-endian hosts:
 * x86-64 and arm64.)
 */
#define PATTERN_MAGIC 0x9e3779b9u

static int check_pattern(const unsigned char *buf, uint64_t len, uint64_t off, uint64_t *bad_at)
{
	for (uint64_t k = 0; k + 8 <= len; k += 8) {
		uint32_t w[2];

		memcpy(w, buf + k, 8);
		if (w[0] != (uint32_t)(off + k) || w[1] != (PATTERN_MAGIC ^ (uint32_t)((off + k) >> 32))) {
			*bad_at = off + k;
			return -1;
		}
	}
	return 0;
}

/* Latency histogram: 100 ns buckets up to 100 ms; the last bucket takes the rest. */
#define LAT_BUCKET_NS 100u
#define LAT_BUCKETS 1000000u

/* The latency (µs, bucket middle) below which fraction q of the samples lie. */
static double lat_percentile(const uint32_t *hist, uint64_t total, double q)
{
	uint64_t want = (uint64_t)(q * (double)total), seen = 0;

	if (want < 1)
		want = 1;
	for (unsigned i = 0; i < LAT_BUCKETS; i++) {
		seen += hist[i];
		if (seen >= want)
			return (i + 0.5) * LAT_BUCKET_NS / 1000.0;
	}
	return LAT_BUCKETS * (double)LAT_BUCKET_NS / 1000.0;
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

struct io_cfg {
	int seq, direct, fixed, files, huge, latency, verify;
	unsigned long batch, qd, bs, duration_ms;
	const char *file;
};

static void prep_io(struct ring *r, const struct io_cfg *c, int fd, const unsigned char *buf,
		    uint64_t off, uint64_t idx)
{
	struct io_uring_sqe *sqe = get_sqe(r);

	/* READ_FIXED: addr lies inside registered buffer buf_index (0, the whole area). */
	sqe->opcode = c->fixed ? IORING_OP_READ_FIXED : IORING_OP_READ;
	if (c->files) {
		sqe->flags = IOSQE_FIXED_FILE;
		sqe->fd = 0; /* slot 0 of the registered file table */
	} else {
		sqe->fd = fd;
	}
	sqe->addr = (uint64_t)(uintptr_t)buf;
	sqe->len = (unsigned)c->bs;
	sqe->off = off;
	sqe->buf_index = 0;
	sqe->user_data = idx;
}

/*
 * The instrumented loop: the randread loop's shape (prime qd reads,
 * user_data = buffer index; repeat { enter(pending, batch, GETEVENTS);
 * for each CQE check res and at once prep the next read into the same
 * buffer } until the duration), plus:
 *  - seq: offsets step by bs through the file (wrapping) instead of
 *    xorshift64;
 *  - --fixed: IORING_REGISTER_BUFFERS once with one iovec over the whole
 *    buffer area, reads are READ_FIXED with buf_index 0;
 *  - --files: IORING_REGISTER_FILES [fd], reads use slot 0 + IOSQE_FIXED_FILE;
 *  - --huge: the area is 2 MiB-aligned and madvise(MADV_HUGEPAGE)d before it
 *    is touched (else MADV_NOHUGEPAGE: base pages whatever the THP setting);
 *  - --latency: one clock read before each enter stamps every request it
 *    submits, one after it returns is the completion time of every CQE
 *    reaped then; 100 ns histogram, p50/p99;
 *  - --verify: after the run, in-flight reads are drained and every buffer
 *    is checked against the pattern at the offset last read into it.
 * CPU time (getrusage, user + sys) covers the timed loop only.
 */
static int run_io(struct ring *r, const struct io_cfg *c)
{
	struct stat st;
	uint64_t rng = 42, nblocks, seq_next = 0, ops = 0, lat_total = 0, verified = 0;
	unsigned pending = 0, inflight = 0, nunsub = 0;
	size_t buf_sz = (c->qd * c->bs + 4095) & ~(size_t)4095;
	unsigned char *bufs;
	uint64_t *last_off, *t_sub = NULL;
	unsigned *unsub = NULL;
	uint32_t *hist = NULL;
	double t0, t1, end, cpu0, cpu1;
	long thp;
	int err;
	int fd = open(c->file, O_RDONLY | O_CLOEXEC | (c->direct ? O_DIRECT : 0));

	if (fd < 0)
		die(c->file, errno);
	if (fstat(fd, &st) < 0)
		die("fstat", errno);
	if ((uint64_t)st.st_size < c->bs) {
		fprintf(stderr, "ref-bench: %s is smaller than bs\n", c->file);
		return 1;
	}
	nblocks = (uint64_t)st.st_size / c->bs;

	if (c->huge) {
		/* A huge page needs a whole 2 MiB-aligned range: align the area. */
		bufs = map_aligned(buf_sz, 2u << 20);
		if (bufs == MAP_FAILED)
			die("mmap buffers", errno);
		/* Fails only without THP: then 4 KiB pages, as thpKb will say. */
		madvise(bufs, buf_sz, MADV_HUGEPAGE);
	} else {
		bufs = mmap(NULL, buf_sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (bufs == MAP_FAILED)
			die("mmap buffers", errno);
		madvise(bufs, buf_sz, MADV_NOHUGEPAGE); /* fails only without THP */
	}
	memset(bufs, 1, buf_sz); /* populate, after the advice */

	if (c->fixed) {
		struct iovec iov = { .iov_base = bufs, .iov_len = buf_sz };

		if (syscall(__NR_io_uring_register, r->fd, IORING_REGISTER_BUFFERS, &iov, 1) < 0)
			die("io_uring_register(BUFFERS)", errno);
	}
	if (c->files) {
		int fds[1] = { fd };

		if (syscall(__NR_io_uring_register, r->fd, IORING_REGISTER_FILES, fds, 1) < 0)
			die("io_uring_register(FILES)", errno);
	}
	last_off = calloc(c->qd, sizeof(*last_off));
	if (c->latency) {
		t_sub = calloc(c->qd, sizeof(*t_sub));
		unsub = calloc(c->qd, sizeof(*unsub));
		hist = calloc(LAT_BUCKETS, sizeof(*hist));
	}
	if (!last_off || (c->latency && (!t_sub || !unsub || !hist)))
		die("calloc", ENOMEM);

#define NEXT_OFF() (c->seq ? (seq_next++ % nblocks) * c->bs : (xorshift64(&rng) % nblocks) * c->bs)
	for (unsigned long i = 0; i < c->qd; i++) {
		last_off[i] = NEXT_OFF();
		prep_io(r, c, fd, bufs + i * c->bs, last_off[i], i);
		pending++;
		inflight++;
		if (c->latency)
			unsub[nunsub++] = (unsigned)i;
	}
	cpu0 = cpu_us();
	t0 = now_s();
	end = t0 + c->duration_ms / 1000.0;
	do {
		uint64_t t_done = 0;

		if (c->latency) {
			uint64_t t = now_ns();

			for (unsigned k = 0; k < nunsub; k++)
				t_sub[unsub[k]] = t;
			nunsub = 0;
		}
		err = enter(r, pending, (unsigned)c->batch);
		if (err < 0)
			die("io_uring_enter", -err);
		pending -= (unsigned)err;
		if (c->latency)
			t_done = now_ns();
		unsigned head = *r->cq_head;
		/* Pairs with the kernel's release of cq.tail. */
		unsigned tail = io_uring_smp_load_acquire(r->cq_tail);
		for (; head != tail; head++) {
			struct io_uring_cqe *cqe = &r->cqes[head & r->cq_mask];
			uint64_t idx = cqe->user_data;

			if (cqe->res != (int)c->bs) {
				fprintf(stderr, "ref-bench: read res %d (want %lu)%s%s\n",
					cqe->res, c->bs, cqe->res < 0 ? ": " : "",
					cqe->res < 0 ? strerror(-cqe->res) : "");
				return 1;
			}
			ops++;
			if (c->latency) {
				uint64_t b = (t_done - t_sub[idx]) / LAT_BUCKET_NS;

				hist[b < LAT_BUCKETS ? b : LAT_BUCKETS - 1]++;
				lat_total++;
				unsub[nunsub++] = (unsigned)idx;
			}
			last_off[idx] = NEXT_OFF();
			prep_io(r, c, fd, bufs + idx * c->bs, last_off[idx], idx);
			pending++;
		}
		/* Pairs with the kernel's read of cq.head for free slots. */
		io_uring_smp_store_release(r->cq_head, head);
		t1 = now_s();
	} while (t1 < end);
	cpu1 = cpu_us();
#undef NEXT_OFF

	/* Drain: every read prepared so far completes; nothing new is prepared. */
	while (inflight > 0) {
		err = enter(r, pending, 1);
		if (err < 0)
			die("io_uring_enter", -err);
		pending -= (unsigned)err;
		unsigned head = *r->cq_head;
		unsigned tail = io_uring_smp_load_acquire(r->cq_tail);
		for (; head != tail; head++) {
			if (r->cqes[head & r->cq_mask].res != (int)c->bs) {
				fprintf(stderr, "ref-bench: read res %d while draining\n", r->cqes[head & r->cq_mask].res);
				return 1;
			}
			inflight--;
		}
		io_uring_smp_store_release(r->cq_head, head);
	}
	if (c->verify) {
		for (unsigned long i = 0; i < c->qd; i++) {
			uint64_t bad;

			if (check_pattern(bufs + i * c->bs, c->bs, last_off[i], &bad) < 0) {
				fprintf(stderr, "ref-bench: verify: buffer %lu (read from offset %" PRIu64
					") does not hold the bench pattern at file offset %" PRIu64 "\n",
					i, last_off[i], bad);
				return 1;
			}
			verified++;
		}
	}
	thp = thp_kb(bufs, buf_sz);

	double secs = t1 - t0;
	printf("{\"impl\":\"c\",\"workload\":\"%s\",\"batch\":%lu,\"qd\":%lu,\"bs\":%lu,"
	       "\"ops\":%" PRIu64 ",\"seconds\":%.6f,\"opsPerSec\":%.1f,"
	       "\"direct\":%s,\"fixed\":%s,\"files\":%s,\"huge\":%s,\"thpKb\":%ld,"
	       "\"cpuUsPerOp\":%.3f,\"verified\":%" PRIu64,
	       c->seq ? "seq" : "randread", c->batch, c->qd, c->bs, ops, secs,
	       secs > 0 ? ops / secs : 0.0, c->direct ? "true" : "false",
	       c->fixed ? "true" : "false", c->files ? "true" : "false",
	       c->huge ? "true" : "false", thp, ops ? (cpu1 - cpu0) / (double)ops : 0.0,
	       verified);
	if (c->latency && lat_total)
		printf(",\"latencySamples\":%" PRIu64 ",\"p50Us\":%.1f,\"p99Us\":%.1f", lat_total,
		       lat_percentile(hist, lat_total, 0.50), lat_percentile(hist, lat_total, 0.99));
	printf("}\n");
	return 0;
}

int main(int argc, char **argv)
{
	const char *workload = "nop", *file = NULL;
	unsigned long batch = 32, qd = 32, bs = 4096, duration_ms = 2000, entries = 256;
	int direct = 0, sqpoll = 0, fixed = 0, files = 0, huge = 0, latency = 0, verify = 0;
	int nop, seq, err;
	uint64_t ops = 0;
	struct ring r;
	double t0, t1, end;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = argv[i + 1];

		if (!strcmp(a, "--workload")) { if (!v) parse_num(a, v); workload = v; i++; }
		else if (!strcmp(a, "--batch")) { batch = parse_num(a, v); i++; }
		else if (!strcmp(a, "--qd")) { qd = parse_num(a, v); i++; }
		else if (!strcmp(a, "--file")) { if (!v) parse_num(a, v); file = v; i++; }
		else if (!strcmp(a, "--bs")) { bs = parse_num(a, v); i++; }
		else if (!strcmp(a, "--duration-ms")) { duration_ms = parse_num(a, v); i++; }
		else if (!strcmp(a, "--entries")) { entries = parse_num(a, v); i++; }
		else if (!strcmp(a, "--direct")) direct = 1;
		else if (!strcmp(a, "--sqpoll")) sqpoll = 1;
		else if (!strcmp(a, "--fixed")) fixed = 1;
		else if (!strcmp(a, "--files")) files = 1;
		else if (!strcmp(a, "--huge")) huge = 1;
		else if (!strcmp(a, "--latency")) latency = 1;
		else if (!strcmp(a, "--verify")) verify = 1;
		else {
			fprintf(stderr, "usage: ref-bench --workload nop|randread|seq [--batch N] [--qd N]\n"
				"  [--file PATH] [--bs N] [--direct] [--duration-ms N] [--entries N] [--sqpoll]\n"
				"  [--fixed] [--files] [--huge] [--latency] [--verify]\n");
			return 1;
		}
	}
	nop = !strcmp(workload, "nop");
	seq = !strcmp(workload, "seq");
	if (!nop && !seq && strcmp(workload, "randread")) {
		fprintf(stderr, "ref-bench: unknown workload %s\n", workload);
		return 1;
	}
	if (!batch || batch > entries || (!nop && (!qd || qd > entries || batch > qd || !bs))) {
		fprintf(stderr, "ref-bench: need 0 < batch <= entries%s\n",
			nop ? "" : ", 0 < batch <= qd <= entries, bs > 0");
		return 1;
	}
	if (!nop && !file) {
		fprintf(stderr, "ref-bench: %s needs --file\n", workload);
		return 1;
	}
	if (nop && (fixed || files || huge || latency || verify)) {
		fprintf(stderr, "ref-bench: --fixed, --files, --huge, --latency and --verify are for reads\n");
		return 1;
	}

	err = ring_init(&r, (unsigned)entries, 2 * (unsigned)entries, sqpoll);
	if (err)
		die("io_uring_setup/mmap", -err);

	if (seq || fixed || files || huge || latency || verify) {
		struct io_cfg c = {
			.seq = seq, .direct = direct, .fixed = fixed, .files = files, .huge = huge,
			.latency = latency, .verify = verify, .batch = batch, .qd = qd, .bs = bs,
			.duration_ms = duration_ms, .file = file,
		};

		return run_io(&r, &c);
	}

	if (nop) {
		/*
		 * nop: repeat { prep `batch` NOPs; enter(batch, batch, GETEVENTS);
		 * reap all available CQEs (res must be 0); advance cq.head once }
		 * until the duration has passed (clock read every iteration).
		 */
		t0 = now_s();
		end = t0 + duration_ms / 1000.0;
		do {
			for (unsigned long i = 0; i < batch; i++) {
				struct io_uring_sqe *sqe = get_sqe(&r);

				sqe->opcode = IORING_OP_NOP;
				sqe->user_data = ops + i;
			}
			err = enter(&r, (unsigned)batch, (unsigned)batch);
			if (err < 0)
				die("io_uring_enter", -err);
			unsigned head = *r.cq_head;
			/* Pairs with the kernel's release of cq.tail. */
			unsigned tail = io_uring_smp_load_acquire(r.cq_tail);
			for (; head != tail; head++) {
				struct io_uring_cqe *cqe = &r.cqes[head & r.cq_mask];

				if (cqe->res != 0) {
					fprintf(stderr, "ref-bench: nop res %d\n", cqe->res);
					return 1;
				}
				ops++;
			}
			/* Pairs with the kernel's read of cq.head for free slots. */
			io_uring_smp_store_release(r.cq_head, head);
			t1 = now_s();
		} while (t1 < end);
		qd = 0;
		bs = 0;
	} else {
		/*
		 * randread: prime qd reads (user_data = buffer index); repeat {
		 * enter(pending, batch, GETEVENTS); for each available CQE check
		 * res == bs and at once prep a new random read into the same
		 * buffer (pending++); advance cq.head once } until the duration.
		 */
		struct stat st;
		uint64_t rng = 42, nblocks;
		unsigned pending = 0;
		size_t buf_sz = (qd * bs + 4095) & ~(size_t)4095;
		unsigned char *bufs;
		int fd = open(file, O_RDONLY | O_CLOEXEC | (direct ? O_DIRECT : 0));

		if (fd < 0)
			die(file, errno);
		if (fstat(fd, &st) < 0)
			die("fstat", errno);
		if ((uint64_t)st.st_size < bs) {
			fprintf(stderr, "ref-bench: %s is smaller than bs\n", file);
			return 1;
		}
		nblocks = (uint64_t)st.st_size / bs;
		/* mmap: page-aligned, as O_DIRECT needs; bs keeps each one aligned. */
		bufs = mmap(NULL, buf_sz, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (bufs == MAP_FAILED)
			die("mmap buffers", errno);

		for (unsigned long i = 0; i < qd; i++) {
			struct io_uring_sqe *sqe = get_sqe(&r);

			sqe->opcode = IORING_OP_READ;
			sqe->fd = fd;
			sqe->addr = (uint64_t)(uintptr_t)(bufs + i * bs);
			sqe->len = (unsigned)bs;
			sqe->off = (xorshift64(&rng) % nblocks) * bs;
			sqe->user_data = i;
			pending++;
		}
		t0 = now_s();
		end = t0 + duration_ms / 1000.0;
		do {
			err = enter(&r, pending, (unsigned)batch);
			if (err < 0)
				die("io_uring_enter", -err);
			pending -= (unsigned)err;
			unsigned head = *r.cq_head;
			unsigned tail = io_uring_smp_load_acquire(r.cq_tail);
			for (; head != tail; head++) {
				struct io_uring_cqe *cqe = &r.cqes[head & r.cq_mask];
				uint64_t idx = cqe->user_data;
				struct io_uring_sqe *sqe;

				if (cqe->res != (int)bs) {
					fprintf(stderr, "ref-bench: read res %d (want %lu)%s%s\n",
						cqe->res, bs, cqe->res < 0 ? ": " : "",
						cqe->res < 0 ? strerror(-cqe->res) : "");
					return 1;
				}
				ops++;
				sqe = get_sqe(&r);
				sqe->opcode = IORING_OP_READ;
				sqe->fd = fd;
				sqe->addr = (uint64_t)(uintptr_t)(bufs + idx * bs);
				sqe->len = (unsigned)bs;
				sqe->off = (xorshift64(&rng) % nblocks) * bs;
				sqe->user_data = idx;
				pending++;
			}
			io_uring_smp_store_release(r.cq_head, head);
			t1 = now_s();
		} while (t1 < end);
	}

	double secs = t1 - t0;
	printf("{\"impl\":\"c\",\"workload\":\"%s\",\"batch\":%lu,\"qd\":%lu,\"bs\":%lu,"
	       "\"ops\":%" PRIu64 ",\"seconds\":%.6f,\"opsPerSec\":%.1f}\n",
	       workload, batch, qd, bs, ops, secs, secs > 0 ? ops / secs : 0.0);
	return 0;
}
