// Flags and values of the operations beyond read/write (poll.h, fcntl.h,
// falloc.h, fadvise, mman.h, fs.h, xattr.h, openat2.h, futex.h, wait.h and
// io_uring.h; Linux 6.18 x86-64/arm64 values), named as in C.

// poll(2) events
export const POLLIN = 0x1;
export const POLLPRI = 0x2;
export const POLLOUT = 0x4;
export const POLLERR = 0x8;
export const POLLHUP = 0x10;
export const POLLNVAL = 0x20;
export const POLLRDNORM = 0x40;
export const POLLRDBAND = 0x80;
export const POLLWRNORM = 0x100;
export const POLLWRBAND = 0x200;
export const POLLMSG = 0x400;
export const POLLRDHUP = 0x2000;
export const POLL_EVENTS_ALL = 0x27ff;

// splice(2) / tee(2)
export const SPLICE_F_MOVE = 1;
export const SPLICE_F_NONBLOCK = 2;
export const SPLICE_F_MORE = 4;
export const SPLICE_F_GIFT = 8;

// sync_file_range(2)
export const SYNC_FILE_RANGE_WAIT_BEFORE = 1;
export const SYNC_FILE_RANGE_WRITE = 2;
export const SYNC_FILE_RANGE_WAIT_AFTER = 4;

// fallocate(2) modes
export const FALLOC_FL_KEEP_SIZE = 0x01;
export const FALLOC_FL_PUNCH_HOLE = 0x02;
export const FALLOC_FL_NO_HIDE_STALE = 0x04;
export const FALLOC_FL_COLLAPSE_RANGE = 0x08;
export const FALLOC_FL_ZERO_RANGE = 0x10;
export const FALLOC_FL_INSERT_RANGE = 0x20;
export const FALLOC_FL_UNSHARE_RANGE = 0x40;
export const FALLOC_FL_WRITE_ZEROES = 0x80;

// posix_fadvise(2)
export const POSIX_FADV_NORMAL = 0;
export const POSIX_FADV_RANDOM = 1;
export const POSIX_FADV_SEQUENTIAL = 2;
export const POSIX_FADV_WILLNEED = 3;
export const POSIX_FADV_DONTNEED = 4;
export const POSIX_FADV_NOREUSE = 5;

// madvise(2)
export const MADV_NORMAL = 0;
export const MADV_RANDOM = 1;
export const MADV_SEQUENTIAL = 2;
export const MADV_WILLNEED = 3;
export const MADV_DONTNEED = 4;
export const MADV_FREE = 8;
export const MADV_HUGEPAGE = 14;
export const MADV_NOHUGEPAGE = 15;
export const MADV_COLD = 20;
export const MADV_PAGEOUT = 21;

// renameat2(2)
export const RENAME_NOREPLACE = 1;
export const RENAME_EXCHANGE = 2;
export const RENAME_WHITEOUT = 4;

// setxattr(2)
export const XATTR_CREATE = 1;
export const XATTR_REPLACE = 2;
export const XATTR_SIZE_MAX = 65536;

// openat2(2) struct open_how.resolve
export const RESOLVE_NO_XDEV = 0x01;
export const RESOLVE_NO_MAGICLINKS = 0x02;
export const RESOLVE_NO_SYMLINKS = 0x04;
export const RESOLVE_BENEATH = 0x08;
export const RESOLVE_IN_ROOT = 0x10;
export const RESOLVE_CACHED = 0x20;

// futex2 (futex_waitv(2) and the io_uring futex ops)
export const FUTEX2_SIZE_U32 = 0x02;
export const FUTEX2_NUMA = 0x04;
export const FUTEX2_PRIVATE = 128;
export const FUTEX_BITSET_MATCH_ANY = 0xffff_ffff;
export const FUTEX_WAITV_MAX = 128;

// waitid(2)
export const P_ALL = 0;
export const P_PID = 1;
export const P_PGID = 2;
export const P_PIDFD = 3;
export const WNOHANG = 0x1;
export const WSTOPPED = 0x2;
export const WEXITED = 0x4;
export const WCONTINUED = 0x8;
export const WNOWAIT = 0x0100_0000;
// siginfo si_code for SIGCHLD
export const CLD_EXITED = 1;
export const CLD_KILLED = 2;
export const CLD_DUMPED = 3;
export const CLD_TRAPPED = 4;
export const CLD_STOPPED = 5;
export const CLD_CONTINUED = 6;

// io_uring op flags beyond the core set
export const IORING_TIMEOUT_MULTISHOT = 1 << 6;
export const IORING_POLL_ADD_MULTI = 1 << 0;
export const IORING_MSG_DATA = 0;
export const IORING_MSG_SEND_FD = 1;
export const IORING_MSG_RING_CQE_SKIP = 1 << 0;
export const IORING_MSG_RING_FLAGS_PASS = 1 << 1;

// sockets (socket.h, in.h)
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const SHUT_RD = 0;
export const SHUT_WR = 1;
export const SHUT_RDWR = 2;
export const MSG_PEEK = 0x2;
export const MSG_DONTWAIT = 0x40;
export const MSG_TRUNC = 0x20;
export const MSG_WAITALL = 0x100;
export const MSG_NOSIGNAL = 0x4000;
