/*
 * A native thread that turns eventfd wakeups into calls of a runtime
 * callback (a Bun JSCallback / Deno UnsafeCallback marked thread-safe), so
 * the runtime's event loop learns of completions without polling.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

struct waiter {
	pthread_t thread;
	us_wake_fn fn;
	int32_t event_fd;
	uint32_t stop; /* atomic; set by us_waiter_stop */
};

_Static_assert(sizeof(struct waiter) <= US_WAITER_SIZE,
	       "waiter must fit the caller's US_WAITER_SIZE bytes");
_Static_assert(_Alignof(struct waiter) <= 8,
	       "caller only guarantees 8-byte alignment for the waiter");

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;

	for (;;) {
		uint64_t v;
		ssize_t n = read(w->event_fd, &v, sizeof(v));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				/* A nonblocking eventfd: block in poll instead. */
				struct pollfd pfd = { .fd = w->event_fd, .events = POLLIN };

				poll(&pfd, 1, -1);
				continue;
			}
			/*
			 * The fd is unusable (closed under us); spinning would
			 * burn a core and no wakeup can arrive, so end here.
			 * us_waiter_stop still joins cleanly.
			 */
			break;
		}
		if (n != sizeof(v))
			break;
		/* Pairs with the release store in us_waiter_stop. */
		if (__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE))
			break;
		w->fn(v > INT32_MAX ? INT32_MAX : (int32_t)v);
	}
	return NULL;
}

US_API int32_t us_waiter_start(void *waiter, int32_t event_fd, us_wake_fn fn)
{
	struct waiter *w = waiter;
	sigset_t all, old;
	int err;

	if (!w || !fn)
		return -EFAULT;
	if (event_fd < 0)
		return -EBADF;
	memset(w, 0, sizeof(*w));
	w->fn = fn;
	w->event_fd = event_fd;

	/*
	 * The thread inherits the creator's mask, so block everything around
	 * pthread_create: it is born with all signals blocked and the runtime's
	 * signal handlers (and process-directed signals) never run on it.
	 */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&w->thread, NULL, waiter_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return err ? -err : 0;
}

US_API int32_t us_waiter_stop(void *waiter)
{
	struct waiter *w = waiter;
	uint64_t one = 1;
	ssize_t n;
	int err;

	if (!w || !w->fn)
		return -EINVAL;
	/* Pairs with the acquire load in waiter_main. */
	__atomic_store_n(&w->stop, 1, __ATOMIC_RELEASE);
	do
		n = write(w->event_fd, &one, sizeof(one));
	while (n < 0 && errno == EINTR);
	/*
	 * A failed write (EAGAIN at a saturated counter) still leaves the fd
	 * readable, so the thread wakes; join regardless.
	 */
	err = pthread_join(w->thread, NULL);
	if (err)
		return -err;
	w->fn = NULL;
	return 0;
}
