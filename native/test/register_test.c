/*
 * io_uring_register through us_register: fixed buffers from pool memory
 * (page- and 2 MiB-aligned) used by READ_FIXED / WRITE_FIXED, fixed files
 * and their update, the eventfd; each registered, used, unregistered, and
 * the second unregister and bad arguments fail with -errno.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include "uringshim.h"
#include "check.h"
#include "ring_helpers.h"

#define MIB2 (2ull << 20)
#define BUF 65536

/* Submit what is queued and reap n CQEs into out (ordered by user_data 0..n-1). */
static int run(struct nring *r, struct io_uring_cqe *out, unsigned n)
{
	unsigned got = 0;
	struct io_uring_cqe c;
	int ret = nring_submit(r, n);

	if (ret < 0)
		return ret;
	for (int tries = 0; got < n && tries < 1000; tries++) {
		while (got < n && nring_reap(r, &c)) {
			if (c.user_data < n)
				out[c.user_data] = c;
			got++;
		}
		if (got < n)
			us_enter_timeout(r->fd, 0, 1, IORING_ENTER_GETEVENTS, 1000000LL);
	}
	return got == n ? 0 : -ETIME;
}

static void fixed_rw(struct nring *r, uint64_t align, int tfd)
{
	uint64_t addr;
	int32_t got = us_pool_alloc(2 * BUF, align, align >= MIB2 ? US_BUF_THP : 0, &addr);
	unsigned char *pool = (unsigned char *)(uintptr_t)addr;
	struct iovec iov[2];
	struct io_uring_cqe c[2];
	struct io_uring_sqe *sqe;
	int ret;

	CHECK(got >= 0 && !(addr % align), "pool align %llu: %d", (unsigned long long)align, got);
	if (got < 0)
		return;
	for (int i = 0; i < BUF; i++)
		pool[i] = (unsigned char)(i * 13 + 7);
	memset(pool + BUF, 0, BUF);
	iov[0] = (struct iovec){ pool, BUF };
	iov[1] = (struct iovec){ pool + BUF, BUF };
	ret = us_register(r->fd, IORING_REGISTER_BUFFERS, iov, 2);
	CHECK(ret == 0, "register buffers: %d", ret);
	CHECK(us_register(r->fd, IORING_REGISTER_BUFFERS, iov, 2) == -EBUSY, "second register not -EBUSY");

	/* Write buffer 0 to the file, then (linked) read it back into buffer 1. */
	sqe = nring_sqe(r);
	sqe->opcode = IORING_OP_WRITE_FIXED;
	sqe->fd = tfd;
	sqe->addr = (uint64_t)(uintptr_t)pool;
	sqe->len = BUF;
	sqe->buf_index = 0;
	sqe->flags = IOSQE_IO_LINK;
	sqe->user_data = 0;
	sqe = nring_sqe(r);
	sqe->opcode = IORING_OP_READ_FIXED;
	sqe->fd = tfd;
	sqe->addr = (uint64_t)(uintptr_t)(pool + BUF);
	sqe->len = BUF;
	sqe->buf_index = 1;
	sqe->user_data = 1;
	ret = run(r, c, 2);
	CHECK(ret == 0 && c[0].res == BUF && c[1].res == BUF, "fixed write/read: %d, %d, %d", ret,
	      c[0].res, c[1].res);
	CHECK(!memcmp(pool, pool + BUF, BUF), "read-fixed data differs from what write-fixed wrote");

	/* An address outside the registered buffer is refused by the kernel. */
	sqe = nring_sqe(r);
	sqe->opcode = IORING_OP_READ_FIXED;
	sqe->fd = tfd;
	sqe->addr = (uint64_t)(uintptr_t)(pool + BUF + 4096);
	sqe->len = BUF;
	sqe->buf_index = 1;
	sqe->user_data = 0;
	ret = run(r, c, 1);
	CHECK(ret == 0 && c[0].res == -EFAULT, "read-fixed past the buffer: %d res %d", ret, c[0].res);

	CHECK(us_register(r->fd, IORING_UNREGISTER_BUFFERS, NULL, 0) == 0, "unregister buffers");
	CHECK(us_register(r->fd, IORING_UNREGISTER_BUFFERS, NULL, 0) == -ENXIO, "second unregister not -ENXIO");
	/* Unregistered: the slot no longer exists. */
	sqe = nring_sqe(r);
	sqe->opcode = IORING_OP_READ_FIXED;
	sqe->fd = tfd;
	sqe->addr = (uint64_t)(uintptr_t)pool;
	sqe->len = 16;
	sqe->buf_index = 0;
	sqe->user_data = 0;
	ret = run(r, c, 1);
	CHECK(ret == 0 && c[0].res < 0, "read-fixed after unregister: %d res %d", ret, c[0].res);
	CHECK(us_buf_free(pool, 2 * BUF) == 0, "free pool");
}

static void fixed_files(struct nring *r, int tfd)
{
	int fds[2] = { tfd, -1 }, pfd[2], bad = 9999, ret;
	struct io_uring_cqe c[1];
	struct io_uring_sqe *sqe;
	char buf[8] = "";
	struct io_uring_files_update up = { 0 };

	ret = us_register(r->fd, IORING_REGISTER_FILES, fds, 2);
	CHECK(ret == 0, "register files (one sparse): %d", ret);
	CHECK(us_register(r->fd, IORING_REGISTER_FILES, fds, 2) == -EBUSY, "second register files");
	sqe = nring_sqe(r);
	sqe->opcode = IORING_OP_READ;
	sqe->fd = 0; /* slot 0 */
	sqe->flags = IOSQE_FIXED_FILE;
	sqe->addr = (uint64_t)(uintptr_t)buf;
	sqe->len = 4;
	sqe->user_data = 0;
	ret = run(r, c, 1);
	CHECK(ret == 0 && c[0].res == 4, "read through fixed file: %d res %d", ret, c[0].res);

	/* Slot 1 <- a pipe's read end; the ring holds its own reference. */
	CHECK(pipe2(pfd, O_CLOEXEC) == 0 && write(pfd[1], "pipe", 4) == 4, "pipe");
	up.offset = 1;
	up.fds = (uint64_t)(uintptr_t)&pfd[0];
	ret = us_register(r->fd, IORING_REGISTER_FILES_UPDATE, &up, 1);
	CHECK(ret == 1, "files update: %d", ret);
	close(pfd[0]);
	sqe = nring_sqe(r);
	sqe->opcode = IORING_OP_READ;
	sqe->fd = 1;
	sqe->flags = IOSQE_FIXED_FILE;
	sqe->addr = (uint64_t)(uintptr_t)buf;
	sqe->len = 4;
	sqe->off = (uint64_t)-1;
	sqe->user_data = 0;
	ret = run(r, c, 1);
	CHECK(ret == 0 && c[0].res == 4 && !memcmp(buf, "pipe", 4), "read a closed-by-us pipe through slot 1: %d res %d",
	      ret, c[0].res);
	close(pfd[1]);

	CHECK(us_register(r->fd, IORING_UNREGISTER_FILES, NULL, 0) == 0, "unregister files");
	CHECK(us_register(r->fd, IORING_UNREGISTER_FILES, NULL, 0) == -ENXIO, "second unregister files");
	CHECK(us_register(r->fd, IORING_REGISTER_FILES, &bad, 1) == -EBADF, "register a closed fd");
	CHECK(us_register(r->fd, IORING_REGISTER_FILES, NULL, 1) == -EFAULT, "register files NULL");
}

static void eventfd_cycles(struct nring *r)
{
	int efd = us_eventfd(0, 1), pfd[2];

	CHECK(efd >= 0, "eventfd %d", efd);
	CHECK(pipe2(pfd, O_CLOEXEC) == 0, "pipe");
	for (int i = 0; i < 16; i++) {
		/* Alternate the plain and the async-only registration. */
		int ret = i & 1 ? us_register(r->fd, IORING_REGISTER_EVENTFD_ASYNC, &efd, 1)
				: us_register_eventfd(r->fd, efd);

		CHECK(ret == 0, "register eventfd round %d: %d", i, ret);
		if (!(i & 1)) {
			CHECK(nring_nop(r, 40 + i) == 0, "nop");
			CHECK(us_eventfd_read(efd) >= 1, "eventfd not signalled by a completion");
		}
		CHECK(us_unregister_eventfd(r->fd) == 0, "unregister eventfd round %d", i);
	}
	CHECK(us_unregister_eventfd(r->fd) == -ENXIO, "unregister with none registered");
	CHECK(us_register_eventfd(r->fd, -1) == -EBADF, "register eventfd -1");
	CHECK(us_register_eventfd(r->fd, pfd[0]) == -EINVAL, "register a pipe as the eventfd");
	CHECK(nring_nop(r, 99) == 0 && us_eventfd_read(efd) == -EAGAIN, "eventfd signalled after unregister");
	close(pfd[0]);
	close(pfd[1]);
	us_close(efd);
}

static void bad_buffers(struct nring *r)
{
	uint64_t addr;
	struct iovec iov;

	CHECK(us_register(r->fd, IORING_REGISTER_BUFFERS, NULL, 0) == -EFAULT, "register buffers NULL");
	iov = (struct iovec){ (void *)(uintptr_t)0x1000, 4096 };
	CHECK(us_register(r->fd, IORING_REGISTER_BUFFERS, &iov, 1) == -EFAULT, "register unmapped memory");
	CHECK(us_buf_alloc(4096, 0, &addr) == 0, "alloc");
	iov = (struct iovec){ (void *)(uintptr_t)addr, 0 };
	CHECK(us_register(r->fd, IORING_REGISTER_BUFFERS, &iov, 1) == -EFAULT, "register a 0-byte buffer");
	/* Freed memory: nothing to pin. */
	us_buf_free((void *)(uintptr_t)addr, 4096);
	iov = (struct iovec){ (void *)(uintptr_t)addr, 4096 };
	CHECK(us_register(r->fd, IORING_REGISTER_BUFFERS, &iov, 1) == -EFAULT, "register freed memory");
}

void test_register(void)
{
	char path[] = "/tmp/uringshim-register-XXXXXX";
	uint64_t aligns[] = { (uint64_t)sysconf(_SC_PAGESIZE), MIB2 };
	struct nring r;
	int tfd, ret;

	ret = nring_open(&r, 8, 0, aligns[0]);
	if (ret == -EINVAL) {
		printf("skip register tests: kernel lacks IORING_SETUP_NO_MMAP\n");
		return;
	}
	CHECK(ret == 0, "ring: %d", ret);
	if (ret)
		return;
	tfd = mkostemp(path, O_CLOEXEC);
	CHECK(tfd >= 0, "mkostemp");
	if (tfd >= 0) {
		unlink(path);
		for (unsigned i = 0; i < 2; i++)
			fixed_rw(&r, aligns[i], tfd);
		fixed_files(&r, tfd);
		close(tfd);
	}
	eventfd_cycles(&r);
	bad_buffers(&r);
	nring_close(&r);
}
