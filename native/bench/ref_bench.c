/*
 * ref-bench: the C throughput reference the JS implementations are measured
 * against. Deliberately self-contained (raw syscalls, its own classic
 * mmap'd ring, no liburingshim) so it measures io_uring, not our library.
 * The JS batch loop mirrors the two loops below step for step; keep them
 * in sync (see the workload comments).
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
#include <sys/stat.h>
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

int main(int argc, char **argv)
{
	const char *workload = "nop", *file = NULL;
	unsigned long batch = 32, qd = 32, bs = 4096, duration_ms = 2000, entries = 256;
	int direct = 0, sqpoll = 0, nop, err;
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
		else {
			fprintf(stderr, "usage: ref-bench --workload nop|randread [--batch N] [--qd N]\n"
				"  [--file PATH] [--bs N] [--direct] [--duration-ms N] [--entries N] [--sqpoll]\n");
			return 1;
		}
	}
	nop = !strcmp(workload, "nop");
	if (!nop && strcmp(workload, "randread")) {
		fprintf(stderr, "ref-bench: unknown workload %s\n", workload);
		return 1;
	}
	if (!batch || batch > entries || (!nop && (!qd || qd > entries || batch > qd || !bs))) {
		fprintf(stderr, "ref-bench: need 0 < batch <= entries%s\n",
			nop ? "" : ", 0 < batch <= qd <= entries, bs > 0");
		return 1;
	}
	if (!nop && !file) {
		fprintf(stderr, "ref-bench: randread needs --file\n");
		return 1;
	}

	err = ring_init(&r, (unsigned)entries, 2 * (unsigned)entries, sqpoll);
	if (err)
		die("io_uring_setup/mmap", -err);

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
