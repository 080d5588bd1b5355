/*
 * Proves the sanitizer build detects what it is there for: `canary
 * overflow` reads one byte past a heap block (ASan), `canary leak` drops
 * the only pointer to one (LSan), `canary ubsan` overflows a signed int
 * (UBSan). Each must make the run fail; make sanitize checks the report.
 * In its own directory so the wildcard that gathers the harness sources
 * never links it into native-test.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static void *volatile sink;

int main(int argc, char **argv)
{
	/* A size the compiler cannot see, so only ASan (not UBSan's object-size check) can catch the read. */
	size_t n = 16 + (size_t)(argc > 5);
	char *p = malloc(n);

	if (!p)
		return 2;
	memset(p, 1, n);
	if (argc > 1 && !strcmp(argv[1], "overflow")) {
		int past = ((volatile char *)p)[n];

		free(p);
		return past == 123 ? 3 : 0;
	}
	if (argc > 1 && !strcmp(argv[1], "leak")) {
		sink = p;
		sink = NULL;
		return 0;
	}
	free(p);
	if (argc > 1 && !strcmp(argv[1], "ubsan")) {
		volatile int big = INT_MAX;

		return big + argc > 0 ? 0 : 4;
	}
	return 0;
}
