/*
 * Golden SQE vectors: runs every io_uring_prep_* helper of the installed
 * liburing (2.3, Debian bookworm's liburing-dev) on a zeroed SQE and prints
 * one JSON record per line: the helper, the uring.wasm export that must
 * encode the same SQE, that export's arguments (after `sqe`) in its order,
 * the user_data set afterwards, and the SQE bytes as hex. Built and run by
 * test/golden/generate.mjs (`npm run golden`), which adds the header of
 * test/golden/vectors.json. Ops newer than liburing 2.3 are not here: see
 * test/golden/header-derived.ts.
 *
 * Argument values are distinct and non-zero so a value landing in the wrong
 * field shows. 64-bit pointers, offsets and lengths stay below 2^53 because
 * uring.wasm takes them as f64 (exact only up to 2^53) so that hot exports
 * never take a BigInt; they still set bits above 32 so a truncation shows.
 * 64-bit user_data/data values are passed to the wasm as two u32 halves, so
 * those use all 64 bits, high bit included.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <liburing.h>

#define MAX_ARGS 12
#define F64_EXACT (1ULL << 53)

/* Pointers (below 2^53, above 2^32). */
#define P1 0x1A2B3C4D5E6F70ULL
#define P2 0x1B2C3D4E5F6071ULL
#define P3 0x1C2D3E4F506172ULL
#define P4 0x1D2E3F40516273ULL
/* File offsets and 64-bit lengths (below 2^53). */
#define OFF1 0x1F2E3D4C5B6A79ULL
#define OFF2 0x19283746556473ULL
/* Full 64-bit values (user_data, msg_ring data), high bit set. */
#define U64A 0x8877665544332211ULL
#define U64B 0xF0E1D2C3B4A59687ULL
/* The user_data every record sets after its prep. */
#define UD 0xFEDCBA9876543210ULL

static void *ptr(uint64_t v)
{
	return (void *)(uintptr_t)v;
}

static struct {
	const char *prep, *export_;
	int nargs;
	const char *names[MAX_ARGS];
	char values[MAX_ARGS][32];
	_Alignas(64) unsigned char sqe[128];
} rec;

static struct io_uring_sqe *begin(const char *prep, const char *export_)
{
	memset(&rec, 0, sizeof(rec));
	rec.prep = prep;
	rec.export_ = export_;
	return (struct io_uring_sqe *)rec.sqe;
}

__attribute__((format(printf, 2, 3)))
static void arg(const char *name, const char *fmt, ...)
{
	va_list ap;

	if (rec.nargs == MAX_ARGS) {
		fprintf(stderr, "gen: %s: too many arguments\n", rec.prep);
		exit(1);
	}
	rec.names[rec.nargs] = name;
	va_start(ap, fmt);
	vsnprintf(rec.values[rec.nargs], sizeof(rec.values[0]), fmt, ap);
	va_end(ap);
	rec.nargs++;
}

/* int-typed C arguments: the wasm takes an i32 (same bits). */
static void a_int(const char *name, int64_t v)
{
	arg(name, "%" PRId64, v);
}

/* unsigned C arguments up to 32 bits. */
static void a_uint(const char *name, uint64_t v)
{
	arg(name, "%" PRIu64, v);
}

/* A pointer or a 64-bit offset/length: the wasm takes an f64. */
static void a_f64(const char *name, int64_t v)
{
	if (v >= (int64_t)F64_EXACT || v <= -(int64_t)F64_EXACT) {
		fprintf(stderr, "gen: %s: %s is not exact as an f64\n", rec.prep, name);
		exit(1);
	}
	arg(name, "%" PRId64, v);
}

/* A 64-bit value the wasm takes as two u32 halves: <name>Lo, <name>Hi. */
static void a_u64(const char *lo, const char *hi, uint64_t v)
{
	a_uint(lo, v & 0xffffffffu);
	a_uint(hi, v >> 32);
}

static void emit(int with_user_data)
{
	struct io_uring_sqe *sqe = (struct io_uring_sqe *)rec.sqe;

	if (with_user_data)
		io_uring_sqe_set_data64(sqe, UD);
	/* No liburing 2.3 helper needs a 128-byte SQE: none may write past 64. */
	for (int i = 64; i < 128; i++) {
		if (rec.sqe[i]) {
			fprintf(stderr, "gen: %s wrote byte %d of the SQE\n", rec.prep, i);
			exit(1);
		}
	}
	printf("{\"prep\":\"%s\",\"export\":\"%s\",\"args\":[", rec.prep, rec.export_);
	for (int i = 0; i < rec.nargs; i++)
		printf("%s[\"%s\",%s]", i ? "," : "", rec.names[i], rec.values[i]);
	printf("]");
	if (with_user_data)
		printf(",\"userData\":[%" PRIu64 ",%" PRIu64 "]", (uint64_t)(UD & 0xffffffffu),
		       (uint64_t)(UD >> 32));
	printf(",\"sqe\":\"");
	for (int i = 0; i < 64; i++)
		printf("%02x", rec.sqe[i]);
	printf("\"}\n");
}

static void core_ops(void)
{
	struct io_uring_sqe *sqe;

	sqe = begin("io_uring_prep_rw", "prepRw");
	a_int("op", IORING_OP_READ); a_int("fd", 0x1357); a_f64("addr", P1); a_uint("len", 0x9abc);
	a_f64("offset", OFF1);
	io_uring_prep_rw(IORING_OP_READ, sqe, 0x1357, ptr(P1), 0x9abc, OFF1);
	emit(1);

	sqe = begin("io_uring_prep_nop", "prepNop");
	io_uring_prep_nop(sqe);
	emit(1);

	sqe = begin("io_uring_prep_read", "prepRead");
	a_int("fd", 0x2468); a_f64("buf", P1); a_uint("nbytes", 0x10203); a_f64("offset", OFF1);
	io_uring_prep_read(sqe, 0x2468, ptr(P1), 0x10203, OFF1);
	emit(1);

	/* offset -1: "the current file position", all ones in sqe->off */
	sqe = begin("io_uring_prep_read", "prepRead");
	a_int("fd", 0x2468); a_f64("buf", P2); a_uint("nbytes", 4096); a_f64("offset", -1);
	io_uring_prep_read(sqe, 0x2468, ptr(P2), 4096, (__u64)-1);
	emit(1);

	sqe = begin("io_uring_prep_write", "prepWrite");
	a_int("fd", 0x369); a_f64("buf", P2); a_uint("nbytes", 0x80000001u); a_f64("offset", OFF2);
	io_uring_prep_write(sqe, 0x369, ptr(P2), 0x80000001u, OFF2);
	emit(1);

	sqe = begin("io_uring_prep_readv", "prepReadv");
	a_int("fd", 0x47); a_f64("iovecs", P3); a_uint("nrVecs", 0x55); a_f64("offset", OFF1);
	io_uring_prep_readv(sqe, 0x47, ptr(P3), 0x55, OFF1);
	emit(1);

	sqe = begin("io_uring_prep_readv2", "prepReadv2");
	a_int("fd", 0x48); a_f64("iovecs", P1); a_uint("nrVecs", 0x56); a_f64("offset", OFF2);
	a_int("flags", 0x1f);
	io_uring_prep_readv2(sqe, 0x48, ptr(P1), 0x56, OFF2, 0x1f);
	emit(1);

	sqe = begin("io_uring_prep_writev", "prepWritev");
	a_int("fd", 0x49); a_f64("iovecs", P2); a_uint("nrVecs", 0x57); a_f64("offset", OFF1);
	io_uring_prep_writev(sqe, 0x49, ptr(P2), 0x57, OFF1);
	emit(1);

	sqe = begin("io_uring_prep_writev2", "prepWritev2");
	a_int("fd", 0x4a); a_f64("iovecs", P3); a_uint("nrVecs", 0x58); a_f64("offset", -1);
	a_int("flags", -2147483647 - 1);
	io_uring_prep_writev2(sqe, 0x4a, ptr(P3), 0x58, (__u64)-1, -2147483647 - 1);
	emit(1);

	sqe = begin("io_uring_prep_read_fixed", "prepReadFixed");
	a_int("fd", 0x4b); a_f64("buf", P4); a_uint("nbytes", 0x12345); a_f64("offset", OFF2);
	a_int("bufIndex", 0xfedc);
	io_uring_prep_read_fixed(sqe, 0x4b, ptr(P4), 0x12345, OFF2, 0xfedc);
	emit(1);

	sqe = begin("io_uring_prep_write_fixed", "prepWriteFixed");
	a_int("fd", 0x4c); a_f64("buf", P1); a_uint("nbytes", 0x23456); a_f64("offset", OFF1);
	a_int("bufIndex", 0x1bcd);
	io_uring_prep_write_fixed(sqe, 0x4c, ptr(P1), 0x23456, OFF1, 0x1bcd);
	emit(1);

	sqe = begin("io_uring_prep_timeout", "prepTimeout");
	a_f64("ts", P2); a_uint("count", 0x80000005u); a_uint("flags", 0x36);
	io_uring_prep_timeout(sqe, ptr(P2), 0x80000005u, 0x36);
	emit(1);

	sqe = begin("io_uring_prep_timeout_remove", "prepTimeoutRemove");
	a_u64("userDataLo", "userDataHi", U64A); a_uint("flags", 0x14);
	io_uring_prep_timeout_remove(sqe, U64A, 0x14);
	emit(1);

	sqe = begin("io_uring_prep_timeout_update", "prepTimeoutUpdate");
	a_f64("ts", P3); a_u64("userDataLo", "userDataHi", U64B); a_uint("flags", 0x5);
	io_uring_prep_timeout_update(sqe, ptr(P3), U64B, 0x5);
	emit(1);

	sqe = begin("io_uring_prep_link_timeout", "prepLinkTimeout");
	a_f64("ts", P4); a_uint("flags", 0x25);
	io_uring_prep_link_timeout(sqe, ptr(P4), 0x25);
	emit(1);

	sqe = begin("io_uring_prep_cancel64", "prepCancel64");
	a_u64("userDataLo", "userDataHi", U64A); a_int("flags", 0x3d);
	io_uring_prep_cancel64(sqe, U64A, 0x3d);
	emit(1);

	/* liburing takes a void *; the wasm takes its value as two halves. */
	sqe = begin("io_uring_prep_cancel", "prepCancel");
	a_u64("userDataLo", "userDataHi", U64B); a_int("flags", 0x11);
	io_uring_prep_cancel(sqe, ptr(U64B), 0x11);
	emit(1);

	sqe = begin("io_uring_prep_cancel_fd", "prepCancelFd");
	a_int("fd", 0x4d); a_uint("flags", 0x29);
	io_uring_prep_cancel_fd(sqe, 0x4d, 0x29);
	emit(1);
}

static void fs_ops(void)
{
	struct io_uring_sqe *sqe;

	sqe = begin("io_uring_prep_fsync", "prepFsync");
	a_int("fd", 0x51); a_uint("fsyncFlags", 0x80000001u);
	io_uring_prep_fsync(sqe, 0x51, 0x80000001u);
	emit(1);

	sqe = begin("io_uring_prep_sync_file_range", "prepSyncFileRange");
	a_int("fd", 0x52); a_uint("len", 0xabcdef); a_f64("offset", OFF1); a_int("flags", 0x7);
	io_uring_prep_sync_file_range(sqe, 0x52, 0xabcdef, OFF1, 0x7);
	emit(1);

	sqe = begin("io_uring_prep_fallocate", "prepFallocate");
	a_int("fd", 0x53); a_int("mode", 0x3); a_f64("offset", OFF2); a_f64("len", OFF1);
	io_uring_prep_fallocate(sqe, 0x53, 0x3, OFF2, OFF1);
	emit(1);

	sqe = begin("io_uring_prep_fadvise", "prepFadvise");
	a_int("fd", 0x54); a_f64("offset", OFF1); a_uint("len", 0x8000beef); a_int("advice", 0x4);
	io_uring_prep_fadvise(sqe, 0x54, OFF1, 0x8000beef, 0x4);
	emit(1);

	sqe = begin("io_uring_prep_madvise", "prepMadvise");
	a_f64("addr", P1); a_uint("length", 0x7000cafe); a_int("advice", 0xe);
	io_uring_prep_madvise(sqe, ptr(P1), 0x7000cafe, 0xe);
	emit(1);

	sqe = begin("io_uring_prep_splice", "prepSplice");
	a_int("fdIn", 0x55); a_f64("offIn", OFF1); a_int("fdOut", 0x56); a_f64("offOut", OFF2);
	a_uint("nbytes", 0x10001); a_uint("spliceFlags", 0x80000003u);
	io_uring_prep_splice(sqe, 0x55, OFF1, 0x56, OFF2, 0x10001, 0x80000003u);
	emit(1);

	/* the pipe end's offset is -1 */
	sqe = begin("io_uring_prep_splice", "prepSplice");
	a_int("fdIn", 0x57); a_f64("offIn", -1); a_int("fdOut", 0x58); a_f64("offOut", -1);
	a_uint("nbytes", 0x20002); a_uint("spliceFlags", 0x2);
	io_uring_prep_splice(sqe, 0x57, -1, 0x58, -1, 0x20002, 0x2);
	emit(1);

	sqe = begin("io_uring_prep_tee", "prepTee");
	a_int("fdIn", 0x59); a_int("fdOut", 0x5a); a_uint("nbytes", 0x30003); a_uint("spliceFlags", 0x8);
	io_uring_prep_tee(sqe, 0x59, 0x5a, 0x30003, 0x8);
	emit(1);

	sqe = begin("io_uring_prep_close", "prepClose");
	a_int("fd", 0x5b);
	io_uring_prep_close(sqe, 0x5b);
	emit(1);

	sqe = begin("io_uring_prep_close_direct", "prepCloseDirect");
	a_uint("fileIndex", 0x1234);
	io_uring_prep_close_direct(sqe, 0x1234);
	emit(1);

	/* close_direct takes a plain slot: ~0U wraps to file_index 0 (no ALLOC) */
	sqe = begin("io_uring_prep_close_direct", "prepCloseDirect");
	a_uint("fileIndex", IORING_FILE_INDEX_ALLOC);
	io_uring_prep_close_direct(sqe, IORING_FILE_INDEX_ALLOC);
	emit(1);

	sqe = begin("io_uring_prep_files_update", "prepFilesUpdate");
	a_f64("fds", P2); a_uint("nrFds", 0x66); a_int("offset", 0x77);
	io_uring_prep_files_update(sqe, ptr(P2), 0x66, 0x77);
	emit(1);

	/* offset -1 (IORING_FILE_INDEX_ALLOC) is sign-extended into sqe->off */
	sqe = begin("io_uring_prep_files_update", "prepFilesUpdate");
	a_f64("fds", P3); a_uint("nrFds", 0x67); a_int("offset", -1);
	io_uring_prep_files_update(sqe, ptr(P3), 0x67, -1);
	emit(1);
}

static void path_ops(void)
{
	struct io_uring_sqe *sqe;

	sqe = begin("io_uring_prep_openat", "prepOpenat");
	a_int("dfd", -100); a_f64("path", P1); a_int("flags", 0x80241); a_uint("mode", 0644);
	io_uring_prep_openat(sqe, -100, ptr(P1), 0x80241, 0644);
	emit(1);

	sqe = begin("io_uring_prep_openat_direct", "prepOpenatDirect");
	a_int("dfd", 0x61); a_f64("path", P2); a_int("flags", 0x42); a_uint("mode", 0600);
	a_uint("fileIndex", 0x3344);
	io_uring_prep_openat_direct(sqe, 0x61, ptr(P2), 0x42, 0600, 0x3344);
	emit(1);

	sqe = begin("io_uring_prep_openat2", "prepOpenat2");
	a_int("dfd", 0x62); a_f64("path", P3); a_f64("how", P4);
	io_uring_prep_openat2(sqe, 0x62, ptr(P3), ptr(P4));
	emit(1);

	sqe = begin("io_uring_prep_openat2_direct", "prepOpenat2Direct");
	a_int("dfd", 0x63); a_f64("path", P4); a_f64("how", P1); a_uint("fileIndex", 0x4455);
	io_uring_prep_openat2_direct(sqe, 0x63, ptr(P4), ptr(P1), 0x4455);
	emit(1);

	sqe = begin("io_uring_prep_statx", "prepStatx");
	a_int("dfd", 0x64); a_f64("path", P1); a_int("flags", 0x1100); a_uint("mask", 0xfff);
	a_f64("statxbuf", P2);
	io_uring_prep_statx(sqe, 0x64, ptr(P1), 0x1100, 0xfff, ptr(P2));
	emit(1);

	sqe = begin("io_uring_prep_renameat", "prepRenameat");
	a_int("olddfd", 0x65); a_f64("oldpath", P3); a_int("newdfd", 0x66); a_f64("newpath", P4);
	a_uint("flags", 0x5);
	io_uring_prep_renameat(sqe, 0x65, ptr(P3), 0x66, ptr(P4), 0x5);
	emit(1);

	sqe = begin("io_uring_prep_rename", "prepRename");
	a_f64("oldpath", P1); a_f64("newpath", P2);
	io_uring_prep_rename(sqe, ptr(P1), ptr(P2));
	emit(1);

	sqe = begin("io_uring_prep_unlinkat", "prepUnlinkat");
	a_int("dfd", 0x67); a_f64("path", P3); a_int("flags", 0x200);
	io_uring_prep_unlinkat(sqe, 0x67, ptr(P3), 0x200);
	emit(1);

	sqe = begin("io_uring_prep_unlink", "prepUnlink");
	a_f64("path", P4); a_int("flags", 0x201);
	io_uring_prep_unlink(sqe, ptr(P4), 0x201);
	emit(1);

	sqe = begin("io_uring_prep_mkdirat", "prepMkdirat");
	a_int("dfd", 0x68); a_f64("path", P1); a_uint("mode", 0755);
	io_uring_prep_mkdirat(sqe, 0x68, ptr(P1), 0755);
	emit(1);

	sqe = begin("io_uring_prep_mkdir", "prepMkdir");
	a_f64("path", P2); a_uint("mode", 0711);
	io_uring_prep_mkdir(sqe, ptr(P2), 0711);
	emit(1);

	sqe = begin("io_uring_prep_symlinkat", "prepSymlinkat");
	a_f64("target", P3); a_int("newdirfd", 0x69); a_f64("linkpath", P4);
	io_uring_prep_symlinkat(sqe, ptr(P3), 0x69, ptr(P4));
	emit(1);

	sqe = begin("io_uring_prep_symlink", "prepSymlink");
	a_f64("target", P1); a_f64("linkpath", P3);
	io_uring_prep_symlink(sqe, ptr(P1), ptr(P3));
	emit(1);

	sqe = begin("io_uring_prep_linkat", "prepLinkat");
	a_int("olddfd", 0x6a); a_f64("oldpath", P2); a_int("newdfd", 0x6b); a_f64("newpath", P4);
	a_int("flags", 0x400);
	io_uring_prep_linkat(sqe, 0x6a, ptr(P2), 0x6b, ptr(P4), 0x400);
	emit(1);

	sqe = begin("io_uring_prep_link", "prepLink");
	a_f64("oldpath", P4); a_f64("newpath", P1); a_int("flags", 0x1400);
	io_uring_prep_link(sqe, ptr(P4), ptr(P1), 0x1400);
	emit(1);

	sqe = begin("io_uring_prep_getxattr", "prepGetxattr");
	a_f64("name", P1); a_f64("value", P2); a_f64("path", P3); a_uint("len", 0x10101);
	io_uring_prep_getxattr(sqe, ptr(P1), ptr(P2), ptr(P3), 0x10101);
	emit(1);

	sqe = begin("io_uring_prep_setxattr", "prepSetxattr");
	a_f64("name", P2); a_f64("value", P3); a_f64("path", P4); a_int("flags", 0x2);
	a_uint("len", 0x20202);
	io_uring_prep_setxattr(sqe, ptr(P2), ptr(P3), ptr(P4), 0x2, 0x20202);
	emit(1);

	sqe = begin("io_uring_prep_fgetxattr", "prepFgetxattr");
	a_int("fd", 0x6c); a_f64("name", P3); a_f64("value", P4); a_uint("len", 0x30303);
	io_uring_prep_fgetxattr(sqe, 0x6c, ptr(P3), ptr(P4), 0x30303);
	emit(1);

	sqe = begin("io_uring_prep_fsetxattr", "prepFsetxattr");
	a_int("fd", 0x6d); a_f64("name", P4); a_f64("value", P1); a_int("flags", 0x1);
	a_uint("len", 0x40404);
	io_uring_prep_fsetxattr(sqe, 0x6d, ptr(P4), ptr(P1), 0x1, 0x40404);
	emit(1);
}

static void net_ops(void)
{
	struct io_uring_sqe *sqe;

	sqe = begin("io_uring_prep_socket", "prepSocket");
	a_int("domain", 10); a_int("type", 0x80801); a_int("protocol", 6); a_uint("flags", 0x71);
	io_uring_prep_socket(sqe, 10, 0x80801, 6, 0x71);
	emit(1);

	sqe = begin("io_uring_prep_socket_direct", "prepSocketDirect");
	a_int("domain", 2); a_int("type", 2); a_int("protocol", 17); a_uint("fileIndex", 0x5566);
	a_uint("flags", 0x72);
	io_uring_prep_socket_direct(sqe, 2, 2, 17, 0x5566, 0x72);
	emit(1);

	sqe = begin("io_uring_prep_socket_direct_alloc", "prepSocketDirectAlloc");
	a_int("domain", 1); a_int("type", 5); a_int("protocol", 0x7); a_uint("flags", 0x73);
	io_uring_prep_socket_direct_alloc(sqe, 1, 5, 0x7, 0x73);
	emit(1);

	sqe = begin("io_uring_prep_connect", "prepConnect");
	a_int("fd", 0x71); a_f64("addr", P1); a_uint("addrlen", 0x1c);
	io_uring_prep_connect(sqe, 0x71, ptr(P1), 0x1c);
	emit(1);

	sqe = begin("io_uring_prep_accept", "prepAccept");
	a_int("fd", 0x72); a_f64("addr", P2); a_f64("addrlen", P3); a_int("flags", 0x80800);
	io_uring_prep_accept(sqe, 0x72, ptr(P2), ptr(P3), 0x80800);
	emit(1);

	sqe = begin("io_uring_prep_accept_direct", "prepAcceptDirect");
	a_int("fd", 0x73); a_f64("addr", P3); a_f64("addrlen", P4); a_int("flags", 0x800);
	a_uint("fileIndex", 0x6677);
	io_uring_prep_accept_direct(sqe, 0x73, ptr(P3), ptr(P4), 0x800, 0x6677);
	emit(1);

	sqe = begin("io_uring_prep_multishot_accept", "prepMultishotAccept");
	a_int("fd", 0x74); a_f64("addr", P4); a_f64("addrlen", P1); a_int("flags", 0x80000);
	io_uring_prep_multishot_accept(sqe, 0x74, ptr(P4), ptr(P1), 0x80000);
	emit(1);

	sqe = begin("io_uring_prep_multishot_accept_direct", "prepMultishotAcceptDirect");
	a_int("fd", 0x75); a_f64("addr", P1); a_f64("addrlen", P2); a_int("flags", 0x80001);
	io_uring_prep_multishot_accept_direct(sqe, 0x75, ptr(P1), ptr(P2), 0x80001);
	emit(1);

	sqe = begin("io_uring_prep_send", "prepSend");
	a_int("sockfd", 0x76); a_f64("buf", P2); a_uint("len", 0x50505); a_int("flags", 0x4040);
	io_uring_prep_send(sqe, 0x76, ptr(P2), 0x50505, 0x4040);
	emit(1);

	sqe = begin("io_uring_prep_send_set_addr", "prepSendSetAddr");
	a_f64("destAddr", P3); a_uint("addrLen", 0x6e);
	io_uring_prep_send_set_addr(sqe, ptr(P3), 0x6e);
	emit(1);

	sqe = begin("io_uring_prep_send_zc", "prepSendZc");
	a_int("sockfd", 0x77); a_f64("buf", P3); a_uint("len", 0x60606); a_int("flags", 0x40);
	a_uint("zcFlags", 0x9);
	io_uring_prep_send_zc(sqe, 0x77, ptr(P3), 0x60606, 0x40, 0x9);
	emit(1);

	sqe = begin("io_uring_prep_send_zc_fixed", "prepSendZcFixed");
	a_int("sockfd", 0x78); a_f64("buf", P4); a_uint("len", 0x70707); a_int("flags", 0x41);
	a_uint("zcFlags", 0x8); a_uint("bufIndex", 0x2bcd);
	io_uring_prep_send_zc_fixed(sqe, 0x78, ptr(P4), 0x70707, 0x41, 0x8, 0x2bcd);
	emit(1);

	sqe = begin("io_uring_prep_sendmsg", "prepSendmsg");
	a_int("fd", 0x79); a_f64("msg", P1); a_uint("flags", 0x80004000u);
	io_uring_prep_sendmsg(sqe, 0x79, ptr(P1), 0x80004000u);
	emit(1);

	sqe = begin("io_uring_prep_sendmsg_zc", "prepSendmsgZc");
	a_int("fd", 0x7a); a_f64("msg", P2); a_uint("flags", 0x4001);
	io_uring_prep_sendmsg_zc(sqe, 0x7a, ptr(P2), 0x4001);
	emit(1);

	sqe = begin("io_uring_prep_recv", "prepRecv");
	a_int("sockfd", 0x7b); a_f64("buf", P3); a_uint("len", 0x80808); a_int("flags", 0x102);
	io_uring_prep_recv(sqe, 0x7b, ptr(P3), 0x80808, 0x102);
	emit(1);

	sqe = begin("io_uring_prep_recv_multishot", "prepRecvMultishot");
	a_int("sockfd", 0x7c); a_f64("buf", P4); a_uint("len", 0x90909); a_int("flags", 0x103);
	io_uring_prep_recv_multishot(sqe, 0x7c, ptr(P4), 0x90909, 0x103);
	emit(1);

	sqe = begin("io_uring_prep_recvmsg", "prepRecvmsg");
	a_int("fd", 0x7d); a_f64("msg", P1); a_uint("flags", 0x2040);
	io_uring_prep_recvmsg(sqe, 0x7d, ptr(P1), 0x2040);
	emit(1);

	sqe = begin("io_uring_prep_recvmsg_multishot", "prepRecvmsgMultishot");
	a_int("fd", 0x7e); a_f64("msg", P2); a_uint("flags", 0x2041);
	io_uring_prep_recvmsg_multishot(sqe, 0x7e, ptr(P2), 0x2041);
	emit(1);

	sqe = begin("io_uring_prep_shutdown", "prepShutdown");
	a_int("fd", 0x7f); a_int("how", 2);
	io_uring_prep_shutdown(sqe, 0x7f, 2);
	emit(1);
}

static void control_ops(void)
{
	struct io_uring_sqe *sqe;

	sqe = begin("io_uring_prep_poll_add", "prepPollAdd");
	a_int("fd", 0x81); a_uint("pollMask", 0x80002019u);
	io_uring_prep_poll_add(sqe, 0x81, 0x80002019u);
	emit(1);

	sqe = begin("io_uring_prep_poll_multishot", "prepPollMultishot");
	a_int("fd", 0x82); a_uint("pollMask", 0x1);
	io_uring_prep_poll_multishot(sqe, 0x82, 0x1);
	emit(1);

	sqe = begin("io_uring_prep_poll_remove", "prepPollRemove");
	a_u64("userDataLo", "userDataHi", U64A);
	io_uring_prep_poll_remove(sqe, U64A);
	emit(1);

	sqe = begin("io_uring_prep_poll_update", "prepPollUpdate");
	a_u64("oldUserDataLo", "oldUserDataHi", U64A); a_u64("newUserDataLo", "newUserDataHi", U64B);
	a_uint("pollMask", 0x4); a_uint("flags", 0x6);
	io_uring_prep_poll_update(sqe, U64A, U64B, 0x4, 0x6);
	emit(1);

	sqe = begin("io_uring_prep_epoll_ctl", "prepEpollCtl");
	a_int("epfd", 0x83); a_int("fd", 0x84); a_int("op", 3); a_f64("ev", P3);
	io_uring_prep_epoll_ctl(sqe, 0x83, 0x84, 3, ptr(P3));
	emit(1);

	/* fd is zero-extended into sqe->off: (__u32) fd */
	sqe = begin("io_uring_prep_epoll_ctl", "prepEpollCtl");
	a_int("epfd", 0x85); a_int("fd", -5); a_int("op", 2); a_f64("ev", P4);
	io_uring_prep_epoll_ctl(sqe, 0x85, -5, 2, ptr(P4));
	emit(1);

	sqe = begin("io_uring_prep_msg_ring", "prepMsgRing");
	a_int("fd", 0x86); a_uint("len", 0xa0a0a); a_u64("dataLo", "dataHi", U64B); a_uint("flags", 0x1);
	io_uring_prep_msg_ring(sqe, 0x86, 0xa0a0a, U64B, 0x1);
	emit(1);

	sqe = begin("io_uring_prep_provide_buffers", "prepProvideBuffers");
	a_f64("addr", P1); a_int("len", 0x1000); a_int("nr", 0x88); a_int("bgid", 0x3cde);
	a_int("bid", 0x99);
	io_uring_prep_provide_buffers(sqe, ptr(P1), 0x1000, 0x88, 0x3cde, 0x99);
	emit(1);

	sqe = begin("io_uring_prep_remove_buffers", "prepRemoveBuffers");
	a_int("nr", 0x89); a_int("bgid", 0x4def);
	io_uring_prep_remove_buffers(sqe, 0x89, 0x4def);
	emit(1);
}

static void setters(void)
{
	struct io_uring_sqe *sqe;

	sqe = begin("io_uring_sqe_set_data64", "sqeSetData");
	a_u64("lo", "hi", U64A);
	io_uring_sqe_set_data64(sqe, U64A);
	emit(0);

	sqe = begin("io_uring_sqe_set_data", "sqeSetData");
	a_u64("lo", "hi", U64B);
	io_uring_sqe_set_data(sqe, ptr(U64B));
	emit(0);

	sqe = begin("io_uring_sqe_set_flags", "sqeSetFlags");
	a_uint("flags", IOSQE_IO_LINK | IOSQE_ASYNC | IOSQE_CQE_SKIP_SUCCESS);
	io_uring_sqe_set_flags(sqe, IOSQE_IO_LINK | IOSQE_ASYNC | IOSQE_CQE_SKIP_SUCCESS);
	emit(1);
}

int main(void)
{
	_Static_assert(sizeof(struct io_uring_sqe) == 64, "struct io_uring_sqe is 64 bytes");
	core_ops();
	fs_ops();
	path_ops();
	net_ops();
	control_ops();
	setters();
	return fflush(stdout) == 0 ? 0 : 1;
}
