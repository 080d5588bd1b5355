/*
 * Thin io_uring syscall wrappers. Raw syscall(2) keeps the library free of
 * liburing and of any libc io_uring support that the target may lack.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int32_t us__enter(int ring_fd, uint32_t to_submit, uint32_t min_complete,
		  uint32_t flags, int64_t timeout_ns)
{
	struct __kernel_timespec ts;
	struct io_uring_getevents_arg arg = { 0 };
	int64_t deadline = 0;
	long ret;

	if (timeout_ns >= 0) {
		deadline = mono_ns() + timeout_ns;
		arg.ts = (uint64_t)(uintptr_t)&ts;
	}
	for (;;) {
		if (timeout_ns >= 0) {
			/*
			 * The kernel timeout is relative: recompute it after an
			 * EINTR so a stream of signals cannot stretch the wait.
			 */
			int64_t left = deadline - mono_ns();

			if (left < 0)
				left = 0;
			ts.tv_sec = left / 1000000000LL;
			ts.tv_nsec = left % 1000000000LL;
			ret = syscall(__NR_io_uring_enter, ring_fd, to_submit,
				      min_complete, flags | IORING_ENTER_EXT_ARG,
				      &arg, sizeof(arg));
		} else {
			ret = syscall(__NR_io_uring_enter, ring_fd, to_submit,
				      min_complete, flags, NULL, (size_t)0);
		}
		/*
		 * The kernel only reports EINTR when nothing was submitted in
		 * this call, so retrying with the same to_submit is exact.
		 */
		if (ret >= 0 || errno != EINTR)
			break;
	}
	return ret < 0 ? -errno : (int32_t)ret;
}

US_API int32_t us_setup(uint32_t entries, void *params)
{
	struct io_uring_params *p = params;
	int fd, fl;

	if (!p)
		return -EFAULT;
	fd = (int)syscall(__NR_io_uring_setup, entries, p);
	if (fd < 0)
		return -errno;
	/* A registered-only ring returns a ring index, not an fd. */
	if (p->flags & IORING_SETUP_REGISTERED_FD_ONLY)
		return fd;
	/*
	 * Current kernels already create the fd close-on-exec; checking keeps
	 * the O_CLOEXEC promise on kernels that did not.
	 */
	fl = fcntl(fd, F_GETFD);
	if (fl < 0 || (!(fl & FD_CLOEXEC) && fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0)) {
		int err = errno;

		close(fd);
		return -err;
	}
	return fd;
}

US_API int32_t us_enter(int32_t ring_fd, uint32_t to_submit,
			uint32_t min_complete, uint32_t flags)
{
	return us__enter(ring_fd, to_submit, min_complete, flags, -1);
}

US_API int32_t us_enter_timeout(int32_t ring_fd, uint32_t to_submit,
				uint32_t min_complete, uint32_t flags,
				int64_t timeout_ns)
{
	return us__enter(ring_fd, to_submit, min_complete, flags, timeout_ns);
}

US_API int32_t us_register(int32_t ring_fd, uint32_t opcode, void *arg,
			   uint32_t nr_args)
{
	long ret = syscall(__NR_io_uring_register, ring_fd, opcode, arg, nr_args);

	return ret < 0 ? -errno : (int32_t)ret;
}

US_API int32_t us_register_eventfd(int32_t ring_fd, int32_t event_fd)
{
	return us_register(ring_fd, IORING_REGISTER_EVENTFD, &event_fd, 1);
}

US_API int32_t us_unregister_eventfd(int32_t ring_fd)
{
	return us_register(ring_fd, IORING_UNREGISTER_EVENTFD, NULL, 0);
}

US_API int32_t us_close(int32_t fd)
{
	/* No EINTR retry: Linux has released the fd even when close fails. */
	return close(fd) < 0 ? -errno : 0;
}
