/*
 * eventfd helpers: the completion doorbell a ring signals once registered
 * with us_register_eventfd, and what the waiter thread blocks on.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "internal.h"

US_API int32_t us_eventfd(uint32_t initval, int32_t nonblock)
{
	int fd = eventfd(initval, EFD_CLOEXEC | (nonblock ? EFD_NONBLOCK : 0));

	return fd < 0 ? -errno : fd;
}

US_API int32_t us_eventfd_write(int32_t event_fd, uint32_t value)
{
	uint64_t v = value;
	ssize_t n;

	do
		n = write(event_fd, &v, sizeof(v));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == sizeof(v) ? 0 : -EIO;
}

US_API int32_t us_eventfd_read(int32_t event_fd)
{
	uint64_t v;
	ssize_t n;

	do
		n = read(event_fd, &v, sizeof(v));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n != sizeof(v))
		return -EIO;
	/* The count only says "how many wakeups"; it never needs 64 bits. */
	return v > INT32_MAX ? INT32_MAX : (int32_t)v;
}
