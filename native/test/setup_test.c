/*
 * Ring setup in both modes, repeatedly, and its error paths: NO_MMAP rings
 * in page- and 2 MiB-aligned pool memory, kernel-mmapped rings through
 * us_mmap_rings; bad parameters give -errno and leave nothing open.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "uringshim.h"
#include "check.h"
#include "ring_helpers.h"

#define MIB2 (2ull << 20)

static uint64_t round_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

int nring_open(struct nring *r, uint32_t entries, uint32_t flags, uint64_t align)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), addr, sqes_len;
	int32_t got;

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	r->sqe_size = (flags & IORING_SETUP_SQE128) ? 128 : 64;
	r->cqe_size = (flags & IORING_SETUP_CQE32) ? 32 : 16;
	/*
	 * The kernel lays the rings out itself; this bound covers the ring
	 * header, 2 * entries CQEs and the SQ array for any flags.
	 */
	sqes_len = round_up((uint64_t)entries * r->sqe_size, page);
	r->mem_len = sqes_len + round_up(4096 + 2ull * entries * r->cqe_size + entries * 4ull, page);
	got = us_pool_alloc(r->mem_len, align, align >= MIB2 ? US_BUF_THP : 0, &addr);
	if (got < 0)
		return got;
	r->mem = (unsigned char *)(uintptr_t)addr;
	r->sqes = r->mem;
	r->rings = r->mem + sqes_len;
	r->p.flags = flags | IORING_SETUP_NO_MMAP;
	r->p.sq_off.user_addr = (uint64_t)(uintptr_t)r->sqes;
	r->p.cq_off.user_addr = (uint64_t)(uintptr_t)r->rings;
	if (flags & IORING_SETUP_SQPOLL)
		r->p.sq_thread_idle = 50;
	r->fd = us_setup(entries, &r->p);
	if (r->fd < 0) {
		int err = r->fd;

		us_buf_free(r->mem, r->mem_len);
		r->mem = NULL;
		return err;
	}
	return 0;
}

void nring_close(struct nring *r)
{
	/* Close first: the kernel stops using the rings before they are unmapped. */
	if (r->fd >= 0)
		us_close(r->fd);
	if (r->mem)
		us_buf_free(r->mem, r->mem_len);
	r->fd = -1;
	r->mem = NULL;
}

static uint32_t *ring_u32(struct nring *r, uint32_t off)
{
	return (uint32_t *)(r->rings + off);
}

struct io_uring_sqe *nring_sqe(struct nring *r)
{
	uint32_t idx = r->sq_tail & *ring_u32(r, r->p.sq_off.ring_mask);
	struct io_uring_sqe *sqe = (struct io_uring_sqe *)(r->sqes + (size_t)idx * r->sqe_size);

	memset(sqe, 0, r->sqe_size);
	if (!(r->p.flags & IORING_SETUP_NO_SQARRAY))
		ring_u32(r, r->p.sq_off.array)[idx] = idx;
	r->sq_tail++;
	return sqe;
}

int nring_submit(struct nring *r, uint32_t wait_nr)
{
	uint32_t *ktail = ring_u32(r, r->p.sq_off.tail);
	uint32_t to_submit = r->sq_tail - *ktail, flags = wait_nr ? IORING_ENTER_GETEVENTS : 0;

	/* Pairs with the kernel's acquire of sq.tail before it reads the SQEs. */
	__atomic_store_n(ktail, r->sq_tail, __ATOMIC_RELEASE);
	if (r->p.flags & IORING_SETUP_SQPOLL) {
		/* Full barrier between the tail store and the flags load, as liburing does. */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (__atomic_load_n(ring_u32(r, r->p.sq_off.flags), __ATOMIC_RELAXED) & IORING_SQ_NEED_WAKEUP)
			flags |= IORING_ENTER_SQ_WAKEUP;
		to_submit = 0;
	}
	if (!to_submit && !flags)
		return 0;
	return us_enter_timeout(r->fd, to_submit, wait_nr, flags, 1000000000LL);
}

int nring_reap(struct nring *r, struct io_uring_cqe *out)
{
	uint32_t *head = ring_u32(r, r->p.cq_off.head);
	/* Pairs with the kernel's release of cq.tail after it wrote the CQE. */
	uint32_t tail = __atomic_load_n(ring_u32(r, r->p.cq_off.tail), __ATOMIC_ACQUIRE);
	uint32_t h = *head, mask = *ring_u32(r, r->p.cq_off.ring_mask);

	if (h == tail)
		return 0;
	memcpy(out, r->rings + r->p.cq_off.cqes + (size_t)(h & mask) * r->cqe_size, sizeof(*out));
	/* Pairs with the kernel's read of cq.head before it reuses the slot. */
	__atomic_store_n(head, h + 1, __ATOMIC_RELEASE);
	return 1;
}

int nring_nop(struct nring *r, uint64_t ud)
{
	struct io_uring_cqe cqe;
	int ret;

	nring_sqe(r)->user_data = ud; /* zeroed: opcode 0 is IORING_OP_NOP */
	ret = nring_submit(r, 1);
	if (ret < 0)
		return ret;
	for (int i = 0; i < 1000; i++) {
		if (nring_reap(r, &cqe))
			return cqe.user_data == ud ? cqe.res : -EPROTO;
		us_enter_timeout(r->fd, 0, 1, IORING_ENTER_GETEVENTS, 1000000LL);
	}
	return -ETIME;
}

/* NO_MMAP: each configuration set up, used and torn down a few times. */
static void test_no_mmap_cycles(void)
{
	static const struct {
		uint32_t flags;
		const char *name;
	} cfgs[] = {
		{ 0, "plain" },
		{ IORING_SETUP_NO_SQARRAY, "NO_SQARRAY" },
		{ IORING_SETUP_SQE128 | IORING_SETUP_CQE32, "SQE128|CQE32" },
		{ IORING_SETUP_SQPOLL, "SQPOLL" },
	};
	uint64_t aligns[] = { (uint64_t)sysconf(_SC_PAGESIZE), MIB2 };
	struct nring r;

	for (unsigned a = 0; a < 2; a++) {
		for (unsigned c = 0; c < sizeof(cfgs) / sizeof(cfgs[0]); c++) {
			for (int round = 0; round < 4; round++) {
				uint32_t entries = 1u << (round * 2); /* 1, 4, 16, 64 */
				int ret = nring_open(&r, entries, cfgs[c].flags, aligns[a]);

				if (ret == -EINVAL && round == 0 && (cfgs[c].flags || a == 0)) {
					printf("skip no-mmap %s: kernel rejects it (%d)\n", cfgs[c].name, ret);
					break;
				}
				CHECK(ret == 0, "no-mmap %s align %llu entries %u: %d", cfgs[c].name,
				      (unsigned long long)aligns[a], entries, ret);
				if (ret)
					break;
				CHECK(!((uintptr_t)r.mem % aligns[a]), "no-mmap ring memory misaligned");
				CHECK(has_cloexec(r.fd), "no-mmap %s ring fd lacks FD_CLOEXEC", cfgs[c].name);
				ret = nring_nop(&r, 0x5000 + round);
				CHECK(ret == 0, "no-mmap %s entries %u nop: %d", cfgs[c].name, entries, ret);
				nring_close(&r);
			}
		}
	}
}

/* Kernel-mmapped rings: map, one NOP through the shadow, unmap, close. */
static void test_mmap_cycles(void)
{
	for (int round = 0; round < 8; round++) {
		struct io_uring_params p;
		_Alignas(8) unsigned char ctx[US_MMAP_CTX_SIZE];
		uint32_t entries = 1u << round; /* 1 .. 128 */
		uint64_t addr, len;
		unsigned char *sh;
		struct io_uring_cqe *cqe;
		int fd, ret;

		memset(&p, 0, sizeof(p));
		fd = us_setup(entries, &p);
		CHECK(fd >= 0 && has_cloexec(fd), "mmap setup %u: %d", entries, fd);
		if (fd < 0)
			continue;
		len = US_SHADOW_SQES + (uint64_t)p.sq_entries * 64 + (uint64_t)p.cq_entries * 16;
		CHECK(us_buf_alloc(len, 0, &addr) == 0, "shadow alloc");
		sh = (unsigned char *)(uintptr_t)addr;
		ret = us_mmap_rings(fd, &p, sh, ctx);
		CHECK(ret == 0, "mmap rings %u: %d", entries, ret);
		if (ret == 0) {
			struct io_uring_sqe *sqe = (struct io_uring_sqe *)(sh + US_SHADOW_SQES);

			memset(sqe, 0, sizeof(*sqe));
			sqe->user_data = 0x600 + round;
			__atomic_store_n((uint32_t *)(sh + US_SHADOW_SQ_TAIL), 1, __ATOMIC_RELEASE);
			ret = us_mmap_enter(ctx, 1, 0, 1000000000LL);
			cqe = (struct io_uring_cqe *)(sh + US_SHADOW_SQES + (size_t)p.sq_entries * 64);
			CHECK(ret == 1 && __atomic_load_n((uint32_t *)(sh + US_SHADOW_CQ_TAIL), __ATOMIC_ACQUIRE) == 1 &&
			      cqe->user_data == 0x600u + round && cqe->res == 0,
			      "mmap %u nop: enter %d ud %llx res %d", entries, ret,
			      (unsigned long long)cqe->user_data, cqe->res);
			CHECK(us_munmap_rings(ctx) == 0, "munmap rings");
		}
		us_buf_free(sh, len);
		CHECK(us_close(fd) == 0, "close");
	}
}

static void test_setup_errors(void)
{
	_Alignas(64) unsigned char sh[8192];
	_Alignas(8) unsigned char ctx[US_MMAP_CTX_SIZE];
	struct io_uring_params p;
	uint64_t addr;
	int fd, efd = eventfd(0, EFD_CLOEXEC);

	CHECK(us_setup(8, NULL) == -EFAULT, "setup NULL params");
	memset(&p, 0, sizeof(p));
	CHECK(us_setup(65536, &p) == -EINVAL, "setup 65536 entries without CLAMP");
	memset(&p, 0, sizeof(p));
	p.flags = 1u << 31;
	CHECK(us_setup(8, &p) == -EINVAL, "setup unknown flag");
	memset(&p, 0, sizeof(p));
	p.resv[0] = 1;
	CHECK(us_setup(8, &p) == -EINVAL, "setup nonzero resv");

	/* NO_MMAP with no memory, and with an SQE array that is not page-aligned. */
	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_NO_MMAP;
	fd = us_setup(8, &p);
	if (fd == -EINVAL) {
		printf("skip no-mmap setup errors: kernel lacks IORING_SETUP_NO_MMAP\n");
	} else {
		CHECK(fd == -EFAULT, "no-mmap without memory: %d", fd);
		CHECK(us_buf_alloc(1 << 16, 0, &addr) == 0, "alloc");
		memset(&p, 0, sizeof(p));
		p.flags = IORING_SETUP_NO_MMAP;
		p.sq_off.user_addr = addr + 8;
		p.cq_off.user_addr = addr + (1 << 15);
		CHECK(us_setup(8, &p) == -EINVAL, "no-mmap unaligned SQEs");
		us_buf_free((void *)(uintptr_t)addr, 1 << 16);
	}

	/* us_mmap_rings / us_mmap_enter / us_munmap_rings on bad input. */
	memset(&p, 0, sizeof(p));
	fd = us_setup(8, &p);
	CHECK(fd >= 0, "setup");
	CHECK(us_mmap_rings(-1, &p, sh, ctx) == -EBADF, "mmap_rings bad fd");
	CHECK(us_mmap_rings(efd, &p, sh, ctx) == -ENODEV, "mmap_rings on an eventfd");
	CHECK(us_mmap_rings(fd, &p, sh + 8, ctx) == -EINVAL, "mmap_rings shadow not 64-aligned");
	CHECK(us_mmap_rings(fd, &p, sh, ctx + 4) == -EINVAL, "mmap_rings ctx not 8-aligned");
	{
		struct io_uring_params q = p;

		q.sq_entries = 6;
		CHECK(us_mmap_rings(fd, &q, sh, ctx) == -EINVAL, "mmap_rings entries not a power of two");
	}
	memset(ctx, 0, sizeof(ctx));
	CHECK(us_mmap_enter(ctx, 0, 0, -1) == -EINVAL, "mmap_enter on a ctx never mapped");
	CHECK(us_mmap_enter(NULL, 0, 0, -1) == -EINVAL, "mmap_enter NULL");
	CHECK(us_munmap_rings(NULL) == -EINVAL, "munmap_rings NULL");
	CHECK(us_munmap_rings(ctx) == -EINVAL, "munmap_rings never mapped");

	/* Syscalls on an fd that is not a ring. */
	CHECK(us_enter(efd, 0, 0, 0) == -EOPNOTSUPP, "enter on an eventfd");
	CHECK(us_register(efd, IORING_REGISTER_BUFFERS, NULL, 0) == -EOPNOTSUPP, "register on an eventfd");
	{
		/* Not -1: 6.13+ reads fd -1 as a ring-less ("blind") register. */
		int closed = dup(efd);

		close(closed);
		CHECK(us_register(closed, IORING_REGISTER_BUFFERS, NULL, 0) == -EBADF, "register on a closed fd");
	}
	CHECK(us_register(fd, 250, NULL, 0) == -EINVAL, "register unknown opcode");
	CHECK(us_eventfd_read(-1) == -EBADF, "eventfd_read -1");
	CHECK(us_kernel_release((char *)sh, 0) == -ERANGE, "kernel_release len 0");
	CHECK(us_getsockname(efd, sh, 16) == -ENOTSOCK, "getsockname on an eventfd");
	CHECK(us_bind(-1, sh, 16) == -EBADF, "bind -1");
	CHECK(us_mmap_fd(efd, 4096, 0, &addr) == -ENODEV, "mmap_fd of an eventfd");
	CHECK(us_close(fd) == 0, "close");
	close(efd);
}

void test_setup_modes(void)
{
	test_no_mmap_cycles();
	test_mmap_cycles();
	test_setup_errors();
}
