/*
 * native-test: drives liburingshim.so through its exported ABI only, the
 * way the FFI adapters do. Prints "native: N passed, M failed".
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "uringshim.h"
#include "check.h"
#include "ring_helpers.h" /* also: NO_MMAP / NO_SQARRAY for headers older than 6.5 */
/* nop_flags (Linux 6.18): post sqe->off and sqe->addr as big_cqe[0] and [1]. */
#define NOP_CQE32 (1U << 5)

int passed, failed;

/*
 * Under an emulator (test/prebuilt.test.ts runs the arm64 builds under
 * qemu-user and names it in URINGSHIM_TEST_EMULATOR), the io_uring
 * syscalls may be missing (qemu-user answers ENOSYS) and some memory facts
 * are the emulator's (qemu-user's /proc/self/smaps always says THPeligible
 * 0 and 4 kB pages, and it cannot place hugetlb mappings). Then those tests
 * skip, saying why, and the rest runs: the emulator still proves the
 * binaries load, resolve their symbols and run.
 */
static const char *emulator;
static int have_ring = 1;

/* ---- shadow ring helpers: what the WebAssembly core does in JS ---- */

struct shadow {
	unsigned char *base;
	size_t size;
	uint32_t sq_entries, cq_entries, sqe_size, cqe_size;
};

static uint32_t *sw(struct shadow *s, size_t off)
{
	return (uint32_t *)(s->base + off);
}

static struct io_uring_sqe *shadow_sqe(struct shadow *s, uint32_t idx)
{
	return (struct io_uring_sqe *)(s->base + US_SHADOW_SQES +
				       (size_t)(idx & (s->sq_entries - 1)) * s->sqe_size);
}

static struct io_uring_cqe *shadow_cqe(struct shadow *s, uint32_t idx)
{
	return (struct io_uring_cqe *)(s->base + US_SHADOW_SQES +
				       (size_t)s->sq_entries * s->sqe_size +
				       (size_t)(idx & (s->cq_entries - 1)) * s->cqe_size);
}

/* Queue one SQE in the shadow ring and publish the tail (release). */
static struct io_uring_sqe *shadow_push(struct shadow *s)
{
	uint32_t tail = __atomic_load_n(sw(s, US_SHADOW_SQ_TAIL), __ATOMIC_RELAXED);
	struct io_uring_sqe *sqe = shadow_sqe(s, tail);

	memset(sqe, 0, s->sqe_size);
	return sqe;
}

static void shadow_publish(struct shadow *s, uint32_t n)
{
	uint32_t *t = sw(s, US_SHADOW_SQ_TAIL);

	__atomic_store_n(t, *t + n, __ATOMIC_RELEASE);
}

/* Pop one shadow CQE into *out; 0 if none. */
static int shadow_pop(struct shadow *s, struct io_uring_cqe *out)
{
	uint32_t head = __atomic_load_n(sw(s, US_SHADOW_CQ_HEAD), __ATOMIC_RELAXED);
	uint32_t tail = __atomic_load_n(sw(s, US_SHADOW_CQ_TAIL), __ATOMIC_ACQUIRE);

	if (head == tail)
		return 0;
	*out = *shadow_cqe(s, head);
	__atomic_store_n(sw(s, US_SHADOW_CQ_HEAD), head + 1, __ATOMIC_RELEASE);
	return 1;
}

static int shadow_alloc(struct shadow *s, const struct io_uring_params *p)
{
	uint64_t addr;
	int32_t r;

	s->sq_entries = p->sq_entries;
	s->cq_entries = p->cq_entries;
	s->sqe_size = (p->flags & IORING_SETUP_SQE128) ? 128 : 64;
	s->cqe_size = (p->flags & IORING_SETUP_CQE32) ? 32 : 16;
	s->size = US_SHADOW_SQES + (size_t)s->sq_entries * s->sqe_size +
		  (size_t)s->cq_entries * s->cqe_size;
	r = us_buf_alloc(s->size, 0, &addr);
	if (r < 0)
		return r;
	s->base = (unsigned char *)(uintptr_t)addr;
	return 0;
}

/* ---- tests ---- */

/*
 * CQE32 in mmap mode: each CQE reaches the shadow whole, big_cqe included,
 * at a 32-byte stride. The slots are dirtied first so a 16-byte copy shows.
 */
static void test_big_cqes(struct shadow *s, void *ctx, const char *label)
{
	uint32_t head = *sw(s, US_SHADOW_CQ_HEAD);
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *c;
	uint64_t big[2];
	int r;

	for (uint32_t i = 0; i < 2; i++)
		memset(shadow_cqe(s, head + i), 0xa5, s->cqe_size);
	sqe = shadow_push(s);
	sqe->opcode = IORING_OP_NOP;
	sqe->rw_flags = NOP_CQE32; /* nop_flags shares the union */
	sqe->off = 0xdeadbeef12345678ULL;
	sqe->addr = 0xabcdef0011223344ULL;
	sqe->user_data = 1;
	shadow_publish(s, 1);
	sqe = shadow_push(s);
	sqe->opcode = IORING_OP_NOP;
	sqe->user_data = 2;
	shadow_publish(s, 1);
	r = us_mmap_enter(ctx, 2, 0, 1000000000LL);
	CHECK(r == 2, "%s: big nop enter %d", label, r);
	CHECK(*sw(s, US_SHADOW_CQ_TAIL) - head == 2, "%s: big cqes %u", label,
	      *sw(s, US_SHADOW_CQ_TAIL) - head);

	c = shadow_cqe(s, head);
	memcpy(big, (unsigned char *)c + 16, sizeof(big));
	if (c->user_data == 1 && c->res == -EINVAL) {
		printf("skip %s: no IORING_NOP_CQE32 (Linux 6.18+), big_cqe values unchecked\n", label);
	} else {
		CHECK(c->user_data == 1 && c->res == 0 && big[0] == 0xdeadbeef12345678ULL &&
		      big[1] == 0xabcdef0011223344ULL,
		      "%s: nop32 cqe ud=%llu res=%d big=%llx %llx", label,
		      (unsigned long long)c->user_data, c->res,
		      (unsigned long long)big[0], (unsigned long long)big[1]);
	}
	c = shadow_cqe(s, head + 1);
	memcpy(big, (unsigned char *)c + 16, sizeof(big));
	CHECK(c->user_data == 2 && c->res == 0 && big[0] == 0 && big[1] == 0,
	      "%s: plain cqe on a CQE32 ring ud=%llu res=%d big=%llx %llx", label,
	      (unsigned long long)c->user_data, c->res, (unsigned long long)big[0],
	      (unsigned long long)big[1]);
	__atomic_store_n(sw(s, US_SHADOW_CQ_HEAD), head + 2, __ATOMIC_RELEASE);
}

static void test_mmap_mode(uint32_t extra_flags, const char *label)
{
	struct io_uring_params p;
	_Alignas(8) unsigned char ctx[US_MMAP_CTX_SIZE];
	struct shadow s;
	struct io_uring_cqe cqe;
	char path[] = "/tmp/uringshim-test-XXXXXX";
	char wbuf[64], rbuf[64];
	int fd, tfd, r, got;

	memset(&p, 0, sizeof(p));
	p.flags = extra_flags;
	fd = us_setup(8, &p);
	if (fd == -EINVAL && (extra_flags & IORING_SETUP_NO_SQARRAY)) {
		printf("skip %s: kernel lacks the flag\n", label);
		return;
	}
	CHECK(fd >= 0, "%s: us_setup %d", label, fd);
	if (fd < 0)
		return;
	CHECK(has_cloexec(fd), "%s: ring fd lacks FD_CLOEXEC", label);
	CHECK(shadow_alloc(&s, &p) == 0, "%s: shadow alloc", label);
	memset(s.base, 0xa5, US_SHADOW_SQES); /* header must be (re)initialised */
	r = us_mmap_rings(fd, &p, s.base, ctx);
	CHECK(r == 0, "%s: us_mmap_rings %d", label, r);
	if (r)
		goto out;
	CHECK(*sw(&s, US_SHADOW_SQ_ENTRIES) == p.sq_entries &&
	      *sw(&s, US_SHADOW_CQ_ENTRIES) == p.cq_entries,
	      "%s: shadow entries %u/%u", label, *sw(&s, US_SHADOW_SQ_ENTRIES),
	      *sw(&s, US_SHADOW_CQ_ENTRIES));
	CHECK(*sw(&s, US_SHADOW_SQ_HEAD) == 0 && *sw(&s, US_SHADOW_CQ_TAIL) == 0 &&
	      *sw(&s, 40) == 0, "%s: shadow header not zeroed", label);

	/* NOP round trip */
	struct io_uring_sqe *sqe = shadow_push(&s);
	sqe->opcode = IORING_OP_NOP;
	sqe->user_data = 0x1234567890abcdefULL;
	shadow_publish(&s, 1);
	r = us_mmap_enter(ctx, 1, 0, -1);
	CHECK(r == 1, "%s: nop enter %d", label, r);
	CHECK(*sw(&s, US_SHADOW_SQ_HEAD) == 1, "%s: sq_head %u", label,
	      *sw(&s, US_SHADOW_SQ_HEAD));
	got = shadow_pop(&s, &cqe);
	CHECK(got && cqe.res == 0 && cqe.user_data == 0x1234567890abcdefULL,
	      "%s: nop cqe got=%d res=%d ud=%llx", label, got, cqe.res,
	      (unsigned long long)cqe.user_data);
	if (s.cqe_size == 32)
		test_big_cqes(&s, ctx, label);

	/* write then read a temp file, linked so the read sees the write */
	tfd = mkostemp(path, O_CLOEXEC);
	CHECK(tfd >= 0, "%s: mkostemp", label);
	if (tfd < 0)
		goto unmap;
	unlink(path);
	for (int i = 0; i < (int)sizeof(wbuf); i++)
		wbuf[i] = (char)(i * 7 + 1);
	memset(rbuf, 0, sizeof(rbuf));
	sqe = shadow_push(&s);
	sqe->opcode = IORING_OP_WRITE;
	sqe->fd = tfd;
	sqe->addr = (uint64_t)(uintptr_t)wbuf;
	sqe->len = sizeof(wbuf);
	sqe->off = 0;
	sqe->flags = IOSQE_IO_LINK;
	sqe->user_data = 1;
	shadow_publish(&s, 1);
	sqe = shadow_push(&s);
	sqe->opcode = IORING_OP_READ;
	sqe->fd = tfd;
	sqe->addr = (uint64_t)(uintptr_t)rbuf;
	sqe->len = sizeof(rbuf);
	sqe->off = 0;
	sqe->user_data = 2;
	shadow_publish(&s, 1);
	r = us_mmap_enter(ctx, 2, 0, 1000000000LL);
	CHECK(r == 2, "%s: write+read enter %d", label, r);
	int seen = 0;
	for (int tries = 0; tries < 100 && seen != 3; tries++) {
		while (shadow_pop(&s, &cqe)) {
			CHECK((cqe.user_data == 1 || cqe.user_data == 2) &&
			      cqe.res == (int)sizeof(wbuf),
			      "%s: rw cqe ud=%llu res=%d", label,
			      (unsigned long long)cqe.user_data, cqe.res);
			seen |= 1 << (cqe.user_data - 1);
		}
		if (seen != 3)
			us_mmap_enter(ctx, 1, 0, 10000000LL);
	}
	CHECK(seen == 3, "%s: saw cqes mask %d", label, seen);
	CHECK(!memcmp(wbuf, rbuf, sizeof(wbuf)), "%s: read data mismatch", label);
	close(tfd);

	/*
	 * A CQE already in the shadow counts toward min_complete: the enter
	 * returns at once instead of waiting (here: for a second) for a new
	 * one in the kernel CQ, which move_cqes() emptied.
	 */
	sqe = shadow_push(&s);
	sqe->opcode = IORING_OP_NOP;
	sqe->user_data = 7;
	shadow_publish(&s, 1);
	for (int tries = 0; tries < 100 && *sw(&s, US_SHADOW_CQ_TAIL) == *sw(&s, US_SHADOW_CQ_HEAD); tries++)
		us_mmap_enter(ctx, 1, 0, 10000000LL);
	r = us_mmap_enter(ctx, 1, 0, 1000000000LL);
	CHECK(r >= 0, "%s: enter with a CQE in the shadow waited for another (%d)", label, r);
	CHECK(shadow_pop(&s, &cqe) && cqe.user_data == 7, "%s: the nop's cqe", label);

	/* Full shadow CQ: more CQEs than room must not hang, only fill it. */
	uint32_t n = s.cq_entries + 4; /* > cq_entries; sq has 8, so in rounds */
	uint32_t done = 0, queued = 0;
	double t0 = now_s();
	while (queued < n && now_s() - t0 < 5) {
		uint32_t room = s.sq_entries - (*sw(&s, US_SHADOW_SQ_TAIL) -
						__atomic_load_n(sw(&s, US_SHADOW_SQ_HEAD), __ATOMIC_ACQUIRE));
		for (; room && queued < n; room--, queued++) {
			sqe = shadow_push(&s);
			sqe->opcode = IORING_OP_NOP;
			sqe->user_data = 100 + queued;
			shadow_publish(&s, 1);
		}
		r = us_mmap_enter(ctx, 1, 0, 100000000LL);
		CHECK(r >= 0 || r == -ETIME, "%s: flood enter %d", label, r);
	}
	/* With SQPOLL the last NOPs may still be running: wait until the shadow is full. */
	for (int tries = 0; tries < 50 && *sw(&s, US_SHADOW_CQ_TAIL) - *sw(&s, US_SHADOW_CQ_HEAD) < s.cq_entries; tries++)
		us_mmap_enter(ctx, s.cq_entries, 0, 100000000LL);
	uint32_t full = *sw(&s, US_SHADOW_CQ_TAIL) - *sw(&s, US_SHADOW_CQ_HEAD);
	CHECK(full == s.cq_entries, "%s: shadow cq holds %u of %u", label, full,
	      s.cq_entries);
	uint32_t expect = 100;
	while (now_s() - t0 < 5 && done < n) {
		while (shadow_pop(&s, &cqe)) {
			CHECK(cqe.user_data == expect && cqe.res == 0,
			      "%s: flood cqe order ud=%llu want %u", label,
			      (unsigned long long)cqe.user_data, expect);
			expect++;
			done++;
		}
		if (done < n)
			us_mmap_enter(ctx, 0, 0, -1);
	}
	CHECK(done == n, "%s: flood reaped %u of %u", label, done, n);

	/* nothing queued, nothing to wait for: no syscall, returns 0 */
	r = us_mmap_enter(ctx, 0, 0, -1);
	CHECK(r == 0, "%s: idle enter %d", label, r);
	/* min_complete with nothing in flight: the timeout fires */
	r = us_mmap_enter(ctx, 1, 0, 5000000LL);
	CHECK(r == -ETIME, "%s: timeout enter %d", label, r);

unmap:
	CHECK(us_munmap_rings(ctx) == 0, "%s: munmap", label);
	CHECK(us_munmap_rings(ctx) == -EINVAL, "%s: double munmap", label);
	us_buf_free(s.base, s.size);
out:
	CHECK(us_close(fd) == 0, "%s: close", label);
}

#ifndef IORING_REGISTER_RING_FDS
#define IORING_REGISTER_RING_FDS 20
#define IORING_UNREGISTER_RING_FDS 21
#endif
#ifndef IORING_ENTER_REGISTERED_RING
#define IORING_ENTER_REGISTERED_RING (1U << 4)
#endif

/*
 * mmap mode through a registered ring index (5.18+): us_mmap_set_enter_fd
 * makes us_mmap_enter pass the index with IORING_ENTER_REGISTERED_RING;
 * after unregistering, the same index is refused, proving it was used.
 */
static void test_mmap_registered_ring(void)
{
	struct io_uring_params p;
	_Alignas(8) unsigned char ctx[US_MMAP_CTX_SIZE];
	struct shadow s;
	struct io_uring_cqe cqe;
	struct { uint32_t offset, resv; uint64_t data; } up;
	int fd, r, idx;

	memset(&p, 0, sizeof(p));
	fd = us_setup(4, &p);
	CHECK(fd >= 0, "registered ring: us_setup %d", fd);
	if (fd < 0)
		return;
	CHECK(shadow_alloc(&s, &p) == 0, "registered ring: shadow alloc");
	r = us_mmap_rings(fd, &p, s.base, ctx);
	CHECK(r == 0, "registered ring: us_mmap_rings %d", r);
	if (r)
		goto out;
	memset(&up, 0, sizeof(up));
	up.offset = UINT32_MAX; /* any free slot */
	up.data = (uint64_t)fd;
	r = us_register(fd, IORING_REGISTER_RING_FDS, &up, 1);
	if (r == -EINVAL) {
		printf("skip registered ring: kernel lacks IORING_REGISTER_RING_FDS\n");
		goto unmap;
	}
	CHECK(r == 1, "registered ring: register %d", r);
	idx = (int)up.offset;
	CHECK(us_mmap_set_enter_fd(ctx, idx, IORING_ENTER_REGISTERED_RING) == 0,
	      "registered ring: set enter fd");
	shadow_push(&s)->opcode = IORING_OP_NOP;
	shadow_publish(&s, 1);
	r = us_mmap_enter(ctx, 1, 0, -1);
	CHECK(r == 1, "registered ring: nop enter %d", r);
	CHECK(shadow_pop(&s, &cqe) && cqe.res == 0, "registered ring: nop cqe");
	up.data = 0;
	CHECK(us_register(fd, IORING_UNREGISTER_RING_FDS, &up, 1) == 1,
	      "registered ring: unregister");
	r = us_mmap_enter(ctx, 0, IORING_ENTER_GETEVENTS, -1);
	CHECK(r == -EINVAL || r == -EBADF, "registered ring: stale index entered: %d", r);
	CHECK(us_mmap_set_enter_fd(ctx, fd, 0) == 0, "registered ring: back to the fd");
	r = us_mmap_enter(ctx, 0, IORING_ENTER_GETEVENTS, -1);
	CHECK(r == 0, "registered ring: enter by fd %d", r);
	CHECK(us_mmap_set_enter_fd(NULL, 0, 0) == -EINVAL, "set enter fd: null ctx");
unmap:
	us_munmap_rings(ctx);
	CHECK(us_mmap_set_enter_fd(ctx, fd, 0) == -EINVAL, "set enter fd: unmapped ctx");
out:
	us_buf_free(s.base, s.size);
	us_close(fd);
}

static void test_no_mmap(void)
{
	struct io_uring_params p;
	uint64_t sqes_addr, rings_addr;
	const uint32_t entries = 8, cq_entries = 16;
	long page = sysconf(_SC_PAGESIZE);
	size_t sqes_sz = (size_t)page;
	size_t rings_sz = ((4096 + cq_entries * 16 + entries * 4 + page - 1) & ~(size_t)(page - 1)) + page;
	int fd, r;

	CHECK(us_buf_alloc(sqes_sz, 0, &sqes_addr) == 0, "sqes alloc");
	CHECK(us_buf_alloc(rings_sz, 0, &rings_addr) == 0, "rings alloc");
	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_NO_MMAP | IORING_SETUP_CQSIZE;
	p.cq_entries = cq_entries;
	p.sq_off.user_addr = sqes_addr;
	p.cq_off.user_addr = rings_addr;
	fd = us_setup(entries, &p);
	if (fd == -EINVAL) {
		printf("skip no_mmap: kernel rejected NO_MMAP\n");
		goto out;
	}
	CHECK(fd >= 0, "no_mmap setup %d", fd);
	if (fd < 0)
		goto out;
	CHECK(has_cloexec(fd), "no_mmap fd lacks FD_CLOEXEC");

	unsigned char *rings = (unsigned char *)(uintptr_t)rings_addr;
	struct io_uring_sqe *sqes = (struct io_uring_sqe *)(uintptr_t)sqes_addr;
	uint32_t *sq_tail = (uint32_t *)(rings + p.sq_off.tail);
	uint32_t *sq_mask = (uint32_t *)(rings + p.sq_off.ring_mask);
	uint32_t *sq_array = (uint32_t *)(rings + p.sq_off.array);
	uint32_t *cq_head = (uint32_t *)(rings + p.cq_off.head);
	uint32_t *cq_tail = (uint32_t *)(rings + p.cq_off.tail);
	uint32_t *cq_mask = (uint32_t *)(rings + p.cq_off.ring_mask);
	struct io_uring_cqe *cqes = (struct io_uring_cqe *)(rings + p.cq_off.cqes);

	uint32_t t = *sq_tail, idx = t & *sq_mask;
	memset(&sqes[idx], 0, sizeof(sqes[idx]));
	sqes[idx].opcode = IORING_OP_NOP;
	sqes[idx].user_data = 77;
	sq_array[idx] = idx;
	__atomic_store_n(sq_tail, t + 1, __ATOMIC_RELEASE);
	r = us_enter(fd, 1, 1, IORING_ENTER_GETEVENTS);
	CHECK(r == 1, "no_mmap enter %d", r);
	uint32_t h = *cq_head;
	uint32_t ct = __atomic_load_n(cq_tail, __ATOMIC_ACQUIRE);
	CHECK(ct - h == 1, "no_mmap cq has %u", ct - h);
	if (ct != h) {
		struct io_uring_cqe *c = &cqes[h & *cq_mask];
		CHECK(c->user_data == 77 && c->res == 0, "no_mmap cqe ud=%llu res=%d",
		      (unsigned long long)c->user_data, c->res);
		__atomic_store_n(cq_head, h + 1, __ATOMIC_RELEASE);
	}
	CHECK(us_mmap_rings(fd, &p, NULL, NULL) == -EFAULT, "mmap_rings null args");
	{
		_Alignas(64) unsigned char sh[4096];
		_Alignas(8) unsigned char ctx[US_MMAP_CTX_SIZE];
		CHECK(us_mmap_rings(fd, &p, sh, ctx) == -EINVAL,
		      "mmap_rings on a NO_MMAP ring must fail");
	}
	CHECK(us_close(fd) == 0, "no_mmap close");
out:
	CHECK(us_buf_free((void *)(uintptr_t)sqes_addr, sqes_sz) == 0, "sqes free");
	CHECK(us_buf_free((void *)(uintptr_t)rings_addr, rings_sz) == 0, "rings free");
}

static void test_enter_timeout(void)
{
	struct io_uring_params p;
	int fd, r;
	double t0;

	memset(&p, 0, sizeof(p));
	fd = us_setup(4, &p);
	CHECK(fd >= 0, "setup %d", fd);
	if (fd < 0)
		return;
	t0 = now_s();
	r = us_enter_timeout(fd, 0, 1, IORING_ENTER_GETEVENTS, 20000000LL);
	double dt = now_s() - t0;
	CHECK(r == -ETIME, "enter_timeout %d", r);
	CHECK(dt >= 0.015 && dt < 1.0, "enter_timeout took %.3fs", dt);
	r = us_enter_timeout(fd, 0, 0, 0, -1);
	CHECK(r == 0, "enter_timeout no timeout %d", r);
	CHECK(us_enter(-1, 0, 0, 0) == -EBADF, "us_enter(-1) not -EBADF");
	CHECK(us_enter_timeout(-1, 0, 1, IORING_ENTER_GETEVENTS, 1000) == -EBADF,
	      "us_enter_timeout(-1) not -EBADF");
	CHECK(us_close(fd) == 0, "close");
	CHECK(us_close(fd) == -EBADF, "double close not -EBADF");
	CHECK(us_setup(0, &p) == -EINVAL, "setup 0 entries not -EINVAL");
}

/* Ring in mmap mode with a NOP helper, shared by the eventfd/waiter tests. */
struct mring {
	int fd;
	struct io_uring_params p;
	_Alignas(8) unsigned char ctx[US_MMAP_CTX_SIZE];
	struct shadow s;
};

static int mring_open(struct mring *m)
{
	memset(&m->p, 0, sizeof(m->p));
	m->fd = us_setup(8, &m->p);
	if (m->fd < 0)
		return m->fd;
	if (shadow_alloc(&m->s, &m->p) < 0)
		return -ENOMEM;
	return us_mmap_rings(m->fd, &m->p, m->s.base, m->ctx);
}

static void mring_close(struct mring *m)
{
	us_munmap_rings(m->ctx);
	us_buf_free(m->s.base, m->s.size);
	us_close(m->fd);
}

static int mring_nop(struct mring *m, uint64_t ud)
{
	struct io_uring_sqe *sqe = shadow_push(&m->s);

	sqe->opcode = IORING_OP_NOP;
	sqe->user_data = ud;
	shadow_publish(&m->s, 1);
	return us_mmap_enter(m->ctx, 0, 0, -1);
}

static void test_eventfd(void)
{
	struct mring m;
	struct io_uring_cqe cqe;
	int efd, r;

	efd = us_eventfd(0, 1);
	CHECK(efd >= 0, "eventfd %d", efd);
	if (efd < 0)
		return;
	CHECK(has_cloexec(efd), "eventfd lacks FD_CLOEXEC");
	CHECK(fcntl(efd, F_GETFL) & O_NONBLOCK, "eventfd not nonblocking");
	CHECK(us_eventfd_read(efd) == -EAGAIN, "empty nonblocking read");
	CHECK(us_eventfd_write(efd, 5) == 0, "eventfd write");
	CHECK(us_eventfd_write(efd, 2) == 0, "eventfd write");
	CHECK(us_eventfd_read(efd) == 7, "eventfd counter");
	CHECK(us_eventfd_write(-1, 1) == -EBADF, "eventfd write bad fd");

	/* A ring signals it (without one, only the eventfd is tested). */
	r = have_ring ? mring_open(&m) : -ENOSYS;
	CHECK(r == 0 || !have_ring, "mring open %d", r);
	if (r == 0) {
		CHECK(us_register_eventfd(m.fd, efd) == 0, "register eventfd");
		CHECK(us_register_eventfd(m.fd, efd) == -EBUSY,
		      "second register not -EBUSY");
		r = mring_nop(&m, 9);
		CHECK(r == 1, "nop submit %d", r);
		r = -EAGAIN;
		for (int i = 0; i < 200 && r == -EAGAIN; i++) {
			r = us_eventfd_read(efd);
			if (r == -EAGAIN)
				sleep_ms(5);
		}
		CHECK(r >= 1, "eventfd after nop %d", r);
		us_mmap_enter(m.ctx, 0, 0, -1);
		CHECK(shadow_pop(&m.s, &cqe) && cqe.user_data == 9, "nop cqe");
		CHECK(us_unregister_eventfd(m.fd) == 0, "unregister eventfd");
		CHECK(us_unregister_eventfd(m.fd) == -ENXIO,
		      "second unregister not -ENXIO");
		mring_close(&m);
	}
	us_close(efd);

	/* blocking eventfd */
	efd = us_eventfd(3, 0);
	CHECK(efd >= 0 && has_cloexec(efd) && !(fcntl(efd, F_GETFL) & O_NONBLOCK),
	      "blocking eventfd");
	CHECK(us_eventfd_read(efd) == 3, "initval");
	us_close(efd);
}

static int wake_calls, wake_sum;
static pthread_t wake_thread;
static int wake_sigs_blocked = -1;

static void on_wake(int32_t count)
{
	sigset_t cur;

	pthread_sigmask(SIG_SETMASK, NULL, &cur);
	__atomic_store_n(&wake_sigs_blocked,
			 sigismember(&cur, SIGINT) && sigismember(&cur, SIGTERM) &&
				 sigismember(&cur, SIGUSR1),
			 __ATOMIC_RELAXED);
	wake_thread = pthread_self();
	__atomic_add_fetch(&wake_sum, count, __ATOMIC_RELAXED);
	__atomic_add_fetch(&wake_calls, 1, __ATOMIC_RELEASE);
}

/* Wakes the waiter as the runtimes do: a NOP's CQE signals the ring's eventfd (without a ring: a write to it). */
static int waiter_poke(struct mring *m, int efd, uint64_t ud)
{
	return have_ring ? (mring_nop(m, ud) == 1 ? 0 : -1) : us_eventfd_write(efd, 1);
}

static void test_waiter(void)
{
	_Alignas(8) unsigned char w[US_WAITER_SIZE];
	struct mring m;
	int efd, r;
	double t0;

	efd = us_eventfd(0, 0);
	CHECK(efd >= 0, "waiter eventfd %d", efd);
	if (efd < 0)
		return;
	if (have_ring) {
		r = mring_open(&m);
		CHECK(r == 0, "mring open %d", r);
		if (r) {
			us_close(efd);
			return;
		}
		CHECK(us_register_eventfd(m.fd, efd) == 0, "register eventfd");
	}
	r = us_waiter_start(w, efd, on_wake);
	CHECK(r == 0, "waiter start %d", r);
	if (r)
		goto out;
	sleep_ms(10);
	CHECK(__atomic_load_n(&wake_calls, __ATOMIC_ACQUIRE) == 0, "spurious wake");

	CHECK(waiter_poke(&m, efd, 1) == 0, "wake-up");
	t0 = now_s();
	while (__atomic_load_n(&wake_calls, __ATOMIC_ACQUIRE) == 0 && now_s() - t0 < 2)
		sleep_ms(1);
	CHECK(wake_calls >= 1 && wake_sum >= 1, "fn not called (calls=%d)", wake_calls);
	CHECK(!pthread_equal(wake_thread, pthread_self()), "fn ran on caller thread");
	CHECK(wake_sigs_blocked == 1, "waiter thread does not block signals");

	t0 = now_s();
	int before = __atomic_load_n(&wake_calls, __ATOMIC_ACQUIRE);
	r = us_waiter_stop(w);
	double dt = now_s() - t0;
	CHECK(r == 0, "waiter stop %d", r);
	CHECK(dt < 0.5, "waiter stop took %.3fs", dt);
	CHECK(__atomic_load_n(&wake_calls, __ATOMIC_ACQUIRE) == before,
	      "fn called by stop's wakeup");
	/* After stop, completions must not call fn. */
	CHECK(waiter_poke(&m, efd, 2) == 0, "wake-up after stop");
	sleep_ms(20);
	CHECK(__atomic_load_n(&wake_calls, __ATOMIC_ACQUIRE) == before,
	      "fn called after stop");
	CHECK(us_waiter_stop(w) == -EINVAL, "second stop not -EINVAL");
out:
	if (have_ring)
		mring_close(&m);
	us_close(efd);
}

/* Threads of this process (the waiter threads among them). */
static int task_count(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

struct orphan_arg {
	int efd;
	int res;
};

/* Starts a waiter and exits without stopping it, as a terminated Worker would. */
static void *start_and_exit(void *p)
{
	struct orphan_arg *a = p;
	_Alignas(8) unsigned char slot[US_WAITER_SIZE]; /* gone with this thread */

	a->res = us_waiter_start(slot, a->efd, on_wake);
	return NULL;
}

/*
 * The thread that started a waiter exited without stopping it: a wakeup
 * calls nothing (the runtime it would call into is gone) and the waiter
 * thread ends.
 */
static void test_waiter_orphaned(void)
{
	struct orphan_arg a = { .efd = us_eventfd(0, 0), .res = -1 };
	pthread_t t;
	int before_calls, tasks, r;
	double t0;

	CHECK(a.efd >= 0, "orphan eventfd %d", a.efd);
	if (a.efd < 0)
		return;
	tasks = task_count();
	r = pthread_create(&t, NULL, start_and_exit, &a);
	CHECK(r == 0, "orphan thread %d", r);
	if (r)
		goto out;
	pthread_join(t, NULL);
	CHECK(a.res == 0, "orphan waiter start %d", a.res);
	/*
	 * pthread_join returns once the kernel clears the thread's tid, which
	 * it does before it removes the task from /proc/self/task: the joined
	 * thread may still be listed for a moment (for milliseconds under
	 * qemu-user).
	 */
	t0 = now_s();
	while (task_count() > tasks + 1 && now_s() - t0 < 2)
		sleep_ms(1);
	CHECK(task_count() == tasks + 1, "waiter thread not running (%d tasks, %d before)", task_count(), tasks);
	before_calls = __atomic_load_n(&wake_calls, __ATOMIC_ACQUIRE);
	us_eventfd_write(a.efd, 1);
	t0 = now_s();
	while (task_count() > tasks && now_s() - t0 < 2)
		sleep_ms(1);
	CHECK(task_count() == tasks, "orphaned waiter thread did not end");
	CHECK(__atomic_load_n(&wake_calls, __ATOMIC_ACQUIRE) == before_calls, "orphaned waiter called fn");
out:
	us_close(a.efd);
}

static void test_buffers(void)
{
	uint64_t addr = 0;
	long page = sysconf(_SC_PAGESIZE);
	int r;

	CHECK(us_buf_alloc(0, 0, &addr) == -EINVAL, "zero size");
	CHECK(us_buf_alloc((uint64_t)-1, 0, &addr) == -EINVAL, "huge size");
	CHECK(us_buf_alloc(4096, 0x80, &addr) == -EINVAL, "bad flags");
	CHECK(us_buf_free(NULL, 4096) == -EINVAL, "free null");

	r = us_buf_alloc(10000, 0, &addr);
	CHECK(r == 0 && addr && !(addr % page), "alloc %d addr %llx", r,
	      (unsigned long long)addr);
	if (!r) {
		memset((void *)(uintptr_t)addr, 1, 10000);
		CHECK(us_buf_free((void *)(uintptr_t)addr, 10000) == 0, "free");
	}

	r = us_buf_alloc(1 << 20, US_BUF_LOCK, &addr);
	CHECK(r == 0, "alloc LOCK %d", r);
	if (!r) {
		unsigned char vec[256];
		CHECK(mincore((void *)(uintptr_t)addr, 1 << 20, vec) == 0 && (vec[0] & 1) &&
		      (vec[255] & 1), "locked pages not resident");
		CHECK(us_buf_free((void *)(uintptr_t)addr, 1 << 20) == 0, "free LOCK");
	}

	r = us_buf_alloc(3 << 20, US_BUF_THP, &addr);
	CHECK(r == 0 || r == -EINVAL, "alloc THP %d", r);
	if (!r)
		CHECK(us_buf_free((void *)(uintptr_t)addr, 3 << 20) == 0, "free THP");

	/* Needs reserved huge pages (vm.nr_hugepages); skip when there are none. */
	r = us_buf_alloc(4096, US_BUF_HUGE, &addr);
	if (r == -ENOMEM) {
		printf("skip huge buffers: no 2 MiB pages reserved\n");
	} else if (r == -EINVAL && emulator) {
		printf("skip huge buffers: %s cannot place a MAP_HUGETLB mapping (EINVAL)\n", emulator);
	} else {
		CHECK(r == 0 && !(addr & ((2u << 20) - 1)), "alloc HUGE %d", r);
		if (!r) {
			memset((void *)(uintptr_t)addr, 2, 2u << 20);
			r = us_buf_free((void *)(uintptr_t)addr, 4096);
			CHECK(r == 0, "free HUGE with requested size %d", r);
		}
	}
}

/*
 * A whole /proc file in a static buffer, NUL-terminated; its length or -1.
 * No stdio: fopen mallocs, and under AddressSanitizer a malloc may map a
 * new allocator region between two readings of /proc/self/maps.
 */
static char proc_buf[8 << 20];

static long read_proc(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t n = 0;
	ssize_t r;

	if (fd < 0)
		return -1;
	while (n < sizeof(proc_buf) - 1 &&
	       (r = read(fd, proc_buf + n, sizeof(proc_buf) - 1 - n)) > 0)
		n += (size_t)r;
	close(fd);
	proc_buf[n] = '\0';
	return (long)n;
}

/* A VMA header line of maps/smaps ("lo-hi perms ..."); field lines have no '-' before the first space. */
static int vma_line(const char *line, unsigned long long *lo, unsigned long long *hi)
{
	const char *dash = strchr(line, '-'), *sp = strchr(line, ' ');

	return dash && sp && dash < sp && sscanf(line, "%llx-%llx ", lo, hi) == 2;
}

/* The VMA holding addr in /proc/self/smaps: value of field ("Locked:") in kB, or -1. */
static long smaps_field(uint64_t addr, const char *field)
{
	size_t flen = strlen(field);
	int in = 0;

	if (read_proc("/proc/self/smaps") < 0)
		return -1;
	for (char *line = proc_buf, *nl; *line; line = nl + 1) {
		unsigned long long lo, hi;

		nl = strchr(line, '\n');
		if (!nl)
			break;
		*nl = '\0';
		if (vma_line(line, &lo, &hi))
			in = addr >= lo && addr < hi;
		else if (in && !strncmp(line, field, flen))
			return strtol(line + flen, NULL, 10);
	}
	return -1;
}

/* Bytes mapped by this process (sum over /proc/self/maps). */
static unsigned long long mapped_bytes(void)
{
	unsigned long long sum = 0, lo, hi;

	if (read_proc("/proc/self/maps") < 0)
		return 0;
	for (char *line = proc_buf, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			break;
		*nl = '\0';
		if (vma_line(line, &lo, &hi))
			sum += hi - lo;
	}
	return sum;
}

/* The active word of a THP sysfs selector, "" if absent. */
static void thp_selected(const char *path, char *out, size_t len)
{
	FILE *f = fopen(path, "re");
	char buf[256] = "";
	char *lb, *rb;

	out[0] = '\0';
	if (!f)
		return;
	if (fgets(buf, sizeof(buf), f) && (lb = strchr(buf, '[')) && (rb = strchr(lb, ']')) &&
	    (size_t)(rb - lb) < len) {
		memcpy(out, lb + 1, (size_t)(rb - lb - 1));
		out[rb - lb - 1] = '\0';
	}
	fclose(f);
}

/* "always", "madvise" or "never" for 2 MiB THP, as the kernel resolves it. */
static void thp_setting(char *out, size_t len)
{
	thp_selected("/sys/kernel/mm/transparent_hugepage/hugepages-2048kB/enabled", out, len);
	if (!out[0] || !strcmp(out, "inherit"))
		thp_selected("/sys/kernel/mm/transparent_hugepage/enabled", out, len);
	if (!out[0])
		snprintf(out, len, "never");
}

static void test_pool_alloc(void)
{
	const uint64_t mib2 = 2u << 20;
	uint64_t addr = 0, aligns[] = { 4096, 65536, 1 << 20, 2 << 20 };
	char thp[32];
	int r, thp_off = prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0);

	thp_setting(thp, sizeof(thp));
	printf("pool: THP for 2 MiB pages is \"%s\", PR_GET_THP_DISABLE %d\n", thp, thp_off);

	CHECK(us_pool_alloc(4096, 4096, 0, NULL) == -EFAULT, "null out");
	CHECK(us_pool_alloc(0, 4096, 0, &addr) == -EINVAL, "zero size");
	CHECK(us_pool_alloc((uint64_t)-1, 4096, 0, &addr) == -EINVAL, "huge size");
	CHECK(us_pool_alloc(4096, 0, 0, &addr) == -EINVAL, "align 0");
	CHECK(us_pool_alloc(4096, 12288, 0, &addr) == -EINVAL, "align not a power of two");
	CHECK(us_pool_alloc(4096, 4u << 20, 0, &addr) == -EINVAL, "align above 2 MiB");
	CHECK(us_pool_alloc(4096, 4096, 0x80, &addr) == -EINVAL, "bad flags");

	/* Aligned as asked, exactly size rounded to align mapped: the slack is unmapped. */
	for (unsigned i = 0; i < sizeof(aligns) / sizeof(aligns[0]); i++) {
		uint64_t size = 3 * aligns[i] - 100, len = 3 * aligns[i];
		unsigned long long before = mapped_bytes(), after;

		r = us_pool_alloc(size, aligns[i], 0, &addr);
		after = mapped_bytes();
		CHECK(r >= 0 && !(addr % aligns[i]), "align %llu: %d at %llx",
		      (unsigned long long)aligns[i], r, (unsigned long long)addr);
		if (r < 0)
			continue;
		CHECK(after - before == len, "align %llu maps %llu bytes, want %llu",
		      (unsigned long long)aligns[i], after - before, (unsigned long long)len);
		memset((void *)(uintptr_t)addr, 0x5a, (size_t)len);
		CHECK(us_buf_free((void *)(uintptr_t)addr, size) == 0, "free align %llu",
		      (unsigned long long)aligns[i]);
		CHECK(mapped_bytes() == before, "align %llu: free left %llu bytes",
		      (unsigned long long)aligns[i], mapped_bytes() - before);
	}

	/* THP: reported exactly when the kernel's own setting allows it (smaps THPeligible). */
	int want = strcmp(thp, "never") && thp_off != 1;
	/* An emulator's smaps may say THPeligible 0 and 4 kB pages whatever the kernel did. */
	int smaps_real = !emulator;

	if (!smaps_real)
		printf("skip pool THPeligible / KernelPageSize checks: %s's /proc/self/smaps reports its own\n", emulator);
	r = us_pool_alloc(2 * mib2, 4096, US_BUF_THP, &addr);
	CHECK(r >= 0 && !(addr % mib2), "THP alloc %d at %llx", r, (unsigned long long)addr);
	if (r >= 0) {
		CHECK(!!(r & US_BUF_THP) == want, "THP %d, setting %s", r, thp);
		CHECK(!smaps_real || smaps_field(addr, "THPeligible:") == !!(r & US_BUF_THP), "THPeligible %ld, got %d",
		      smaps_field(addr, "THPeligible:"), r);
		us_buf_free((void *)(uintptr_t)addr, 2 * mib2);
	}
	/* Too small to hold a huge page: never reported. */
	r = us_pool_alloc(16384, 4096, US_BUF_THP, &addr);
	CHECK(r == 0, "small THP alloc %d", r);
	if (r >= 0)
		us_buf_free((void *)(uintptr_t)addr, 16384);
	/* Not asked for: only "always" gives them. */
	r = us_pool_alloc(4 * mib2, mib2, 0, &addr);
	CHECK(r >= 0, "plain 8 MiB alloc %d", r);
	if (r >= 0) {
		CHECK(!!(r & US_BUF_THP) == (!strcmp(thp, "always") && thp_off == 0),
		      "unasked THP %d, setting %s", r, thp);
		CHECK(!smaps_real || smaps_field(addr, "THPeligible:") == !!(r & US_BUF_THP), "unasked THPeligible %ld",
		      smaps_field(addr, "THPeligible:"));
		us_buf_free((void *)(uintptr_t)addr, 4 * mib2);
	}

	/* hugetlb: needs reserved 2 MiB pages; HUGE | THP falls back to THP. */
	r = us_pool_alloc(4096, 4096, US_BUF_HUGE, &addr);
	if (r == -ENOMEM || (r == -EINVAL && emulator)) {
		if (r == -ENOMEM)
			printf("skip hugetlb pool: no 2 MiB pages reserved\n");
		else
			printf("skip hugetlb pool: %s cannot place a MAP_HUGETLB mapping (EINVAL)\n", emulator);
		r = us_pool_alloc(2 * mib2, 4096, US_BUF_HUGE | US_BUF_THP, &addr);
		CHECK(r >= 0 && !(r & US_BUF_HUGE) && !!(r & US_BUF_THP) == want,
		      "HUGE | THP fallback %d", r);
		if (r >= 0)
			us_buf_free((void *)(uintptr_t)addr, 2 * mib2);
	} else {
		CHECK(r == US_BUF_HUGE && !(addr % mib2), "hugetlb pool %d", r);
		CHECK(!smaps_real || smaps_field(addr, "KernelPageSize:") == 2048, "hugetlb page size %ld",
		      smaps_field(addr, "KernelPageSize:"));
		if (r >= 0)
			CHECK(us_buf_free((void *)(uintptr_t)addr, 4096) == 0, "free hugetlb pool");
	}

	r = us_pool_alloc(1 << 20, 4096, US_BUF_LOCK, &addr);
	CHECK(r == US_BUF_LOCK, "locked pool %d", r);
	if (r >= 0) {
		CHECK(smaps_field(addr, "Locked:") == 1024, "Locked: %ld kB",
		      smaps_field(addr, "Locked:"));
		us_buf_free((void *)(uintptr_t)addr, 1 << 20);
	}
}

/*
 * Alloc/free churn over every size rounding, alignment and flag the pool
 * and buffer allocators take, frees in a different order than allocs: the
 * process maps exactly what it did before. LeakSanitizer and valgrind only
 * see malloc, so a leaked or half-unmapped mapping shows only here.
 */
static void test_alloc_churn(void)
{
	static const uint64_t sizes[] = { 1, 4095, 4096, 4097, 65536 + 3, (2u << 20) - 1, (2u << 20) + 1 };
	static const uint64_t aligns[] = { 1, 4096, 65536, 2u << 20 };
	static const uint32_t flags[] = { 0, US_BUF_THP, US_BUF_LOCK, US_BUF_THP | US_BUF_LOCK };
	enum { N = sizeof(sizes) / sizeof(sizes[0]) };
	uint64_t addr[N];
	unsigned long long before = mapped_bytes();
	int bad = 0;

	for (unsigned a = 0; a < sizeof(aligns) / sizeof(aligns[0]); a++) {
		for (unsigned f = 0; f < sizeof(flags) / sizeof(flags[0]); f++) {
			for (unsigned i = 0; i < N; i++) {
				int32_t r = us_pool_alloc(sizes[i], aligns[a], flags[f], &addr[i]);

				if (r < 0 || addr[i] % (aligns[a] < 4096 ? 4096 : aligns[a])) {
					bad++;
					addr[i] = 0;
					continue;
				}
				/* Touch both ends: the whole rounded size is usable. */
				((volatile char *)(uintptr_t)addr[i])[0] = 1;
				((volatile char *)(uintptr_t)addr[i])[sizes[i] - 1] = 1;
			}
			for (unsigned i = 0; i < N; i++) {
				unsigned j = (i * 3 + a) % N; /* N is prime: a permutation */

				if (addr[j] && us_buf_free((void *)(uintptr_t)addr[j], sizes[j]) != 0)
					bad++;
			}
		}
	}
	for (unsigned i = 0; i < 64; i++) {
		uint64_t p;
		uint64_t size = 4096ull * (i % 7 + 1) - (i & 1);

		if (us_buf_alloc(size, i & 1 ? US_BUF_LOCK : 0, &p) != 0 ||
		    us_buf_free((void *)(uintptr_t)p, size) != 0)
			bad++;
	}
	CHECK(bad == 0, "%d allocs or frees failed", bad);
	CHECK(mapped_bytes() == before, "alloc/free churn left %lld bytes mapped",
	      (long long)(mapped_bytes() - before));
}

static void test_memlock(void)
{
	struct rlimit rl;
	uint64_t lim[2] = { 0, 0 };
	uint64_t addr;
	pid_t pid;
	int status;

	CHECK(us_memlock_limit(NULL) == -EFAULT, "memlock null");
	CHECK(us_memlock_limit(lim) == 0 && getrlimit(RLIMIT_MEMLOCK, &rl) == 0, "memlock");
	CHECK(lim[0] == (rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : rl.rlim_cur) &&
	      lim[1] == (rl.rlim_max == RLIM_INFINITY ? UINT64_MAX : rl.rlim_max),
	      "memlock %llu/%llu", (unsigned long long)lim[0], (unsigned long long)lim[1]);

	/*
	 * In a child without CAP_IPC_LOCK and a 64 KiB soft limit: the limit
	 * reads back and mlocking 1 MiB fails with ENOMEM, nothing left mapped.
	 */
	pid = fork();
	if (pid == 0) {
		struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
		struct __user_cap_data_struct caps[2];
		unsigned long long before;
		int bad = 0;

		if (syscall(SYS_capget, &hdr, caps) == 0) {
			caps[0].effective &= ~(1u << CAP_IPC_LOCK);
			bad |= syscall(SYS_capset, &hdr, caps) != 0;
		}
		rl.rlim_cur = 65536;
		bad |= (setrlimit(RLIMIT_MEMLOCK, &rl) != 0) << 1;
		bad |= (us_memlock_limit(lim) != 0 || lim[0] != 65536) << 2;
		before = mapped_bytes();
		bad |= (us_pool_alloc(1 << 20, 4096, US_BUF_LOCK, &addr) != -ENOMEM) << 3;
		bad |= (mapped_bytes() != before) << 4;
		bad |= (us_pool_alloc(16384, 4096, US_BUF_LOCK, &addr) != US_BUF_LOCK) << 5;
		_exit(bad);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0, "memlock child: status %#x", status);
}

static void test_mmap_fd(void)
{
	long page = sysconf(_SC_PAGESIZE);
	int fd = memfd_create("uringshim-test", MFD_CLOEXEC);
	uint64_t addr = 0;
	char buf[8] = "";
	char *m;

	CHECK(fd >= 0 && ftruncate(fd, 3 * page) == 0, "memfd");
	if (fd < 0)
		return;
	CHECK(us_mmap_fd(fd, page, 0, NULL) == -EFAULT, "mmap_fd null out");
	CHECK(us_mmap_fd(fd, 0, 0, &addr) == -EINVAL, "mmap_fd size 0");
	CHECK(us_mmap_fd(fd, page, 100, &addr) == -EINVAL, "mmap_fd unaligned offset");
	CHECK(us_mmap_fd(-1, page, 0, &addr) == -EBADF, "mmap_fd bad fd");
	CHECK(us_munmap(NULL, page) == -EINVAL, "munmap null");

	CHECK(us_mmap_fd(fd, 2 * page, page, &addr) == 0 && addr && !(addr % page), "mmap_fd");
	if (!addr)
		goto out;
	m = (char *)(uintptr_t)addr;
	/* Shared both ways with the file, at the offset mapped. */
	memcpy(m + 5, "hello", 5);
	CHECK(pread(fd, buf, 5, page + 5) == 5 && !memcmp(buf, "hello", 5), "write through mapping");
	CHECK(pwrite(fd, "world", 5, 2 * page + 7) == 5 && !memcmp(m + page + 7, "world", 5),
	      "read through mapping");
	/* The mapping outlives the fd. */
	close(fd);
	fd = -1;
	m[0] = 1;
	CHECK(us_munmap(m + 1, page) == -EINVAL, "munmap unaligned");
	CHECK(us_munmap(m, 2 * page) == 0, "munmap");
	CHECK(smaps_field(addr, "Size:") == -1, "still mapped after munmap");
out:
	if (fd >= 0)
		close(fd);
}

static void test_sockets(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in got;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	CHECK(fd >= 0, "socket");
	CHECK(us_bind(fd, &a, sizeof(a)) == 0, "us_bind 127.0.0.1:0");
	CHECK(us_listen(fd, 8) == 0, "us_listen");
	CHECK(us_getsockname(fd, &got, sizeof(got)) == (int32_t)sizeof(got) && got.sin_port != 0, "us_getsockname gives the port");
	CHECK(us_bind(fd, &a, sizeof(a)) == -EINVAL, "second bind is EINVAL");
	CHECK(us_listen(-1, 8) == -EBADF, "us_listen bad fd");
	close(fd);
}

static void test_kernel_release(void)
{
	struct utsname u;
	char out[65], tiny[2];
	int32_t n = us_kernel_release(out, sizeof(out));

	CHECK(uname(&u) == 0, "uname");
	CHECK(n == (int32_t)strlen(u.release) && !strcmp(out, u.release), "release %d %s", n, out);
	CHECK(us_kernel_release(tiny, sizeof(tiny)) == -ERANGE, "short buffer is ERANGE");
}

/* Open fds of this process; every test returns what it opened. */
static int count_fds(void)
{
	int n = 0;

	/* No opendir: it mallocs, and a probe per fd number is enough here. */
	for (int fd = 0; fd < 4096; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

/* Under an emulator: 0 when io_uring_setup works, else -errno (natively it must work: 0). */
static int ring_probe(void)
{
	struct io_uring_params p;
	int fd;

	if (!emulator)
		return 0;
	memset(&p, 0, sizeof(p));
	fd = us_setup(1, &p);
	if (fd >= 0)
		us_close(fd);
	return fd < 0 ? fd : 0;
}

int main(void)
{
	int fds_before = count_fds();

	/* A hung waiter or enter must fail the run, not stall CI. */
	alarm(120);
	emulator = getenv("URINGSHIM_TEST_EMULATOR");
	if (emulator && !*emulator)
		emulator = NULL;
	if (ring_probe() == -ENOSYS) {
		have_ring = 0;
		printf("skip io_uring (rings, setup, register, enter, ring-signalled eventfd and waiter): "
		       "io_uring_setup: ENOSYS (%s does not emulate io_uring)\n", emulator);
	}
	if (have_ring) {
		test_mmap_mode(0, "mmap");
		test_mmap_mode(IORING_SETUP_SQE128 | IORING_SETUP_CQE32, "mmap-big");
		test_mmap_mode(IORING_SETUP_NO_SQARRAY, "mmap-nosqarray");
		test_mmap_mode(IORING_SETUP_SQPOLL, "mmap-sqpoll");
		test_mmap_registered_ring();
		test_no_mmap();
		test_enter_timeout();
	}
	test_eventfd();
	test_waiter();
	test_waiter_orphaned();
	test_buffers();
	test_pool_alloc();
	test_alloc_churn();
	test_memlock();
	test_mmap_fd();
	test_kernel_release();
	test_sockets();
	if (have_ring) {
		test_setup_modes();
		test_register();
	}
	test_waiter_races();
	CHECK(count_fds() == fds_before, "fds open: %d before the tests, %d after", fds_before, count_fds());
	printf("native: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
