/*
 * Force-included (-include) in the glibc prebuilt builds only
 * (make P=linux-*-gnu, see the Makefile): the oldest glibc that can load
 * the library.
 *
 * Built against Debian 12's glibc 2.36, the library would ask for
 * pthread_create, pthread_join, pthread_detach @GLIBC_2.34 and
 * pthread_sigmask @GLIBC_2.32: the versions under which glibc moved them
 * from libpthread into libc, and so glibc 2.34 or later (no Debian 11,
 * Ubuntu 20.04, RHEL 8). The same functions still carry their original
 * version (the architecture's baseline) in libc.so.6 as compatibility
 * aliases, and before 2.34 in libpthread.so.0 (which the link adds as
 * NEEDED). Binding to those makes the oldest version needed
 * clock_gettime@GLIBC_2.17: glibc 2.17 (2012) on both architectures.
 * scripts/build-prebuilt.mjs exports that number (MIN_GLIBC) and
 * test/prebuilt.test.ts checks objdump -T against it.
 */
#if defined(__x86_64__)
#define US_GLIBC_BASELINE "GLIBC_2.2.5"
#elif defined(__aarch64__)
#define US_GLIBC_BASELINE "GLIBC_2.17"
#else
#error "compat/glibc-floor.h: no glibc baseline version for this architecture"
#endif

__asm__(".symver pthread_create, pthread_create@" US_GLIBC_BASELINE);
__asm__(".symver pthread_join, pthread_join@" US_GLIBC_BASELINE);
__asm__(".symver pthread_detach, pthread_detach@" US_GLIBC_BASELINE);
__asm__(".symver pthread_sigmask, pthread_sigmask@" US_GLIBC_BASELINE);
