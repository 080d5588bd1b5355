/*
 * The eventfd waiter under races: several threads each start and stop
 * their own waiter over and over while writer threads keep signalling the
 * eventfds, with stops landing before the thread first reads, while it
 * blocks, and while it is inside the callback. The ABI promise checked:
 * once us_waiter_stop returns, that waiter's callback is not running and is
 * never called again. Plus the bad-argument paths.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "uringshim.h"
#include "check.h"

#define SLOTS 4
#define ROUNDS 150

struct slot {
	int efd;
	_Alignas(8) unsigned char waiter[US_WAITER_SIZE];
	int stopped;        /* set once us_waiter_stop returned, cleared before start */
	int in_fn;          /* the callback is running */
	int calls;          /* callbacks since the last start */
	int total;          /* callbacks over all rounds */
	int late_calls;     /* callbacks that began after stop returned: must stay 0 */
	int running_at_stop; /* callback still running when stop returned: must stay 0 */
	int hold;           /* the callback lingers: a stop must wait for it */
	int writer_stop;
	int errors;
};

static struct slot slots[SLOTS];

/* us_wake_fn carries no context, so each slot has its own callback. */
static void on_wake(struct slot *s, int32_t count)
{
	if (__atomic_load_n(&s->stopped, __ATOMIC_ACQUIRE))
		__atomic_add_fetch(&s->late_calls, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&s->in_fn, 1, __ATOMIC_RELEASE);
	if (count <= 0)
		__atomic_add_fetch(&s->errors, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&s->total, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&s->calls, 1, __ATOMIC_RELAXED);
	if (__atomic_load_n(&s->hold, __ATOMIC_ACQUIRE))
		usleep(2000);
	__atomic_store_n(&s->in_fn, 0, __ATOMIC_RELEASE);
}

#define WAKE_FN(i) static void wake##i(int32_t c) { on_wake(&slots[i], c); }
WAKE_FN(0)
WAKE_FN(1)
WAKE_FN(2)
WAKE_FN(3)
static const us_wake_fn wake_fns[SLOTS] = { wake0, wake1, wake2, wake3 };

/* Keeps signalling one slot's eventfd, waiter or not. */
static void *writer_main(void *arg)
{
	struct slot *s = arg;

	while (!__atomic_load_n(&s->writer_stop, __ATOMIC_ACQUIRE)) {
		int r = us_eventfd_write(s->efd, 1);

		if (r < 0 && r != -EAGAIN)
			__atomic_add_fetch(&s->errors, 1, __ATOMIC_RELAXED);
		usleep(50);
	}
	return NULL;
}

/* One slot's owner: start, maybe wait for a call, stop; ROUNDS times. */
static void *owner_main(void *arg)
{
	int i = (int)(intptr_t)arg;
	struct slot *s = &slots[i];

	for (int round = 0; round < ROUNDS; round++) {
		__atomic_store_n(&s->calls, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&s->stopped, 0, __ATOMIC_RELEASE);
		if (us_waiter_start(s->waiter, s->efd, wake_fns[i]) != 0) {
			__atomic_add_fetch(&s->errors, 1, __ATOMIC_RELAXED);
			continue;
		}
		switch (round % 3) {
		case 0: /* stop at once: the thread may not have run yet */
			break;
		case 1: /* stop once it has called back at least once */
			for (int t = 0; t < 2000 && !__atomic_load_n(&s->calls, __ATOMIC_RELAXED); t++)
				usleep(100);
			break;
		default: /* stop while the callback runs: stop must wait for it */
			__atomic_store_n(&s->hold, 1, __ATOMIC_RELEASE);
			for (int t = 0; t < 20000 && !__atomic_load_n(&s->in_fn, __ATOMIC_ACQUIRE); t++)
				usleep(50);
			break;
		}
		if (us_waiter_stop(s->waiter) != 0)
			__atomic_add_fetch(&s->errors, 1, __ATOMIC_RELAXED);
		if (__atomic_load_n(&s->in_fn, __ATOMIC_ACQUIRE))
			__atomic_add_fetch(&s->running_at_stop, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&s->stopped, 1, __ATOMIC_RELEASE);
		__atomic_store_n(&s->hold, 0, __ATOMIC_RELEASE);
		/* Give a stray callback time to show up before the next start. */
		if (round % 3 == 2)
			usleep(200);
	}
	return NULL;
}

static void test_races(void)
{
	pthread_t owners[SLOTS], writers[SLOTS];
	int total_calls = 0;

	for (int i = 0; i < SLOTS; i++) {
		memset(&slots[i], 0, sizeof(slots[i]));
		/* Half blocking, half nonblocking (the waiter polls those). */
		slots[i].efd = us_eventfd(0, i & 1);
		slots[i].stopped = 1;
		CHECK(slots[i].efd >= 0, "eventfd %d", slots[i].efd);
		if (slots[i].efd < 0)
			return;
	}
	for (int i = 0; i < SLOTS; i++) {
		CHECK(pthread_create(&writers[i], NULL, writer_main, &slots[i]) == 0, "writer thread");
		CHECK(pthread_create(&owners[i], NULL, owner_main, (void *)(intptr_t)i) == 0, "owner thread");
	}
	for (int i = 0; i < SLOTS; i++) {
		pthread_join(owners[i], NULL);
		__atomic_store_n(&slots[i].writer_stop, 1, __ATOMIC_RELEASE);
		pthread_join(writers[i], NULL);
	}
	/* Quiet now: any callback still to come would be late. */
	usleep(20000);
	for (int i = 0; i < SLOTS; i++) {
		struct slot *s = &slots[i];

		CHECK(s->late_calls == 0, "slot %d: %d callbacks after stop returned", i, s->late_calls);
		CHECK(s->running_at_stop == 0, "slot %d: callback running when stop returned (%d)", i,
		      s->running_at_stop);
		CHECK(s->errors == 0, "slot %d: %d start/stop/write errors", i, s->errors);
		total_calls += s->total;
		us_close(s->efd);
	}
	printf("waiter races: %d threads x %d start/stop rounds, %d callbacks\n", SLOTS, ROUNDS, total_calls);
	/* The stops raced real callbacks only if there were some. */
	CHECK(total_calls > 0, "no callback in %d rounds", SLOTS * ROUNDS);
}

static int stray_calls;

static void count_stray(int32_t count)
{
	(void)count;
	__atomic_add_fetch(&stray_calls, 1, __ATOMIC_RELAXED);
}

static void test_bad_args(void)
{
	_Alignas(8) unsigned char w[US_WAITER_SIZE];
	int efd = us_eventfd(0, 0);

	CHECK(us_waiter_start(NULL, efd, count_stray) == -EFAULT, "start NULL waiter");
	CHECK(us_waiter_start(w, efd, NULL) == -EFAULT, "start NULL fn");
	CHECK(us_waiter_start(w, -1, count_stray) == -EBADF, "start fd -1");
	memset(w, 0, sizeof(w));
	CHECK(us_waiter_stop(w) == -EINVAL, "stop a waiter never started");
	CHECK(us_waiter_stop(NULL) == -EINVAL, "stop NULL");

	/*
	 * An fd that is not open: the thread's read fails EBADF and it ends
	 * by itself; stop still joins it and returns 0, and fn never ran.
	 */
	int closed = dup(efd);

	close(closed);
	CHECK(us_waiter_start(w, closed, count_stray) == 0, "start on a closed fd");
	usleep(5000);
	CHECK(us_waiter_stop(w) == 0, "stop after the thread ended on its own");
	CHECK(stray_calls == 0, "fn called for a closed fd");
	us_close(efd);
}

void test_waiter_races(void)
{
	test_races();
	test_bad_args();
}
