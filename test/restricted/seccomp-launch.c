/*
 * seccomp-launch: run a command the way a container or sandbox would, with
 * a seccomp-bpf filter that refuses io_uring, so tests can check what a user
 * in Docker, Podman or a systemd service sees (test/restricted.test.ts).
 *
 *   seccomp-launch [--errno EPERM|ENOSYS] [--all] -- COMMAND [ARG...]
 *
 * --errno: what io_uring_setup(2) fails with. EPERM (the default) is what
 *   Docker's and containerd's default profiles answer (their default action
 *   for a syscall they do not allow); ENOSYS is Podman's (containers-common
 *   "defaultErrnoRet": 38) and what a kernel without CONFIG_IO_URING says.
 * --all: refuse io_uring_enter(2) and io_uring_register(2) too, as those
 *   profiles do; without it only io_uring_setup(2) is refused.
 *
 * Exits 125 on bad usage or when the filter cannot be installed, 127 when
 * COMMAND cannot be executed (like env(1)); otherwise it is COMMAND.
 *
 * Built by native/Makefile (`npm ci` runs it) rather than by the test: the
 * project needs cc and make at install time already, and building it once
 * there keeps a compiler out of the test run and the build flags in one place.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Syscall numbers only mean something for one architecture: the filter
 * checks seccomp_data.arch before it looks at the number. */
#if defined(__x86_64__)
#define LAUNCH_AUDIT_ARCH AUDIT_ARCH_X86_64
/* x32 calls arrive with the same arch and this bit set on the number. */
#define LAUNCH_X32_BIT 0x40000000u
#elif defined(__aarch64__)
#define LAUNCH_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "seccomp-launch: add this architecture's AUDIT_ARCH_* value"
#endif

#define MAX_DENIED 3

static int usage(const char *why) {
	fprintf(stderr, "seccomp-launch: %s\nusage: seccomp-launch [--errno EPERM|ENOSYS] [--all] -- COMMAND [ARG...]\n", why);
	return 125;
}

/* A filter: wrong arch → kill; a denied number → errno; anything else → allow. */
static int install_filter(const unsigned int *denied, unsigned int ndenied, unsigned int err) {
	struct sock_filter prog[8 + MAX_DENIED];
	unsigned short n = 0;

	prog[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	prog[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, LAUNCH_AUDIT_ARCH, 1, 0);
	prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	prog[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
#ifdef LAUNCH_X32_BIT
	prog[n++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_AND | BPF_K, ~LAUNCH_X32_BIT);
#endif
	/* Compare i jumps over the compares after it and the ALLOW to the DENY. */
	for (unsigned int i = 0; i < ndenied; i++)
		prog[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, denied[i], (unsigned char)(ndenied - i), 0);
	prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (err & SECCOMP_RET_DATA));

	struct sock_fprog fprog = { .len = n, .filter = prog };
	/* Lets an unprivileged user install a filter, and keeps it on across exec. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -errno;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) != 0) return -errno;
	return 0;
}

int main(int argc, char **argv) {
	unsigned int err = EPERM;
	int all = 0;
	int i = 1;
	for (; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else if (strcmp(argv[i], "--all") == 0) {
			all = 1;
		} else if (strcmp(argv[i], "--errno") == 0 && i + 1 < argc) {
			const char *name = argv[++i];
			if (strcmp(name, "EPERM") == 0) err = EPERM;
			else if (strcmp(name, "ENOSYS") == 0) err = ENOSYS;
			else return usage("--errno takes EPERM or ENOSYS");
		} else {
			return usage("unknown option");
		}
	}
	if (i >= argc) return usage("no command given");

	unsigned int denied[MAX_DENIED] = { __NR_io_uring_setup, __NR_io_uring_enter, __NR_io_uring_register };
	int res = install_filter(denied, all ? 3 : 1, err);
	if (res < 0) {
		fprintf(stderr, "seccomp-launch: installing the filter failed: %s\n", strerror(-res));
		return 125;
	}
	execvp(argv[i], argv + i);
	fprintf(stderr, "seccomp-launch: cannot execute %s: %s\n", argv[i], strerror(errno));
	return 127;
}
