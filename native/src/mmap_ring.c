/*
 * mmap mode: the kernel rings are mapped here and mirrored into a caller-
 * owned "shadow ring" (layout in uringshim.h). Runtimes whose ring logic
 * lives in a WebAssembly memory cannot address the kernel mapping directly,
 * so us_mmap_enter() copies SQEs in and CQEs out around io_uring_enter(2).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

#define CTX_MAGIC 0x75736d6du /* "usmm": guards munmap of a ctx never mapped */

struct mmap_ctx {
	uint32_t magic;
	int32_t ring_fd;
	/*
	 * What io_uring_enter is given: ring_fd, or a registered ring index
	 * with IORING_ENTER_REGISTERED_RING in enter_flags (us_mmap_set_enter_fd).
	 */
	int32_t enter_fd;
	uint32_t enter_flags;
	uint32_t setup_flags;
	uint32_t sqe_size;
	uint32_t cqe_size;

	/* kernel SQ ring */
	uint32_t sq_mask;
	uint32_t sq_entries;
	uint32_t *sq_head;
	uint32_t *sq_tail;
	uint32_t *sq_flags;
	uint32_t *sq_dropped;
	uint32_t *sq_array; /* NULL with IORING_SETUP_NO_SQARRAY */
	unsigned char *sqes;

	/* kernel CQ ring */
	uint32_t cq_mask;
	uint32_t cq_entries;
	uint32_t *cq_head;
	uint32_t *cq_tail;
	uint32_t *cq_overflow;
	uint32_t *cq_flags; /* NULL when the kernel reports no offset */
	unsigned char *cqes;

	/* mappings, for munmap; cq_ring == sq_ring with a single mmap */
	void *sq_ring;
	void *cq_ring;
	size_t sq_ring_sz;
	size_t cq_ring_sz;
	size_t sqes_sz;

	unsigned char *shadow;
};

_Static_assert(sizeof(struct mmap_ctx) <= US_MMAP_CTX_SIZE,
	       "mmap ctx must fit the caller's US_MMAP_CTX_SIZE bytes");
_Static_assert(_Alignof(struct mmap_ctx) <= 8,
	       "caller only guarantees 8-byte alignment for ctx");

static inline uint32_t *shadow_word(const struct mmap_ctx *c, size_t off)
{
	return (uint32_t *)(c->shadow + off);
}

static inline uint32_t *kptr(void *base, uint32_t off)
{
	return (uint32_t *)((unsigned char *)base + off);
}

US_API int32_t us_mmap_rings(int32_t ring_fd, const void *params, void *shadow,
			     void *ctx)
{
	const struct io_uring_params *p = params;
	struct mmap_ctx *c = ctx;
	struct mmap_ctx n;
	int err;

	if (!p || !shadow || !ctx)
		return -EFAULT;
	if (((uintptr_t)shadow & 63) || ((uintptr_t)ctx & 7))
		return -EINVAL;
	if (p->flags & IORING_SETUP_NO_MMAP)
		return -EINVAL;
	/* Shadow indices are masked like kernel ones: powers of two only. */
	if (!p->sq_entries || (p->sq_entries & (p->sq_entries - 1)) ||
	    !p->cq_entries || (p->cq_entries & (p->cq_entries - 1)))
		return -EINVAL;

	memset(&n, 0, sizeof(n));
	n.ring_fd = ring_fd;
	n.enter_fd = ring_fd;
	n.setup_flags = p->flags;
	n.sqe_size = (p->flags & IORING_SETUP_SQE128) ? 128 : 64;
	n.cqe_size = (p->flags & IORING_SETUP_CQE32) ? 32 : 16;

	/*
	 * Without an SQ array the SQ ring region ends at the CQEs, which the
	 * single (CQ-sized) mapping below covers; the array term is then 0.
	 */
	n.sq_ring_sz = p->sq_off.array + (size_t)p->sq_entries * sizeof(uint32_t);
	if (p->flags & IORING_SETUP_NO_SQARRAY)
		n.sq_ring_sz = p->sq_off.array ? p->sq_off.array : p->cq_off.cqes;
	n.cq_ring_sz = p->cq_off.cqes + (size_t)p->cq_entries * n.cqe_size;
	if (p->features & IORING_FEAT_SINGLE_MMAP) {
		if (n.cq_ring_sz > n.sq_ring_sz)
			n.sq_ring_sz = n.cq_ring_sz;
		n.cq_ring_sz = n.sq_ring_sz;
	}

	n.sq_ring = mmap(NULL, n.sq_ring_sz, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_POPULATE, ring_fd, IORING_OFF_SQ_RING);
	if (n.sq_ring == MAP_FAILED)
		return -errno;
	if (p->features & IORING_FEAT_SINGLE_MMAP) {
		n.cq_ring = n.sq_ring;
	} else {
		n.cq_ring = mmap(NULL, n.cq_ring_sz, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_POPULATE, ring_fd,
				 IORING_OFF_CQ_RING);
		if (n.cq_ring == MAP_FAILED) {
			err = errno;
			munmap(n.sq_ring, n.sq_ring_sz);
			return -err;
		}
	}
	n.sqes_sz = (size_t)p->sq_entries * n.sqe_size;
	n.sqes = mmap(NULL, n.sqes_sz, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_POPULATE, ring_fd, IORING_OFF_SQES);
	if (n.sqes == MAP_FAILED) {
		err = errno;
		if (n.cq_ring != n.sq_ring)
			munmap(n.cq_ring, n.cq_ring_sz);
		munmap(n.sq_ring, n.sq_ring_sz);
		return -err;
	}

	n.sq_head = kptr(n.sq_ring, p->sq_off.head);
	n.sq_tail = kptr(n.sq_ring, p->sq_off.tail);
	n.sq_mask = *kptr(n.sq_ring, p->sq_off.ring_mask);
	n.sq_entries = *kptr(n.sq_ring, p->sq_off.ring_entries);
	n.sq_flags = kptr(n.sq_ring, p->sq_off.flags);
	n.sq_dropped = kptr(n.sq_ring, p->sq_off.dropped);
	if (!(p->flags & IORING_SETUP_NO_SQARRAY)) {
		n.sq_array = kptr(n.sq_ring, p->sq_off.array);
		/*
		 * Identity map once: SQE slot i is always array entry i, so
		 * us_mmap_enter only writes SQEs and the tail. The ring is
		 * idle, and the tail release in us_mmap_enter orders these
		 * stores before the kernel reads them.
		 */
		for (uint32_t i = 0; i < n.sq_entries; i++)
			n.sq_array[i] = i;
	}

	n.cq_head = kptr(n.cq_ring, p->cq_off.head);
	n.cq_tail = kptr(n.cq_ring, p->cq_off.tail);
	n.cq_mask = *kptr(n.cq_ring, p->cq_off.ring_mask);
	n.cq_entries = *kptr(n.cq_ring, p->cq_off.ring_entries);
	n.cq_overflow = kptr(n.cq_ring, p->cq_off.overflow);
	n.cq_flags = p->cq_off.flags ? kptr(n.cq_ring, p->cq_off.flags) : NULL;
	n.cqes = (unsigned char *)n.cq_ring + p->cq_off.cqes;

	n.shadow = shadow;
	n.magic = CTX_MAGIC;

	/*
	 * The shadow is not yet shared with anyone that polls it, so plain
	 * stores suffice; the caller starts using it after we return.
	 */
	memset(shadow, 0, US_SHADOW_SQES);
	*shadow_word(&n, US_SHADOW_SQ_ENTRIES) = n.sq_entries;
	*shadow_word(&n, US_SHADOW_CQ_ENTRIES) = n.cq_entries;
	*c = n;
	return 0;
}

/* Shadow SQEs -> free kernel SQ slots. Returns how many were moved. */
static uint32_t move_sqes(struct mmap_ctx *c)
{
	uint32_t *s_head = shadow_word(c, US_SHADOW_SQ_HEAD);
	uint32_t *s_tail = shadow_word(c, US_SHADOW_SQ_TAIL);
	const unsigned char *s_sqes = c->shadow + US_SHADOW_SQES;
	uint32_t shead, stail, khead, ktail, n, room;

	shead = io_uring_read_once(s_head); /* only we write it */
	/* Pairs with the caller's release of sq_tail after writing SQEs. */
	stail = io_uring_smp_load_acquire(s_tail);
	/* Only we write the kernel tail. */
	ktail = io_uring_read_once(c->sq_tail);
	/*
	 * Pairs with the kernel's smp_store_release of sq.head once it has
	 * consumed the SQEs: slots before head are free to overwrite.
	 */
	khead = io_uring_smp_load_acquire(c->sq_head);

	n = stail - shead;
	if (n > c->sq_entries) /* a caller bug; never copy stale slots twice */
		n = c->sq_entries;
	room = c->sq_entries - (ktail - khead);
	if (n > room)
		n = room;

	/* Shadow and kernel rings have the same size, hence the same mask. */
	for (uint32_t i = 0; i < n; i++)
		memcpy(c->sqes + (size_t)((ktail + i) & c->sq_mask) * c->sqe_size,
		       s_sqes + (size_t)((shead + i) & c->sq_mask) * c->sqe_size,
		       c->sqe_size);

	if (n) {
		/* Pairs with the kernel's smp_load_acquire of sq.tail. */
		io_uring_smp_store_release(c->sq_tail, ktail + n);
		/*
		 * Pairs with the caller's acquire of sq_head: the SQEs were
		 * read before it may reuse their shadow slots.
		 */
		io_uring_smp_store_release(s_head, shead + n);
	}
	return n;
}

/* Kernel CQEs -> shadow CQ, as far as the shadow has room. */
static void move_cqes(struct mmap_ctx *c)
{
	uint32_t *s_head = shadow_word(c, US_SHADOW_CQ_HEAD);
	uint32_t *s_tail = shadow_word(c, US_SHADOW_CQ_TAIL);
	unsigned char *s_cqes = c->shadow + US_SHADOW_SQES +
				(size_t)c->sq_entries * c->sqe_size;
	uint32_t khead, ktail, shead, stail, n, room;

	khead = io_uring_read_once(c->cq_head); /* only we write it */
	/* Pairs with the kernel's smp_store_release of cq.tail after filling CQEs. */
	ktail = io_uring_smp_load_acquire(c->cq_tail);
	stail = io_uring_read_once(s_tail); /* only we write it */
	/* Pairs with the caller's release of cq_head after reading CQEs. */
	shead = io_uring_smp_load_acquire(s_head);

	n = ktail - khead;
	room = c->cq_entries - (stail - shead);
	if (room > c->cq_entries) /* caller moved head past tail */
		room = 0;
	if (n > room)
		n = room;
	if (!n)
		return;

	for (uint32_t i = 0; i < n; i++)
		memcpy(s_cqes + (size_t)((stail + i) & c->cq_mask) * c->cqe_size,
		       c->cqes + (size_t)((khead + i) & c->cq_mask) * c->cqe_size,
		       c->cqe_size);

	/*
	 * Pairs with the kernel's read of cq.head when it looks for free CQ
	 * slots: our CQE reads complete before it may overwrite them.
	 */
	io_uring_smp_store_release(c->cq_head, khead + n);
	/* Pairs with the caller's acquire of cq_tail before reading CQEs. */
	io_uring_smp_store_release(s_tail, stail + n);
}

US_API int32_t us_mmap_enter(void *ctx, uint32_t min_complete, uint32_t flags,
			     int64_t timeout_ns)
{
	struct mmap_ctx *c = ctx;
	bool sqpoll, enter;
	uint32_t moved, pending, to_submit = 0, kflags;
	int32_t ret = 0;

	if (!c || c->magic != CTX_MAGIC)
		return -EINVAL;
	sqpoll = c->setup_flags & IORING_SETUP_SQPOLL;

	/*
	 * The CQ flags are the application's (IORING_CQ_EVENTFD_DISABLED):
	 * the caller sets them in the shadow, they take effect from here on.
	 */
	if (c->cq_flags)
		io_uring_write_once(c->cq_flags,
				    io_uring_read_once(shadow_word(c, US_SHADOW_CQ_FLAGS)));

	moved = move_sqes(c);
	/*
	 * Count what sits in the kernel SQ, not just what moved now: SQEs a
	 * previous enter did not take (-EAGAIN, -EBUSY) are retried here.
	 */
	pending = io_uring_read_once(c->sq_tail) -
		  io_uring_smp_load_acquire(c->sq_head);

	if (pending) {
		if (sqpoll) {
			/*
			 * Full barrier between the tail store and the flags load;
			 * pairs with the poller's barrier between setting
			 * NEED_WAKEUP and re-checking the tail before sleeping.
			 */
			io_uring_smp_mb();
			if (io_uring_read_once(c->sq_flags) & IORING_SQ_NEED_WAKEUP)
				flags |= IORING_ENTER_SQ_WAKEUP;
		} else {
			to_submit = pending;
		}
	}
	/*
	 * CQEs an earlier enter already moved to the shadow count as ready:
	 * the kernel sees only its own CQ, which move_cqes() emptied, and
	 * would otherwise wait for min_complete new ones (forever, without a
	 * timeout) while the caller's completions sit in the shadow.
	 */
	if (min_complete) {
		uint32_t ready = io_uring_read_once(shadow_word(c, US_SHADOW_CQ_TAIL)) -
				 io_uring_smp_load_acquire(shadow_word(c, US_SHADOW_CQ_HEAD));

		min_complete = ready >= min_complete ? 0 : min_complete - ready;
		flags |= IORING_ENTER_GETEVENTS;
	}
	/*
	 * Overflowed CQEs and deferred task work only reach the CQ ring
	 * inside a GETEVENTS enter.
	 */
	kflags = io_uring_read_once(c->sq_flags);
	if (kflags & (IORING_SQ_CQ_OVERFLOW | IORING_SQ_TASKRUN))
		flags |= IORING_ENTER_GETEVENTS;

	enter = to_submit || min_complete || flags;
	if (enter)
		ret = us__enter(c->enter_fd, to_submit, min_complete,
				flags | c->enter_flags, timeout_ns);
	if (!enter || sqpoll)
		ret = ret < 0 ? ret : (int32_t)moved;

	/* Even after an error (-ETIME, -EBUSY) whatever completed is delivered. */
	move_cqes(c);

	io_uring_write_once(shadow_word(c, US_SHADOW_SQ_FLAGS),
			    io_uring_read_once(c->sq_flags));
	io_uring_write_once(shadow_word(c, US_SHADOW_SQ_DROPPED),
			    io_uring_read_once(c->sq_dropped));
	io_uring_write_once(shadow_word(c, US_SHADOW_CQ_OVERFLOW),
			    io_uring_read_once(c->cq_overflow));
	return ret;
}

US_API int32_t us_mmap_set_enter_fd(void *ctx, int32_t enter_fd,
				    uint32_t enter_flags)
{
	struct mmap_ctx *c = ctx;

	if (!c || c->magic != CTX_MAGIC)
		return -EINVAL;
	c->enter_fd = enter_fd;
	c->enter_flags = enter_flags;
	return 0;
}

US_API int32_t us_munmap_rings(void *ctx)
{
	struct mmap_ctx *c = ctx;
	int32_t ret = 0;

	if (!c || c->magic != CTX_MAGIC)
		return -EINVAL;
	if (munmap(c->sqes, c->sqes_sz) < 0)
		ret = -errno;
	if (c->cq_ring != c->sq_ring && munmap(c->cq_ring, c->cq_ring_sz) < 0 && !ret)
		ret = -errno;
	if (munmap(c->sq_ring, c->sq_ring_sz) < 0 && !ret)
		ret = -errno;
	/* The ring fd belongs to the caller (us_close); only the maps go. */
	memset(c, 0, sizeof(*c));
	return ret;
}
