/*
 * Private to the native layer: compat constants for uapi headers older than
 * the running kernel, ring-index barriers, and the export marker.
 */
#ifndef URINGSHIM_INTERNAL_H
#define URINGSHIM_INTERNAL_H

#include <stdint.h>
#include <linux/io_uring.h>

#include "uringshim.h"

/*
 * Built with -fvisibility=hidden so helpers shared between the .c files stay
 * private; only ABI functions carry this marker.
 */
#define US_API __attribute__((visibility("default")))

/* The build host's uapi header may predate these (Debian 12 ships 6.1). */
#ifndef IORING_SETUP_SQE128
#define IORING_SETUP_SQE128 (1U << 10)
#endif
#ifndef IORING_SETUP_CQE32
#define IORING_SETUP_CQE32 (1U << 11)
#endif
#ifndef IORING_SETUP_SINGLE_ISSUER
#define IORING_SETUP_SINGLE_ISSUER (1U << 12)
#endif
#ifndef IORING_SETUP_DEFER_TASKRUN
#define IORING_SETUP_DEFER_TASKRUN (1U << 13)
#endif
#ifndef IORING_SETUP_NO_MMAP
#define IORING_SETUP_NO_MMAP (1U << 14)
#endif
#ifndef IORING_SETUP_REGISTERED_FD_ONLY
#define IORING_SETUP_REGISTERED_FD_ONLY (1U << 15)
#endif
#ifndef IORING_SETUP_NO_SQARRAY
#define IORING_SETUP_NO_SQARRAY (1U << 16)
#endif
#ifndef IORING_SQ_CQ_OVERFLOW
#define IORING_SQ_CQ_OVERFLOW (1U << 1)
#endif
#ifndef IORING_SQ_TASKRUN
#define IORING_SQ_TASKRUN (1U << 2)
#endif
#ifndef IORING_ENTER_EXT_ARG
#define IORING_ENTER_EXT_ARG (1U << 3)
/* Defined together with the flag in the uapi, so guarded by it as well. */
struct io_uring_getevents_arg {
	uint64_t sigmask;
	uint32_t sigmask_sz;
	uint32_t pad;
	uint64_t ts;
};
#endif
#ifndef IORING_FEAT_SINGLE_MMAP
#define IORING_FEAT_SINGLE_MMAP (1U << 0)
#endif

/*
 * Ring index barriers. The kernel publishes sq.head / cq.tail with
 * smp_store_release and reads sq.tail / cq.head with acquire semantics
 * (or READ_ONCE plus a control dependency); these are the user-space halves.
 * Each call site says which kernel access it pairs with.
 */
#define io_uring_smp_store_release(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define io_uring_smp_load_acquire(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define io_uring_read_once(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define io_uring_write_once(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define io_uring_smp_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)

/*
 * io_uring_enter(2) shared by us_enter* and us_mmap_enter: EINTR retried,
 * EXT_ARG timeout when timeout_ns >= 0. Returns the result or -errno.
 */
int32_t us__enter(int ring_fd, uint32_t to_submit, uint32_t min_complete,
		  uint32_t flags, int64_t timeout_ns);

#endif /* URINGSHIM_INTERNAL_H */
