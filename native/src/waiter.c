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
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

/*
 * The thread's state is its own (malloc'd): the caller's US_WAITER_SIZE
 * bytes hold only a pointer to it. They may live in memory the runtime
 * frees without stopping us (a Bun Worker terminated with a ring open
 * frees its WebAssembly memory), so the thread never touches them.
 */
struct waiter {
	pthread_t thread;
	us_wake_fn fn;
	int32_t event_fd;
	/* The thread that started the waiter: the runtime thread fn calls into. */
	pid_t owner;
	uint32_t stop; /* atomic; set by us_waiter_stop */
};

struct waiter_slot {
	struct waiter *w;
};

_Static_assert(sizeof(struct waiter_slot) <= US_WAITER_SIZE,
	       "the handle must fit the caller's US_WAITER_SIZE bytes");
_Static_assert(_Alignof(struct waiter_slot) <= 8,
	       "caller only guarantees 8-byte alignment for the waiter");

/*
 * Whether the thread that started w is gone. Its runtime went with it (a
 * terminated Worker): fn would call into a torn-down VM, and nobody is left
 * to call us_waiter_stop.
 */
static int owner_gone(const struct waiter *w)
{
	return syscall(SYS_tgkill, getpid(), w->owner, 0) < 0 && errno == ESRCH;
}

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
		if (owner_gone(w)) {
			/* Orphaned: end here, and free what no stop will free. */
			pthread_detach(pthread_self());
			free(w);
			return NULL;
		}
		w->fn(v > INT32_MAX ? INT32_MAX : (int32_t)v);
	}
	return NULL;
}

US_API int32_t us_waiter_start(void *waiter, int32_t event_fd, us_wake_fn fn)
{
	struct waiter_slot *slot = waiter;
	struct waiter *w;
	sigset_t all, old;
	int err;

	if (!slot || !fn)
		return -EFAULT;
	if (event_fd < 0)
		return -EBADF;
	slot->w = NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->fn = fn;
	w->event_fd = event_fd;
	w->owner = (pid_t)syscall(SYS_gettid);

	/*
	 * The thread inherits the creator's mask, so block everything around
	 * pthread_create: it is born with all signals blocked and the runtime's
	 * signal handlers (and process-directed signals) never run on it.
	 */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&w->thread, NULL, waiter_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		free(w);
		return -err;
	}
	slot->w = w;
	return 0;
}

US_API int32_t us_waiter_stop(void *waiter)
{
	struct waiter_slot *slot = waiter;
	struct waiter *w;
	uint64_t one = 1;
	ssize_t n;
	int err;

	if (!slot || !slot->w)
		return -EINVAL;
	w = slot->w;
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
	free(w);
	slot->w = NULL;
	return 0;
}
