/*
 * Shared by the native-test sources: the CHECK counter macro and small
 * helpers. Each *_test.c file tests one area through the exported ABI only.
 */
#ifndef URINGSHIM_TEST_CHECK_H
#define URINGSHIM_TEST_CHECK_H

#include <fcntl.h>
#include <stdio.h>
#include <time.h>

extern int passed, failed;

#define CHECK(cond, ...)                                                   \
	do {                                                               \
		if (cond) {                                                \
			passed++;                                          \
		} else {                                                   \
			failed++;                                          \
			fprintf(stderr, "FAIL %s:%d: %s: ", __func__,      \
				__LINE__, #cond);                          \
			fprintf(stderr, __VA_ARGS__);                      \
			fputc('\n', stderr);                               \
		}                                                          \
	} while (0)

static inline int has_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);

	return fl >= 0 && (fl & FD_CLOEXEC);
}

static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Areas in their own files. */
void test_setup_modes(void);   /* setup_test.c */
void test_register(void);      /* register_test.c */
void test_waiter_races(void);  /* waiter_race_test.c */

#endif /* URINGSHIM_TEST_CHECK_H */
