/*
 * Buffer memory for registered buffers and O_DIRECT I/O: page- (or huge-
 * page-) aligned anonymous mappings the JS side addresses as ArrayBuffers,
 * shared mappings of an fd (dmabuf), and the RLIMIT_MEMLOCK that pinning
 * them counts against.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
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

/*
 * mlock(2) as a raw syscall: AddressSanitizer (and any other interposer)
 * may replace libc's mlock with a no-op that returns 0, and US_BUF_LOCK
 * must then still lock, or fail with the kernel's ENOMEM / EPERM.
 */
static int lock_range(void *p, size_t len)
{
	return (int)syscall(__NR_mlock, p, len);
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
	    ((flags & US_BUF_LOCK) && lock_range(p, (size_t)len) < 0)) {
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

/*
 * Transparent huge pages. The kernel uses them for an anonymous mapping
 * when the PMD-size setting allows it ("always", or "madvise" for a range
 * given MADV_HUGEPAGE), the process has not turned them off
 * (PR_SET_THP_DISABLE), and the mapping holds a whole PMD-aligned huge
 * page. madvise() returning 0 says none of that: it succeeds under "never"
 * too. These helpers read the same facts the kernel checks, so a pool
 * reports huge pages only when it can get them (smaps: THPeligible).
 */
#define THP_SYSFS "/sys/kernel/mm/transparent_hugepage/"

enum thp_mode { THP_NEVER, THP_MADVISE, THP_ALWAYS, THP_INHERIT };

/* The bracketed word of a sysfs selector ("always [madvise] never"). */
static int read_selected(const char *path, char *word, size_t len)
{
	char buf[256];
	char *lb, *rb;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	lb = strchr(buf, '[');
	rb = lb ? strchr(lb, ']') : NULL;
	if (!rb || (size_t)(rb - lb - 1) >= len)
		return -1;
	memcpy(word, lb + 1, (size_t)(rb - lb - 1));
	word[rb - lb - 1] = '\0';
	return 0;
}

static int thp_mode_of(const char *path)
{
	char word[32];

	if (read_selected(path, word, sizeof(word)) < 0)
		return -1;
	if (!strcmp(word, "always"))
		return THP_ALWAYS;
	if (!strcmp(word, "madvise"))
		return THP_MADVISE;
	if (!strcmp(word, "inherit"))
		return THP_INHERIT;
	return THP_NEVER;
}

/* The PMD (THP) size: 2 MiB on x86-64 and 4 KiB-page arm64; 0 without THP. */
static uint64_t thp_pmd_size(void)
{
	char buf[32];
	ssize_t n;
	int fd = open(THP_SYSFS "hpage_pmd_size", O_RDONLY | O_CLOEXEC);
	unsigned long long v;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	v = strtoull(buf, NULL, 10);
	/* A power of two the mapping code can align to; else treat as none. */
	return v && !(v & (v - 1)) && v <= (1ull << 30) ? v : 0;
}

/*
 * THP mode for PMD-sized pages: the per-size setting (6.8+,
 * hugepages-<size>kB/enabled) unless it says "inherit", else the global one.
 */
static int thp_pmd_mode(uint64_t pmd)
{
	char path[128];
	int mode;

	snprintf(path, sizeof(path), THP_SYSFS "hugepages-%llukB/enabled",
		 (unsigned long long)(pmd >> 10));
	mode = thp_mode_of(path);
	if (mode < 0 || mode == THP_INHERIT)
		mode = thp_mode_of(THP_SYSFS "enabled");
	return mode < 0 || mode == THP_INHERIT ? THP_NEVER : mode;
}

/* True when [p, p + len) holds at least one pmd-aligned pmd-sized range. */
static int holds_pmd(uintptr_t p, uint64_t len, uint64_t pmd)
{
	uintptr_t first = (p + pmd - 1) & ~(uintptr_t)(pmd - 1);

	return pmd && first - p <= len && len - (first - p) >= pmd;
}

/* Whether the kernel may back [p, p + len) with THP; advised: MADV_HUGEPAGE given. */
static int thp_eligible(uintptr_t p, uint64_t len, int advised)
{
	uint64_t pmd = thp_pmd_size();
	int mode, off;

	if (!holds_pmd(p, len, pmd))
		return 0;
	mode = thp_pmd_mode(pmd);
	if (mode == THP_NEVER || (mode == THP_MADVISE && !advised))
		return 0;
	/* 1: off for this process; 3: off except MADV_HUGEPAGE ranges (6.18). */
	off = prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0);
	return off <= 0 || (advised && off != 1);
}

/*
 * An anonymous mapping of len bytes starting at a multiple of align (a
 * power of two >= the page size): map align - page more, unmap the slack.
 */
static void *map_aligned(uint64_t len, uint64_t align)
{
	uint64_t page = page_size();
	uint64_t slack = align > page ? align - page : 0;
	uintptr_t p, start;
	void *m;

	if (len > SIZE_MAX - slack) {
		errno = ENOMEM;
		return MAP_FAILED;
	}
	m = mmap(NULL, (size_t)(len + slack), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED || !slack)
		return m;
	p = (uintptr_t)m;
	start = (p + align - 1) & ~(uintptr_t)(align - 1);
	if (start > p)
		munmap(m, start - p);
	if (p + slack > start)
		munmap((void *)(start + len), p + slack - start);
	return (void *)start;
}

US_API int32_t us_pool_alloc(uint64_t size, uint64_t align, uint32_t flags, void *out)
{
	uint64_t page = page_size(), len, pmd, map_align;
	int32_t got = 0;
	void *p = MAP_FAILED;
	int err;

	if (!out)
		return -EFAULT;
	if (flags & ~(US_BUF_HUGE | US_BUF_THP | US_BUF_LOCK))
		return -EINVAL;
	if (!align || (align & (align - 1)) || align > HUGE_2M)
		return -EINVAL;
	if (align < page)
		align = page;
	/*
	 * Only the start is aligned; the length is page-rounded, the rounding
	 * us_buf_free(addr, size) applies, so free unmaps exactly this.
	 */
	len = round_up(size, page);
	if (!len || len > SIZE_MAX)
		return -EINVAL;

	if (flags & US_BUF_HUGE) {
		uint64_t hlen = round_up(size, HUGE_2M);

		if (hlen && hlen <= SIZE_MAX)
			p = mmap(NULL, (size_t)hlen, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_HUGE_2MB,
				 -1, 0);
		if (p != MAP_FAILED) {
			got |= US_BUF_HUGE;
			len = hlen;
		} else if (!(flags & US_BUF_THP)) {
			return hlen ? -errno : -EINVAL;
		}
	}
	if (p == MAP_FAILED) {
		map_align = align;
		pmd = thp_pmd_size();
		/* A huge page needs a PMD-aligned range: start the pool on one. */
		if ((flags & US_BUF_THP) && pmd > map_align && len >= pmd)
			map_align = pmd;
		p = map_aligned(len, map_align);
		if (p == MAP_FAILED)
			return -errno;
		/* madvise fails only on kernels without THP: then there are none. */
		if (thp_eligible((uintptr_t)p, len,
				 (flags & US_BUF_THP) && madvise(p, (size_t)len, MADV_HUGEPAGE) == 0))
			got |= US_BUF_THP;
	}
	if ((flags & US_BUF_LOCK) && lock_range(p, (size_t)len) < 0) {
		err = errno;
		munmap(p, (size_t)len);
		return -err;
	}
	if (flags & US_BUF_LOCK)
		got |= US_BUF_LOCK;
	uint64_t addr = (uint64_t)(uintptr_t)p;
	memcpy(out, &addr, sizeof(addr));
	return got;
}

US_API int32_t us_memlock_limit(void *out)
{
	struct rlimit rl;
	uint64_t v[2];

	if (!out)
		return -EFAULT;
	if (getrlimit(RLIMIT_MEMLOCK, &rl) < 0)
		return -errno;
	v[0] = rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : (uint64_t)rl.rlim_cur;
	v[1] = rl.rlim_max == RLIM_INFINITY ? UINT64_MAX : (uint64_t)rl.rlim_max;
	memcpy(out, v, sizeof(v));
	return 0;
}

US_API int32_t us_mmap_fd(int32_t fd, uint64_t size, uint64_t offset, void *out)
{
	void *p;

	if (!out)
		return -EFAULT;
	if (!size || size > SIZE_MAX || offset > INT64_MAX)
		return -EINVAL;
	p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)offset);
	if (p == MAP_FAILED)
		return -errno;
	uint64_t addr = (uint64_t)(uintptr_t)p;
	memcpy(out, &addr, sizeof(addr));
	return 0;
}

US_API int32_t us_munmap(void *addr, uint64_t size)
{
	if (!addr || !size || size > SIZE_MAX)
		return -EINVAL;
	return munmap(addr, (size_t)size) == 0 ? 0 : -errno;
}
