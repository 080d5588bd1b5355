/*
 * uringshim native ABI: the only C surface the runtimes bind to.
 *
 * Both FFI symbol tables (runtime-bun/symbols.ts, runtime-deno/symbols.ts)
 * are declared from this file, and test/abi.test.ts parses it to check they
 * match. Keep one prototype per line in the block between the ABI markers.
 *
 * Conventions:
 *  - Every int32_t result is >= 0 on success and -errno on failure.
 *    Nothing here prints or aborts; errno is never the way a result is
 *    reported (a failed syscall may still leave it changed).
 *  - Pointers are caller memory (a WebAssembly linear memory or native
 *    buffer memory) that stays valid for the duration stated per function.
 *  - Every fd created here is O_CLOEXEC.
 */
#ifndef URINGSHIM_H
#define URINGSHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes of caller memory an mmap-mode context occupies (8-byte aligned). */
#define US_MMAP_CTX_SIZE 256
/* Bytes of caller memory a waiter occupies (8-byte aligned). */
#define US_WAITER_SIZE 64

/* us_buf_alloc flags */
#define US_BUF_HUGE 1u    /* MAP_HUGETLB 2 MiB pages (fails if none reserved) */
#define US_BUF_THP 2u     /* madvise(MADV_HUGEPAGE) */
#define US_BUF_LOCK 4u    /* mlock the range */

/*
 * The shadow ring for mmap mode: the same producer/consumer protocol as a
 * kernel ring, laid out by the caller in its own memory. The caller writes
 * SQEs and publishes shadow.sq_tail (release); us_mmap_enter() plays the
 * kernel's part: it copies SQEs sq_head..sq_tail into the kernel-mapped SQ,
 * enters, then copies kernel CQEs into the shadow CQ and publishes
 * shadow.cq_tail (release). The caller advances shadow.cq_head (release).
 *
 * Layout, from the shadow base (which must be 64-byte aligned):
 *   0   u32 sq_head       native advances
 *   4   u32 sq_tail       caller publishes
 *   8   u32 sq_flags      copy of the kernel SQ flags after each call
 *   12  u32 sq_dropped    copy of the kernel counter
 *   16  u32 cq_head       caller advances
 *   20  u32 cq_tail       native publishes
 *   24  u32 cq_overflow   copy of the kernel counter
 *   28  u32 cq_flags      caller's CQ flags (IORING_CQ_EVENTFD_DISABLED),
 *                         written to the kernel ring by each us_mmap_enter
 *   32  u32 sq_entries    power of two (kernel's sq_entries)
 *   36  u32 cq_entries    power of two (kernel's cq_entries)
 *   40..63                reserved, zero
 *   64                    SQEs: sq_entries * sqe_size bytes
 *   64 + sq_entries * sqe_size   CQEs: cq_entries * cqe_size bytes
 * sqe_size is 128 with IORING_SETUP_SQE128, else 64; cqe_size is 32 with
 * IORING_SETUP_CQE32, else 16 (taken from params->flags).
 */
#define US_SHADOW_SQ_HEAD 0
#define US_SHADOW_SQ_TAIL 4
#define US_SHADOW_SQ_FLAGS 8
#define US_SHADOW_SQ_DROPPED 12
#define US_SHADOW_CQ_HEAD 16
#define US_SHADOW_CQ_TAIL 20
#define US_SHADOW_CQ_OVERFLOW 24
#define US_SHADOW_CQ_FLAGS 28
#define US_SHADOW_SQ_ENTRIES 32
#define US_SHADOW_CQ_ENTRIES 36
#define US_SHADOW_SQES 64

/* Called on the waiter thread with the eventfd count just read. */
typedef void (*us_wake_fn)(int32_t count);

/* ABI-BEGIN */
int32_t us_setup(uint32_t entries, void *params);
int32_t us_enter(int32_t ring_fd, uint32_t to_submit, uint32_t min_complete, uint32_t flags);
int32_t us_enter_timeout(int32_t ring_fd, uint32_t to_submit, uint32_t min_complete, uint32_t flags, int64_t timeout_ns);
int32_t us_register(int32_t ring_fd, uint32_t opcode, void *arg, uint32_t nr_args);
int32_t us_register_eventfd(int32_t ring_fd, int32_t event_fd);
int32_t us_unregister_eventfd(int32_t ring_fd);
int32_t us_mmap_rings(int32_t ring_fd, const void *params, void *shadow, void *ctx);
int32_t us_mmap_enter(void *ctx, uint32_t min_complete, uint32_t flags, int64_t timeout_ns);
int32_t us_munmap_rings(void *ctx);
int32_t us_mmap_set_enter_fd(void *ctx, int32_t enter_fd, uint32_t enter_flags);
int32_t us_eventfd(uint32_t initval, int32_t nonblock);
int32_t us_eventfd_write(int32_t event_fd, uint32_t value);
int32_t us_eventfd_read(int32_t event_fd);
int32_t us_waiter_start(void *waiter, int32_t event_fd, us_wake_fn fn);
int32_t us_waiter_stop(void *waiter);
int32_t us_buf_alloc(uint64_t size, uint32_t flags, void *out);
int32_t us_buf_free(void *addr, uint64_t size);
int32_t us_pool_alloc(uint64_t size, uint64_t align, uint32_t flags, void *out);
int32_t us_memlock_limit(void *out);
int32_t us_mmap_fd(int32_t fd, uint64_t size, uint64_t offset, void *out);
int32_t us_munmap(void *addr, uint64_t size);
int32_t us_close(int32_t fd);
int32_t us_kernel_release(char *out, uint32_t len);
int32_t us_bind(int32_t fd, const void *addr, uint32_t addrlen);
int32_t us_listen(int32_t fd, int32_t backlog);
int32_t us_getsockname(int32_t fd, void *addr, uint32_t len);
/* ABI-END */

/*
 * us_setup: io_uring_setup(2). params is a struct io_uring_params (120
 * bytes) filled by the caller (flags, sq_thread_cpu, sq_thread_idle,
 * cq_entries, and for IORING_SETUP_NO_MMAP sq_off.user_addr = SQE array,
 * cq_off.user_addr = rings) and written back by the kernel. Returns the
 * ring fd, made O_CLOEXEC.
 *
 * us_enter: io_uring_enter(2) with no signal mask; EINTR is retried.
 * Returns the number of SQEs consumed.
 *
 * us_enter_timeout: io_uring_enter(2) with IORING_ENTER_EXT_ARG and a
 * struct io_uring_getevents_arg whose timeout is timeout_ns (< 0 means
 * none). When the timeout expires before min_complete CQEs it returns
 * -ETIME if nothing was submitted, else the number submitted (as the
 * kernel does).
 *
 * us_register: io_uring_register(2) as is.
 * us_register_eventfd / us_unregister_eventfd: IORING_REGISTER_EVENTFD /
 * IORING_UNREGISTER_EVENTFD.
 *
 * us_mmap_rings: map the kernel rings of ring_fd (set up without NO_MMAP;
 * params as returned by us_setup) and bind them to the shadow ring at
 * shadow, whose header (entries) it initialises. ctx is US_MMAP_CTX_SIZE
 * bytes of caller memory that, like shadow, must stay valid and unmoved
 * until us_munmap_rings(ctx).
 *
 * us_mmap_enter: apply the shadow's cq_flags to the kernel ring, move SQEs
 * shadow -> kernel, then io_uring_enter(2) when
 * there is anything to submit, min_complete > 0, flags ask for it, or the
 * kernel reports a CQ overflow to flush (with SQPOLL only when the poller
 * needs a wakeup), then move CQEs kernel -> shadow as room allows.
 * timeout_ns >= 0 uses the EXT_ARG form. Returns SQEs submitted, or -errno
 * (SQEs the kernel did not take stay queued in the kernel SQ and are
 * retried by the next call).
 *
 * us_mmap_set_enter_fd: what later us_mmap_enter calls pass to
 * io_uring_enter(2): enter_fd instead of the ring fd, and enter_flags ORed
 * into every call's flags. For a registered ring (IORING_REGISTER_RING_FDS):
 * the index and IORING_ENTER_REGISTERED_RING; registered indices belong to
 * the thread that registered them, so only that thread may then call
 * us_mmap_enter. us_mmap_set_enter_fd(ctx, ring_fd, 0) goes back.
 *
 * us_munmap_rings: unmap; ctx may be reused afterwards.
 *
 * us_eventfd: eventfd(2), EFD_CLOEXEC, EFD_NONBLOCK when nonblock != 0.
 * us_eventfd_write: add value to the counter.
 * us_eventfd_read: read(2) the counter (blocking unless the fd is
 * nonblocking); returns it clamped to INT32_MAX. For Deno's nonblocking
 * FFI symbol, which runs it on a blocking-pool thread.
 *
 * us_waiter_start: start a thread that loops: read the eventfd, then (unless
 * stopping) call fn(count). waiter is US_WAITER_SIZE bytes of caller memory
 * holding a handle to the thread's own state, read by us_waiter_stop only:
 * memory the runtime may free without stopping the waiter. The thread that
 * calls us_waiter_start owns it: once that thread has exited (a terminated
 * Worker), a wakeup calls nothing and ends the waiter, which frees itself.
 * us_waiter_stop: set the stop flag, wake the thread by writing the eventfd,
 * join it. When it returns, fn is never called again by this waiter.
 *
 * us_buf_alloc: anonymous mmap of size bytes (page-aligned; 2 MiB aligned
 * with US_BUF_HUGE), optionally madvise / mlock; writes the address as a
 * uint64 to out (8 bytes).
 * us_buf_free: munmap (munlock is implied).
 *
 * us_pool_alloc: an anonymous mapping of size bytes (rounded up to the page
 * size) starting at a multiple of align (a power of two up to 2 MiB; below the
 * page size it means the page size), for a buffer pool. flags say what to
 * try, in this order: US_BUF_HUGE a MAP_HUGETLB 2 MiB mapping (length
 * rounded up to 2 MiB); if that fails and US_BUF_THP is set, or with
 * US_BUF_THP alone, a normal mapping given madvise(MADV_HUGEPAGE) and, when
 * it is 2 MiB or more, started on a PMD boundary. Then US_BUF_LOCK mlocks
 * it. Returns the flags it got: US_BUF_HUGE for a hugetlb mapping;
 * US_BUF_THP when the kernel may back it with transparent huge pages (the
 * THP setting for PMD-size pages in /sys/kernel/mm/transparent_hugepage is
 * "always", or "madvise" and it was advised; PR_GET_THP_DISABLE does not
 * exclude it; it holds a whole aligned huge page: what smaps calls
 * THPeligible; so also without US_BUF_THP under "always"); US_BUF_LOCK
 * when locked. Free it with us_buf_free(addr, size).
 *
 * us_memlock_limit: getrlimit(RLIMIT_MEMLOCK): writes the soft then the
 * hard limit as two uint64 (16 bytes) to out, UINT64_MAX for RLIM_INFINITY.
 *
 * us_mmap_fd: mmap(MAP_SHARED, PROT_READ | PROT_WRITE) of size bytes of fd
 * from offset (page-aligned, else -EINVAL), e.g. a dmabuf or a memfd;
 * writes the address as a uint64 to out. The mapping outlives the fd.
 * us_munmap: munmap(2) of such a mapping (addr and size as mapped).
 *
 * us_close: close(2).
 *
 * us_bind, us_listen: bind(2), listen(2) (kernels before IORING_OP_BIND/LISTEN).
 * us_getsockname: getsockname(2) into len bytes at addr; returns the
 * address length (which may exceed len: then it was truncated).
 *
 * us_kernel_release: copies uname(2)'s release ("6.18.44-…") with its NUL
 * to out (len bytes; 65 always suffice); returns its length, or -ERANGE.
 */

#ifdef __cplusplus
}
#endif

#endif /* URINGSHIM_H */
