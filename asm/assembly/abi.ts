// Kernel ABI constants (include/uapi/linux/io_uring.h, Linux 6.18) used by
// the ring core. Names mirror the uapi header.

// struct io_uring_sqe field offsets
export const SQE_OFF_OPCODE: u32 = 0; // u8
export const SQE_OFF_FLAGS: u32 = 1; // u8
export const SQE_OFF_IOPRIO: u32 = 2; // u16
export const SQE_OFF_FD: u32 = 4; // s32
export const SQE_OFF_OFF: u32 = 8; // u64 off / addr2
export const SQE_OFF_ADDR: u32 = 16; // u64 addr / splice_off_in
export const SQE_OFF_LEN: u32 = 24; // u32
export const SQE_OFF_OP_FLAGS: u32 = 28; // u32 rw_flags, fsync_flags, open_flags, statx_flags, timeout_flags, cancel_flags …
export const SQE_OFF_USER_DATA: u32 = 32; // u64
export const SQE_OFF_BUF_INDEX: u32 = 40; // u16 buf_index / buf_group
export const SQE_OFF_PERSONALITY: u32 = 42; // u16
export const SQE_OFF_FILE_INDEX: u32 = 44; // u32 splice_fd_in / file_index / addr_len
export const SQE_OFF_ADDR3: u32 = 48; // u64

// struct io_uring_cqe field offsets
export const CQE_OFF_USER_DATA: u32 = 0; // u64
export const CQE_OFF_RES: u32 = 8; // s32
export const CQE_OFF_FLAGS: u32 = 12; // u32

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

// opcodes (enum io_uring_op)
export const IORING_OP_NOP: u8 = 0;
export const IORING_OP_READV: u8 = 1;
export const IORING_OP_WRITEV: u8 = 2;
export const IORING_OP_FSYNC: u8 = 3;
export const IORING_OP_READ_FIXED: u8 = 4;
export const IORING_OP_WRITE_FIXED: u8 = 5;
export const IORING_OP_TIMEOUT: u8 = 11;
export const IORING_OP_TIMEOUT_REMOVE: u8 = 12;
export const IORING_OP_ASYNC_CANCEL: u8 = 14;
export const IORING_OP_LINK_TIMEOUT: u8 = 15;
export const IORING_OP_OPENAT: u8 = 18;
export const IORING_OP_CLOSE: u8 = 19;
export const IORING_OP_STATX: u8 = 21;
export const IORING_OP_READ: u8 = 22;
export const IORING_OP_WRITE: u8 = 23;

export const IORING_ASYNC_CANCEL_FD: u32 = 1 << 1;

// CQ ring flags
export const IORING_CQ_EVENTFD_DISABLED: u32 = 1 << 0;
