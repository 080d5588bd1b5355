// io_uring and file-system constants (include/uapi/linux/io_uring.h,
// fcntl.h, stat.h; Linux 6.18, x86-64/arm64 values), named as in C.

// io_uring_setup(2) flags
export const IORING_SETUP_IOPOLL = 1 << 0;
export const IORING_SETUP_SQPOLL = 1 << 1;
export const IORING_SETUP_SQ_AFF = 1 << 2;
export const IORING_SETUP_CQSIZE = 1 << 3;
export const IORING_SETUP_CLAMP = 1 << 4;
export const IORING_SETUP_ATTACH_WQ = 1 << 5;
export const IORING_SETUP_R_DISABLED = 1 << 6;
export const IORING_SETUP_SUBMIT_ALL = 1 << 7;
export const IORING_SETUP_COOP_TASKRUN = 1 << 8;
export const IORING_SETUP_TASKRUN_FLAG = 1 << 9;
export const IORING_SETUP_SQE128 = 1 << 10;
export const IORING_SETUP_CQE32 = 1 << 11;
export const IORING_SETUP_SINGLE_ISSUER = 1 << 12;
export const IORING_SETUP_DEFER_TASKRUN = 1 << 13;
export const IORING_SETUP_NO_MMAP = 1 << 14;
export const IORING_SETUP_REGISTERED_FD_ONLY = 1 << 15;
export const IORING_SETUP_NO_SQARRAY = 1 << 16;

// io_uring_enter(2) flags
export const IORING_ENTER_GETEVENTS = 1 << 0;
export const IORING_ENTER_SQ_WAKEUP = 1 << 1;
export const IORING_ENTER_SQ_WAIT = 1 << 2;
export const IORING_ENTER_EXT_ARG = 1 << 3;

// SQ ring flags
export const IORING_SQ_NEED_WAKEUP = 1 << 0;
export const IORING_SQ_CQ_OVERFLOW = 1 << 1;
export const IORING_SQ_TASKRUN = 1 << 2;

// io_uring_params.features
export const IORING_FEAT_SINGLE_MMAP = 1 << 0;
export const IORING_FEAT_NODROP = 1 << 1;
export const IORING_FEAT_SUBMIT_STABLE = 1 << 2;
export const IORING_FEAT_RW_CUR_POS = 1 << 3;
export const IORING_FEAT_CUR_PERSONALITY = 1 << 4;
export const IORING_FEAT_FAST_POLL = 1 << 5;
export const IORING_FEAT_POLL_32BITS = 1 << 6;
export const IORING_FEAT_SQPOLL_NONFIXED = 1 << 7;
export const IORING_FEAT_EXT_ARG = 1 << 8;
export const IORING_FEAT_NATIVE_WORKERS = 1 << 9;
export const IORING_FEAT_RSRC_TAGS = 1 << 10;
export const IORING_FEAT_CQE_SKIP = 1 << 11;
export const IORING_FEAT_LINKED_FILE = 1 << 12;
export const IORING_FEAT_REG_REG_RING = 1 << 13;
export const IORING_FEAT_RECVSEND_BUNDLE = 1 << 14;
export const IORING_FEAT_MIN_TIMEOUT = 1 << 15;
export const IORING_FEAT_RW_ATTR = 1 << 16;
export const IORING_FEAT_NO_IOWAIT = 1 << 17;

export const FEATURE_NAMES: ReadonlyArray<readonly [number, string]> = [
  [IORING_FEAT_SINGLE_MMAP, "SINGLE_MMAP"],
  [IORING_FEAT_NODROP, "NODROP"],
  [IORING_FEAT_SUBMIT_STABLE, "SUBMIT_STABLE"],
  [IORING_FEAT_RW_CUR_POS, "RW_CUR_POS"],
  [IORING_FEAT_CUR_PERSONALITY, "CUR_PERSONALITY"],
  [IORING_FEAT_FAST_POLL, "FAST_POLL"],
  [IORING_FEAT_POLL_32BITS, "POLL_32BITS"],
  [IORING_FEAT_SQPOLL_NONFIXED, "SQPOLL_NONFIXED"],
  [IORING_FEAT_EXT_ARG, "EXT_ARG"],
  [IORING_FEAT_NATIVE_WORKERS, "NATIVE_WORKERS"],
  [IORING_FEAT_RSRC_TAGS, "RSRC_TAGS"],
  [IORING_FEAT_CQE_SKIP, "CQE_SKIP"],
  [IORING_FEAT_LINKED_FILE, "LINKED_FILE"],
  [IORING_FEAT_REG_REG_RING, "REG_REG_RING"],
  [IORING_FEAT_RECVSEND_BUNDLE, "RECVSEND_BUNDLE"],
  [IORING_FEAT_MIN_TIMEOUT, "MIN_TIMEOUT"],
  [IORING_FEAT_RW_ATTR, "RW_ATTR"],
  [IORING_FEAT_NO_IOWAIT, "NO_IOWAIT"],
];

// SQE flags (IOSQE_*)
export const IOSQE_FIXED_FILE = 1 << 0;
export const IOSQE_IO_DRAIN = 1 << 1;
export const IOSQE_IO_LINK = 1 << 2;
export const IOSQE_IO_HARDLINK = 1 << 3;
export const IOSQE_ASYNC = 1 << 4;
export const IOSQE_BUFFER_SELECT = 1 << 5;
export const IOSQE_CQE_SKIP_SUCCESS = 1 << 6;

// CQE flags: cqe.ts

// op-specific flags
export const IORING_FSYNC_DATASYNC = 1 << 0;
export const IORING_TIMEOUT_ABS = 1 << 0;
export const IORING_TIMEOUT_BOOTTIME = 1 << 2;
export const IORING_TIMEOUT_REALTIME = 1 << 3;
export const IORING_TIMEOUT_ETIME_SUCCESS = 1 << 5;
export const IORING_ASYNC_CANCEL_ALL = 1 << 0;
export const IORING_ASYNC_CANCEL_FD = 1 << 1;
export const IORING_ASYNC_CANCEL_ANY = 1 << 2;

// io_uring_register(2) opcodes used so far
export const IORING_REGISTER_EVENTFD = 4;
export const IORING_UNREGISTER_EVENTFD = 5;
export const IORING_REGISTER_PROBE = 8;
export const IORING_REGISTER_RESTRICTIONS = 11;
export const IORING_REGISTER_ENABLE_RINGS = 12;
export const IORING_REGISTER_RING_FDS = 20;
export const IORING_UNREGISTER_RING_FDS = 21;

// open(2) flags
export const O_RDONLY = 0o0;
export const O_WRONLY = 0o1;
export const O_RDWR = 0o2;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
export const O_NOCTTY = 0o400;
export const O_TRUNC = 0o1000;
export const O_APPEND = 0o2000;
export const O_NONBLOCK = 0o4000;
export const O_DSYNC = 0o10000;
export const O_DIRECT = 0o40000;
export const O_LARGEFILE = 0o100000;
export const O_DIRECTORY = 0o200000;
export const O_NOFOLLOW = 0o400000;
export const O_NOATIME = 0o1000000;
export const O_CLOEXEC = 0o2000000;
export const O_SYNC = 0o4010000;
export const O_PATH = 0o10000000;
export const O_TMPFILE = 0o20200000;

// *at(2)
export const AT_FDCWD = -100;
export const AT_SYMLINK_NOFOLLOW = 0x100;
export const AT_REMOVEDIR = 0x200;
export const AT_SYMLINK_FOLLOW = 0x400;
export const AT_NO_AUTOMOUNT = 0x800;
export const AT_EMPTY_PATH = 0x1000;
export const AT_STATX_SYNC_AS_STAT = 0x0000;
export const AT_STATX_FORCE_SYNC = 0x2000;
export const AT_STATX_DONT_SYNC = 0x4000;

// statx(2) mask
export const STATX_TYPE = 0x1;
export const STATX_MODE = 0x2;
export const STATX_NLINK = 0x4;
export const STATX_UID = 0x8;
export const STATX_GID = 0x10;
export const STATX_ATIME = 0x20;
export const STATX_MTIME = 0x40;
export const STATX_CTIME = 0x80;
export const STATX_INO = 0x100;
export const STATX_SIZE = 0x200;
export const STATX_BLOCKS = 0x400;
export const STATX_BASIC_STATS = 0x7ff;
export const STATX_BTIME = 0x800;
export const STATX_MNT_ID = 0x1000;
export const STATX_DIOALIGN = 0x2000;

// file types (st_mode & S_IFMT)
export const S_IFMT = 0o170000;
export const S_IFSOCK = 0o140000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFBLK = 0o060000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;
export const S_IFIFO = 0o010000;

// Added for the kernel probe (core/probe.ts, core/opcodes.ts).
export const IORING_SETUP_HYBRID_IOPOLL = 1 << 17;
export const IORING_SETUP_CQE_MIXED = 1 << 18;
export const IORING_ENTER_REGISTERED_RING = 1 << 4;
export const IORING_ENTER_ABS_TIMER = 1 << 5;
export const IORING_ENTER_EXT_ARG_REG = 1 << 6;
export const IORING_ENTER_NO_IOWAIT = 1 << 7;
// io_uring_register(2) opcode 35 (6.18+): asks about the kernel without a
// ring (ring fd -1); struct io_uring_query_hdr in linux/io_uring/query.h.
export const IORING_REGISTER_QUERY = 35;
export const IO_URING_QUERY_OPCODES = 0;
// struct io_uring_probe_op.flags
export const IO_URING_OP_SUPPORTED = 1 << 0;
