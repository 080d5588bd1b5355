/* bind(2), listen(2) and getsockname(2) for kernels without
 * IORING_OP_BIND/LISTEN (before 6.11), and for learning the port a socket
 * bound to port 0 got. */
#include <errno.h>
#include <sys/socket.h>

#include "internal.h"

US_API int32_t us_bind(int32_t fd, const void *addr, uint32_t addrlen)
{
	return bind(fd, (const struct sockaddr *)addr, addrlen) < 0 ? -errno : 0;
}

US_API int32_t us_listen(int32_t fd, int32_t backlog)
{
	return listen(fd, backlog) < 0 ? -errno : 0;
}

US_API int32_t us_getsockname(int32_t fd, void *addr, uint32_t len)
{
	socklen_t n = len;

	if (getsockname(fd, (struct sockaddr *)addr, &n) < 0)
		return -errno;
	return (int32_t)n;
}
