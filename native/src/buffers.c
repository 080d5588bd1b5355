/*
 * Buffer memory for registered buffers and O_DIRECT I/O: page- (or huge-
 * page-) aligned anonymous mappings the JS side addresses as ArrayBuffers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT 26
#endif
#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB (21 << MAP_HUGE_SHIFT)
#endif

#define HUGE_2M (2ull << 20)

/* Round up to a power-of-two align; 0 when size is 0 or would overflow. */
static uint64_t round_up(uint64_t size, uint64_t align)
{
	if (size == 0 || size > INT64_MAX || size > UINT64_MAX - (align - 1))
		return 0;
	return (size + align - 1) & ~(align - 1);
}

static uint64_t page_size(void)
{
	long ps = sysconf(_SC_PAGESIZE);

	return ps > 0 ? (uint64_t)ps : 4096;
}

US_API int32_t us_buf_alloc(uint64_t size, uint32_t flags, void *out)
{
	int mflags = MAP_PRIVATE | MAP_ANONYMOUS;
	uint64_t len;
	void *p;
	int err;

	if (!out)
		return -EFAULT;
	if (flags & ~(US_BUF_HUGE | US_BUF_THP | US_BUF_LOCK))
		return -EINVAL;
	if (flags & US_BUF_HUGE) {
		mflags |= MAP_HUGETLB | MAP_HUGE_2MB;
		len = round_up(size, HUGE_2M);
	} else {
		len = round_up(size, page_size());
	}
	if (!len || len > SIZE_MAX)
		return -EINVAL;

	p = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, mflags, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	if (((flags & US_BUF_THP) && madvise(p, (size_t)len, MADV_HUGEPAGE) < 0) ||
	    ((flags & US_BUF_LOCK) && mlock(p, (size_t)len) < 0)) {
		err = errno;
		munmap(p, (size_t)len);
		return -err;
	}
	/* out may be an unaligned view into a JS buffer. */
	uint64_t addr = (uint64_t)(uintptr_t)p;
	memcpy(out, &addr, sizeof(addr));
	return 0;
}

US_API int32_t us_buf_free(void *addr, uint64_t size)
{
	uint64_t len = round_up(size, page_size());

	if (!addr || !len || len > SIZE_MAX)
		return -EINVAL;
	if (munmap(addr, (size_t)len) == 0)
		return 0;
	/*
	 * free has no flags, so a US_BUF_HUGE buffer freed with the size it
	 * was asked for arrives page-rounded. hugetlb mappings reject an unmap
	 * that ends inside a huge page (EINVAL); only then, and only for a
	 * 2 MiB aligned address, retry with the 2 MiB rounding alloc used.
	 * A page-rounded length that succeeds is always the right one for
	 * normal mappings, and a 2 MiB multiple is the same under both rules.
	 */
	if (errno == EINVAL && !((uintptr_t)addr & (HUGE_2M - 1))) {
		len = round_up(size, HUGE_2M);
		if (len && len <= SIZE_MAX && munmap(addr, (size_t)len) == 0)
			return 0;
	}
	return -errno;
}
