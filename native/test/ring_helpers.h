/*
 * A minimal IORING_SETUP_NO_MMAP ring for the tests: the rings live in
 * memory from us_pool_alloc (page- or 2 MiB-aligned), SQEs are written and
 * CQEs read in place, like the WebAssembly core does. setup_test.c.
 */
#ifndef URINGSHIM_TEST_RING_HELPERS_H
#define URINGSHIM_TEST_RING_HELPERS_H

#include <linux/io_uring.h>
#include <stddef.h>
#include <stdint.h>

/* Headers older than 6.5 call the NO_MMAP user_addr fields resv2. */
#ifndef IORING_SETUP_NO_MMAP
#define IORING_SETUP_NO_MMAP (1U << 14)
#define user_addr resv2
#endif
#ifndef IORING_SETUP_NO_SQARRAY
#define IORING_SETUP_NO_SQARRAY (1U << 16)
#endif

struct nring {
	int fd;
	struct io_uring_params p;
	unsigned char *mem;   /* one pool: SQEs, then the rings */
	uint64_t mem_len;
	unsigned char *rings;
	unsigned char *sqes;
	uint32_t sqe_size, cqe_size, sq_tail;
};

/* 0, or -errno from the allocation or us_setup (nothing is left open then). */
int nring_open(struct nring *r, uint32_t entries, uint32_t flags, uint64_t align);
void nring_close(struct nring *r);
/* A zeroed SQE at the local tail (published by nring_submit). */
struct io_uring_sqe *nring_sqe(struct nring *r);
/* Publish the local tail and enter, waiting for wait_nr CQEs (1 s at most). */
int nring_submit(struct nring *r, uint32_t wait_nr);
/* Pop one CQE into *out: 1, or 0 when the CQ is empty. */
int nring_reap(struct nring *r, struct io_uring_cqe *out);
/* One NOP with user_data ud, submitted and reaped: its res, or -errno of the enter. */
int nring_nop(struct nring *r, uint64_t ud);

#endif /* URINGSHIM_TEST_RING_HELPERS_H */
