// Kernel ABI constants (include/uapi/linux/io_uring.h, Linux 6.18) used by
// the ring core. Names mirror the uapi header.

// struct io_uring_sqe field offsets; unions share an offset, each name is
// the uapi member a prep writes.
export const SQE_OFF_OPCODE: u32 = 0; // u8
export const SQE_OFF_FLAGS: u32 = 1; // u8 IOSQE_*
export const SQE_OFF_IOPRIO: u32 = 2; // u16 ioprio, or the op's flags (IORING_RECV_*, IORING_ACCEPT_*)
export const SQE_OFF_FD: u32 = 4; // s32
export const SQE_OFF_OFF: u32 = 8; // u64 off
export const SQE_OFF_ADDR2: u32 = 8; // u64 addr2
export const SQE_OFF_CMD_OP: u32 = 8; // u32 cmd_op (+ u32 __pad1)
export const SQE_OFF_ADDR: u32 = 16; // u64 addr
export const SQE_OFF_SPLICE_OFF_IN: u32 = 16; // u64
export const SQE_OFF_LEVEL: u32 = 16; // u32 level (SOCKET_URING_OP_*SOCKOPT)
export const SQE_OFF_OPTNAME: u32 = 20; // u32 optname
export const SQE_OFF_LEN: u32 = 24; // u32
export const SQE_OFF_OP_FLAGS: u32 = 28; // u32 rw_flags, fsync_flags, open_flags, statx_flags, timeout_flags, cancel_flags …
export const SQE_OFF_USER_DATA: u32 = 32; // u64
export const SQE_OFF_BUF_INDEX: u32 = 40; // u16 buf_index
export const SQE_OFF_BUF_GROUP: u32 = 40; // u16 buf_group
export const SQE_OFF_PERSONALITY: u32 = 42; // u16
export const SQE_OFF_FILE_INDEX: u32 = 44; // u32 file_index
export const SQE_OFF_SPLICE_FD_IN: u32 = 44; // s32
export const SQE_OFF_ZCRX_IFQ_IDX: u32 = 44; // u32
export const SQE_OFF_OPTLEN: u32 = 44; // u32
export const SQE_OFF_ADDR_LEN: u32 = 44; // u16 addr_len (+ u16 __pad3)
export const SQE_OFF_ADDR3: u32 = 48; // u64
export const SQE_OFF_OPTVAL: u32 = 48; // u64
export const SQE_OFF_CMD: u32 = 48; // u8 cmd[]: 16 bytes, 80 with IORING_SETUP_SQE128
export const SQE_SIZE: u32 = 64;
export const SQE128_SIZE: u32 = 128;

// struct io_uring_cqe field offsets
export const CQE_OFF_USER_DATA: u32 = 0; // u64
export const CQE_OFF_RES: u32 = 8; // s32
export const CQE_OFF_FLAGS: u32 = 12; // u32
export const CQE_OFF_BIG_CQE: u32 = 16; // u64 big_cqe[2], with IORING_SETUP_CQE32

// struct io_uring_params field offsets (120 bytes)
export const PARAMS_SIZE: u32 = 120;
export const P_SQ_ENTRIES: u32 = 0;
export const P_CQ_ENTRIES: u32 = 4;
export const P_FLAGS: u32 = 8;
export const P_SQ_THREAD_CPU: u32 = 12;
export const P_SQ_THREAD_IDLE: u32 = 16;
export const P_FEATURES: u32 = 20;
export const P_SQ_OFF: u32 = 40; // struct io_sqring_offsets
export const P_CQ_OFF: u32 = 80; // struct io_cqring_offsets
// within io_sqring_offsets
export const SQO_HEAD: u32 = 0;
export const SQO_TAIL: u32 = 4;
export const SQO_RING_MASK: u32 = 8;
export const SQO_RING_ENTRIES: u32 = 12;
export const SQO_FLAGS: u32 = 16;
export const SQO_DROPPED: u32 = 20;
export const SQO_ARRAY: u32 = 24;
export const SQO_USER_ADDR: u32 = 32; // u64
// within io_cqring_offsets
export const CQO_HEAD: u32 = 0;
export const CQO_TAIL: u32 = 4;
export const CQO_RING_MASK: u32 = 8;
export const CQO_RING_ENTRIES: u32 = 12;
export const CQO_OVERFLOW: u32 = 16;
export const CQO_CQES: u32 = 20;
export const CQO_FLAGS: u32 = 24;
export const CQO_USER_ADDR: u32 = 32; // u64

// io_uring_setup flags
export const IORING_SETUP_SQPOLL: u32 = 1 << 1;
export const IORING_SETUP_SQ_AFF: u32 = 1 << 2;
export const IORING_SETUP_CQSIZE: u32 = 1 << 3;
export const IORING_SETUP_SQE128: u32 = 1 << 10;
export const IORING_SETUP_CQE32: u32 = 1 << 11;
export const IORING_SETUP_NO_MMAP: u32 = 1 << 14;
export const IORING_SETUP_NO_SQARRAY: u32 = 1 << 16;

// Shadow ring header (native/include/uringshim.h, US_SHADOW_*)
export const SHADOW_SQ_HEAD: u32 = 0;
export const SHADOW_SQ_TAIL: u32 = 4;
export const SHADOW_SQ_FLAGS: u32 = 8;
export const SHADOW_SQ_DROPPED: u32 = 12;
export const SHADOW_CQ_HEAD: u32 = 16;
export const SHADOW_CQ_TAIL: u32 = 20;
export const SHADOW_CQ_OVERFLOW: u32 = 24;
export const SHADOW_CQ_FLAGS: u32 = 28;
export const SHADOW_SQ_ENTRIES: u32 = 32;
export const SHADOW_CQ_ENTRIES: u32 = 36;
export const SHADOW_SQES: u32 = 64;

// opcodes (enum io_uring_op) up to the last one Linux 6.18 has
// (IORING_REGISTER_PROBE there reports last_op = IORING_OP_PIPE).
export const IORING_OP_NOP: u8 = 0;
export const IORING_OP_READV: u8 = 1;
export const IORING_OP_WRITEV: u8 = 2;
export const IORING_OP_FSYNC: u8 = 3;
export const IORING_OP_READ_FIXED: u8 = 4;
export const IORING_OP_WRITE_FIXED: u8 = 5;
export const IORING_OP_POLL_ADD: u8 = 6;
export const IORING_OP_POLL_REMOVE: u8 = 7;
export const IORING_OP_SYNC_FILE_RANGE: u8 = 8;
export const IORING_OP_SENDMSG: u8 = 9;
export const IORING_OP_RECVMSG: u8 = 10;
export const IORING_OP_TIMEOUT: u8 = 11;
export const IORING_OP_TIMEOUT_REMOVE: u8 = 12;
export const IORING_OP_ACCEPT: u8 = 13;
export const IORING_OP_ASYNC_CANCEL: u8 = 14;
export const IORING_OP_LINK_TIMEOUT: u8 = 15;
export const IORING_OP_CONNECT: u8 = 16;
export const IORING_OP_FALLOCATE: u8 = 17;
export const IORING_OP_OPENAT: u8 = 18;
export const IORING_OP_CLOSE: u8 = 19;
export const IORING_OP_FILES_UPDATE: u8 = 20;
export const IORING_OP_STATX: u8 = 21;
export const IORING_OP_READ: u8 = 22;
export const IORING_OP_WRITE: u8 = 23;
export const IORING_OP_FADVISE: u8 = 24;
export const IORING_OP_MADVISE: u8 = 25;
export const IORING_OP_SEND: u8 = 26;
export const IORING_OP_RECV: u8 = 27;
export const IORING_OP_OPENAT2: u8 = 28;
export const IORING_OP_EPOLL_CTL: u8 = 29;
export const IORING_OP_SPLICE: u8 = 30;
export const IORING_OP_PROVIDE_BUFFERS: u8 = 31;
export const IORING_OP_REMOVE_BUFFERS: u8 = 32;
export const IORING_OP_TEE: u8 = 33;
export const IORING_OP_SHUTDOWN: u8 = 34;
export const IORING_OP_RENAMEAT: u8 = 35;
export const IORING_OP_UNLINKAT: u8 = 36;
export const IORING_OP_MKDIRAT: u8 = 37;
export const IORING_OP_SYMLINKAT: u8 = 38;
export const IORING_OP_LINKAT: u8 = 39;
export const IORING_OP_MSG_RING: u8 = 40;
export const IORING_OP_FSETXATTR: u8 = 41;
export const IORING_OP_SETXATTR: u8 = 42;
export const IORING_OP_FGETXATTR: u8 = 43;
export const IORING_OP_GETXATTR: u8 = 44;
export const IORING_OP_SOCKET: u8 = 45;
export const IORING_OP_URING_CMD: u8 = 46;
export const IORING_OP_SEND_ZC: u8 = 47;
export const IORING_OP_SENDMSG_ZC: u8 = 48;
export const IORING_OP_READ_MULTISHOT: u8 = 49;
export const IORING_OP_WAITID: u8 = 50;
export const IORING_OP_FUTEX_WAIT: u8 = 51;
export const IORING_OP_FUTEX_WAKE: u8 = 52;
export const IORING_OP_FUTEX_WAITV: u8 = 53;
export const IORING_OP_FIXED_FD_INSTALL: u8 = 54;
export const IORING_OP_FTRUNCATE: u8 = 55;
export const IORING_OP_BIND: u8 = 56;
export const IORING_OP_LISTEN: u8 = 57;
export const IORING_OP_RECV_ZC: u8 = 58;
export const IORING_OP_EPOLL_WAIT: u8 = 59;
export const IORING_OP_READV_FIXED: u8 = 60;
export const IORING_OP_WRITEV_FIXED: u8 = 61;
export const IORING_OP_PIPE: u8 = 62;

// sqe->flags (IOSQE_*)
export const IOSQE_FIXED_FILE: u8 = 1 << 0;
export const IOSQE_IO_DRAIN: u8 = 1 << 1;
export const IOSQE_IO_LINK: u8 = 1 << 2;
export const IOSQE_IO_HARDLINK: u8 = 1 << 3;
export const IOSQE_ASYNC: u8 = 1 << 4;
export const IOSQE_BUFFER_SELECT: u8 = 1 << 5;
export const IOSQE_CQE_SKIP_SUCCESS: u8 = 1 << 6;

// Op-specific values the preps write themselves.
// sqe->file_index: allocate a free direct descriptor (stored as is, not +1).
export const IORING_FILE_INDEX_ALLOC: u32 = 0xffffffff;
export const IORING_TIMEOUT_UPDATE: u32 = 1 << 1; // timeout_flags
export const IORING_POLL_ADD_MULTI: u32 = 1 << 0; // POLL_ADD's sqe->len
export const IORING_ASYNC_CANCEL_FD: u32 = 1 << 1; // cancel_flags
// sqe->ioprio for send/recv and accept
export const IORING_RECV_MULTISHOT: u16 = 1 << 1;
export const IORING_RECVSEND_FIXED_BUF: u16 = 1 << 2;
export const IORING_RECVSEND_BUNDLE: u16 = 1 << 4;
export const IORING_ACCEPT_MULTISHOT: u16 = 1 << 0;
// IORING_OP_MSG_RING: command in sqe->addr, flags in sqe->msg_ring_flags
export const IORING_MSG_SEND_FD: u64 = 1;
export const IORING_MSG_RING_FLAGS_PASS: u32 = 1 << 1;
// IORING_OP_URING_CMD sub-commands (sqe->cmd_op). GETSOCKNAME and
// ZONE_RESET_ALL are newer than Linux 6.18, which answers -EOPNOTSUPP.
export const SOCKET_URING_OP_GETSOCKNAME: u32 = 5;
export const BLOCK_URING_CMD_DISCARD: u32 = 0x1200; // _IO(0x12, 0)
export const BLOCK_URING_CMD_ZONE_RESET_ALL: u32 = 0x1201; // _IO(0x12, 1)
// sizeof(struct open_how) (linux/openat2.h), openat2's sqe->len
export const OPEN_HOW_SIZE: u32 = 24;
export const AT_FDCWD: i32 = -100;

// CQ ring flags
export const IORING_CQ_EVENTFD_DISABLED: u32 = 1 << 0;
