/* The kernel release, from uname(2): the runtimes' own ways to read it need
 * extra permissions under Deno (--allow-sys), this needs none. */
#include <errno.h>
#include <string.h>
#include <sys/utsname.h>

#include "internal.h"

US_API int32_t us_kernel_release(char *out, uint32_t len)
{
	struct utsname u;
	size_t n;

	if (uname(&u) < 0)
		return -errno;
	n = strnlen(u.release, sizeof(u.release));
	if (len < n + 1)
		return -ERANGE;
	memcpy(out, u.release, n + 1);
	return (int32_t)n;
}
